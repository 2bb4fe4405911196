"""A working-capital monthly statement's ``minimum_due``: what a borrower must repay, the day
after the statement, to leave nothing past due and meet the running period's minimum.

Expected figures are worked out here in integer fen: the default terms (10% minimum, 60-day
periods, shortfalls due 10 days after a breach), a daily rate of 0.035% = 35 / 100,000, each
night's interest on the principal then drawn truncated to the fen."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from decimal import Decimal

from thinfile.money import Money
from thinfile.servicing.wc_monthly import LineEvent, MonthlyStatement, month_statement
from thinfile.servicing.working_capital import (
    WorkingCapitalLine,
    WorkingCapitalTerms,
    close_day,
    draw,
    open_line,
    repay,
)

RATE = Decimal("0.00035")


def night(principal: int) -> int:
    """A night's interest in fen: principal × 35 / 100,000, truncated."""
    return principal * 35 // 100_000


def serviced(
    opened: date,
    events: Iterable[LineEvent],
    last: date,
    *,
    minimum_share: Decimal = Decimal("0.1"),
) -> tuple[WorkingCapitalLine, list[LineEvent]]:
    """The line opened on ``opened``, its postings booked each day before that day's close,
    closed through ``last``."""
    terms = WorkingCapitalTerms(Money.of("50000"), RATE, minimum_share=minimum_share)
    line = open_line(1, "shop-1", terms, opened)
    booked = sorted(events, key=lambda e: e.on)
    x = opened
    while x <= last:
        for e in (e for e in booked if e.on == x):
            money = Money(e.amount, line.currency)
            if e.kind == "draw":
                assert e.draw_id is not None and e.term_days is not None
                line = draw(line, e.draw_id, money, x, term_days=e.term_days).line
            else:
                line = repay(line, money, x).line
        line = close_day(line, x).line
        x += timedelta(days=1)
    return line, booked


def statement(
    opened: date, events: Iterable[LineEvent], last: date, **kw: Decimal
) -> MonthlyStatement:
    line, booked = serviced(opened, events, last, **kw)
    return month_statement(line, booked, last)


def test_a_period_ending_on_the_statement_day_counts_its_shortfall_once():
    # Period 1 runs 2028-02-01 .. 2028-03-31 (60 days); its minimum is 10% of 10,000.00 held
    # the whole period; 300.00 repaid leaves 700.00 unmet, a shortfall installment at the
    # period's close on 03-31 — the same 700.00, not 700.00 twice.
    opened = date(2028, 2, 1)
    events = [
        LineEvent("draw", opened, 1_000_000, 7, 180),
        LineEvent("repayment", date(2028, 3, 1), 30_000),
    ]
    minimum = 1_000_000 * 10 // 100
    assert minimum == 100_000
    unmet = minimum - 30_000

    day_before = statement(opened, events, date(2028, 3, 30))
    assert day_before.minimum_due == unmet

    on_the_end = statement(opened, events, date(2028, 3, 31))
    assert (on_the_end.through, on_the_end.complete) == (date(2028, 3, 31), True)
    assert [s.unpaid for s in on_the_end.shortfalls] == [unmet]
    assert on_the_end.minimum_due == unmet == 70_000


def test_a_draw_maturing_by_the_statement_day_is_due_in_full():
    # A 90-day draw of 10,000.00 on 2028-01-01 matures on 2028-03-31. 1,000.00 repaid on
    # 02-01 meets period 1 (01-01 .. 02-29) and pays the 31 nights of January first.
    opened = date(2028, 1, 1)
    events = [
        LineEvent("draw", opened, 1_000_000, 1, 90),
        LineEvent("repayment", date(2028, 2, 1), 100_000),
    ]
    january = 31 * night(1_000_000)
    assert january == 10_850
    principal = 1_000_000 - (100_000 - january)
    assert principal == 910_850
    owed = principal + 60 * night(principal)  # the nights of 02-01 .. 03-31
    assert owed == 929_930

    line, booked = serviced(opened, events, date(2028, 3, 31))
    march = month_statement(line, booked, date(2028, 3, 1))
    assert march.minimum_due == owed  # not period 2's minimum of 910.85 alone
    assert march.matured == owed

    # Paying it the next day leaves nothing past due that night.
    paid = repay(line, Money(march.minimum_due, line.currency), date(2028, 4, 1)).line
    after = close_day(paid, date(2028, 4, 1)).line
    assert after.overdue_since is None and after.owed == 0


