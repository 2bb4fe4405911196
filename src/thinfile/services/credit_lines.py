"""Revolving credit line use cases (循环授信): open, draw, change the limit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from thinfile.errors import NotFoundError
from thinfile.loanmath import LoanTerms, RepaymentMethod
from thinfile.money import Money
from thinfile.services.audit import AuditDraft
from thinfile.services.loan_postings import in_own_unit
from thinfile.services.loans import _open
from thinfile.services.uow import UnitOfWork
from thinfile.servicing import (
    CreditLine,
    LineStatus,
    LoanAccount,
    ServicingProduct,
    change_limit,
    check_draw,
)
from thinfile.store.servicing_codec import product_from_json, product_to_json, to_day
from thinfile.store.servicing_tables import credit_lines, installments, limit_changes, loans

__all__ = ["LineView", "change_line_limit", "draw", "draw_audit", "draw_in_unit", "get_line",
           "open_credit_line", "open_line_in_unit"]


@dataclass(frozen=True, slots=True)
class LineView:
    line: CreditLine
    outstanding_principal: int
    available: Money


def open_credit_line(engine: Engine, limit: Money, annual_rate: Decimal, on: date, *,
                     product: ServicingProduct | None = None) -> LineView:
    """Open a revolving line with a limit; draws are priced at ``annual_rate``."""
    with UnitOfWork(engine) as uow:
        view = open_line_in_unit(uow, limit, annual_rate, on, product=product)
        uow.commit()
    return view


def open_line_in_unit(uow: UnitOfWork, limit: Money, annual_rate: Decimal, on: date, *,
                      product: ServicingProduct | None = None) -> LineView:
    """Open a revolving line inside the caller's unit of work."""
    line = CreditLine(0, limit)
    check_draw(line, 0, Money(max(limit.fen, 1), limit.currency))  # validates the currency
    line_id = int(uow.conn.execute(sa.insert(credit_lines).values(
        currency=limit.currency, limit_amount=limit.fen, status=LineStatus.ACTIVE.value,
        annual_rate=str(annual_rate), opened_day=to_day(on),
        product_json=product_to_json(product or ServicingProduct()),
    ).returning(credit_lines.c.id)).scalar_one())
    return LineView(CreditLine(line_id, limit), 0, limit)


def _outstanding(conn: sa.Connection, line_id: int) -> int:
    return int(conn.execute(sa.select(sa.func.coalesce(sa.func.sum(
        installments.c.principal_due - installments.c.principal_paid), 0)).select_from(
        installments.join(loans, loans.c.id == installments.c.loan_id)).where(
        loans.c.credit_line_id == line_id, loans.c.status.in_(("active", "closed")))
    ).scalar_one())


def _load(conn: sa.Connection, line_id: int, *, lock: bool) -> sa.Row[tuple[object, ...]]:
    query = sa.select(credit_lines).where(credit_lines.c.id == line_id)
    row = conn.execute(query.with_for_update() if lock else query).first()
    if row is None:
        raise NotFoundError(f"no credit line {line_id}", field="line_id", value=line_id)
    return row


def _line(row: sa.Row[tuple[object, ...]]) -> CreditLine:
    r = row._mapping
    return CreditLine(int(r["id"]), Money(int(r["limit_amount"]), str(r["currency"])),
                      LineStatus(str(r["status"])))


def get_line(engine: Engine, line_id: int) -> LineView:
    with UnitOfWork(engine) as uow:
        line = _line(_load(uow.conn, line_id, lock=False))
        owed = _outstanding(uow.conn, line_id)
    return LineView(line, owed, line.available(owed))


def draw_in_unit(uow: UnitOfWork, line_id: int, amount: Money, periods: int, on: date, *,
                 method: RepaymentMethod = RepaymentMethod.EQUAL_INSTALLMENT) -> LoanAccount:
    """:func:`draw` inside the caller's unit of work (the caller commits)."""
    row = _load(uow.conn, line_id, lock=True)
    line = _line(row)
    check_draw(line, _outstanding(uow.conn, line_id), amount)
    terms = LoanTerms(amount, Decimal(str(row._mapping["annual_rate"])), periods, method, on)
    return _open(uow, terms, product_from_json(str(row._mapping["product_json"])), None,
                 None, None, line_id)


def draw_audit(actor: str, loan: LoanAccount) -> AuditDraft:
    """The audit row of a draw (``credit_line.draw``), to append last in its transaction."""
    return AuditDraft(actor, "credit_line.draw", f"credit_line:{loan.credit_line_id}",
                      {"loan": loan.loan_id, "amount_fen": loan.principal,
                       "currency": loan.currency})


def draw(engine: Engine, line_id: int, amount: Money, periods: int, on: date, *,
         method: RepaymentMethod = RepaymentMethod.EQUAL_INSTALLMENT,
         actor: str | None = None) -> LoanAccount:
    """Draw on the line: a new installment loan, if the amount is available (支用). With
    ``actor``, audited as ``credit_line.draw`` in the same transaction."""
    return in_own_unit(engine, lambda uow: draw_in_unit(uow, line_id, amount, periods, on,
                                                        method=method),
                       lambda loan: draw_audit(actor, loan) if actor else None)


def change_line_limit(engine: Engine, line_id: int, new_limit: Money, reason: str,
                      on: date) -> LineView:
    """Change the limit, recording the old and new limit and the reason (调额)."""
    with UnitOfWork(engine) as uow:
        row = _load(uow.conn, line_id, lock=True)
        line, change = change_limit(_line(row), new_limit, reason, on)
        uow.conn.execute(sa.update(credit_lines).where(credit_lines.c.id == line_id).values(
            limit_amount=new_limit.fen, version=credit_lines.c.version + 1))
        uow.conn.execute(sa.insert(limit_changes).values(
            line_id=line_id, day=to_day(on), old_limit=change.old_limit,
            new_limit=change.new_limit, reason=change.reason))
        owed = _outstanding(uow.conn, line_id)
        uow.commit()
    return LineView(line, owed, line.available(owed))
