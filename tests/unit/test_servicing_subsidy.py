"""The merchant subsidy's recognition plan in the Python domain (no database).

Day-by-day close of business on both databases, against an oracle solved in the test, is in
tests/integration/test_subsidy_recognition.py; here the plan's rules and hostile inputs.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from tests.unit.servicing_builders import loan_terms, opened
from thinfile.commerce import recognise_income
from thinfile.errors import InvalidInputError
from thinfile.loanmath import RepaymentMethod, build_schedule
from thinfile.money import Money
from thinfile.servicing import (
    Account,
    LoanAccount,
    LoanStatus,
    PrepaymentMode,
    ServicingProduct,
    charge_off,
    close_through,
    open_loan,
    pay,
    prepay,
    recognized_by,
)

ZERO = RepaymentMethod.ZERO_INTEREST


def test_the_plan_of_an_interest_free_loan_is_the_checkout_quotes_recognition() -> None:
    loan = opened("12000", "0", 12, method=ZERO, subsidy=90_000).loan
    quoted = recognise_income(loan.schedule, Money(1_110_000, "CNY"))
    assert [p.amount for p in loan.subsidy_plan] == [q.income for q in quoted.periods]
    assert [p.due for p in loan.subsidy_plan] == [q.due_date for q in quoted.periods]
    assert [p.before for p in loan.subsidy_plan][3] == 90_000 - 52_543  # DOMAIN §11


def test_with_a_borrower_fee_the_subsidy_takes_the_effective_income_above_the_fee() -> None:
    terms = loan_terms(
        "6000", "0", 6, method=RepaymentMethod.FEE_INSTALLMENT, monthly_fee_rate=Decimal("0.002")
    )
    schedule = build_schedule(terms)
    loan = open_loan(1, schedule, ServicingProduct(), subsidy=18_000).loan
    quoted = recognise_income(schedule, Money(600_000 - 18_000, "CNY"))
    fees = [i.fee for i in schedule.installments]
    assert [p.amount + f for p, f in zip(loan.subsidy_plan, fees, strict=True)] == [
        q.income for q in quoted.periods
    ]
    assert sum(p.amount for p in loan.subsidy_plan) == 18_000


def test_a_huge_subsidised_loan_plans_every_fen_and_nothing_below_zero() -> None:
    loan = opened("99999999.99", "0", 12, method=ZERO, subsidy=749_999_999).loan
    amounts = [p.amount for p in loan.subsidy_plan]
    assert sum(amounts) == 749_999_999 and min(amounts) > 0
    assert amounts == sorted(amounts, reverse=True)


@pytest.mark.parametrize(("subsidy", "down"), [(-1, 0), (1_200_000, 0), (1_200_000, 50_000)])
def test_a_subsidy_below_zero_or_not_below_the_amount_financed_is_refused(
    subsidy: int, down: int
) -> None:
    with pytest.raises(InvalidInputError) as caught:
        opened("12000", "0", 12, method=ZERO, subsidy=subsidy, down_payment=down)
    assert caught.value.field == "subsidy"


def test_within_a_period_the_plan_is_linear_by_days_and_complete_on_the_due_date() -> None:
    loan = opened("12000", "0", 12, method=ZERO, subsidy=90_000).loan
    first = loan.subsidy_plan[0]  # 2025-01-01 to 2025-02-01, 31 days, 135.45
    assert recognized_by(loan, date(2025, 1, 11)) == 13545 * 10 // 31
    assert recognized_by(loan, first.due) == 13545
    assert recognized_by(loan, date(2026, 6, 1)) == 90_000


def test_a_loan_opened_before_plans_keeps_its_straight_line() -> None:
    schedule = build_schedule(loan_terms("12000", "0", 12, method=ZERO))
    loan = open_loan(1, schedule, ServicingProduct(), subsidy=36_500, effective_interest=False).loan
    assert loan.subsidy_plan == ()
    days = (schedule.installments[-1].due_date - loan.disbursed_on).days
    assert recognized_by(loan, date(2025, 1, 11)) == 36_500 * 10 // days


def _after_three_months() -> tuple[LoanAccount, date]:
    loan = opened("12000", "0", 12, method=ZERO, subsidy=90_000).loan
    for row in loan.installments[:3]:
        loan = close_through(loan, row.due - timedelta(days=1)).loan
        loan = pay(loan, Money(100_000, "CNY"), row.due).loan
    on = loan.installments[2].due + timedelta(days=10)
    return close_through(loan, on - timedelta(days=1)).loan, on


def _earns_one_rate(loan: LoanAccount, on: date) -> None:
    """Each period but the last recognises r × the net investment at its start (receivable −
    deferred subsidy), within a fen of rounding, for one r (the re-planned effective rate)."""
    rows = [r for r in loan.installments if r.due > on]
    carrying = sum(r.principal_due - r.principal_paid for r in rows) - (
        loan.subsidy - loan.subsidy_recognized
    )
    rate = Decimal(loan.subsidy_plan[0].amount) / carrying
    for period, row in zip(loan.subsidy_plan[:-1], rows, strict=False):
        assert abs(period.amount - rate * carrying) <= 1, period
        carrying += period.amount - (row.principal_due - row.principal_paid)


def test_reducing_the_installment_recognises_a_third_and_plans_the_rest_at_one_rate() -> None:
    loan, on = _after_three_months()
    deferred = loan.subsidy - loan.subsidy_recognized
    done = prepay(loan, Money.of("3000"), on, mode=PrepaymentMode.REDUCE_INSTALLMENT)
    after = done.loan
    assert after.subsidy_recognized - loan.subsidy_recognized == deferred // 3
    assert sum(p.amount for p in after.subsidy_plan) == deferred - deferred // 3
    assert after.subsidy_plan[0].start == on - timedelta(days=1)
    _earns_one_rate(after, on)
    (entry,) = done.entries
    assert entry.amount_of(Account.DEFERRED_SUBSIDY) == deferred // 3


def test_shortening_the_term_plans_the_rest_over_fewer_months_at_a_higher_rate() -> None:
    loan, on = _after_three_months()
    deferred = loan.subsidy - loan.subsidy_recognized
    after = prepay(loan, Money.of("3000"), on, mode=PrepaymentMode.SHORTEN_TERM).loan
    assert [p.n for p in after.subsidy_plan] == [4, 5, 6, 7, 8, 9, 10]
    assert sum(p.amount for p in after.subsidy_plan) == deferred - deferred // 3
    assert after.subsidy_plan[-1].before + after.subsidy_plan[-1].amount == 90_000
    _earns_one_rate(after, on)


def test_paying_the_current_installment_early_changes_no_plan() -> None:
    loan, on = _after_three_months()
    after = pay(loan, Money(100_000, "CNY"), on).loan
    assert after.subsidy_plan == loan.subsidy_plan
    assert after.subsidy_recognized == loan.subsidy_recognized


def test_payoff_recognises_and_charge_off_writes_off_the_rest() -> None:
    loan, on = _after_three_months()
    paid_off = prepay(loan, Money(900_000, "CNY"), on).loan
    assert paid_off.status is LoanStatus.CLOSED and paid_off.subsidy_recognized == 90_000
    done = charge_off(loan, on, reason="test")
    assert done.loan.subsidy_recognized == 90_000
    (entry,) = done.entries
    rest = loan.subsidy - loan.subsidy_recognized
    assert entry.amount_of(Account.DEFERRED_SUBSIDY) == rest
