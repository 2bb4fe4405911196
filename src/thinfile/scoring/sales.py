"""Sales features (经营流水特征) of a business on a decision day: one definition.

The input is the business's feed (:class:`~thinfile.scoring.sales_feed.DailySales`, one row per
day and channel). The features on day ``on`` read the **window**: the ``window_days`` (90)
days before ``on`` — ``on`` itself, a day not yet over, is never read — cut to the days since
the first row of the feed. Each day's **net sales** are its gross sales less its refunds, over
every channel; a day with no row sold nothing.

- ``history_days`` = days from the feed's first day to ``on`` (0 without rows);
  ``window_days`` = the days the window holds after the cut (at most 90);
- ``turnover_window_fen`` = Σ net over the window; ``monthly_turnover_fen`` = that × 30 ÷
  ``window_days``, rounded down to the fen (the level: a 30-day month of net sales);
- ``last_30_fen`` = Σ net of the 30 days before ``on``; ``prior_90_fen`` = Σ net of the 90
  days before those (``prior_days`` of them inside the history); ``recent_to_prior_bps`` =
  the last 30 days' daily average per 10,000 of the prior days' daily average, or None with
  fewer than 30 prior days or no prior sales (a collapse shows as a low figure);
- ``trend_bps`` = the least-squares slope of daily net over the window (day 0, 1, …), times 30,
  per 10,000 of the window's mean daily net: the month-on-month growth the line implies
  (negative when sales fall); None with fewer than 28 window days or no sales;
- ``volatility_bps``: **day-of-week adjusted** coefficient of variation. Each weekday's factor
  is its mean net over the window divided by the window's mean; each day's net is divided by
  its weekday's factor (days of a weekday that never sells — a weekly closing day — are left
  out: closing every Sunday is a habit, not volatility); the figure is the population standard
  deviation of the adjusted days per 10,000 of their mean. A shop that sells twice as much
  every Saturday has 0; None with fewer than 28 window days or no sales;
- ``zero_sales_days`` = window days whose gross sales are 0 (or that have no row);
- ``refund_bps`` = Σ refunds × 10,000 ÷ Σ gross over the window (None without gross sales);
- ``transactions_monthly`` = Σ transactions × 30 ÷ ``window_days``; ``average_ticket_fen`` =
  Σ gross ÷ Σ transactions (the customers served and what each spends);
- ``days_since_last_sale`` = days from the last day with gross sales before ``on`` to ``on``.

Ratios are whole basis points truncated toward zero, computed with ``Decimal`` (28 digits), so
every figure is reproducible to the unit and can be checked by hand.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from decimal import ROUND_DOWN, Decimal

import pandas as pd

from thinfile.errors import DataContractError, InvalidInputError
from thinfile.money import Rounding, round_fen
from thinfile.scoring.sales_feed import DailySales

__all__ = [
    "MIN_SHAPE_DAYS",
    "READ_DAYS",
    "WINDOW_DAYS",
    "SalesFeatures",
    "daily_net",
    "sales_by_business",
    "sales_features",
]

WINDOW_DAYS = 90
RECENT_DAYS = 30
PRIOR_DAYS = 90
READ_DAYS = RECENT_DAYS + PRIOR_DAYS
"""The features read no day further back than this (besides the feed's first day)."""
MIN_SHAPE_DAYS = 28
"""Fewer window days than this say nothing about trend and volatility."""
_BPS = Decimal(10_000)
_ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class SalesFeatures:
    """A business's sales features on ``on`` (see the module's docstring)."""

    on: date
    history_days: int
    window_days: int
    turnover_window_fen: int
    monthly_turnover_fen: int
    last_30_fen: int
    prior_90_fen: int
    prior_days: int
    recent_to_prior_bps: int | None
    trend_bps: int | None
    volatility_bps: int | None
    zero_sales_days: int
    refund_bps: int | None
    transactions_monthly: int
    average_ticket_fen: int | None
    days_since_last_sale: int | None

    def as_context(self) -> dict[str, int | None]:
        """The features as numbers by name (the decision's input); ``on`` left out."""
        out: dict[str, int | None] = asdict(self)
        out.pop("on")
        return out


def daily_net(rows: Iterable[DailySales]) -> dict[date, tuple[int, int, int]]:
    """``day → (gross, refunds, transactions)`` over every channel of the day."""
    days: dict[date, tuple[int, int, int]] = {}
    for r in rows:
        g, f, t = days.get(r.day, (0, 0, 0))
        days[r.day] = (g + r.gross_fen, f + r.refunds_fen, t + r.transactions)
    return days


def _truncate(value: Decimal) -> int:
    return int(value.to_integral_value(rounding=ROUND_DOWN))


def sales_features(
    rows: Iterable[DailySales],
    on: date,
    *,
    window_days: int = WINDOW_DAYS,
    first_day: date | None = None,
) -> SalesFeatures:
    """The features of a feed on ``on`` (rows on or after ``on`` are not read).

    ``first_day`` is the feed's first day when ``rows`` hold only its last :data:`READ_DAYS`
    days (a store reads no more); by default the first of ``rows``."""
    if window_days < MIN_SHAPE_DAYS:
        raise InvalidInputError(
            f"the window must hold at least {MIN_SHAPE_DAYS} days",
            field="window_days",
            value=window_days,
        )
    days = {d: v for d, v in daily_net(rows).items() if d < on}
    starts = [d for d in (first_day, min(days, default=None)) if d is not None and d < on]
    if not starts:
        return SalesFeatures(on, 0, 0, 0, 0, 0, 0, 0, None, None, None, 0, None, 0, None, None)
    first = min(starts)
    history = (on - first).days
    window = [on - timedelta(days=k) for k in range(min(window_days, history), 0, -1)]
    nets = [days[d][0] - days[d][1] if d in days else 0 for d in window]
    gross = sum(days[d][0] for d in window if d in days)
    refunds = sum(days[d][1] for d in window if d in days)
    count = sum(days[d][2] for d in window if d in days)
    n = len(window)
    last_30 = _net_between(days, on - timedelta(days=RECENT_DAYS), on)
    prior_start = on - timedelta(days=RECENT_DAYS + PRIOR_DAYS)
    prior_90 = _net_between(days, prior_start, on - timedelta(days=RECENT_DAYS))
    prior_days = max(0, min(PRIOR_DAYS, history - RECENT_DAYS))
    sold = [d for d in days if days[d][0] > 0]
    return SalesFeatures(
        on=on,
        history_days=history,
        window_days=n,
        turnover_window_fen=sum(nets),
        monthly_turnover_fen=round_fen(Decimal(sum(nets) * 30) / n, Rounding.DOWN),
        last_30_fen=last_30,
        prior_90_fen=prior_90,
        prior_days=prior_days,
        recent_to_prior_bps=_recent_to_prior(last_30, prior_90, prior_days),
        trend_bps=_trend(nets),
        volatility_bps=_volatility(window, nets),
        zero_sales_days=sum(1 for d in window if d not in days or days[d][0] == 0),
        refund_bps=_truncate(Decimal(refunds) * _BPS / gross) if gross > 0 else None,
        transactions_monthly=count * 30 // n,
        average_ticket_fen=gross // count if count > 0 else None,
        days_since_last_sale=(on - max(sold)).days if sold else None,
    )


def _net_between(days: dict[date, tuple[int, int, int]], start: date, end: date) -> int:
    """Σ net of the days ``start`` ≤ d < ``end``."""
    return sum(g - f for d, (g, f, _t) in days.items() if start <= d < end)


def _recent_to_prior(last_30: int, prior_90: int, prior_days: int) -> int | None:
    if prior_days < RECENT_DAYS or prior_90 <= 0:
        return None
    return _truncate(Decimal(last_30) * prior_days * _BPS / (Decimal(prior_90) * RECENT_DAYS))


def _trend(nets: list[int]) -> int | None:
    n = len(nets)
    total = sum(nets)
    if n < MIN_SHAPE_DAYS or total <= 0:
        return None
    x_mean = Decimal(n - 1) / 2
    y_mean = Decimal(total) / n
    sxy = sum(((Decimal(x) - x_mean) * (y - y_mean) for x, y in enumerate(nets)), _ZERO)
    sxx = sum(((Decimal(x) - x_mean) ** 2 for x in range(n)), _ZERO)
    return _truncate(sxy / sxx * 30 * _BPS / y_mean)


def _volatility(window: list[date], nets: list[int]) -> int | None:
    n = len(nets)
    total = sum(nets)
    if n < MIN_SHAPE_DAYS or total <= 0:
        return None
    mean = Decimal(total) / n
    by_weekday: dict[int, list[int]] = {}
    for d, y in zip(window, nets, strict=True):
        by_weekday.setdefault(d.weekday(), []).append(y)
    factor = {w: Decimal(sum(v)) / len(v) / mean for w, v in by_weekday.items()}
    adjusted = [
        Decimal(y) / factor[d.weekday()]
        for d, y in zip(window, nets, strict=True)
        if factor[d.weekday()] > 0
    ]
    centre = sum(adjusted, _ZERO) / len(adjusted)
    variance = sum(((a - centre) ** 2 for a in adjusted), _ZERO) / len(adjusted)
    return _truncate(variance.sqrt() * _BPS / centre)


_FRAME_COLUMNS = ("applicant_id", "date", "channel", "gross_sales", "refunds", "transactions")


def sales_by_business(frame: pd.DataFrame) -> dict[str, list[DailySales]]:
    """A sales table (``thinfile.sim.sales``: amounts in fen, ``date`` a date or datetime)
    as each business's rows, by ``applicant_id``."""
    missing = [c for c in _FRAME_COLUMNS if c not in frame.columns]
    if missing:
        raise DataContractError(
            f"the sales table lacks {', '.join(missing)}", field="sales", value=missing
        )
    days = pd.to_datetime(frame["date"]).to_numpy().astype("datetime64[D]").tolist()
    out: dict[str, list[DailySales]] = {}
    for applicant, day, channel, gross, refunds, count in zip(
        frame["applicant_id"].astype(str).tolist(),
        days,
        frame["channel"].astype(str).tolist(),
        frame["gross_sales"].astype("int64").tolist(),
        frame["refunds"].astype("int64").tolist(),
        frame["transactions"].astype("int64").tolist(),
        strict=True,
    ):
        out.setdefault(applicant, []).append(DailySales(day, channel, gross, refunds, count))
    return out
