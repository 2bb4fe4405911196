"""Opening a working-capital line from an approved decision (微乐贷开通).

The line is opened only with the terms the decision approved: the borrower's request names the
decision and repeats the limit and daily rate they were shown, and
:func:`thinfile.services.working_capital_decisions.approved_terms_in` — read in this unit of
work, on the current business date — says what was approved. A limit or rate that differs is
refused with :class:`~thinfile.errors.TermsMismatchError` naming the field (never "corrected"
silently, never re-decided); a decline, an expired decision or another applicant's decision is
refused too. A decision opens one line: the opening is the line's first transaction, keyed by
the decision's number, so a second attempt is a conflict naming the line already opened.

The borrower chooses how to repay: ``minimum`` (whenever, at least each period's minimum) or
``sales`` (a share of each day's collected sales, :data:`SALES_SHARE`, with the same minimum).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy.engine import Engine

from thinfile.errors import ConflictError, TermsMismatchError
from thinfile.money import Money, format_yuan
from thinfile.services.audit import AuditDraft
from thinfile.services.business_date import business_date_in
from thinfile.services.uow import UnitOfWork
from thinfile.services.working_capital import open_line_in_unit
from thinfile.services.working_capital_decisions import approved_terms_in
from thinfile.servicing.working_capital import RepaymentMode, WorkingCapitalLine
from thinfile.store.servicing_codec import to_day

__all__ = [
    "MINIMUM_SHARE",
    "SALES_SHARE",
    "OpenedLine",
    "decision_key",
    "open_audited_in_unit",
    "open_from_decision",
    "open_from_decision_in_unit",
    "opening_audit",
]

SALES_SHARE = Decimal("0.10")
"""The share of each day's collected sales a sales-linked line repays (product rule)."""
MINIMUM_SHARE = Decimal("0.1")
"""The share of the principal each 60-day period must repay at least (product rule)."""


@dataclass(frozen=True, slots=True)
class OpenedLine:
    line: WorkingCapitalLine
    decision_id: int
    policy_version: str


def decision_key(decision_id: int) -> str:
    """The key of a line's opening transaction: one line per decision."""
    return f"wc-decision:{decision_id}"


def _same(field: str, asked: object, approved: object, shown: str) -> None:
    if asked != approved:
        raise TermsMismatchError(
            f"the decision approved a {field.replace('_', ' ')} of {shown}",
            field=field,
            value=str(asked),
            remedy=f"open the line with the approved {field.replace('_', ' ')}, {shown}",
        )


def open_from_decision_in_unit(
    uow: UnitOfWork,
    owner: str,
    decision_id: int,
    *,
    limit: Money,
    daily_rate: Decimal,
    mode: RepaymentMode = RepaymentMode.MINIMUM,
    today: date | None = None,
) -> OpenedLine:
    """Open ``owner``'s line with the terms of their approved decision ``decision_id``,
    which ``limit`` and ``daily_rate`` must repeat exactly (``today``: as for
    :func:`~thinfile.services.business_date.business_date_in`)."""
    on = business_date_in(uow, today=today)
    terms = approved_terms_in(uow, decision_id, on, owner=owner)
    opened = uow.working_capital.transaction_by_key(decision_key(decision_id))
    if opened is not None:
        raise ConflictError(
            f"decision {decision_id} already opened working-capital line {opened.line_id}",
            field="decision_id",
            value=decision_id,
            remedy=f"use line {opened.line_id}, or ask for a new decision",
        )
    _same("limit", limit, terms.limit, format_yuan(terms.limit.fen))
    _same("daily_rate", daily_rate, terms.daily_rate, str(terms.daily_rate))
    mode = RepaymentMode(mode)
    line = open_line_in_unit(
        uow,
        owner,
        limit=terms.limit,
        daily_rate=terms.daily_rate,
        mode=mode,
        sales_share=SALES_SHARE if mode is RepaymentMode.SALES else Decimal(0),
        minimum_share=MINIMUM_SHARE,
        today=on,
    )
    uow.working_capital.add_transaction(
        {
            "line_id": line.line_id,
            "kind": "open",
            "day": to_day(on),
            "amount": 0,
            "currency": terms.limit.currency,
            "idempotency_key": decision_key(decision_id),
        }
    )
    return OpenedLine(line, decision_id, terms.policy_version)


def opening_audit(actor: str, opened: OpenedLine) -> AuditDraft:
    return AuditDraft(
        actor,
        "wc_line.open",
        f"wc-line:{opened.line.line_id}",
        {
            "decision_id": opened.decision_id,
            "limit": opened.line.terms.limit.fen,
            "policy_version": opened.policy_version,
        },
    )


def open_audited_in_unit(
    uow: UnitOfWork,
    actor: str,
    owner: str,
    decision_id: int,
    limit: Money,
    daily_rate: Decimal,
    mode: RepaymentMode,
) -> tuple[OpenedLine, AuditDraft]:
    """:func:`open_from_decision_in_unit` with its audit row (for an idempotent request)."""
    opened = open_from_decision_in_unit(
        uow, owner, decision_id, limit=limit, daily_rate=daily_rate, mode=mode
    )
    return opened, opening_audit(actor, opened)


def open_from_decision(
    engine: Engine,
    owner: str,
    decision_id: int,
    *,
    limit: Money,
    daily_rate: Decimal,
    mode: RepaymentMode = RepaymentMode.MINIMUM,
    actor: str | None = None,
    today: date | None = None,
) -> OpenedLine:
    """:func:`open_from_decision_in_unit` in a unit of work of its own (audited)."""
    with UnitOfWork(engine) as uow:
        opened = open_from_decision_in_unit(
            uow, owner, decision_id, limit=limit, daily_rate=daily_rate, mode=mode, today=today
        )
        opening_audit(actor or owner, opened).append(uow)
        uow.commit()
    return opened
