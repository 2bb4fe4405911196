"""Close of business for one loan (日终): the Python twin of the set-based COB in SQL.

For business date ``x`` the steps run in this order, each with its own journal entry kind:

1. **due** — an installment falling due on ``x`` unpaid starts the arrears clock;
2. **accrual** — interest and scheduled fees earned to the end of ``x`` (straight line), and
   the merchant subsidy recognised day by day;
3. **penalty** — a day of penalty interest on principal overdue beyond the grace days, and a
   late fee (capped per loan) on the first day past grace;
4. **delinquency** — bucket by days past due, with the move recorded;
5. **charge-off** — at the product's days past due.

``thinfile.services.cob`` runs the same steps over every loan with SQL; a test proves both
give the same fen.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

from thinfile.errors import ConflictError
from thinfile.servicing.account import (
    BucketMove,
    InstallmentState,
    LoanAccount,
    LoanStatus,
    Outcome,
)
from thinfile.servicing.daily import accrued_to, daily_penalty
from thinfile.servicing.ledger import Account, EntryBuilder, JournalEntry
from thinfile.servicing.lifecycle import charge_off
from thinfile.servicing.product import CURRENT

__all__ = ["close_day", "close_through"]


def _accrue(loan: LoanAccount, x: date) -> tuple[LoanAccount, EntryBuilder]:
    entry = EntryBuilder(loan.currency)
    rows = []
    for row in loan.installments:
        i = row
        if i.start < x <= i.due:
            interest = max(i.interest_accrued, accrued_to(i.interest_due, i.start, i.due, x))
            fee = max(i.fee_accrued, accrued_to(i.fee_due, i.start, i.due, x))
            entry.move(debit=Account.INTEREST_RECEIVABLE, credit=Account.INTEREST_INCOME,
                       fen=interest - i.interest_accrued)
            entry.move(debit=Account.FEE_RECEIVABLE, credit=Account.FEE_INCOME,
                       fen=fee - i.fee_accrued)
            i = replace(i, interest_accrued=interest, fee_accrued=fee)
        rows.append(i)
    end = loan.schedule.installments[-1].due_date
    subsidy = max(loan.subsidy_recognized, accrued_to(loan.subsidy, loan.disbursed_on, end, x))
    entry.move(debit=Account.DEFERRED_SUBSIDY, credit=Account.INTEREST_INCOME,
               fen=subsidy - loan.subsidy_recognized)
    return replace(loan, installments=tuple(rows), subsidy_recognized=subsidy), entry


def _charge_arrears(loan: LoanAccount, x: date) -> tuple[LoanAccount, EntryBuilder,
                                                          EntryBuilder]:
    penalty, late = EntryBuilder(loan.currency), EntryBuilder(loan.currency)
    grace = timedelta(days=loan.product.grace_days)
    rate, basis = loan.penalty_rate_units, loan.day_basis
    charged = loan.late_fees_charged
    rows: list[InstallmentState] = []
    for row in loan.installments:
        i = row
        if i.due + grace + timedelta(days=1) == x and i.arrears > 0:
            fee = min(loan.product.late_fee, loan.product.late_fee_cap - charged)
            charged += fee
            late.move(debit=Account.FEE_RECEIVABLE, credit=Account.FEE_INCOME, fen=fee)
            i = replace(i, fee_due=i.fee_due + fee, fee_accrued=i.fee_accrued + fee)
        if i.due + grace < x and i.unpaid.principal > 0:
            day = daily_penalty(i.unpaid.principal, rate, basis)
            penalty.move(debit=Account.PENALTY_RECEIVABLE, credit=Account.PENALTY_INCOME,
                         fen=day)
            i = replace(i, penalty_due=i.penalty_due + day)
        rows.append(i)
    return replace(loan, installments=tuple(rows), late_fees_charged=charged), penalty, late


def close_day(loan: LoanAccount, x: date) -> Outcome:
    """Close business date ``x`` for one loan; the loan must be closed to the day before."""
    if loan.cob_date != x - timedelta(days=1):
        raise ConflictError(f"loan {loan.loan_id} is closed to {loan.cob_date}, not to the day "
                            f"before {x}", field="on", value=x.isoformat())
    if loan.status is not LoanStatus.ACTIVE:
        return Outcome(loan)
    if loan.overdue_since is None and any(i.due == x and i.arrears > 0
                                          for i in loan.installments):
        loan = replace(loan, overdue_since=x)
    loan, accrual = _accrue(loan, x)
    loan, penalty, late = _charge_arrears(loan, x)
    entries: list[JournalEntry] = [
        builder.build(kind, x, loan_id=loan.loan_id)
        for kind, builder in (("cob-accrual", accrual), ("cob-late-fee", late),
                              ("cob-penalty", penalty))
        if not builder.is_empty()
    ]
    dpd = loan.days_past_due(x)
    bucket = loan.product.bucket_for(dpd) if loan.overdue_since else CURRENT
    moves = () if bucket == loan.bucket else (
        BucketMove(loan.loan_id, x, loan.bucket, bucket, dpd),)
    loan = replace(loan, bucket=bucket, cob_date=x)
    done = Outcome(loan, tuple(entries), moves)
    if loan.overdue_since and dpd >= loan.product.charge_off_days:
        done = done.then(charge_off(loan, x))
    return done


def close_through(loan: LoanAccount, through: date) -> Outcome:
    """Close every business date after the loan's last one up to ``through`` (catch-up)."""
    done = Outcome(loan)
    while done.loan.status is LoanStatus.ACTIVE and done.loan.cob_date < through:
        done = done.then(close_day(done.loan, done.loan.cob_date + timedelta(days=1)))
    return done
