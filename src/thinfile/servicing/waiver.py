"""Fee waivers (费用减免): forgive fees or penalty interest (罚息) a borrower owes.

Staff waive a late fee charged in error, or penalty interest a complaint settles. A waiver cuts
what is receivable of one kind — fees accrued and unpaid, or penalty charged and unpaid —
oldest installment first, and books the amount forgiven to the fee-waiver account, a
contra-income account, so income stays as it was charged and the forgiveness shows on its own
line::

    debit  fee_waivers            (费用减免)
    credit fee_receivable / penalty_receivable

Only what is owed can be waived (never more than is outstanding of that kind), a waiver needs
a reason, and it is an event: reverse-and-replay re-applies it (:mod:`replay`).
"""

from __future__ import annotations

import enum
from dataclasses import replace
from datetime import date

from thinfile.errors import InvalidInputError
from thinfile.money import Money
from thinfile.servicing.account import InstallmentState, LoanAccount, Outcome
from thinfile.servicing.ledger import Account, EntryBuilder
from thinfile.servicing.status import check_posting, refresh

__all__ = ["WaiverTarget", "waivable", "waive_fees"]

MAX_REASON = 500


class WaiverTarget(enum.StrEnum):
    """What a waiver forgives."""

    FEE = "fee"
    """Fees accrued and unpaid: late fees and scheduled fees earned so far (应收费用)."""
    PENALTY = "penalty"
    """Penalty interest charged and unpaid (罚息)."""


DEFAULT_ORDER = (WaiverTarget.PENALTY, WaiverTarget.FEE)
"""Without a target a waiver forgives penalty interest first, then fees."""

_RECEIVABLE = {
    WaiverTarget.FEE: Account.FEE_RECEIVABLE,
    WaiverTarget.PENALTY: Account.PENALTY_RECEIVABLE,
}


def _open(row: InstallmentState, target: WaiverTarget) -> int:
    if target is WaiverTarget.FEE:
        return row.fee_accrued - row.fee_paid
    return row.penalty_due - row.penalty_paid


def _cut(row: InstallmentState, target: WaiverTarget, fen: int) -> InstallmentState:
    if target is WaiverTarget.FEE:  # the fee is no longer due, nor earned, nor earned again
        # a fee a re-age carried onto the row is earned (and paid) first: waived first too;
        # the rest was earned over the period's first days (fee_waived)
        carried = min(max(0, row.fee_carried - row.fee_paid), fen)
        return replace(
            row,
            fee_due=row.fee_due - fen,
            fee_accrued=row.fee_accrued - fen,
            fee_carried=row.fee_carried - carried,
            fee_waived=row.fee_waived + fen - carried,
        )
    return replace(row, penalty_due=row.penalty_due - fen)


def _order(target: WaiverTarget | None) -> tuple[WaiverTarget, ...]:
    return DEFAULT_ORDER if target is None else (target,)


def waivable(loan: LoanAccount, target: WaiverTarget | None = None) -> int:
    """Fen that can be waived: what is outstanding of ``target`` (both kinds if ``None``)."""
    return sum(_open(row, t) for t in _order(target) for row in loan.installments)


def _check_reason(reason: str) -> str:
    text = reason.strip()
    if not text:
        raise InvalidInputError(
            "a waiver needs a reason",
            field="reason",
            value=reason,
            remedy="say why the fees are waived",
        )
    if len(text) > MAX_REASON:
        raise InvalidInputError(
            f"a reason has at most {MAX_REASON} characters", field="reason", value=text[:40] + "…"
        )
    return text


def waive_fees(
    loan: LoanAccount, amount: Money, on: date, *, reason: str, target: WaiverTarget | None = None
) -> Outcome:
    """Waive ``amount`` of fees or penalty interest on ``on`` (oldest installment first).

    Raises :class:`InvalidInputError` naming ``amount`` when more is asked than is owed of
    that kind, and naming ``reason`` when no reason is given.
    """
    fen = loan.check_amount(amount)
    why = _check_reason(reason)
    check_posting(loan, on)
    owed = waivable(loan, target)
    if fen > owed:
        what = (
            "fees and penalty interest"
            if target is None
            else ("fees" if target is WaiverTarget.FEE else "penalty interest")
        )
        raise InvalidInputError(
            f"only {loan.money(owed)} of {what} is outstanding",
            field="amount",
            value=str(amount),
            remedy=f"waive at most {loan.money(owed)}",
        )
    rows, entry, left = list(loan.installments), EntryBuilder(loan.currency), fen
    for kind in _order(target):
        for k, row in enumerate(rows):
            take = min(left, _open(row, kind))
            if take > 0:
                rows[k] = _cut(row, kind, take)
                entry.move(debit=Account.FEE_WAIVERS, credit=_RECEIVABLE[kind], fen=take)
                left -= take
    loan, moves = refresh(replace(loan, installments=tuple(rows)), on, entry)
    return Outcome(loan, (entry.build("fee-waiver", on, loan_id=loan.loan_id, memo=why),), moves)
