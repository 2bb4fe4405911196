"""Rescheduling for borrowers in hardship (纾困): a payment holiday, a term extension and a
re-age.

None moves money: what is owed stays owed (the receivables and the income already earned
are untouched, so there is no journal entry — but for a re-age's booking of the day's
interest, below), only when it falls due changes, and no new interest or fee is added — the
borrower's cost can only fall, so it stays within the cap.

- :func:`payment_holiday` — every installment not yet due on ``on`` falls due ``months``
  months later; the current period's interest and fee stay the same: what they earned by
  ``on`` stays earned, the rest is earned from ``on`` to the later due date.
- :func:`term_extension` (延长期限) — the principal not yet due is re-planned over the
  installments not yet due plus ``months`` new monthly ones, so each installment is smaller.
  The current period keeps its interest (already accruing); every later period's interest is
  the contract's period rate on the balance then left, rounded as the contract rounds, the
  last row taking what is left; an interest coupon's cut is re-computed on it
  (``reamortize.Relief``: a rate discount keeps its factor of it, free days the
  interest of the free days). Only interest of periods not yet started changes: nothing is
  recognised yet, so the ledger does not move now; the borrower pays the contract's own rate
  for the longer term, so the annualized rate stays the contract's and within the cap.
- :func:`re_age` (restructure, 重组) — the arrears (principal, interest and fees past due,
  earned whole: carried) are spread evenly over the installments not yet due, so the loan is
  current again; penalty already charged stays on its installment. An installment falling
  due that day has its last day's interest and fee booked at once (its only entry).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date
from decimal import Decimal

from thinfile.errors import InvalidInputError
from thinfile.loanmath import Frequency, InterestBasis, RepaymentMethod, level_installment
from thinfile.loanmath.calendar import add_months
from thinfile.loanmath.daycount import year_fraction
from thinfile.money import round_fen
from thinfile.servicing.account import InstallmentState, LoanAccount, Outcome
from thinfile.servicing.ledger import Account, EntryBuilder
from thinfile.servicing.reamortize import (
    Relief,
    fee_relief,
    kept_carried,
    used_fee,
    used_interest,
)
from thinfile.servicing.status import check_posting, refresh

__all__ = [
    "MAX_EXTENSION_MONTHS",
    "check_extendable",
    "check_pausable",
    "check_reschedulable",
    "payment_holiday",
    "re_age",
    "term_extension",
]

MAX_EXTENSION_MONTHS = 12


def check_reschedulable(loan: LoanAccount, on: date) -> None:
    """Refuse, when it is proposed rather than when it is approved, a reschedule (payment
    holiday, term extension, re-age) the loan cannot take on ``on``."""
    _future(loan, on)


def _future(loan: LoanAccount, on: date) -> list[InstallmentState]:
    rows = [i for i in loan.installments if i.due > on]
    if not rows:
        raise InvalidInputError(
            "nothing is left to fall due: the loan cannot be rescheduled",
            field="loan_id",
            value=loan.loan_id,
        )
    if loan.subsidy:
        raise InvalidInputError(
            "a subsidised loan keeps its schedule (its subsidy plan follows it)",
            field="loan_id",
            value=loan.loan_id,
        )
    return rows


def _done(loan: LoanAccount, on: date) -> Outcome:
    """The rescheduled loan with its arrears age and bucket recomputed; no entry (nothing
    owed changes: the ledger does not move)."""
    entry = EntryBuilder(loan.currency)
    loan, moves = refresh(loan, on, entry)
    assert entry.is_empty()
    return Outcome(loan, (), moves)


def payment_holiday(loan: LoanAccount, on: date, months: int) -> Outcome:
    """Move every installment not yet due ``months`` months later (1 to 12)."""
    check_posting(loan, on)
    if isinstance(months, bool) or not 1 <= months <= 12:
        raise InvalidInputError("a holiday is 1 to 12 months", field="months", value=months)
    future = _future(loan, on)
    _check_pausable(loan, future[0], on)
    k = loan.installments.index(future[0])
    rows = list(loan.installments)
    rates = list(loan.rates)
    move = _mover(loan, months)
    for j, i in enumerate(rows):
        if j == k:
            rows[j], rates[i.n] = _paused(loan, k, on, move)
        elif i.due > on:
            rows[j] = _later(i, move)
    return _done(replace(loan, installments=tuple(rows), rates=tuple(rates)), on)


def _mover(loan: LoanAccount, months: int) -> Callable[[date], date]:
    """A date ``months`` months later; a monthly loan's due dates (and the period starts that
    are due dates) land on the contract's day (its first due date's, clamped to the month's
    end), as a term extension's do — moving a row's own clamped date would take a loan due on
    the 31st to the 28th after February and keep it there."""
    terms = loan.schedule.terms
    if terms.frequency is not Frequency.MONTHLY:
        return lambda day: add_months(day, months)
    anchor = (terms.first_due or terms.start).day
    opened = terms.start
    return lambda day: add_months(day, months, day=None if day == opened else anchor)


def check_pausable(loan: LoanAccount, on: date) -> None:
    """Refuse now a payment holiday :func:`payment_holiday` would refuse on ``on``."""
    _check_pausable(loan, _future(loan, on)[0], on)


def _check_pausable(loan: LoanAccount, row: InstallmentState, on: date) -> None:
    if row.start < on and fee_relief(loan, row):
        raise InvalidInputError(
            "an interest coupon takes its fee off this installment's first days: a holiday"
            " cannot begin within its period",
            field="on",
            value=on.isoformat(),
            remedy=f"begin the holiday on its due date, {row.due.isoformat()}",
        )


def _paused(
    loan: LoanAccount, k: int, on: date, move: Callable[[date], date]
) -> tuple[InstallmentState, Decimal]:
    """The current installment across a holiday, and its period rate: what it has earned by
    the end of ``on`` (for the days used, :func:`used_interest`, :func:`used_fee`) stays
    earned (carried); the rest is earned from ``on`` to its later due date — the period
    restarts on ``on``, and its rate becomes what that rest is on what is lent, so a payoff
    the next day is not asked less than the day before, nor a prepayment charged for days
    the principal is no longer lent."""
    row = loan.installments[k]
    if row.start >= on:  # its period has not begun: nothing earned yet
        return _later(row, move), loan.rates[row.n]
    carried = used_interest(loan, loan.installments, k, on)
    fee_carried = used_fee(loan, row, on)
    lent = sum(i.bearing for i in loan.installments[k:])
    rest = row.interest_due - carried
    rate = Decimal(rest) / lent if lent > 0 else Decimal(0)
    paused = replace(
        row,
        start=on,
        due=move(row.due),
        interest_carried=carried,
        fee_carried=fee_carried,
        fee_waived=0,
    )
    return paused, rate


def _later(row: InstallmentState, move: Callable[[date], date]) -> InstallmentState:
    """``row``'s period moved later (``move``), as it was."""
    return replace(row, start=move(row.start), due=move(row.due))


