"""Sales features against figures worked out by hand (the arithmetic is in each test)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from thinfile.errors import InvalidInputError
from thinfile.scoring.sales import sales_features
from thinfile.scoring.sales_feed import DailySales

ON = date(2026, 3, 2)  # a Monday


def day(k: int) -> date:
    """The k-th day before ON (1 is the day before)."""
    return ON - timedelta(days=k)


def flat(days: int, gross: int = 10_500, refunds: int = 500, count: int = 5) -> list[DailySales]:
    return [DailySales(day(k), "qr", gross, refunds, count) for k in range(1, days + 1)]


def test_steady_sales_every_day_for_120_days():
    f = sales_features(flat(120), ON)
    assert (f.history_days, f.window_days) == (120, 90)
    assert f.turnover_window_fen == 90 * 10_000
    assert f.monthly_turnover_fen == 300_000  # 900,000 × 30 ÷ 90
    assert (f.last_30_fen, f.prior_90_fen, f.prior_days) == (300_000, 900_000, 90)
    assert f.recent_to_prior_bps == 10_000  # the same daily average
    assert f.trend_bps == 0 and f.volatility_bps == 0
    assert f.zero_sales_days == 0
    assert f.refund_bps == 476  # 500 ÷ 10,500 = 0.047619…
    assert f.transactions_monthly == 150  # 5 a day × 30
    assert f.average_ticket_fen == 2_100  # 10,500 ÷ 5
    assert f.days_since_last_sale == 1


def test_a_short_history_levels_to_a_month_and_says_nothing_of_shape():
    f = sales_features(flat(10, gross=2_000, refunds=0, count=1), ON)
    assert (f.history_days, f.window_days) == (10, 10)
    assert f.monthly_turnover_fen == 60_000  # 20,000 × 30 ÷ 10
    assert f.prior_days == 0 and f.recent_to_prior_bps is None
    assert f.trend_bps is None and f.volatility_bps is None


def test_a_rising_line_has_the_trend_its_slope_gives():
    # Net on window day d (0 = oldest of 90) is 1,000 + 10·d fen: slope 10 fen a day, mean
    # 1,000 + 10 × 44.5 = 1,445; a month of slope is 300 fen = 0.20761… of the mean.
    rows = [DailySales(day(90 - d), "card", 1_000 + 10 * d, 0, 1) for d in range(90)]
    f = sales_features(rows, ON)
    assert f.trend_bps == 2_076


def test_a_falling_line_has_a_negative_trend_truncated_toward_zero():
    rows = [DailySales(day(90 - d), "card", 1_890 - 10 * d, 0, 1) for d in range(90)]
    f = sales_features(rows, ON)  # slope −10, mean 1,890 − 445 = 1,445
    assert f.trend_bps == -2_076


def test_a_weekly_rhythm_is_no_volatility():
    # Saturdays and Sundays sell three times a weekday, for 12 weeks: the raw day-to-day
    # spread is large, but divided by each weekday's factor every day is the same.
    rows = [
        DailySales(day(k), "qr", 30_000 if day(k).weekday() >= 5 else 10_000, 0, 3)
        for k in range(1, 85)
    ]
    f = sales_features(rows, ON)
    assert f.window_days == 84
    assert f.volatility_bps == 0


def test_volatility_of_one_unusual_monday():
    # 28 days of 100 yuan, but one Monday sold 200. Overall mean 2,900/28; Monday's mean 125,
    # so Monday's factor is 125 ÷ (2,900/28) and the others' 100 ÷ (2,900/28). Adjusted, the
    # 24 other days are 2,900/28 = 103.5714; the Mondays 82.857 (three) and 165.714 (one).
    # Variance = (3 × 20.714² + 62.143²) ÷ 28 = 183.89; sd 13.561; ÷ 103.5714 = 0.13093.
    rows = [DailySales(day(k), "qr", 10_000, 0, 1) for k in range(1, 29)]
    rows[6] = DailySales(day(7), "qr", 20_000, 0, 2)  # day(7) is a Monday
    assert day(7).weekday() == 0
    f = sales_features(rows, ON)
    assert f.volatility_bps == 1_309


def test_a_weekly_closing_day_counts_as_days_without_sales_not_as_volatility():
    rows = [DailySales(day(k), "qr", 10_000, 0, 1) for k in range(1, 29) if day(k).weekday() != 6]
    f = sales_features(rows, ON)
    assert f.history_days == 28  # the first day is a Monday, 28 days before ON
    assert f.zero_sales_days == 4
    assert f.volatility_bps == 0
    assert f.monthly_turnover_fen == 24 * 10_000 * 30 // 28


def test_collapsing_sales_show_in_the_recent_to_prior_ratio():
    rows = [DailySales(day(k), "qr", 4_000 if k <= 30 else 10_000, 0, 1) for k in range(1, 121)]
    f = sales_features(rows, ON)
    assert (f.last_30_fen, f.prior_90_fen) == (120_000, 900_000)
    assert f.recent_to_prior_bps == 4_000  # 4,000 a day against 10,000 a day


def test_the_prior_average_counts_only_the_days_inside_the_history():
    rows = flat(60, gross=10_000, refunds=0, count=1)  # 30 prior days, 30 recent days
    f = sales_features(rows, ON)
    assert f.prior_days == 30
    assert f.recent_to_prior_bps == 10_000


def test_channels_of_a_day_add_up_and_refunds_are_netted():
    rows = [
        DailySales(day(1), "qr", 7_000, 1_000, 3),
        DailySales(day(1), "card", 3_000, 0, 1),
        DailySales(day(2), "cash", 0, 0, 0),
    ]
    f = sales_features(rows, ON)
    assert f.turnover_window_fen == 9_000
    assert f.zero_sales_days == 1  # day 2 sold nothing
    assert f.refund_bps == 1_000  # 1,000 ÷ 10,000
    assert f.average_ticket_fen == 2_500  # 10,000 ÷ 4


def test_the_decision_day_and_later_days_are_not_read():
    rows = [*flat(30), DailySales(ON, "qr", 99999900, 0, 1)]
    assert sales_features(rows, ON) == sales_features(flat(30), ON)


def test_a_first_day_older_than_the_rows_read_lengthens_the_history_only():
    f = sales_features(flat(120), ON, first_day=ON - timedelta(days=400))
    assert f.history_days == 400
    assert f.monthly_turnover_fen == 300_000


def test_no_sales_at_all():
    f = sales_features([], ON)
    assert (f.history_days, f.window_days, f.monthly_turnover_fen) == (0, 0, 0)
    assert f.days_since_last_sale is None


def test_a_stopped_business_counts_the_days_since_its_last_sale():
    rows = [DailySales(day(k), "qr", 10_000, 0, 1) for k in range(40, 100)]
    f = sales_features(rows, ON)
    assert f.days_since_last_sale == 40
    assert f.zero_sales_days == 39
    assert f.last_30_fen == 0


def test_a_window_too_short_for_a_weekly_rhythm_is_refused():
    with pytest.raises(InvalidInputError) as caught:
        sales_features(flat(10), ON, window_days=7)
    assert caught.value.field == "window_days"
