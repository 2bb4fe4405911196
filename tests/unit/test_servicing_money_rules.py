"""Borrowers' money applied as the law and the cost statement say, checked against oracles
written here, day by day, independently of the servicing code.

- A payment equal to the payoff quote closes the loan by whichever path it arrives.
- Money beyond what is due cuts principal, and interest is then owed only on principal
  actually outstanding for the days it was outstanding (民法典 art. 677).
- The cost statement's default costs are exactly what close of business charges.
- Interest, penalty and fees on an overdue amount never pass the all-in cap (24% a year).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

import numpy_financial as npf
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.unit.servicing_builders import opened
from thinfile.errors import InvalidInputError
from thinfile.loanmath import (
    DayCount,
    DefaultTerms,
    LoanTerms,
    RepaymentMethod,
    build_schedule,
    cost_statement,
    standard_default_terms,
)
from thinfile.money import Money
from thinfile.servicing import (
    Account,
    ExtraPayment,
    LoanAccount,
    LoanStatus,
    Outcome,
    PrepaymentMode,
    ServicingProduct,
    charge_off,
    check_loan,
    close_day,
    close_through,
    merchant_refund,
    open_loan,
    pay,
    payoff_quote,
    prepay,
    recover,
    standard_product,
)

D = Decimal
START = date(2026, 1, 31)


def issue_loan(product: ServicingProduct | None = None) -> LoanAccount:
    """12,000 yuan at 18%, equal installments over 12 months from 2026-01-31."""
    terms = LoanTerms(Money.of("12000"), D("0.18"), 12, RepaymentMethod.EQUAL_INSTALLMENT, START)
    return open_loan(1, build_schedule(terms), product or ServicingProduct()).loan


def fee_plan_terms(principal: str = "12000", periods: int = 12) -> LoanTerms:
    """A fee plan (0 % interest, 0.6 % of the principal a month) from 2026-01-31."""
    return LoanTerms(
        Money.of(principal),
        D(0),
        periods,
        RepaymentMethod.FEE_INSTALLMENT,
        START,
        monthly_fee_rate=D("0.006"),
    )


def through(loan: LoanAccount, day: date) -> LoanAccount:
    return close_through(loan, day).loan


def first_installment(loan: LoanAccount) -> int:
    return loan.installments[0].principal_due + loan.installments[0].interest_due


# --- 1. the payoff amount closes the loan through the ordinary payment ---------------------


def test_paying_the_payoff_quote_as_an_ordinary_payment_closes_the_loan():
    loan = through(issue_loan(), date(2026, 2, 27))
    loan = pay(loan, Money(first_installment(loan)), date(2026, 2, 28)).loan
    loan = through(loan, date(2026, 3, 9))
    quote = payoff_quote(loan, date(2026, 3, 10))
    # oracle: principal left after installment 1, plus 10 of period 2's 31 days of interest
    balance = 1_200_000 - 92_016
    interest = 16_620 * 10 // 31
    assert quote == Money(balance + interest) == Money.of("11133.45")
    done = pay(loan, quote, date(2026, 3, 10))
    assert done.loan.status is LoanStatus.CLOSED
    assert done.loan.credit == 0 and done.loan.outstanding.total == 0
    assert sum(i.interest_paid for i in done.loan.installments) == 18_000 + interest
    check_loan(
        done.loan,
        [
            *open_loan(1, done.loan.schedule, ServicingProduct()).entries,
            *close_through(issue_loan(), date(2026, 2, 27)).entries,
            *_entries_after_first(loan, done),
        ],
    )


def _entries_after_first(before: LoanAccount, done):
    """The entries from the first payment to ``done`` (rebuilt: the books of the test loan)."""
    loan = through(issue_loan(), date(2026, 2, 27))
    first = pay(loan, Money(first_installment(loan)), date(2026, 2, 28))
    rest = close_through(first.loan, date(2026, 3, 9))
    return [*first.entries, *rest.entries, *done.entries]


@pytest.mark.parametrize(
    "day",
    [date(2026, 2, 1), date(2026, 2, 28), date(2026, 3, 10), date(2026, 3, 31), date(2026, 6, 15)],
)
def test_a_payoff_amount_closes_the_loan_by_either_path_on_any_day(day):
    loan = through(issue_loan(), day - timedelta(days=1))
    quote = payoff_quote(loan, day)
    assert pay(loan, quote, day).loan.status is LoanStatus.CLOSED
    assert prepay(loan, quote, day).loan.status is LoanStatus.CLOSED
    with pytest.raises(InvalidInputError) as refused:
        pay(loan, quote + Money(1), day)
    assert refused.value.field == "amount" and str(quote) in refused.value.message


# --- 2. money beyond what is due reduces principal and later interest ----------------------


def _oracle_interest_after_extra(balance: int, periods: int, rate: D) -> int:
    """Interest on a balance re-amortized over the remaining periods (numpy-financial for the
    level payment, each period's interest on the balance actually owed, rounded half up)."""
    level = D(str(npf.pmt(float(rate), periods, -balance))).quantize(D(1), ROUND_HALF_UP)
    total, left = 0, balance
    for k in range(periods):
        interest = int((D(left) * rate).quantize(D(1), ROUND_HALF_UP))
        principal = left if k == periods - 1 else int(level) - interest
        total, left = total + interest, left - principal
    return total


def test_extra_money_with_the_first_installment_cuts_the_interest_paid_afterwards():
    loan = through(issue_loan(), date(2026, 2, 27))
    due1 = date(2026, 2, 28)
    loan = pay(loan, Money(first_installment(loan) + 500_000), due1).loan
    scheduled = sum(i.interest for i in loan.schedule.installments[1:])
    for row in loan.schedule.installments[1:]:  # then what is due on each due date
        loan = through(loan, row.due_date - timedelta(days=1))
        owed = sum(i.unpaid.total for i in loan.installments if i.due <= row.due_date)
        if loan.status is LoanStatus.ACTIVE and owed:
            loan = pay(loan, Money(owed), row.due_date).loan
    assert loan.status is LoanStatus.CLOSED and loan.credit == 0
    paid_after = sum(i.interest_paid for i in loan.installments) - 18_000
    oracle = _oracle_interest_after_extra(1_200_000 - 92_016 - 500_000, 11, D("0.015"))
    assert abs(paid_after - oracle) <= 11, (paid_after, oracle)
    assert paid_after < scheduled * 6 // 10  # far below the 1,021.95 scheduled after it


def test_extra_money_on_the_first_due_date_is_never_left_idle_while_later_ones_fall_due():
    loan = through(issue_loan(), date(2026, 2, 27))
    loan = pay(loan, Money(first_installment(loan) + 50_000), date(2026, 2, 28)).loan
    assert loan.credit == 0
    later = through(loan, date(2026, 4, 9))  # forty days on, nothing else paid
    assert later.credit == 0
    assert later.bucket == "M1"  # installment 2, re-amortized and smaller, is 9 days late
    assert 0 < later.installments[1].arrears < first_installment(loan)


def test_a_product_that_holds_extra_money_applies_it_as_each_installment_falls_due():
    hold = ServicingProduct(extra_payment=ExtraPayment.HOLD)
    loan = through(issue_loan(hold), date(2026, 2, 27))
    loan = pay(loan, Money(first_installment(loan) + 152_195), date(2026, 2, 28)).loan
    assert loan.credit == 152_195
    loan = through(loan, date(2026, 4, 9))
    # installment 2 (1,100.16) was paid from what was held on its due date
    assert loan.installments[1].is_settled
    assert loan.credit == 152_195 - 110_016
    assert loan.bucket == "CURRENT"
    credited = close_through(through(issue_loan(hold), date(2026, 3, 30)), date(2026, 3, 31))
    assert not credited.entries or all(e.is_balanced() for e in credited.entries)


def test_paying_an_installment_a_few_days_early_settles_it_and_charges_less_interest():
    day = date(2026, 2, 25)
    loan = through(issue_loan(), day - timedelta(days=1))
    done = pay(loan, Money(first_installment(loan)), day).loan
    row = done.installments[0]
    assert row.is_settled
    # oracle: 25 days on 12,000 and 3 days on what is left, at 1.5% over a 28-day period
    left = 1_200_000 - row.principal_due
    oracle = D(1_200_000) * D("0.015") * 25 / 28 + D(left) * D("0.015") * 3 / 28
    assert abs(row.interest_due - oracle) <= 1
    assert row.interest_due < 18_000
    assert through(done, date(2026, 3, 5)).bucket == "CURRENT"


@pytest.mark.parametrize(("fen", "days"), [(1000, [6]), (1, list(range(1, 31)))])
def test_payments_that_reach_no_principal_leave_the_period_asking_what_it_asked(fen, days):
    """12,000 at 12 % from 2027-03-15 (a 31-day first period asking 120.00 = 12,000 × 1 %,
    half-even) and payments too small to reach principal — 10.00 on day 6, or 0.01 on each
    of 30 days: the balance never changed, so the period still asks 120.00 and the
    installment is unchanged. Each payment cut the period to the interest of the days used
    (truncated) plus the rest (half-even), a fen short: 119.99, then 119.97."""
    start = date(2027, 3, 15)
    terms = LoanTerms(Money.of("12000"), D("0.12"), 12, RepaymentMethod.EQUAL_INSTALLMENT, start)
    loan = open_loan(1, build_schedule(terms), ServicingProduct()).loan
    before = loan.installments[0]
    for day in days:
        on = start + timedelta(days=day)
        loan = pay(through(loan, on - timedelta(days=1)), Money(fen), on).loan
    row = loan.installments[0]
    assert row.principal_paid == 0
    assert row.interest_due == int((D(1_200_000) * D("0.01")).to_integral_value()) == 12_000
    assert (row.principal_due, row.interest_due) == (before.principal_due, before.interest_due)


# --- 3. the cost statement discloses what servicing charges --------------------------------

SHAPES = [
    (RepaymentMethod.EQUAL_INSTALLMENT, "0.2399", "0"),
    (RepaymentMethod.EQUAL_PRINCIPAL, "0.12", "0"),
    (RepaymentMethod.INTEREST_ONLY, "0.18", "0"),
    (RepaymentMethod.FEE_INSTALLMENT, "0", "0.006"),
    (RepaymentMethod.ZERO_INTEREST, "0", "0"),
]
DEFAULTS = [
    None,
    DefaultTerms(grace_days=0, late_fee=2000, late_fee_cap=6000),
    DefaultTerms(grace_days=5, late_fee=500, late_fee_cap=500),
]


@pytest.mark.parametrize(("method", "rate", "fee"), SHAPES)
@pytest.mark.parametrize("defaults", DEFAULTS)
@pytest.mark.parametrize("principal", ["800", "12000", "300000"])
def test_the_statement_default_costs_equal_what_servicing_charges(
    method, rate, fee, defaults, principal
):
    terms = LoanTerms(Money.of(principal), D(rate), 12, method, START, monthly_fee_rate=D(fee))
    schedule = build_schedule(terms)
    product = standard_product(method)
    if defaults is not None:
        product = ServicingProduct(defaults=defaults)
    statement = cost_statement(schedule, default_terms=product.defaults)
    loan = open_loan(1, schedule, product).loan
    due = loan.installments[0].due
    assert through(loan, due).installments[0].default_charged == 0  # paid the day after: none
    for example in statement.default_examples:
        late = through(loan, due + timedelta(days=example.days_late)).installments[0]
        assert example.penalty == late.penalty_due, example
        assert example.late_fee == late.fee_due - loan.installments[0].fee_due, example
        assert example.total == late.default_charged
    assert [e.days_late for e in statement.default_examples] == [1, 10, 100]
    shown = statement.as_dict()
    assert shown["default_terms"] == product.defaults.as_dict()
    penalty_line = statement.default_costs[0].standard
    rate_shown = product.defaults.annual_penalty_rate(D(rate))
    assert (f"{rate_shown:.2%} a year" in penalty_line) if rate_shown else penalty_line == "none"
    assert f"after {product.defaults.grace_days} grace days" in penalty_line or not rate_shown


@pytest.mark.parametrize("start", [date(2027, 11, 20), date(2028, 11, 25), date(2028, 2, 1)])
@pytest.mark.parametrize("day_count", [DayCount.ACTUAL_ACTUAL, DayCount.ACTUAL_365])
def test_examples_across_a_new_year_into_and_out_of_a_leap_year_are_what_servicing_charges(
    start: date, day_count: DayCount
) -> None:
    """A late installment's 100 days cross a new year: the year basis changes on 1 January
    under actual/actual, and the statement's examples still equal close of business."""
    terms = LoanTerms(
        Money.of("300000"),
        D("0.2399"),
        12,
        RepaymentMethod.EQUAL_INSTALLMENT,
        start,
        day_count=day_count,
    )
    schedule = build_schedule(terms)
    defaults = DefaultTerms(grace_days=2, late_fee=1500, late_fee_cap=4500)
    statement = cost_statement(schedule, default_terms=defaults)
    loan = open_loan(1, schedule, ServicingProduct(defaults=defaults)).loan
    due = loan.installments[0].due
    for example in statement.default_examples:
        late = through(loan, due + timedelta(days=example.days_late)).installments[0]
        assert example.penalty == late.penalty_due, example
        assert example.total == late.default_charged, example
    assert statement.default_examples[-1].penalty > 0


def test_no_statement_discloses_a_penalty_above_24_percent():
    for method, rate, fee in SHAPES:
        terms = LoanTerms(Money.of("5000"), D(rate), 6, method, START, monthly_fee_rate=D(fee))
        defaults = standard_default_terms(method)
        assert defaults.annual_penalty_rate(D(rate)) <= D("0.24")
        text = cost_statement(build_schedule(terms), default_terms=defaults).render_text()
        assert "35.98%" not in text and "after 0 grace days" not in text


def test_fee_plans_are_charged_the_penalty_they_disclose():
    terms = fee_plan_terms("6000", 6)
    product = standard_product(terms.method)
    loan = open_loan(1, build_schedule(terms), product).loan
    late = through(loan, loan.installments[0].due + timedelta(days=10)).installments[0]
    # oracle: 7 days past 3 grace days, 18% a year on 1,000.00 overdue principal, /360
    day = (D(late.principal_due) * D("0.18") / 360).quantize(D(1), ROUND_HALF_UP)
    assert late.penalty_due == 7 * int(day) > 0


# --- 4. the all-in cap ---------------------------------------------------------------------


def test_late_fee_and_penalty_together_stay_within_24_percent_of_the_overdue_amount():
    product = ServicingProduct(defaults=DefaultTerms(late_fee=2000, late_fee_cap=6000))
    loan = open_loan(
        1,
        build_schedule(
            LoanTerms(Money.of("1000"), D("0.2399"), 12, RepaymentMethod.EQUAL_INSTALLMENT, START)
        ),
        product,
    ).loan
    first = loan.installments[0]
    overdue = first.principal_due + first.interest_due  # about 94.6 yuan
    books = close_through(loan, first.due + timedelta(days=10))
    row = books.loan.installments[0]
    # oracle: 24% a year of the overdue amount for the 10 days late (a year of 365 days)
    cap = D(overdue) * D("0.24") * 10 / 365
    assert row.penalty_due + (row.fee_due - first.fee_due) <= cap
    relieved = sum(e.amount_of(Account.CAP_RELIEF) for e in books.entries)
    assert relieved > 1500  # most of the 20-yuan fee was not charged, and the books say so
    assert all(e.is_balanced() for e in books.entries)


@settings(max_examples=80, deadline=None)
@given(
    days=st.integers(1, 200),
    grace=st.integers(0, 5),
    fee=st.sampled_from([0, 500, 5000]),
    principal=st.integers(10_000, 2_000_000),
)
def test_no_installment_is_ever_charged_more_than_the_cap_allows(days, grace, fee, principal):
    product = ServicingProduct(
        defaults=DefaultTerms(grace_days=grace, late_fee=fee, late_fee_cap=3 * fee)
    )
    loan = open_loan(
        1,
        build_schedule(
            LoanTerms(Money(principal), D("0.2399"), 6, RepaymentMethod.EQUAL_INSTALLMENT, START)
        ),
        product,
    ).loan
    end = loan.installments[0].due + timedelta(days=days)
    done = close_through(loan, end).loan
    for row in done.installments:
        late = max(0, (min(end, done.closed_on or end) - row.due).days)
        cap = D(row.principal_due + row.interest_due) * D("0.24") * late / 365
        charged = row.default_charged
        assert charged <= cap + 1, (row.n, charged, cap)


def test_a_year_of_penalty_at_the_cap_is_at_most_24_percent_of_the_principal():
    """A 30/360 loan's penalty at the 24 % cap is 24 %/360 a day, but it is charged every
    actual day: 365 of them would come to 24.33 %. A day is charged at most 24 %/365."""
    terms = LoanTerms(Money.of("10000"), D("0.18"), 1, RepaymentMethod.BULLET, START)
    product = ServicingProduct(charge_off_days=400)  # still on the books a year late
    loan = open_loan(1, build_schedule(terms), product).loan
    due = loan.installments[0].due
    late = through(loan, due + timedelta(days=365)).installments[0]
    grace = product.defaults.grace_days
    at_rate = (D(1_000_000) * D("0.24") / 360).quantize(D(1), ROUND_HALF_UP)  # 667
    at_cap = int(D(1_000_000) * D("0.24") / 365)  # 657, truncated
    assert late.penalty_due == min(int(at_rate), at_cap) * (365 - grace)
    assert late.penalty_due <= 240_000  # 24 % of the principal for the year


def test_a_recovery_is_never_more_than_what_was_charged_off_and_not_yet_recovered():
    loan = through(issue_loan(), date(2026, 4, 15))  # two installments past due
    lost = charge_off(loan, date(2026, 4, 16), reason="fraud confirmed by the bank").loan
    owed = lost.charged_off.total
    assert owed > 1_200_000  # principal, interest and penalty charged off
    first = recover(lost, Money(owed - 10_000), date(2026, 5, 1)).loan
    with pytest.raises(InvalidInputError) as refused:
        recover(first, Money(10_001), date(2026, 5, 2))
    assert refused.value.field == "amount" and "100.00" in str(refused.value.remedy)
    done = recover(first, Money(10_000), date(2026, 5, 2)).loan
    assert done.recovered == owed


# --- 6. actual/actual penalty in a leap year ------------------------------------------------


def test_penalty_under_actual_actual_divides_by_366_in_a_leap_year():
    terms = LoanTerms(
        Money.of("3298.22"),
        D("0.12"),
        1,
        RepaymentMethod.BULLET,
        date(2028, 1, 5),
        day_count=DayCount.ACTUAL_ACTUAL,
    )
    loan = open_loan(1, build_schedule(terms), ServicingProduct()).loan
    due = loan.installments[0].due
    late = through(loan, due + timedelta(days=3 + 11)).installments[0]
    # oracle: 11 days × 3,298.22 × 18% ÷ 366, a day at a time, half up
    day = (D(329_822) * D("0.18") / 366).quantize(D(1), ROUND_HALF_UP)
    assert late.penalty_due == 11 * int(day) == 1782


# --- 7. bounds ------------------------------------------------------------------------------


def test_a_merchant_refund_above_the_amount_still_financed_is_refused():
    loan = opened("12500", "0", 6, method=RepaymentMethod.ZERO_INTEREST).loan
    with pytest.raises(InvalidInputError) as refused:
        merchant_refund(loan, Money.of("1000000000000"), loan.disbursed_on)
    assert refused.value.field == "amount" and "12500.00" in refused.value.message
    part = merchant_refund(loan, Money.of("12000"), loan.disbursed_on).loan
    with pytest.raises(InvalidInputError):
        merchant_refund(part, Money.of("500.01"), loan.disbursed_on)
    assert merchant_refund(part, Money.of("500"), loan.disbursed_on).loan.status is (
        LoanStatus.CLOSED
    )


def test_a_payment_of_a_trillion_is_refused_with_the_payoff_figure():
    loan = issue_loan()
    with pytest.raises(InvalidInputError) as refused:
        pay(loan, Money.of("1000000000000"), START)
    assert str(payoff_quote(loan, START)) in refused.value.message


# --- properties: random payment histories against the day-by-day oracle -------------------


@dataclass
class Path:
    """Principal not yet due at the start of each day, as the loan's books stood."""

    by_day: dict[date, int]


def _not_yet_due(loan: LoanAccount, day: date) -> int:
    return sum(i.unpaid.principal for i in loan.installments if i.due >= day)


def _oracle_interest(loan: LoanAccount, path: Path) -> D:
    """Σ over days of principal outstanding and not yet due × the period's rate ÷ its days."""
    total = D(0)
    for row in loan.schedule.installments:
        k = row.n
        start = loan.disbursed_on if k == 1 else loan.schedule.installments[k - 2].due_date
        days = (row.due_date - start).days
        for d in range(1, days + 1):
            day = start + timedelta(days=d)
            total += D(path.by_day.get(day, 0)) * loan.rates[k] / days
    return total


ACTIONS = st.lists(
    st.tuples(
        st.integers(1, 40),
        st.sampled_from(["due", "part", "extra", "prepay", "late"]),
        st.integers(1, 100),
    ),
    min_size=1,
    max_size=10,
)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    method=st.sampled_from([RepaymentMethod.EQUAL_INSTALLMENT, RepaymentMethod.EQUAL_PRINCIPAL]),
    rate=st.sampled_from(["0.0365", "0.12", "0.2399"]),
    periods=st.integers(2, 12),
    principal=st.integers(50_000, 5_000_000),
    steps=ACTIONS,
    mode=st.sampled_from(list(PrepaymentMode)),
    extra=st.sampled_from(list(ExtraPayment)),
)
def test_random_histories_never_charge_interest_on_principal_already_repaid(
    method, rate, periods, principal, steps, mode, extra
):
    product = ServicingProduct(prepayment_mode=mode, extra_payment=extra)
    opening = open_loan(
        1, build_schedule(LoanTerms(Money(principal), D(rate), periods, method, START)), product
    )
    loan, books = opening.loan, list(opening.entries)
    path = Path({})
    day, postings = loan.cob_date, 0
    for gap, action, share in steps:
        for _ in range(gap):  # close each day, recording what was lent through it
            day += timedelta(days=1)
            path.by_day[day] = _not_yet_due(loan, day)
            done = close_day(loan, day)
            loan, books = done.loan, books + list(done.entries)
            if loan.status is not LoanStatus.ACTIVE:
                break
            _assert_held_money_is_not_idle(loan, day)
        if loan.status is not LoanStatus.ACTIVE:
            break
        on = day + timedelta(days=1)
        payoff = payoff_quote(loan, on).fen
        due = sum(i.unpaid.total for i in loan.installments if i.due <= on)
        amount = {
            "due": due,
            "part": due * share // 100,
            "extra": due + (payoff - due) * share // 200,
            "prepay": payoff * share // 100,
            "late": 0,
        }[action]
        if not 0 < amount <= payoff:
            continue
        path.by_day[on] = _not_yet_due(loan, on)
        posting = (
            prepay(loan, Money(amount), on, mode=mode)
            if action == "prepay"
            else pay(loan, Money(amount), on)
        )
        loan, books, postings = posting.loan, books + list(posting.entries), postings + 1
        check_loan(loan, books)
        if loan.status is not LoanStatus.ACTIVE:
            break
        done = close_day(loan, on)
        loan, books, day = done.loan, books + list(done.entries), on
        check_loan(loan, books)
    if loan.status is LoanStatus.ACTIVE:  # end with the payoff, through the ordinary payment
        on = day + timedelta(days=1)
        path.by_day[on] = _not_yet_due(loan, on)
        quote = payoff_quote(loan, on)
        final = pay(loan, quote, on)
        loan, books = final.loan, books + list(final.entries)
        assert loan.status is LoanStatus.CLOSED and loan.credit == 0
    check_loan(loan, books)
    if loan.status is LoanStatus.CLOSED:
        charged = sum(i.interest_paid for i in loan.installments)
        tolerance = periods + 2 * (postings + 1)
        assert charged <= _oracle_interest(loan, path) + tolerance


