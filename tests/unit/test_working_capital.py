"""Working-capital lines in the pure domain: daily interest to the fen against a day-by-day
calculation written here, free early repayment, the allocation order, sales-linked repayment,
the period checks (near breach, cure, breach and its installment), hostile inputs and the cost
statement."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

import pytest

from thinfile.errors import (
    ConflictError,
    CurrencyMismatchError,
    InvalidInputError,
    RateCapExceededError,
)
from thinfile.money import Money
from thinfile.servicing.ledger import Account, JournalEntry, account_balances
from thinfile.servicing.wc_statement import draw_statement
from thinfile.servicing.working_capital import (
    PeriodStatus,
    RepaymentMode,
    WorkingCapitalLine,
    WorkingCapitalTerms,
    close_day,
    draw,
    open_line,
    repay,
    sales_repayment,
)

RATE = Decimal("0.00035")
OPENED = date(2028, 1, 25)


def yuan(text: str) -> Money:
    return Money.of(text)


def terms(**overrides: object) -> WorkingCapitalTerms:
    values: dict[str, object] = {"limit": yuan("50000"), "daily_rate": RATE}
    values.update(overrides)
    return WorkingCapitalTerms(**values)  # type: ignore[arg-type]


def a_line(**overrides: object) -> WorkingCapitalLine:
    return open_line(7, "owner-1", terms(**overrides), OPENED)


def close_through(
    line: WorkingCapitalLine, last: date
) -> tuple[WorkingCapitalLine, list[JournalEntry]]:
    entries: list[JournalEntry] = []
    x = line.cob_date + timedelta(days=1)
    while x <= last:
        done = close_day(line, x)
        line, entries = done.line, entries + list(done.entries)
        x += timedelta(days=1)
    return line, entries


def oracle_interest(
    principal_fen: int, rate: Decimal, events: dict[date, int], first: date, last: date
) -> int:
    """Day by day, independently: at each day's close, principal × rate truncated to the fen
    (never above the daily rate); ``events`` repay principal (fen) during a day, before its
    close."""
    owed, total, day = principal_fen, 0, first
    while day <= last:
        owed -= events.get(day, 0)
        total += int((Decimal(owed) * rate).quantize(Decimal(1), rounding=ROUND_DOWN))
        day += timedelta(days=1)
    return total


def test_daily_interest_matches_a_day_by_day_calculation_across_month_ends_and_29_february():
    line = draw(a_line(), 0, yuan("12345.67"), OPENED, term_days=90).line
    line, entries = close_through(line, date(2028, 2, 27))
    # interest first: pay exactly the interest plus 1,000.01 of principal, on 28 February
    paid_interest = line.interest_owed
    line = repay(line, Money(paid_interest + 100001, "CNY"), date(2028, 2, 28)).line
    line, more = close_through(line, date(2028, 3, 31))
    expected = oracle_interest(
        1234567, RATE, {date(2028, 2, 28): 100001}, OPENED, date(2028, 3, 31)
    )
    assert line.draws[0].interest_accrued == expected
    assert line.draws[0].principal_outstanding == 1234567 - 100001
    # the leap day is charged like any other (actual days): 1,134,566 × 0.00035 = 397.0981
    assert line.draws[0].interest_accrued - paid_interest == oracle_interest(
        1134566, RATE, {}, date(2028, 2, 28), date(2028, 3, 31)
    )
    books = account_balances(entries + more)
    assert books[Account.INTEREST_INCOME] == -expected


def test_repaying_early_charges_no_fee_and_stops_interest():
    line = draw(a_line(), 0, yuan("10000"), OPENED, term_days=180).line
    line, _ = close_through(line, OPENED + timedelta(days=9))
    assert line.interest_owed == 10 * 350  # 10 nights of 3.50
    payoff = line.owed
    assert payoff == 1000000 + 3500
    done = repay(line, Money(payoff, "CNY"), OPENED + timedelta(days=10))
    assert (done.paid_interest, done.paid_principal) == (3500, 1000000)
    after, entries = close_through(done.line, OPENED + timedelta(days=60))
    assert after.owed == 0 and entries == []
    assert after.draws[0].interest_accrued == 3500


def test_a_draw_repaid_the_day_it_is_made_costs_nothing():
    line = draw(a_line(), 0, yuan("800"), OPENED, term_days=90).line
    line = repay(line, yuan("800"), OPENED).line
    line, _ = close_through(line, OPENED + timedelta(days=3))
    assert line.draws[0].interest_accrued == 0


def test_a_repayment_pays_all_interest_first_then_principal_oldest_draw_first():
    line = draw(a_line(), 0, yuan("1000"), OPENED, term_days=90).line
    line, _ = close_through(line, OPENED + timedelta(days=1))
    line = draw(line, 2, yuan("2000"), OPENED + timedelta(days=2), term_days=180).line
    line, _ = close_through(line, OPENED + timedelta(days=4))
    first, second = line.draws
    assert (first.interest_outstanding, second.interest_outstanding) == (5 * 35, 3 * 70)
    done = repay(line, yuan("1100"), OPENED + timedelta(days=5))
    split = {p.draw_id: (p.interest, p.principal) for p in done.paid}
    interest = 5 * 35 + 3 * 70
    assert split[first.draw_id] == (175, 100000)
    assert split[second.draw_id] == (210, 110000 - interest - 100000)


def test_a_repayment_pays_a_draw_past_due_before_an_older_one_not_yet_due():
    """A 180-day draw made first and a 90-day draw made ten days later: once the 90-day one
    is past due, a payment of all interest and its principal clears it — the line is current
    again — instead of paying down the older draw that is not due."""
    line = draw(a_line(minimum_share=Decimal(0)), 0, yuan("5000"), OPENED, term_days=180).line
    drawn = OPENED + timedelta(days=10)
    line, _ = close_through(line, drawn - timedelta(days=1))
    line = draw(line, 2, yuan("1000"), drawn, term_days=90).line
    matured = drawn + timedelta(days=90)
    on = matured + timedelta(days=5)
    line, _ = close_through(line, on - timedelta(days=1))
    older, later = line.draws
    assert line.overdue_since == matured and later.maturity == matured < older.maturity
    interest = older.interest_outstanding + later.interest_outstanding
    done = repay(line, Money(interest + 100_000), on)
    split = {p.draw_id: (p.interest, p.principal) for p in done.paid}
    assert split[later.draw_id] == (later.interest_outstanding, 100_000)
    assert split[older.draw_id] == (older.interest_outstanding, 0)
    after, _ = close_through(done.line, on)
    assert after.overdue_since is None and after.days_past_due(on) == 0


def test_paying_exactly_what_a_past_due_draw_owes_clears_it_before_any_interest_not_yet_due():
    """Debts due come before debts not yet due (民法典 art. 560): a payment of exactly the
    past-due draw's interest and principal clears it and the line is current again, although
    another draw has interest outstanding and is not due."""
    line = draw(a_line(minimum_share=Decimal(0)), 0, yuan("5000"), OPENED, term_days=180).line
    drawn = OPENED + timedelta(days=10)
    line, _ = close_through(line, drawn - timedelta(days=1))
    line = draw(line, 2, yuan("1000"), drawn, term_days=90).line
    on = drawn + timedelta(days=92)
    line, _ = close_through(line, on - timedelta(days=1))
    older, later = line.draws
    assert later.maturity < on < older.maturity and older.interest_outstanding > 0
    done = repay(line, Money(later.owed), on)
    assert [(p.draw_id, p.interest, p.principal) for p in done.paid] == [
        (later.draw_id, later.interest_outstanding, 100_000)
    ]
    after, _ = close_through(done.line, on)
    assert after.draws[1].owed == 0 and after.overdue_since is None
    assert after.draws[0].interest_outstanding > 0  # the draw not due keeps its interest owed


def test_a_sales_linked_line_takes_its_share_of_each_days_sales_and_counts_it_to_the_period():
    line = a_line(mode=RepaymentMode.SALES, sales_share=Decimal("0.12"))
    line = draw(line, 0, yuan("3000"), OPENED, term_days=90).line
    line, _ = close_through(line, OPENED)
    share = sales_repayment(line, yuan("1234.57"), OPENED + timedelta(days=1))
    assert share == 14815  # 123,457 × 0.12 = 14,814.84 → 14,815 fen
    done = repay(line, Money(share, "CNY"), OPENED + timedelta(days=1))
    assert (done.paid_interest, done.paid_principal) == (105, share - 105)
    assert done.line.periods[0].repaid == share
    # never more than is owed, and nothing from a day without sales
    assert sales_repayment(done.line, yuan("999999"), OPENED) == done.line.owed
    assert sales_repayment(done.line, yuan("0"), OPENED) == 0


def test_sales_cannot_be_negative_or_feed_a_line_that_is_not_sales_linked():
    sales_line = a_line(mode=RepaymentMode.SALES, sales_share=Decimal("0.1"))
    with pytest.raises(InvalidInputError) as negative:
        sales_repayment(sales_line, yuan("-1"), OPENED)
    assert negative.value.field == "sales"
    with pytest.raises(ConflictError) as wrong_mode:
        sales_repayment(a_line(), yuan("100"), OPENED)
    assert wrong_mode.value.field == "line_id"
    with pytest.raises(CurrencyMismatchError):
        sales_repayment(sales_line, Money.of("1", "USD"), OPENED)


def test_a_slow_period_is_flagged_near_breach_then_cured_by_repayment():
    line = a_line(mode=RepaymentMode.SALES, sales_share=Decimal("0.1"))
    line = draw(line, 0, yuan("6000"), OPENED, term_days=180).line
    period = line.periods[0]
    assert period.minimum == 60000  # 10% of the draw within the period
    line, _ = close_through(line, period.end - timedelta(days=21))
    assert line.periods[0].status is PeriodStatus.OPEN  # 21 days left: not yet watched
    line, _ = close_through(line, period.end - timedelta(days=20))
    flagged = line.periods[0]
    assert flagged.status is PeriodStatus.NEAR_BREACH
    assert flagged.flagged_on == period.end - timedelta(days=20)
    line = repay(line, yuan("450"), period.end - timedelta(days=19)).line
    line, _ = close_through(line, period.end - timedelta(days=19))
    assert line.periods[0].status is PeriodStatus.OPEN  # cured: 450 ≥ 41/60 of 600
    assert line.periods[0].flagged_on == flagged.flagged_on  # the flag stays in history
    line = repay(line, yuan("150"), period.end - timedelta(days=5)).line
    line, _ = close_through(line, period.end)
    assert line.periods[0].status is PeriodStatus.MET and line.shortfalls == ()
    tenth = (Decimal("0.1") * line.drawn).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    assert line.periods[1].minimum == int(tenth)


def test_a_breach_makes_the_shortfall_an_installment_and_ages_from_the_oldest_unmet():
    line = draw(a_line(), 0, yuan("6000"), OPENED, term_days=180).line
    end = line.periods[0].end
    line = repay(line, yuan("100"), OPENED + timedelta(days=3)).line
    line, _ = close_through(line, end)
    breached = line.periods[0]
    assert breached.status is PeriodStatus.BREACH and breached.shortfall == 50000
    (installment,) = line.shortfalls
    assert (installment.amount, installment.due) == (50000, end + timedelta(days=10))
    line, _ = close_through(line, installment.due - timedelta(days=1))
    assert line.overdue_since is None  # due tomorrow
    line, _ = close_through(line, installment.due)
    assert line.overdue_since == installment.due  # unpaid at its due date's close
    assert line.days_past_due(installment.due + timedelta(days=1)) == 1
    line, _ = close_through(line, installment.due + timedelta(days=4))
    assert line.days_past_due(installment.due + timedelta(days=4)) == 4
    with pytest.raises(ConflictError) as blocked:
        draw(line, 0, yuan("1"), installment.due + timedelta(days=5), term_days=90)
    assert blocked.value.field == "line_id"
    # the installment is met first, then the period
    line = repay(line, yuan("520"), installment.due + timedelta(days=5)).line
    assert line.shortfalls[0].unpaid == 0
    assert line.overdue_since is None  # nothing past due now: a draw may follow
    drawn = draw(line, 0, yuan("1"), installment.due + timedelta(days=5), term_days=90)
    assert drawn.line.drawn == line.drawn + 100
    current = line.period_on(installment.due + timedelta(days=5))
    assert current is not None and current.repaid == 2000
    line, _ = close_through(line, installment.due + timedelta(days=5))
    assert line.overdue_since is None


def test_a_draw_past_its_final_maturity_is_past_due_from_that_date():
    line = draw(a_line(minimum_share=Decimal(0)), 0, yuan("100"), OPENED, term_days=90).line
    maturity = OPENED + timedelta(days=90)
    line, _ = close_through(line, maturity)
    assert line.overdue_since == maturity  # unpaid at the maturity's close
    assert line.days_past_due(maturity + timedelta(days=1)) == 1
    with pytest.raises(ConflictError) as blocked:  # no new money the morning after
        draw(line, 1, yuan("1"), maturity + timedelta(days=1), term_days=90)
    assert blocked.value.field == "line_id"
    line, _ = close_through(line, maturity + timedelta(days=3))
    assert line.overdue_since == maturity
    assert line.days_past_due(maturity + timedelta(days=3)) == 3


@pytest.mark.parametrize(
    ("amount", "term", "field", "error"),
    [
        ("50000.01", 90, "amount", ConflictError),
        ("0", 90, "amount", InvalidInputError),
        ("-5", 90, "amount", InvalidInputError),
        ("10", 30, "term_days", InvalidInputError),
        ("10", 365, "term_days", InvalidInputError),
    ],
)
def test_hostile_draws_are_refused_naming_the_field(amount, term, field, error):
    with pytest.raises(error) as refused:
        draw(a_line(), 0, yuan(amount), OPENED, term_days=term)
    assert refused.value.field == field


def test_repaying_more_than_is_owed_or_nothing_is_refused():
    line = draw(a_line(), 0, yuan("10"), OPENED, term_days=90).line
    for amount in ("10.01", "0"):
        with pytest.raises(InvalidInputError) as refused:
            repay(line, yuan(amount), OPENED)
        assert refused.value.field == "amount"


@pytest.mark.parametrize(
    ("overrides", "field", "error"),
    [
        ({"daily_rate": Decimal("0.0007")}, "daily_rate", RateCapExceededError),  # 25.55%
        ({"daily_rate": Decimal("0.0006")}, "daily_rate", RateCapExceededError),  # EAR 24.5%
        ({"daily_rate": Decimal("0.000123456")}, "daily_rate", InvalidInputError),
        ({"daily_rate": Decimal("0")}, "daily_rate", InvalidInputError),
        ({"limit": yuan("0")}, "limit", InvalidInputError),
        ({"limit": yuan("10000000.01")}, "limit", InvalidInputError),  # above 10 million yuan
        ({"limit": yuan("4999999999996.67")}, "limit", InvalidInputError),
        ({"mode": RepaymentMode.SALES}, "sales_share", InvalidInputError),
        ({"sales_share": Decimal("0.1")}, "sales_share", InvalidInputError),
        (
            {"mode": RepaymentMode.SALES, "sales_share": Decimal("1.5")},
            "sales_share",
            InvalidInputError,
        ),
    ],
)
def test_unusable_terms_are_refused_naming_the_field(overrides, field, error):
    with pytest.raises(error) as refused:
        a_line(**overrides)
    assert refused.value.field == field


def test_the_largest_line_at_the_largest_rate_charges_a_night_exactly():
    """A line of 10 million yuan drawn whole at the highest daily rate under the cap: the
    night's interest is the principal times the rate, truncated to the fen, as written here."""
    line = a_line(limit=yuan("10000000"), daily_rate=Decimal("0.00058"))
    line = draw(line, 0, yuan("10000000"), OPENED, term_days=180).line
    line, _ = close_through(line, OPENED + timedelta(days=2))
    night = (Decimal(1_000_000_000) * Decimal("0.00058")).to_integral_value(rounding=ROUND_DOWN)
    assert line.interest_owed == 3 * int(night)


