"""Close of business for one loan (日终): the Python twin of the set-based COB in SQL.

For business date ``x`` the steps run in this order, each with its own journal entry kind:

0. **credit** — overpayment held (products that hold extra money) pays what has fallen due;
1. **due** — an installment falling due on ``x`` unpaid starts the arrears clock;
2. **accrual** — interest and scheduled fees earned to the end of ``x`` (straight line), and
   the merchant subsidy recognised by its effective-interest plan, linear by days within each
   period (``servicing.subsidy``);
3. **penalty** — each overdue installment earns a day of all-in allowance; a late fee (capped
   per loan) on the first day past grace and a day of penalty interest on principal overdue
   beyond the grace days, each charged only within the allowance not yet used (the rest is
   booked to ``all_in_cap_relief``: not charged, and why);
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
from thinfile.servicing.daily import daily_allowance, daily_penalty, days_in_year
from thinfile.servicing.ledger import Account, EntryBuilder, JournalEntry
from thinfile.servicing.lifecycle import charge_off
from thinfile.servicing.payments import apply_held_credit
from thinfile.servicing.product import CURRENT
from thinfile.servicing.subsidy import recognized_by

__all__ = ["Held", "close_day", "close_through", "is_held"]

Held = tuple[tuple[date, date | None], ...]
"""Spans ``(first, end)`` of business dates (``end`` excluded, None: still going) on which a
loan's default steps are held — its purchase is under an open dispute: no late fee, no
penalty (nor the day's all-in allowance), no bucket move and no charge-off; the date an
installment falls due is still recorded and interest still accrues. Nor do the arrears age:
each held date moves the day each installment then past due ages from a day later
(:attr:`InstallmentState.paused_days`), and so the loan's (``overdue_since``), so a dispute
rejected after weeks leaves the loan as many days past due as it was when the dispute was
opened, not weeks later in a worse bucket or charged off; an installment that fell due inside
the dispute has its grace days after it."""


def is_held(held: Held, x: date) -> bool:
    """Whether business date ``x`` lies in a span of ``held``."""
    return any(first <= x and (end is None or x < end) for first, end in held)


def _accrue(loan: LoanAccount, x: date) -> tuple[LoanAccount, EntryBuilder]:
    entry = EntryBuilder(loan.currency)
    rows = []
    for row in loan.installments:
        i = row
        if i.start < x <= i.due:
            interest = max(i.interest_accrued, i.interest_earned(x))
            fee = max(i.fee_accrued, i.fee_earned(x))
            entry.move(
                debit=Account.INTEREST_RECEIVABLE,
                credit=Account.INTEREST_INCOME,
                fen=interest - i.interest_accrued,
            )
            entry.move(
                debit=Account.FEE_RECEIVABLE, credit=Account.FEE_INCOME, fen=fee - i.fee_accrued
            )
            i = replace(i, interest_accrued=interest, fee_accrued=fee)
        rows.append(i)
    subsidy = recognized_by(loan, x)
    entry.move(
        debit=Account.DEFERRED_SUBSIDY,
        credit=Account.INTEREST_INCOME,
        fen=subsidy - loan.subsidy_recognized,
    )
    return replace(loan, installments=tuple(rows), subsidy_recognized=subsidy), entry


def _charge_arrears(loan: LoanAccount, x: date) -> tuple[LoanAccount, EntryBuilder, EntryBuilder]:
    """The day's all-in allowance, late fee and penalty for each overdue installment.

    Each is charged only within the installment's allowance not yet used; the part above it
    is booked to ``all_in_cap_relief`` in the same entry (charged gross, relieved at once).
    """
    penalty, late = EntryBuilder(loan.currency), EntryBuilder(loan.currency)
    d = loan.product.defaults
    grace = timedelta(days=d.grace_days)
    rate, cap, basis = loan.penalty_rate_units, d.all_in_cap_units, loan.year_basis(x)
    days = days_in_year(x)  # the cap's allowance: a rate a year over the days the year has
    charged = loan.late_fees_charged
    # late fee and penalty after the grace days, counted from where each installment ages
    # from (a dispute's pause moves that day later: the grace runs again after it)
    rows: list[InstallmentState] = []
    for row in loan.installments:
        i = row
        if i.due < x and i.overdue_base > 0:
            i = replace(
                i,
                default_allowance=i.default_allowance + daily_allowance(i.overdue_base, cap, days),
            )
        if i.ages_from + grace + timedelta(days=1) == x and i.arrears > 0 and d.late_fee:
            gross = min(d.late_fee, d.late_fee_cap - charged)
            fee = _within(i, gross)
            charged += fee
            _book(late, Account.FEE_RECEIVABLE, Account.FEE_INCOME, fee, gross)
            i = replace(
                i,
                fee_due=i.fee_due + fee,
                fee_accrued=i.fee_accrued + fee,
                default_charged=i.default_charged + fee,
            )
        if i.ages_from + grace < x and i.unpaid.principal > 0:
            gross = daily_penalty(i.unpaid.principal, rate, basis, cap_units=cap, days=days)
            day = _within(i, gross)
            _book(penalty, Account.PENALTY_RECEIVABLE, Account.PENALTY_INCOME, day, gross)
            i = replace(i, penalty_due=i.penalty_due + day, default_charged=i.default_charged + day)
        rows.append(i)
    return replace(loan, installments=tuple(rows), late_fees_charged=charged), penalty, late


def _paused(row: InstallmentState, x: date) -> InstallmentState:
    """The installment after held date ``x``: a day later to age from if it is past due."""
    if row.due <= x and row.arrears > 0:
        return replace(row, paused_days=row.paused_days + 1)
    return row


def _within(row: InstallmentState, gross: int) -> int:
    """The part of a default charge the installment's unused allowance leaves room for."""
    return max(0, min(gross, row.default_allowance - row.default_charged))


def _book(entry: EntryBuilder, receivable: Account, income: Account, net: int, gross: int) -> None:
    """Charge ``gross``; the part above ``net`` is not charged (all-in cap relief)."""
    entry.debit(receivable, net)
    entry.credit(income, gross)
    entry.debit(Account.CAP_RELIEF, gross - net)


def close_day(loan: LoanAccount, x: date, held: Held = ()) -> Outcome:
    """Close business date ``x`` for one loan; the loan must be closed to the day before.
    On a date in ``held`` the default steps (penalty, delinquency, charge-off) pass it by."""
    if loan.cob_date != x - timedelta(days=1):
        raise ConflictError(
            f"loan {loan.loan_id} is closed to {loan.cob_date}, not to the day before {x}",
            field="on",
            value=x.isoformat(),
        )
    if loan.status is not LoanStatus.ACTIVE:
        return Outcome(loan)
    credited = apply_held_credit(loan, x)
    if credited.loan.status is not LoanStatus.ACTIVE:
        return credited
    loan = credited.loan
    if loan.overdue_since is None and any(i.due == x and i.arrears > 0 for i in loan.installments):
        loan = replace(loan, overdue_since=x)
    loan, accrual = _accrue(loan, x)
    holding = is_held(held, x)
    if holding and loan.overdue_since is not None:  # ageing paused: the clocks move with x
        loan = replace(
            loan,
            installments=tuple(_paused(i, x) for i in loan.installments),
            overdue_since=loan.overdue_since + timedelta(days=1),
        )
    if holding:
        penalty, late = EntryBuilder(loan.currency), EntryBuilder(loan.currency)
    else:
        loan, penalty, late = _charge_arrears(loan, x)
    entries: list[JournalEntry] = [
        builder.build(kind, x, loan_id=loan.loan_id)
        for kind, builder in (
            ("cob-accrual", accrual),
            ("cob-late-fee", late),
            ("cob-penalty", penalty),
        )
        if not builder.is_empty()
    ]
    dpd = loan.days_past_due(x)
    bucket = loan.product.bucket_for(dpd) if loan.overdue_since else CURRENT
    if holding:
        bucket = loan.bucket
    moves = (
        () if bucket == loan.bucket else (BucketMove(loan.loan_id, x, loan.bucket, bucket, dpd),)
    )
    loan = replace(loan, bucket=bucket, cob_date=x)
    done = credited.then(Outcome(loan, tuple(entries), moves))
    if loan.overdue_since and dpd >= loan.product.charge_off_days and not holding:
        done = done.then(charge_off(loan, x))
    return done


def close_through(loan: LoanAccount, through: date, held: Held = ()) -> Outcome:
    """Close every business date after the loan's last one up to ``through`` (catch-up),
    holding the default steps on the dates of ``held``."""
    done = Outcome(loan)
    while done.loan.status is LoanStatus.ACTIVE and done.loan.cob_date < through:
        done = done.then(close_day(done.loan, done.loan.cob_date + timedelta(days=1), held))
    return done