def _assert_held_money_is_not_idle(loan: LoanAccount, day: date) -> None:
    if loan.credit:
        assert not any(i.due <= day and i.unpaid.total for i in loan.installments), (
            "overpayment held while an installment is past due"
        )


# --- several payments in one period; an interest coupon's free days ------------------------


def _cash_paid(entries) -> int:
    return sum(
        line.amount
        for e in entries
        if e.kind in ("repayment", "prepayment")
        for line in e.lines
        if line.account is Account.CASH
    )


def test_a_second_prepayment_in_a_period_keeps_the_interest_the_first_days_earned():
    """Interest is owed on the principal actually outstanding for the days it was (民法典 art.
    677): 12,000.00 for the period's first 10 days, then what the first prepayment left for
    one day. The oracle solves the first prepayment's principal cut itself: the money pays
    the 10 days' interest, then principal, then the rest of the period's interest on what
    stays lent (the module's rule), so ``3,000.00 = i10 + c + (B0 - c) r 18/28``."""
    r, b0, period = D("0.015"), 1_200_000, 28  # 2026-01-31 to 2026-02-28
    terms = LoanTerms(Money.of("12000"), D("0.18"), 12, RepaymentMethod.EQUAL_INSTALLMENT, START)
    opening = open_loan(1, build_schedule(terms), ServicingProduct())
    books = close_through(opening.loan, date(2026, 2, 9))
    first = prepay(books.loan, Money.of("3000"), date(2026, 2, 10))
    i10 = b0 * r * 10 / period
    cut = (300_000 - i10 - b0 * r * 18 / period) / (1 - r * 18 / period)
    b1 = b0 - cut
    later = close_through(first.loan, date(2026, 2, 10))
    quote = payoff_quote(later.loan, date(2026, 2, 11))
    closed = prepay(later.loan, quote, date(2026, 2, 11))
    assert closed.loan.status is LoanStatus.CLOSED
    paid = _cash_paid(first.entries) + _cash_paid(closed.entries)
    owed = b0 + i10 + b1 * r * 1 / period  # every fen of interest for the days actually used
    assert abs(paid - owed) <= 2, (paid, owed)
    history = (*opening.entries, *books.entries, *first.entries, *later.entries)
    check_loan(closed.loan, (*history, *closed.entries))