def test_the_disclosed_rates_of_a_daily_rate():
    t = terms(daily_rate=Decimal("0.0005"))
    assert t.nominal_annual == Decimal("0.1825")  # the PBOC's own example (DOMAIN §1.8)
    assert abs(t.effective_annual - Decimal("0.20016")) < Decimal("0.00001")


def test_a_draw_kept_to_maturity_costs_its_days_of_interest_at_the_stated_rate():
    statement = draw_statement(terms(minimum_share=Decimal(0)), yuan("10000"), OPENED, term_days=90)
    path = statement.expected
    assert path.interest == 90 * 350 and statement.prepayment_fee == 0
    assert path.repaid_on == OPENED + timedelta(days=90)
    # independently: one payment after 90 days → daily IRR = (1 + I/P)^(1/90) − 1
    daily = (1 + 31500 / 1000000) ** (1 / 90) - 1
    assert abs(float(path.annualized) - daily * 365) < 1e-9
    assert abs(float(path.effective) - ((1 + 31500 / 1000000) ** (365 / 90) - 1)) < 1e-9
    assert path.annualized < statement.nominal_annual < statement.cap


def _daily_irr(flows: dict[int, int]) -> float:
    """This test's own IRR of flows by day (the draw on day 0), by bisection."""
    low, high = 0.0, 0.01
    for _ in range(200):
        mid = (low + high) / 2
        value = sum(f / (1 + mid) ** t for t, f in flows.items())
        low, high = (mid, high) if value > 0 else (low, mid)
    return low