def test_a_draw_past_its_maturity_is_asked_in_full():
    # As the review found it: 910.85 (period 2's minimum) paid on 04-01, a day after the draw
    # matured, pays the draw's interest then principal; the April statement must ask all the
    # draw still owes, not period 3's minimum of 838.85 while the line is 30 days past due.
    opened = date(2028, 1, 1)
    principal = 1_000_000 - (100_000 - 31 * night(1_000_000))
    march_interest = 60 * night(principal)
    assert march_interest == 19_080
    paid = 91_085  # 10% of 910,850 fen, half up
    principal -= paid - march_interest
    assert principal == 838_845
    owed = principal + 30 * night(principal)  # the nights of 04-01 .. 04-30
    assert owed == 847_635
    events = [
        LineEvent("draw", opened, 1_000_000, 1, 90),
        LineEvent("repayment", date(2028, 2, 1), 100_000),
        LineEvent("repayment", date(2028, 4, 1), paid),
    ]
    line, booked = serviced(opened, events, date(2028, 4, 30))
    assert line.overdue_since == date(2028, 3, 31)
    april = month_statement(line, booked, date(2028, 4, 1))
    assert april.closing_owed == owed
    assert april.minimum_due == owed


def test_matured_money_and_the_minimums_are_not_counted_twice():
    # Nothing repaid: period 1 (01-01 .. 02-29) breached by 1,000.00 (due 03-10), period 2
    # (03-01 .. 04-29) asks 1,000.00 more, and a 90-day draw of 10,000.00 matured on 03-31
    # owes all its principal and 91 nights of interest. One repayment of what the draw owes
    # meets all three: the shortfall and period minimum are not added on top.
    opened = date(2028, 1, 1)
    owed = 1_000_000 + 91 * night(1_000_000)
    assert owed == 1_031_850
    one_draw = statement(opened, [LineEvent("draw", opened, 1_000_000, 1, 90)], date(2028, 3, 31))
    assert [s.unpaid for s in one_draw.shortfalls] == [100_000]
    assert one_draw.minimum_due == owed

    # A 1,000.00 draw matured beside a 9,000.00 one running to 180 days: the two minimums
    # (2 × 10% of 10,000.00) are more than the matured draw's 1,000.00 and 91 nights of
    # 0.35 — they are what is due.
    two_draws = statement(
        opened,
        [
            LineEvent("draw", opened, 100_000, 1, 90),
            LineEvent("draw", opened, 900_000, 2, 180),
        ],
        date(2028, 3, 31),
    )
    matured = 100_000 + 91 * night(100_000)
    assert two_draws.minimum_due == 2 * 100_000
    assert two_draws.matured == matured == 103_185


def test_minimum_due_never_asks_more_than_is_owed():
    # With a 50% minimum, three breached 60-day periods leave shortfalls of 500.00 each on a
    # 1,000.00 draw owing 1,063.00 (180 nights of 0.35). Paid off on 06-29 (the first day of
    # period 4), the line owes nothing: nothing is due, whatever the shortfalls still show.
    opened = date(2028, 1, 1)
    payoff_day = opened + timedelta(days=180)
    payoff = 100_000 + 180 * night(100_000)
    assert payoff == 106_300
    s = statement(
        opened,
        [
            LineEvent("draw", opened, 100_000, 1, 180),
            LineEvent("repayment", payoff_day, payoff),
        ],
        date(2028, 6, 30),
        minimum_share=Decimal("0.5"),
    )
    assert s.closing_owed == 0
    assert s.minimum_due == 0