@pytest.mark.parametrize(("free", "on_day", "charged_days"), [(7, 7, 0), (7, 3, 0), (7, 10, 3)])
def test_a_loan_repaid_within_its_free_days_pays_no_interest(free, on_day, charged_days):
    """An N-days interest-free coupon (免息券) takes the first N days' interest off: repaid
    within them, the borrower pays no interest; after, only the days beyond them."""
    from thinfile.decisioning.interest_coupons import (
        CouponKind,
        InterestCouponTerms,
        with_coupon,
    )

    terms = LoanTerms(Money.of("12000"), D("0.18"), 12, RepaymentMethod.EQUAL_INSTALLMENT, START)
    schedule, _value = with_coupon(
        build_schedule(terms), InterestCouponTerms(CouponKind.FREE_DAYS, days=free)
    )
    opened_loan = open_loan(1, schedule, ServicingProduct())
    on = START + timedelta(days=on_day)
    books = close_through(opened_loan.loan, on - timedelta(days=1))
    quote = payoff_quote(books.loan, on)
    closed = prepay(books.loan, quote, on)
    assert closed.loan.status is LoanStatus.CLOSED
    interest = _cash_paid(closed.entries) - 1_200_000
    owed = D(1_200_000) * D("0.015") * charged_days / 28
    assert abs(interest - owed) <= 1, (interest, owed)
    check_loan(closed.loan, (*opened_loan.entries, *books.entries, *closed.entries))