def test_a_minimum_lines_draw_states_the_slowest_path_its_contract_allows():
    """Kept whole to maturity, 10,000.00 at 0.055 % a day for 180 days breaches the 60-day
    periods' minimums, yet the statement used to state that path (19.15 % a year). It now
    states what the line itself charges when each period's minimum is repaid on its last day
    and the rest at maturity, at this test's own IRR of those flows (19.74 %)."""
    rate, maturity = Decimal("0.00055"), OPENED + timedelta(days=180)
    line = draw(a_line(daily_rate=rate), 0, yuan("10000"), OPENED, term_days=180).line
    paid: dict[int, int] = {0: -1_000_000}
    x = OPENED
    while x <= maturity:
        period = next(p for p in line.periods if p.start <= x <= p.end)
        pay = line.owed if x == maturity else period.minimum - period.repaid
        if x == maturity or x == period.end:
            line = repay(line, Money(pay), x).line
            paid[(x - OPENED).days] = pay
        if x < maturity:
            line, _ = close_through(line, x)
        x += timedelta(days=1)
    assert sorted(paid) == [0, 59, 119, 179, 180] and line.owed == 0
    statement = draw_statement(line.terms, yuan("10000"), OPENED, term_days=180)
    path = statement.expected
    assert {(r.on - OPENED).days: r.total for r in path.repayments} == {
        t: f for t, f in paid.items() if t
    }
    assert "minimum" in path.basis
    assert abs(float(path.annualized) - _daily_irr(paid) * 365) < 1e-9
    whole = _daily_irr({0: -1_000_000, 180: 1_000_000 + 180 * 550})
    assert path.annualized > Decimal(repr(whole * 365)) + Decimal("0.005")


