"""Charge-off (核销), write-off, recoveries (核销后收回) and overpayment refunds."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from thinfile.errors import InvalidInputError
from thinfile.money import Money
from thinfile.servicing.account import LoanAccount, LoanStatus, Outcome
from thinfile.servicing.ledger import Account, EntryBuilder
from thinfile.servicing.status import check_posting

__all__ = ["charge_off", "recover", "refund_overpayment", "write_off"]

_LOST = (LoanStatus.CHARGED_OFF, LoanStatus.WRITTEN_OFF)


def charge_off(loan: LoanAccount, on: date, *, reason: str = "days past due") -> Outcome:
    """Move what is owed to loss: principal to charge-off expense, unpaid income reversed.

    A merchant subsidy not yet recognised reduces the loss. Collection may go on; money
    collected afterwards is a recovery.
    """
    if on != loan.cob_date or loan.status is not LoanStatus.ACTIVE:
        check_posting(loan, on)  # a manual charge-off; close of business charges off on its day
    lost = loan.outstanding
    rest = loan.subsidy - loan.subsidy_recognized
    entry = (
        EntryBuilder(loan.currency)
        .move(debit=Account.CHARGE_OFF_EXPENSE, credit=Account.LOANS_RECEIVABLE, fen=lost.principal)
        .move(debit=Account.INTEREST_INCOME, credit=Account.INTEREST_RECEIVABLE, fen=lost.interest)
        .move(debit=Account.FEE_INCOME, credit=Account.FEE_RECEIVABLE, fen=lost.fee)
        .move(debit=Account.PENALTY_INCOME, credit=Account.PENALTY_RECEIVABLE, fen=lost.penalty)
        .move(debit=Account.DEFERRED_SUBSIDY, credit=Account.CHARGE_OFF_EXPENSE, fen=rest)
    )
    loan = replace(
        loan,
        status=LoanStatus.CHARGED_OFF,
        charged_off=lost,
        subsidy_recognized=loan.subsidy,
        closed_on=on,
    )
    return Outcome(loan, (entry.build("charge-off", on, loan_id=loan.loan_id, memo=reason),))


def write_off(loan: LoanAccount, on: date, *, reason: str = "uncollectable") -> Outcome:
    """Write the loan off and stop collection (a charge-off first if not yet charged off)."""
    if loan.status is LoanStatus.ACTIVE:
        done = charge_off(loan, on, reason=reason)
    else:
        check_posting(loan, on, statuses=(LoanStatus.CHARGED_OFF,))
        done = Outcome(loan)
    return Outcome(replace(done.loan, status=LoanStatus.WRITTEN_OFF), done.entries)


def recover(loan: LoanAccount, amount: Money, on: date) -> Outcome:
    """Money collected on a charged-off or written-off loan (recovery income): never more
    than what was charged off and not yet recovered — anything beyond it is the borrower's."""
    fen = loan.check_amount(amount)
    check_posting(loan, on, statuses=_LOST)
    owed = loan.charged_off.total - loan.recovered
    if fen > owed:
        raise InvalidInputError(
            f"{loan.money(fen)} is more than the {loan.money(owed)} loan {loan.loan_id} still "
            f"owes after it was {loan.status.value}",
            field="amount",
            value=str(amount),
            remedy=f"record at most {loan.money(owed)}; pay anything beyond it back to the "
            "borrower",
        )
    entry = EntryBuilder(loan.currency).move(debit=Account.CASH, credit=Account.RECOVERIES, fen=fen)
    loan = replace(loan, recovered=loan.recovered + fen)
    return Outcome(loan, (entry.build("recovery", on, loan_id=loan.loan_id),))


def refund_overpayment(loan: LoanAccount, amount: Money, on: date) -> Outcome:
    """Pay overpayment (溢缴款) back to the borrower."""
    fen = loan.check_amount(amount)
    check_posting(loan, on, statuses=tuple(LoanStatus))
    if fen > loan.credit:
        raise InvalidInputError(
            f"only {loan.money(loan.credit)} of overpayment is held",
            field="amount",
            value=str(amount),
            remedy="refund at most the overpayment held",
        )
    entry = EntryBuilder(loan.currency).move(
        debit=Account.OVERPAYMENT_LIABILITY, credit=Account.CASH, fen=fen
    )
    loan = replace(loan, credit=loan.credit - fen)
    return Outcome(loan, (entry.build("overpayment-refund", on, loan_id=loan.loan_id),))