@pytest.mark.parametrize(("free", "on_day", "charged_days"), [(7, 7, 0), (7, 3, 0), (7, 10, 3)])
def test_a_fee_plan_repaid_within_its_free_days_pays_no_fee_for_them(free, on_day, charged_days):
    """On a fee plan (分期手续费) the free-days coupon takes the first N days' fee off: repaid
    within them, the borrower pays no fee; after, the period's fee for the days beyond them
    (the fee is 0.6 % of 12,000 a month = 72.00 over the 28 days from 2026-01-31)."""
    from thinfile.decisioning.interest_coupons import (
        CouponKind,
        InterestCouponTerms,
        with_coupon,
    )

    schedule, _value = with_coupon(
        build_schedule(fee_plan_terms()), InterestCouponTerms(CouponKind.FREE_DAYS, days=free)
    )
    opened_loan = open_loan(1, schedule, ServicingProduct())
    on = START + timedelta(days=on_day)
    books = close_through(opened_loan.loan, on - timedelta(days=1))
    quote = payoff_quote(books.loan, on)
    closed = prepay(books.loan, quote, on)
    assert closed.loan.status is LoanStatus.CLOSED
    fee = _cash_paid(closed.entries) - 1_200_000
    owed = D(7_200) * charged_days / 28
    assert abs(fee - owed) <= 1, (fee, owed)
    check_loan(closed.loan, (*opened_loan.entries, *books.entries, *closed.entries))