def test_a_sales_linked_draw_states_an_expected_path_and_checks_a_slow_one():
    t = terms(mode=RepaymentMode.SALES, sales_share=Decimal("0.1"), daily_rate=Decimal("0.0005"))
    statement = draw_statement(
        t, yuan("10000"), OPENED, term_days=180, expected_daily_sales=yuan("2000")
    )
    fast, slow = statement.expected, statement.slow
    assert slow is not None
    assert "2000.00 a day" in fast.basis and "500.00 a day" in slow.basis
    assert fast.repaid_on < slow.repaid_on <= OPENED + timedelta(days=180)
    assert fast.interest < slow.interest
    # with daily interest, slower repayment costs more in total but not more per year
    assert abs(fast.annualized - slow.annualized) < Decimal("0.001")
    assert max(slow.annualized, slow.effective) <= t.cap
    total = sum(r.total for r in fast.repayments)
    assert total == 1000000 + fast.interest
    assert all(r.total == 20000 for r in fast.repayments[:-1])
    with pytest.raises(InvalidInputError) as missing:
        draw_statement(t, yuan("10000"), OPENED, term_days=180)
    assert missing.value.field == "expected_daily_sales"


def test_a_small_balance_is_never_charged_above_the_rate_it_was_checked_against():
    """At 0.05% a day (18.25% a year), 10.00 earns half a fen a night: rounded half up that
    was a fen a night, 36.5% a year — above the 24% cap the rate was checked against. A
    night's interest is truncated: over 60 nights it is at most principal × rate × nights,
    and a 10.00 draw's cost statement is under the cap."""
    rate = Decimal("0.0005")
    line = draw(a_line(daily_rate=rate), 0, yuan("20"), OPENED, term_days=90).line
    line = repay(line, yuan("10"), OPENED).line
    closed, _ = close_through(line, OPENED + timedelta(days=59))
    (only,) = closed.draws
    assert only.principal_outstanding == 1000
    assert only.interest_accrued <= Decimal(1000) * rate * 60
    assert only.interest_accrued == oracle_interest(1000, rate, {}, OPENED, OPENED + timedelta(59))
    small = draw(a_line(daily_rate=rate), 0, yuan("10"), OPENED, term_days=90)
    assert small.line.drawn == 1000
    statement = draw_statement(small.line.terms, yuan("10"), OPENED, term_days=90)
    assert statement.expected.interest <= Decimal(1000) * rate * 90


