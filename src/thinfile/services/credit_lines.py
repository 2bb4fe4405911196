"""Revolving credit line use cases (循环授信): open, draw, change the limit.

A line's rate is at most the legal cap (:data:`~thinfile.loanmath.DEFAULT_CAP`), and every
draw's annualized all-in cost is measured on its own schedule, on the stricter basis (the
higher of the nominal and the compounded rate, DOMAIN §2.2) and refused above the cap: the
installments are rounded to the fen, which on a small draw can lift the cost over the cap
of a line priced just under it (:func:`check_draw_cost`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy.engine import Engine

from thinfile.commerce import CheckoutStatus
from thinfile.errors import ConflictError, InvalidInputError
from thinfile.loanmath import (
    DEFAULT_CAP,
    AnnualizedRate,
    LoanTerms,
    RepaymentMethod,
    Schedule,
    annualized_rate,
    build_schedule,
    check_cap,
)
from thinfile.money import Money
from thinfile.services.audit import AuditDraft
from thinfile.services.business_date import business_date_in
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
from thinfile.store.servicing_codec import to_day

__all__ = [
    "DRAW_TERMS",
    "MIN_DRAW_FEN",
    "PAST_DUE_LINE",
    "LineView",
    "change_line_limit",
    "check_draw_cost",
    "check_draw_terms",
    "check_line_current",
    "draw",
    "draw_audit",
    "draw_in_unit",
    "draw_today",
    "get_line",
    "held_on_line",
    "open_credit_line",
    "open_line_in_unit",
    "room_on_line",
]

DRAW_TERMS = (3, 6, 12)
"""The terms a borrower chooses from when drawing on a line (months)."""
MIN_DRAW_FEN = 10_000
"""The smallest draw a borrower may make (100.00): below it a draw over 12 months would have
installments of a few fen."""
_HOLDING = (CheckoutStatus.AUTHORIZED.value, CheckoutStatus.PARTIALLY_CAPTURED.value)
"""The checkout sessions whose authorization on a line holds room a draw cannot take."""


@dataclass(frozen=True, slots=True)
class LineView:
    line: CreditLine
    outstanding_principal: int
    available: Money


def open_credit_line(
    engine: Engine,
    limit: Money,
    annual_rate: Decimal,
    on: date,
    *,
    product: ServicingProduct | None = None,
) -> LineView:
    """Open a revolving line with a limit; draws are priced at ``annual_rate``."""
    with UnitOfWork(engine) as uow:
        view = open_line_in_unit(uow, limit, annual_rate, on, product=product)
        uow.commit()
    return view


def open_line_in_unit(
    uow: UnitOfWork,
    limit: Money,
    annual_rate: Decimal,
    on: date,
    *,
    product: ServicingProduct | None = None,
) -> LineView:
    """Open a revolving line inside the caller's unit of work; its rate from 0 to the cap."""
    if not 0 <= annual_rate <= DEFAULT_CAP:
        raise InvalidInputError(
            f"a line's annual rate is from 0 to the cap {DEFAULT_CAP:.2%}",
            field="annual_rate",
            value=str(annual_rate),
            remedy=f"open the line at a rate from 0 to {DEFAULT_CAP}",
        )
    line = CreditLine(0, limit)
    check_draw(line, 0, Money(max(limit.fen, 1), limit.currency))  # validates the currency
    line_id = uow.credit_lines.add(
        limit, annual_rate, to_day(on), product=product or ServicingProduct()
    )
    return LineView(CreditLine(line_id, limit), 0, limit)


def held_on_line(uow: UnitOfWork, line_id: int) -> int:
    """What purchases authorized on the line may still capture (fen): room no draw takes."""
    return uow.checkouts.reserved_on_line(line_id, statuses=_HOLDING)


def room_on_line(uow: UnitOfWork, line: CreditLine) -> tuple[int, Money]:
    """The principal the line's draws owe, and what may be drawn now: the limit less that
    and the purchases authorized on it (nothing on a line that is not active, or one of
    whose draws is past due)."""
    owed = uow.credit_lines.outstanding_principal(line.line_id)
    if line.status is not LineStatus.ACTIVE or uow.credit_lines.draw_past_due(line.line_id):
        return owed, Money(0, line.limit.currency)
    return owed, line.available(owed + held_on_line(uow, line.line_id))


PAST_DUE_LINE = "a repayment on this credit line is past due: nothing can be drawn"