def _half_up(x: D) -> int:
    return int(x.quantize(D(1), rounding=ROUND_HALF_UP))


def _prepaid_in_period_two(method: RepaymentMethod, grace_principal: int = 0) -> LoanAccount:
    """12,000.00 at 18 % over 12 months from 2026-01-31; the first installment paid on its due
    date, then 2,000.00 prepaid ten days into the second period (reduce installment)."""
    loan = open_loan(
        1,
        build_schedule(
            LoanTerms(
                Money.of("12000"), D("0.18"), 12, method, START, grace_principal=grace_principal
            )
        ),
        ServicingProduct(),
    ).loan
    first = loan.installments[0]
    loan = pay(
        through(loan, first.due - timedelta(days=1)), Money(first.unpaid.total), first.due
    ).loan
    on = first.due + timedelta(days=10)
    return prepay(through(loan, on - timedelta(days=1)), Money.of("2000"), on).loan


def test_a_prepayment_keeps_an_interest_only_loan_interest_only():
    """先息后本: after a prepayment every row but the last still asks interest alone (1.5 % of
    the balance left), and the last row all of it — not the balance spread over each month."""
    loan = _prepaid_in_period_two(RepaymentMethod.INTEREST_ONLY)
    balance = 1_200_000 - sum(i.principal_paid for i in loan.installments)
    assert 0 < balance < 1_200_000 - 150_000  # the prepayment cut principal
    later = loan.installments[2:]
    assert [i.principal_due for i in later[:-1]] == [0] * 9
    assert later[-1].principal_due == balance
    assert {i.interest_due for i in later} == {_half_up(D(balance) * D("0.015"))}


def test_a_prepayment_in_a_principal_grace_keeps_the_grace_and_levels_the_rest():
    """Three months of principal grace: a prepayment in month two leaves month three asking
    interest alone, and months four to twelve the level payment of the balance over nine
    months (numpy-financial's pmt), to the fen but for the last row's rounding."""
    loan = _prepaid_in_period_two(RepaymentMethod.EQUAL_INSTALLMENT, grace_principal=3)
    balance = 1_200_000 - sum(i.principal_paid for i in loan.installments)
    third, *rest = loan.installments[2:]
    assert (third.principal_due, third.interest_due) == (0, _half_up(D(balance) * D("0.015")))
    level = _half_up(D(str(npf.pmt(0.015, 9, -balance))))
    assert [i.principal_due + i.interest_due for i in rest[:-1]] == [level] * 8
    assert abs(rest[-1].principal_due + rest[-1].interest_due - level) <= 9
    assert sum(i.principal_due for i in rest) == balance


def test_shortening_the_term_on_a_due_date_keeps_the_installment_and_ends_early():
    """Installment 1 and 3,000.00 more paid on its due date, the term shortened: the later
    installments stay the level payment (numpy-financial's pmt of the loan), and the interest
    after it is that level's on the balance left, period by period — as the same prepayment
    a day later does. (Restated to the days used on the period's first day, the current row's
    interest was 0 and the kept 'level' had been its principal alone: 955.65, not 1,066.19.)"""
    level = int(D(str(npf.pmt(0.015, 12, -1_200_000))).quantize(D(1), ROUND_HALF_UP))
    due1 = date(2026, 2, 28)
    loan = through(issue_loan(), due1 - timedelta(days=1))
    paid = first_installment(loan)
    loan = prepay(loan, Money(paid + 300_000), due1, mode=PrepaymentMode.SHORTEN_TERM).loan
    left = 1_200_000 - loan.installments[0].principal_due - 300_000
    oracle_rows, balance = [], left
    while balance > 0:
        interest = int((D(balance) * D("0.015")).quantize(D(1), ROUND_HALF_UP))
        principal = min(balance, level - interest)
        oracle_rows.append(principal + interest)
        balance -= principal
    later = [i for i in loan.installments[1:] if i.principal_due - i.principal_paid > 0]
    totals = [i.principal_due - i.principal_paid + i.interest_due for i in later]
    assert len(totals) == len(oracle_rows) < 11
    assert all(abs(t - level) <= 1 for t in totals[:-1]), (totals, level)
    assert abs(sum(totals) - sum(oracle_rows)) <= len(oracle_rows), (totals, oracle_rows)