def test_a_draw_on_a_periods_last_day_adds_its_share_for_one_night_not_a_tenth_of_itself():
    """10,000.00 drawn on the last day of the first 60-day period, nothing repaid: that
    period asks a tenth of it for one night of sixty (16.67, half up), not 1,000.00 by that
    night; the next period asks its tenth of all principal, as of every draw held then."""
    line = a_line()
    first = line.periods[0]
    line, _ = close_through(line, first.end - timedelta(days=1))
    line = draw(line, 1, yuan("10000"), first.end, term_days=180).line
    line, _ = close_through(line, first.end)
    ended, following = line.periods[0], line.periods[1]
    assert ended.minimum == 1_667  # 1,000,000 × 0.1 / 60 = 1,666.67
    assert ended.status is PeriodStatus.BREACH and line.shortfalls[0].amount == 1_667
    assert following.minimum == 100_000


def test_a_draw_within_a_period_adds_its_share_for_the_days_it_is_held():
    line = a_line()
    first = line.periods[0]
    on = first.start + timedelta(days=15)  # held 45 of the period's 60 days
    line = draw(line, 1, yuan("3000.01"), on, term_days=90).line
    assert line.periods[0].minimum == 22_500  # 300,001 × 0.1 × 45 / 60 = 22,500.075, half up
