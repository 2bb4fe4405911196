"""Checks before a posting and the bookkeeping after it: arrears, bucket, closure."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

from thinfile.errors import ConflictError, InvalidInputError
from thinfile.servicing.account import BucketMove, LoanAccount, LoanStatus
from thinfile.servicing.ledger import Account, EntryBuilder
from thinfile.servicing.product import CURRENT

__all__ = ["check_posting", "refresh"]


def check_posting(
    loan: LoanAccount, on: date, *, statuses: tuple[LoanStatus, ...] = (LoanStatus.ACTIVE,)
) -> None:
    """Refuse a posting dated before disbursement, into a closed day, or on a settled loan."""
    if on < loan.disbursed_on:
        raise InvalidInputError(
            f"{on} is before the loan was disbursed on {loan.disbursed_on}",
            field="on",
            value=on.isoformat(),
            remedy="date the transaction on or after disbursement",
        )
    if on <= loan.cob_date:
        raise ConflictError(
            f"business date {on} is already closed for loan {loan.loan_id}",
            field="on",
            value=on.isoformat(),
            remedy="post with today's business date",
        )
    if loan.status is LoanStatus.ACTIVE and on != loan.cob_date + timedelta(days=1):
        raise ConflictError(
            f"loan {loan.loan_id} is closed only to {loan.cob_date}",
            field="on",
            value=on.isoformat(),
            remedy="close the business days before it first",
        )
    if loan.status not in statuses:
        raise ConflictError(
            f"loan {loan.loan_id} is {loan.status}",
            field="loan_id",
            value=loan.loan_id,
            remedy=_AFTER.get(loan.status),
        )


_AFTER = {
    LoanStatus.CLOSED: "the loan is repaid: nothing more is owed on it",
    LoanStatus.CHARGED_OFF: "money received on it now is a recovery "
    "(POST /v1/staff/loans/{loan_id}/recoveries)",
    LoanStatus.WRITTEN_OFF: "money received on it now is a recovery "
    "(POST /v1/staff/loans/{loan_id}/recoveries), unless it was settled: a settled loan's "
    "borrower owes nothing more",
}
"""What to do instead of posting on a loan that ended (an active loan has no entry)."""


def refresh(
    loan: LoanAccount, on: date, entry: EntryBuilder
) -> tuple[LoanAccount, tuple[BucketMove, ...]]:
    """Recompute arrears age, bucket and closure after money moved on ``on``. Arrears age
    from the earliest day an unpaid installment ages from: its due date, moved later by the
    days a dispute paused it (:attr:`InstallmentState.ages_from`)."""
    overdue = min(
        (i.ages_from for i in loan.installments if i.due <= loan.cob_date and i.arrears > 0),
        default=None,
    )
    dpd = (loan.cob_date - overdue).days if overdue else 0
    bucket = loan.product.bucket_for(dpd) if overdue else CURRENT
    moves = (
        () if bucket == loan.bucket else (BucketMove(loan.loan_id, on, loan.bucket, bucket, dpd),)
    )
    loan = replace(loan, overdue_since=overdue, bucket=bucket)
    if loan.status is LoanStatus.ACTIVE and all(i.is_settled for i in loan.installments):
        rest = loan.subsidy - loan.subsidy_recognized
        entry.move(debit=Account.DEFERRED_SUBSIDY, credit=Account.INTEREST_INCOME, fen=rest)
        loan = replace(
            loan, status=LoanStatus.CLOSED, closed_on=on, subsidy_recognized=loan.subsidy
        )
    return loan, moves