@pytest.mark.parametrize("pay_on", [date(2026, 3, 31), date(2026, 4, 10)])
@pytest.mark.parametrize("fee_plan", [False, True])
def test_a_re_aged_loans_payoff_quote_closes_it_also_on_a_due_date(
    pay_on: date, fee_plan: bool
) -> None:
    """Installment 1 missed and re-aged: its interest is carried by the installments still to
    come. Paying the payoff quote closes the loan with nothing owed and nothing held, on a
    due date (the period not yet begun, where the carried interest of the rows dropped was
    left out of the quote and owed after it) as mid-period; the books balance — also for a fee
    plan, whose moved fees a re-plan had dropped from the rows but not from the ledger."""
    from thinfile.servicing.reschedule import re_age

    schedule = build_schedule(fee_plan_terms()) if fee_plan else issue_loan().schedule
    opened_loan = open_loan(1, schedule, ServicingProduct())
    entries = list(opened_loan.entries)

    def step(outcome: Outcome) -> LoanAccount:
        entries.extend(outcome.entries)
        return outcome.loan

    loan = step(close_through(opened_loan.loan, date(2026, 3, 20)))
    loan = step(re_age(loan, date(2026, 3, 21)))
    carried = sum(
        i.interest_accrued + i.fee_accrued for i in loan.installments if i.start > date(2026, 3, 21)
    )
    assert carried > 0
    loan = step(close_through(loan, pay_on - timedelta(days=1)))
    quote = payoff_quote(loan, pay_on)
    principal = sum(i.unpaid.principal for i in loan.installments)
    most = max(i.interest_accrued + i.fee_accrued for i in loan.installments)
    assert quote.fen >= principal + carried - most
    loan = step(pay(loan, quote, pay_on))
    assert loan.status is LoanStatus.CLOSED
    assert loan.outstanding.total == 0 and loan.credit == 0
    assert payoff_quote(loan, pay_on + timedelta(days=1)).fen == 0
    check_loan(loan, entries)