def _spread(total: int, parts: int) -> list[int]:
    """``total`` fen in ``parts`` equal shares, the first ones a fen larger."""
    base, extra = divmod(total, parts)
    return [base + (1 if k < extra else 0) for k in range(parts)]


def re_age(loan: LoanAccount, on: date) -> Outcome:
    """Spread the arrears over the installments not yet due; the loan is current again."""
    check_posting(loan, on)
    future = _future(loan, on)
    past = [i for i in loan.installments if i.due <= on and i.arrears > 0]
    if not past:
        raise InvalidInputError("the loan has no arrears to re-age", field="loan_id")
    u = [i.unpaid for i in past]
    shares = {
        name: dict(zip([i.n for i in future], _spread(total, len(future)), strict=True))
        for name, total in (
            ("principal", sum(x.principal for x in u)),
            ("interest", sum(x.interest for x in u)),
            ("fee", sum(x.fee for x in u)),
        )
    }
    # an installment falling due today has earned its last day by tonight's close, not yet
    # booked: booked now, as it moves on earned whole
    entry = (
        EntryBuilder(loan.currency)
        .move(
            debit=Account.INTEREST_RECEIVABLE,
            credit=Account.INTEREST_INCOME,
            fen=sum(i.interest_due - i.interest_accrued for i in past),
        )
        .move(
            debit=Account.FEE_RECEIVABLE,
            credit=Account.FEE_INCOME,
            fen=sum(i.fee_due - i.fee_accrued for i in past),
        )
    )

    def moved(i: InstallmentState) -> InstallmentState:
        if i in past:  # settled at what was paid: its arrears move on
            return replace(
                i,
                principal_due=i.principal_paid,
                interest_due=i.interest_paid,
                fee_due=i.fee_paid,
                interest_accrued=i.interest_paid,
                fee_accrued=i.fee_paid,
                interest_carried=min(i.interest_carried, i.interest_paid),
                fee_carried=min(i.fee_carried, i.fee_paid),
                principal_carried=min(i.principal_carried, i.principal_paid),
            )
        if i.due <= on:
            return i
        return replace(
            i,
            principal_due=i.principal_due + shares["principal"][i.n],
            interest_due=i.interest_due + shares["interest"][i.n],
            fee_due=i.fee_due + shares["fee"][i.n],
            interest_accrued=i.interest_accrued + shares["interest"][i.n],
            fee_accrued=i.fee_accrued + shares["fee"][i.n],
            interest_carried=i.interest_carried + shares["interest"][i.n],
            fee_carried=i.fee_carried + shares["fee"][i.n],
            principal_carried=i.principal_carried + shares["principal"][i.n],
        )

    rows = [moved(i) for i in loan.installments]
    aged, moves = refresh(replace(loan, installments=tuple(rows)), on, entry)
    if entry.is_empty():
        return Outcome(aged, (), moves)
    booked = entry.build("re-age", on, loan_id=loan.loan_id, memo="the day's interest earned")
    return Outcome(aged, (booked,), moves)