def check_line_current(uow: UnitOfWork, line_id: int) -> None:
    """Refuse a draw while an earlier draw of the line is past due: the line lends again
    once the arrears are repaid (its limit is unchanged)."""
    if uow.credit_lines.draw_past_due(line_id):
        raise ConflictError(
            PAST_DUE_LINE,
            field="line_id",
            value=line_id,
            remedy="repay what is past due; then draw again",
        )


def check_draw_cost(schedule: Schedule) -> AnnualizedRate:
    """The annualized all-in cost of a draw's ``schedule``, refused
    (:class:`~thinfile.errors.RateCapExceededError`, naming the amount) when above the cap
    on the stricter basis."""
    rate = annualized_rate(schedule)
    check_cap(
        rate,
        field="amount",
        value=str(schedule.terms.principal),
        remedy="draw another amount or over another number of months",
    )
    return rate


def check_draw_terms(amount: Money, periods: int) -> None:
    """A borrower's draw: one of the terms offered (:data:`DRAW_TERMS`), at least
    :data:`MIN_DRAW_FEN`."""
    if periods not in DRAW_TERMS:
        raise InvalidInputError(
            f"the term must be one of {', '.join(str(t) for t in DRAW_TERMS)} months",
            field="term_months",
            value=periods,
            remedy="choose one of the terms offered",
        )
    if amount.fen < MIN_DRAW_FEN:
        least = Money(MIN_DRAW_FEN, amount.currency)
        raise InvalidInputError(
            f"a draw is at least {least}",
            field="amount",
            value=str(amount),
            remedy=f"draw {least} or more",
        )


def get_line(engine: Engine, line_id: int) -> LineView:
    with UnitOfWork(engine) as uow:
        line = uow.credit_lines.get(line_id).line
        owed, available = room_on_line(uow, line)
    return LineView(line, owed, available)


def draw_in_unit(
    uow: UnitOfWork,
    line_id: int,
    amount: Money,
    periods: int,
    on: date,
    *,
    method: RepaymentMethod = RepaymentMethod.EQUAL_INSTALLMENT,
) -> LoanAccount:
    """:func:`draw` inside the caller's unit of work (the caller commits): within the limit
    less what the draws owe and what purchases authorized on the line may still capture."""
    stored = uow.credit_lines.get(line_id, lock=True)
    owed = uow.credit_lines.outstanding_principal(line_id)
    check_draw(stored.line, owed + held_on_line(uow, line_id), amount)
    check_line_current(uow, line_id)
    terms = LoanTerms(amount, stored.annual_rate, periods, method, on)
    check_draw_cost(build_schedule(terms))
    return _open(uow, terms, stored.product, None, None, None, line_id)


def draw_audit(actor: str, loan: LoanAccount) -> AuditDraft:
    """The audit row of a draw (``credit_line.draw``), to append last in its transaction."""
    return AuditDraft(
        actor,
        "credit_line.draw",
        f"credit_line:{loan.credit_line_id}",
        {"loan": loan.loan_id, "amount_fen": loan.principal, "currency": loan.currency},
    )


def draw_today(
    uow: UnitOfWork, actor: str, line_id: int, amount: Money, periods: int
) -> tuple[LoanAccount, AuditDraft]:
    """A borrower's draw (:func:`check_draw_terms`) in ``uow`` on the current business date
    (read in the same transaction); the new loan and its audit row, which the caller appends
    last."""
    check_draw_terms(amount, periods)
    loan = draw_in_unit(uow, line_id, amount, periods, business_date_in(uow))
    return loan, draw_audit(actor, loan)


def draw(
    engine: Engine,
    line_id: int,
    amount: Money,
    periods: int,
    on: date,
    *,
    method: RepaymentMethod = RepaymentMethod.EQUAL_INSTALLMENT,
    actor: str | None = None,
) -> LoanAccount:
    """Draw on the line: a new installment loan, if the amount is available (支用). With
    ``actor``, audited as ``credit_line.draw`` in the same transaction."""
    return in_own_unit(
        engine,
        lambda uow: draw_in_unit(uow, line_id, amount, periods, on, method=method),
        lambda loan: draw_audit(actor, loan) if actor else None,
    )


def change_line_limit(
    engine: Engine, line_id: int, new_limit: Money, reason: str, on: date
) -> LineView:
    """Change the limit, recording the old and new limit and the reason (调额)."""
    with UnitOfWork(engine) as uow:
        stored = uow.credit_lines.get(line_id, lock=True)
        line, change = change_limit(stored.line, new_limit, reason, on)
        uow.credit_lines.change_limit(line_id, change)
        owed, available = room_on_line(uow, line)
        uow.commit()
    return LineView(line, owed, available)
