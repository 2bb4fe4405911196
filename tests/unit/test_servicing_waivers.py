"""Fee waivers (费用减免): forgiven fees and penalty leave the books balanced and the loan owing
less, never more can be waived than is owed, and bad input names its field."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.unit.servicing_builders import opened
from thinfile.errors import ConflictError, CurrencyMismatchError, InvalidInputError
from thinfile.loanmath import DefaultTerms, LoanTerms, RepaymentMethod, build_schedule
from thinfile.money import Money
from thinfile.servicing import (
    Account,
    Component,
    Event,
    EventKind,
    LoanStatus,
    ServicingProduct,
    Timing,
    WaiverTarget,
    check_loan,
    close_through,
    open_loan,
    pay,
    payoff_quote,
    replay,
    waivable,
    waive_fees,
)

LATE = ServicingProduct(defaults=DefaultTerms(grace_days=0, late_fee=1500, late_fee_cap=5000))
FEB10, FEB11 = date(2025, 2, 10), date(2025, 2, 11)


def overdue():
    """A loan ten days late on its first installment: a late fee and penalty interest owed
    (large enough that the all-in cap leaves room for the whole late fee)."""
    opening = opened("1200000", product=LATE)
    done = opening.then(close_through(opening.loan, FEB10))
    return done


def test_a_late_fee_waived_leaves_the_fee_receivable_lower_and_the_books_balanced():
    books = overdue()
    loan = books.loan
    assert loan.outstanding.fee == 1500 and loan.outstanding.penalty > 0
    done = waive_fees(
        loan, Money(1500), FEB11, reason="fee charged in error", target=WaiverTarget.FEE
    )
    entry = done.entries[0]
    assert entry.is_balanced() and entry.kind == "fee-waiver"
    assert entry.amount_of(Account.FEE_WAIVERS) == 1500
    assert entry.amount_of(Account.FEE_RECEIVABLE) == -1500
    assert entry.memo == "fee charged in error"
    assert done.loan.outstanding.fee == 0
    assert done.loan.outstanding.penalty == loan.outstanding.penalty
    assert done.loan.outstanding.principal == loan.outstanding.principal
    check_loan(done.loan, books.entries + done.entries)


def test_without_a_kind_penalty_goes_first_then_fees():
    loan = overdue().loan
    penalty = loan.outstanding.penalty
    done = waive_fees(loan, Money(penalty + 100), FEB11, reason="complaint settled")
    entry = done.entries[0]
    assert entry.amount_of(Account.PENALTY_RECEIVABLE) == -penalty
    assert entry.amount_of(Account.FEE_RECEIVABLE) == -100
    assert done.loan.outstanding.penalty == 0 and done.loan.outstanding.fee == 1400


def test_more_than_is_owed_of_that_kind_is_refused_naming_the_amount():
    loan = overdue().loan
    with pytest.raises(InvalidInputError) as refused:
        waive_fees(loan, Money(1501), FEB11, reason="too much", target=WaiverTarget.FEE)
    assert refused.value.field == "amount" and "15.00" in refused.value.message
    penalty = loan.outstanding.penalty
    with pytest.raises(InvalidInputError) as too_much:
        waive_fees(loan, Money(penalty + 1), FEB11, reason="x", target=WaiverTarget.PENALTY)
    assert too_much.value.field == "amount"
    with pytest.raises(InvalidInputError):
        waive_fees(loan, Money(penalty + 1501), FEB11, reason="both kinds, one fen too many")


@pytest.mark.parametrize(
    ("amount", "reason", "field"),
    [
        (Money(0), "a reason", "amount"),
        (Money(100), "   ", "reason"),
        (Money(100), "x" * 501, "reason"),
    ],
)
def test_bad_input_names_its_field(amount, reason, field):
    with pytest.raises(InvalidInputError) as refused:
        waive_fees(overdue().loan, amount, FEB11, reason=reason)
    assert refused.value.field == field


def test_another_currency_and_a_closed_day_are_refused():
    loan = overdue().loan
    with pytest.raises(CurrencyMismatchError):
        waive_fees(loan, Money(100, "USD"), FEB11, reason="wrong money")
    with pytest.raises(ConflictError):
        waive_fees(loan, Money(100), FEB10, reason="into a closed day")


def test_a_loan_owing_no_fees_has_nothing_to_waive():
    loan = close_through(opened().loan, date(2025, 1, 15)).loan
    assert waivable(loan) == 0
    with pytest.raises(InvalidInputError) as refused:
        waive_fees(loan, Money(1), date(2025, 1, 16), reason="goodwill")
    assert refused.value.field == "amount"


def test_waiving_the_last_fee_owed_closes_the_loan():
    fees_last = replace(
        LATE,
        allocation=tuple(
            (timing, component)
            for component in (
                Component.PRINCIPAL,
                Component.INTEREST,
                Component.PENALTY,
                Component.FEE,
            )
            for timing in (Timing.PAST_DUE, Timing.DUE)
        ),
    )
    opening = opened("120000", "0.12", 1, product=fees_last)
    loan = close_through(opening.loan, FEB10).loan
    paid = pay(loan, Money(sum(i.unpaid.total for i in loan.installments) - 1500), FEB11).loan
    assert paid.status is LoanStatus.ACTIVE and paid.outstanding.fee == 1500
    done = waive_fees(paid, Money(1500), FEB11, reason="last fee forgiven")
    assert done.loan.status is LoanStatus.CLOSED and done.loan.outstanding.total == 0


def test_a_waiver_is_an_event_that_replays_to_the_same_loan():
    books = overdue()
    opening = opened("1200000", product=LATE)
    events = [Event(EventKind.FEE_WAIVER, FEB11, 1000, waive=WaiverTarget.FEE)]
    rebuilt = replay(opening, events, FEB10)
    direct = waive_fees(books.loan, Money(1000), FEB11, reason="r", target=WaiverTarget.FEE)
    assert rebuilt.loan == direct.loan


@settings(max_examples=60, deadline=None)
@given(
    days=st.integers(1, 120),
    share=st.integers(1, 100),
    target=st.sampled_from([None, WaiverTarget.FEE, WaiverTarget.PENALTY]),
)
def test_any_waiver_up_to_what_is_owed_keeps_every_invariant(days, share, target):
    opening = opened("1200000", product=LATE)
    books = opening.then(close_through(opening.loan, date(2025, 2, 1) + timedelta(days=days)))
    owed = waivable(books.loan, target)
    if owed == 0:
        return
    amount = max(1, owed * share // 100)
    on = books.loan.cob_date + timedelta(days=1)
    if books.loan.status is not LoanStatus.ACTIVE:
        return
    done = waive_fees(books.loan, Money(amount), on, reason="property", target=target)
    check_loan(done.loan, books.entries + done.entries)
    assert waivable(done.loan, target) == owed - amount
    before, after = books.loan.outstanding, done.loan.outstanding
    assert before.total - after.total == amount
    assert after.principal == before.principal and after.interest == before.interest


def test_a_fee_waived_while_its_period_runs_is_not_earned_again_by_the_night_or_the_payoff():
    """A fee plan (12,000.00, 0.6 % a month: 72.00 a period); in the second period
    (2026-02-28 to 03-31, 31 days) staff waive on 03-16 the 34.83 earned by 03-15. The
    night of 03-16 earns one day's fee more, and the payoff on 03-17 asks the fee of the 17
    days used less what was waived — the straight line of the whole fee, truncated, here:
    7,200 × 17 // 31 − 3,483 = 465 — not the smaller fee spread again from the start."""
    terms = LoanTerms(
        Money.of("12000"),
        Decimal(0),
        12,
        RepaymentMethod.FEE_INSTALLMENT,
        date(2026, 1, 31),
        monthly_fee_rate=Decimal("0.006"),
    )
    loan = open_loan(1, build_schedule(terms), ServicingProduct()).loan
    first = loan.installments[0]
    loan = close_through(loan, first.due - timedelta(days=1)).loan
    loan = pay(loan, Money(first.principal_due + first.fee_due), first.due).loan
    loan = close_through(loan, date(2026, 3, 15)).loan
    earned = loan.installments[1].fee_accrued
    assert earned == 7_200 * 15 // 31
    loan = waive_fees(
        loan, Money(earned), date(2026, 3, 16), reason="complaint", target=WaiverTarget.FEE
    ).loan
    loan = close_through(loan, date(2026, 3, 16)).loan
    assert loan.installments[1].fee_accrued == 7_200 * 16 // 31 - earned  # one day more
    principal_left = 1_200_000 - first.principal_due
    fee_used = 7_200 * 17 // 31 - earned
    assert payoff_quote(loan, date(2026, 3, 17)).fen == principal_left + fee_used