def _own_earned(amount: int, start: date, due: date, on: date) -> int:
    """An installment's own interest earned by the end of ``on``: a straight line over its
    period, truncated to the fen (written out here, not the servicing code's)."""
    days, period = (on - start).days, (due - start).days
    return amount if days >= period else max(0, amount * days // period)


def test_a_re_age_changes_when_money_falls_due_not_what_paying_off_costs() -> None:
    """Installment 1 missed, the arrears re-aged on 2026-03-21: the payoff that day is what it
    was before the re-age, and each later day of the period it grows by the period's own
    interest alone — the moved interest was earned already and is owed whole, not earned
    again over the new periods' days (a payoff was asked up to 10.91 too little)."""
    from thinfile.servicing.reschedule import re_age

    schedule = issue_loan().schedule
    loan = through(open_loan(1, schedule, ServicingProduct()).loan, date(2026, 3, 20))
    on = date(2026, 3, 21)
    before = payoff_quote(loan, on).fen
    aged = re_age(loan, on).loan
    assert payoff_quote(aged, on).fen == before
    own = schedule.installments[1].interest  # the period running: 2026-02-28 to 2026-03-31
    start, due = date(2026, 2, 28), date(2026, 3, 31)
    booked = sum(i.interest_accrued for i in through(aged, on).installments)
    for day in (date(2026, 3, 22), date(2026, 3, 25), date(2026, 3, 30)):
        closed = through(aged, day - timedelta(days=1))
        grown = _own_earned(own, start, due, day) - _own_earned(own, start, due, on)
        assert payoff_quote(closed, day).fen == before + grown, day
        nightly = _own_earned(own, start, due, day - timedelta(days=1))
        assert sum(i.interest_accrued for i in closed.installments) == booked + nightly - (
            _own_earned(own, start, due, on)
        )


def test_a_payment_holiday_keeps_what_the_period_earned_before_it() -> None:
    """A two-month holiday taken mid-period: a payoff the same day costs what it cost before
    the holiday, a payoff later costs that plus the period's remaining interest spread from
    the holiday to the new due date, and the period's interest in all is unchanged (the
    days already earned were forgiven: 24.36 less the day after a holiday)."""
    from thinfile.servicing.reschedule import payment_holiday

    schedule = issue_loan().schedule
    first_due, on, new_due = date(2026, 2, 28), date(2026, 3, 15), date(2026, 5, 31)
    loan = through(open_loan(1, schedule, ServicingProduct()).loan, first_due - timedelta(1))
    loan = pay(loan, Money(schedule.installments[0].total), first_due).loan
    loan = through(loan, on - timedelta(days=1))
    before = payoff_quote(loan, on).fen
    paused = payment_holiday(loan, on, 2).loan
    assert payoff_quote(paused, on).fen == before
    period = schedule.installments[1].interest  # 2026-02-28 to 2026-03-31
    earned = _own_earned(period, first_due, date(2026, 3, 31), on)
    for day in (date(2026, 3, 16), date(2026, 4, 20), date(2026, 5, 30)):
        closed = through(paused, day - timedelta(days=1))
        assert payoff_quote(closed, day).fen == before + _own_earned(
            period - earned, on, new_due, day
        ), day
    done = through(paused, new_due)
    assert done.installments[1].due == new_due
    assert done.installments[1].interest_accrued == period  # the period's interest in all


def _paid_first(loan: LoanAccount) -> LoanAccount:
    """Installment 1 of :func:`issue_loan` paid on its due date (2026-02-28)."""
    loan = through(loan, date(2026, 2, 27))
    return pay(loan, Money(loan.installments[0].unpaid.total), date(2026, 2, 28)).loan


def test_a_holiday_after_a_part_prepayment_keeps_what_the_days_before_it_earned() -> None:
    """3,000.00 prepaid on 03-10 (period 2's interest restated: the days before on the larger
    balance), a two-month holiday on 03-15: the payoff that day is unchanged, and later it
    grows by what is left of the period's interest on what is still lent, spread from the
    holiday to the new due date (05-31), within a fen of the exact fraction (the quote asked
    63.62 more on the day, 58.87 less the day after)."""
    from fractions import Fraction

    from thinfile.servicing.reschedule import payment_holiday

    loan = _paid_first(issue_loan())
    loan = prepay(through(loan, date(2026, 3, 9)), Money(300_000), date(2026, 3, 10)).loan
    on, new_due = date(2026, 3, 15), date(2026, 5, 31)
    loan = through(loan, on - timedelta(days=1))
    lent = sum(i.principal_due - i.principal_paid for i in loan.installments)
    before = payoff_quote(loan, on).fen
    paused = payment_holiday(loan, on, 2).loan
    assert payoff_quote(paused, on).fen == before
    left = Fraction(lent) * Fraction(15, 1000) * 16 / 31  # 03-15..03-31 of 1.5 % a month
    for day in (date(2026, 3, 16), date(2026, 4, 20), date(2026, 5, 30)):
        grown = left * (day - on).days / (new_due - on).days
        quote = payoff_quote(through(paused, day - timedelta(days=1)), day).fen
        assert abs(quote - (before + grown)) <= 1, (day, quote, float(before + grown))


def test_a_prepayment_during_a_holiday_is_charged_only_for_the_days_lent() -> None:
    """Holiday on 03-15 (period 2, interest 166.20, restarts there and falls due 05-31),
    3,000.00 prepaid on 04-10: taken, not refused (a payoff had been wrongly thought
    smaller), and the period asks what it earned by 04-10 and the rest of its interest on
    what is still lent (the oracle in fractions; 14.41 was overcharged)."""
    from fractions import Fraction

    from thinfile.servicing.reschedule import payment_holiday

    loan = _paid_first(issue_loan())
    start, due, on, new_due, paid_on = (
        date(2026, 2, 28), date(2026, 3, 31), date(2026, 3, 15), date(2026, 5, 31),
        date(2026, 4, 10),
    )  # fmt: skip
    interest = loan.installments[1].interest_due
    lent_before = sum(i.principal_due - i.principal_paid for i in loan.installments)
    loan = payment_holiday(through(loan, on - timedelta(days=1)), on, 2).loan
    loan = prepay(through(loan, paid_on - timedelta(days=1)), Money(300_000), paid_on).loan
    lent_after = sum(i.principal_due - i.principal_paid for i in loan.installments)
    paid = loan.installments[1]  # the period's interest, then principal: nothing left over
    assert paid.interest_paid + lent_before - lent_after == 300_000 and loan.credit == 0
    earned = _own_earned(interest, start, due, on)
    used = earned + _own_earned(interest - earned, on, new_due, paid_on)
    rest = Fraction(interest - earned) * (new_due - paid_on).days / (new_due - on).days
    expected = used + rest * lent_after / lent_before
    assert abs(loan.installments[1].interest_due - expected) <= 1, float(expected)


def test_a_re_age_on_a_due_date_moves_that_days_interest_too() -> None:
    """Installments 1 and 2 unpaid, re-aged on 03-31 (installment 2's due date, its last day
    not yet closed): the payoff is unchanged, ten days later it has grown by installment 3's
    own interest alone (5.37 was lost), and paying it closes the loan with the books
    balanced."""
    from thinfile.servicing.reschedule import re_age

    opened_loan = open_loan(1, issue_loan().schedule, ServicingProduct())
    entries = list(opened_loan.entries)

    def step(outcome: Outcome) -> LoanAccount:
        entries.extend(outcome.entries)
        return outcome.loan

    on = date(2026, 3, 31)
    loan = step(close_through(opened_loan.loan, on - timedelta(days=1)))
    before = payoff_quote(loan, on).fen
    loan = step(re_age(loan, on))
    assert payoff_quote(loan, on).fen == before
    own = loan.installments[2].interest_due - loan.installments[2].interest_carried
    later = date(2026, 4, 10)
    loan = step(close_through(loan, later - timedelta(days=1)))
    grown = _own_earned(own, on, date(2026, 4, 30), later)
    quote = payoff_quote(loan, later)
    assert quote.fen == before + grown
    loan = step(pay(loan, quote, later))
    assert loan.status is LoanStatus.CLOSED and loan.credit == 0
    check_loan(loan, entries)


def test_a_waived_fee_a_re_age_carried_is_not_charged_again() -> None:
    """A fee plan's missed 72.00 re-aged on 03-21, then every fee owed waived on 03-22: from
    03-31 installment 3 asks its own 72.00 fee by the day (2.40 a day), not the waived share
    again (6.55 was asked on the first day)."""
    from thinfile.servicing import WaiverTarget, waive_fees
    from thinfile.servicing.reschedule import re_age

    fee_plan = open_loan(1, build_schedule(fee_plan_terms()), ServicingProduct()).loan
    loan = re_age(through(fee_plan, date(2026, 3, 20)), date(2026, 3, 21)).loan
    waived_on = date(2026, 3, 22)
    loan = through(loan, waived_on - timedelta(days=1))
    owed = sum(i.fee_accrued - i.fee_paid for i in loan.installments)
    loan = waive_fees(loan, Money(owed), waived_on, reason="hardship", target=WaiverTarget.FEE).loan
    first = payoff_quote(through(loan, date(2026, 3, 31)), date(2026, 4, 1)).fen
    for day in (date(2026, 4, 2), date(2026, 4, 5)):
        quote = payoff_quote(through(loan, day - timedelta(days=1)), day).fen
        assert quote - first == 7200 * (day - date(2026, 4, 1)).days // 30, day
    row = loan.installments[2]
    assert row.fee_carried == 0 and row.fee_due == 7200


def test_a_holiday_cannot_begin_within_a_period_whose_fee_a_coupon_relieves() -> None:
    """A coupon takes its fee off the period's first days; a holiday restarting the period
    mid-way would take it again. Refused naming the date, with the due date to begin on;
    on the due date itself the holiday is taken."""
    from thinfile.servicing.reschedule import check_pausable, payment_holiday

    terms = replace(fee_plan_terms(), charge_relief=(5000,) + (0,) * 11)
    loan = through(open_loan(1, build_schedule(terms), ServicingProduct()).loan, START)
    mid = date(2026, 2, 10)
    with pytest.raises(InvalidInputError) as refused:
        check_pausable(through(loan, mid - timedelta(days=1)), mid)
    assert refused.value.field == "on" and "2026-02-28" in str(refused.value.remedy)
    on_due = through(loan, date(2026, 2, 27))
    on_due = pay(on_due, Money(on_due.installments[0].unpaid.total), date(2026, 2, 28)).loan
    assert payment_holiday(on_due, date(2026, 2, 28), 1).loan.installments[1].due == date(
        2026, 4, 30
    )


def test_a_prepayment_in_the_gap_a_holiday_opens_pays_no_interest_for_the_gap() -> None:
    """Installment 1 paid and a two-month holiday taken on its due date: period 2 now runs
    04-30 to 05-31 (the contract's day, 31, clamped). 5,000.00 prepaid on 03-15, before it
    begins: period 2 asks 1.5 % of what is still lent, not that stretched over the 77 days
    from the prepayment (75.00 more)."""
    from thinfile.servicing.reschedule import payment_holiday

    loan = payment_holiday(_paid_first(issue_loan()), date(2026, 2, 28), 2).loan
    assert loan.installments[1].start == date(2026, 4, 30)
    paid_on = date(2026, 3, 15)
    loan = prepay(through(loan, paid_on - timedelta(days=1)), Money(500_000), paid_on).loan
    lent = sum(i.principal_due - i.principal_paid for i in loan.installments)
    expected = (Decimal(lent) * Decimal("0.015")).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    assert loan.installments[1].interest_due == int(expected)


def test_an_interest_coupon_stays_with_its_installments_when_they_are_re_planned() -> None:
    """A coupon of ×0.8 on installments 1-3; 6,000.00 prepaid on 02-10 (reduce installment):
    installments 2 and 3, re-planned on the smaller balance, still have their coupon — 0.8 ×
    their contract interest, rounded half-up as the coupon rounds (it was lost: 34.98 more
    paid; then the fixed cut of 33.24 and 30.44 made at opening was kept, more than 0.2 × the
    smaller interest)."""
    from thinfile.decisioning.interest_coupons import (
        CouponKind,
        InterestCouponTerms,
        with_coupon,
    )

    coupon = InterestCouponTerms(CouponKind.RATE_DISCOUNT, factor=D("0.8"), periods=3)
    schedule, _value = with_coupon(issue_loan().schedule, coupon)
    cuts = schedule.terms.charge_relief
    loan = open_loan(1, schedule, ServicingProduct()).loan
    paid_on = date(2026, 2, 10)
    loan = prepay(through(loan, paid_on - timedelta(days=1)), Money(600_000), paid_on).loan
    for k in (1, 2):
        row = loan.installments[k]
        balance = sum(i.principal_due - i.principal_paid for i in loan.installments[k:])
        plain = int((Decimal(balance) * Decimal("0.015")).quantize(Decimal(1), ROUND_HALF_UP))
        expected = _half_up(D("0.8") * plain)
        assert row.interest_due == expected, (k, row.interest_due, plain, cuts[k])
        assert expected > plain - cuts[k]  # the fixed cut took too much off


def test_a_term_shortened_by_a_prepayment_can_still_be_extended() -> None:
    """A shorten-term prepayment dropped installments 11 and 12 (their period rates stayed);
    an extension of two months then adds two periods with their own rates instead of
    failing, and the payoff afterwards closes the loan with the books balanced."""
    from thinfile.servicing.reschedule import term_extension

    opened_loan = open_loan(1, issue_loan().schedule, ServicingProduct())
    entries = list(opened_loan.entries)

    def step(outcome: Outcome) -> LoanAccount:
        entries.extend(outcome.entries)
        return outcome.loan

    loan = step(close_through(opened_loan.loan, date(2026, 2, 9)))
    loan = step(prepay(loan, Money(300_000), date(2026, 2, 10), mode=PrepaymentMode.SHORTEN_TERM))
    kept = len(loan.installments)
    assert kept < 12
    loan = step(close_through(loan, date(2026, 3, 9)))
    loan = step(term_extension(loan, date(2026, 3, 10), 2))
    assert [i.n for i in loan.installments] == list(range(1, kept + 3))
    assert len(loan.rates) == kept + 3  # a rate per period, the down payment's first
    loan = step(close_through(loan, date(2026, 4, 9)))
    loan = step(pay(loan, payoff_quote(loan, date(2026, 4, 10)), date(2026, 4, 10)))
    assert loan.status is LoanStatus.CLOSED and loan.credit == 0
    check_loan(loan, entries)


@pytest.mark.parametrize("paid_on", [date(2026, 3, 3), date(2026, 3, 20), date(2026, 3, 29)])
def test_a_prepayment_mid_period_keeps_what_is_left_of_the_periods_coupon(paid_on: date) -> None:
    """A coupon of ×0.8 on installments 1-3. 3,000.00 prepaid within period 2: the period
    asks 0.8 × the interest on the principal lent day by day — the coupon is not lost by
    paying early (up to 9.80 was), nor taken as a fixed cut off the first days."""
    from fractions import Fraction

    from thinfile.decisioning.interest_coupons import (
        CouponKind,
        InterestCouponTerms,
        with_coupon,
    )

    coupon = InterestCouponTerms(CouponKind.RATE_DISCOUNT, factor=D("0.8"), periods=3)
    schedule, _value = with_coupon(issue_loan().schedule, coupon)
    cut = schedule.terms.charge_relief[1]
    loan = _paid_first(open_loan(1, schedule, ServicingProduct()).loan)
    start, due = date(2026, 2, 28), date(2026, 3, 31)
    before = sum(i.principal_due - i.principal_paid for i in loan.installments)
    loan = prepay(through(loan, paid_on - timedelta(days=1)), Money(300_000), paid_on).loan
    after = sum(i.principal_due - i.principal_paid for i in loan.installments)
    days_before, days_after = (paid_on - start).days, (due - paid_on).days
    plain = Fraction(15, 1000) * (before * days_before + after * days_after) / (due - start).days
    expected = Fraction(4, 5) * plain
    assert abs(loan.installments[1].interest_due - expected) <= 2, float(expected)
    assert cut > 0  # the coupon cuts period 2


def test_a_holiday_keeps_a_month_end_loans_due_day() -> None:
    """A loan opened on 01-31 falls due on the 31st, clamped to shorter months. A one-month
    holiday moves each installment not yet due to the next month's 31st (its last day): the
    row due 02-28 moved to 03-28 and every row after drifted to the 30th."""
    import calendar

    from thinfile.servicing.reschedule import payment_holiday

    loan = through(issue_loan(), date(2026, 2, 9))
    paused = payment_holiday(loan, date(2026, 2, 10), 1).loan

    def month_end(year: int, month: int) -> date:  # by hand: the contract day 31, clamped
        return date(year, month, calendar.monthrange(year, month)[1])

    expected = [month_end(2026 + (m - 1) // 12, (m - 1) % 12 + 1) for m in range(3, 15)]
    assert [i.due for i in paused.installments] == expected
    assert [i.start for i in paused.installments[1:]] == expected[:-1]