_EXTENDABLE = (RepaymentMethod.EQUAL_INSTALLMENT, RepaymentMethod.EQUAL_PRINCIPAL)


def _check_extendable(loan: LoanAccount, future: list[InstallmentState], months: int) -> None:
    terms = loan.schedule.terms
    if isinstance(months, bool) or not 1 <= months <= MAX_EXTENSION_MONTHS:
        raise InvalidInputError(
            f"an extension is 1 to {MAX_EXTENSION_MONTHS} months", field="months", value=months
        )
    if terms.frequency is not Frequency.MONTHLY or terms.method not in _EXTENDABLE:
        raise InvalidInputError(
            "only a monthly equal-installment or equal-principal loan can be extended",
            field="kind",
            value="term_extension",
            remedy="offer a payment holiday or a restructure instead",
        )
    later = future[1:]
    if any(i.fee_due or i.penalty_due for i in future) or any(
        i.principal_paid or i.interest_paid for i in later
    ):
        raise InvalidInputError(
            "installments not yet due carry fees or were paid in advance: the loan cannot be"
            " re-planned",
            field="kind",
            value="term_extension",
            remedy="offer a payment holiday or a restructure instead",
        )


def check_extendable(loan: LoanAccount, on: date, months: int) -> None:
    """Refuse now an extension :func:`term_extension` would refuse on ``on``."""
    _check_extendable(loan, _future(loan, on), months)


def _new_rate(loan: LoanAccount, start: date, due: date) -> Decimal:
    terms = loan.schedule.terms
    if terms.interest_basis is InterestBasis.DAILY:
        return terms.annual_rate * year_fraction(start, due, terms.day_count)
    return terms.annual_rate / 12


def term_extension(loan: LoanAccount, on: date, months: int) -> Outcome:
    """Re-plan the principal not yet due over the installments not yet due and ``months``
    new monthly ones (1 to :data:`MAX_EXTENSION_MONTHS`)."""
    check_posting(loan, on)
    future = _future(loan, on)
    _check_extendable(loan, future, months)
    terms = loan.schedule.terms
    last = loan.installments[-1]  # rows a shortened term dropped leave their rates behind
    anchor = (terms.first_due or terms.start).day
    dues = [add_months(last.due, k, day=anchor) for k in range(1, months + 1)]
    starts = [last.due, *dues[:-1]]
    added = [
        InstallmentState(last.n + k + 1, s, d, 0, 0)
        for k, (s, d) in enumerate(zip(starts, dues, strict=True))
    ]
    rates = (
        *loan.rates[: last.n + 1],
        *(_new_rate(loan, s, d) for s, d in zip(starts, dues, strict=True)),
    )
    plan = [*future, *added]
    # a re-age's principal stays on its row without interest: only the rest is re-planned
    unpaid = sum(i.principal_due - i.principal_paid for i in future)
    re_aged = dict(zip((i.n for i in future), kept_carried(future, unpaid), strict=True))
    balance = unpaid - sum(re_aged.values())
    if terms.method is RepaymentMethod.EQUAL_INSTALLMENT:
        level = round_fen(
            level_installment(balance, [rates[i.n] for i in plan]), terms.level_rounding
        )
    else:
        part = round_fen(Decimal(balance) / len(plan), terms.level_rounding)
    current, left, rows = plan[0], balance, {}
    relieve = Relief(loan, plan[1:], rates)  # a coupon's cut, on what each row now charges
    for idx, row in enumerate(plan):
        # a re-age's interest carried onto a row stays on it, beside the period's own
        carried = row.interest_carried if row is current else row.interest_accrued
        own, moved = (
            (row.interest_due - carried, row.relief_moved)
            if row is current
            else relieve(row, round_fen(left * rates[row.n], terms.rounding))
        )
        if idx == len(plan) - 1:
            share = left
        elif terms.method is RepaymentMethod.EQUAL_INSTALLMENT:
            share = min(left, max(0, level - own))
        else:
            share = min(left, part)
        rows[row.n] = replace(
            row,
            principal_due=row.principal_paid + share + re_aged.get(row.n, 0),
            interest_due=own + carried,
            interest_carried=carried,
            principal_carried=re_aged.get(row.n, 0),
            relief_moved=moved,
        )
        left -= share
    rows[plan[-1].n] = relieve.with_unplaced(rows[plan[-1].n])
    kept = tuple(rows.get(i.n, i) for i in loan.installments)
    new = tuple(rows[i.n] for i in added)
    return _done(replace(loan, installments=kept + new, rates=rates), on)
