"""Behaviour features (行为特征) of a credit line at a review date: one definition.

The input is the **line-month table**: one row per credit line per snapshot, taken at each
month-end by close of business and on each review date. The same table comes from the live
book (``thinfile.store.limits_repo`` writes it, ``export_line_months`` reads it back) and from
a synthetic performance table (:func:`line_months_from_performance`), so the features a limit
review reads in SQL and the features a behaviour model trains on are the same numbers.

| column | type | meaning |
|---|---|---|
| ``line_id`` | int or str | the line (a synthetic table: the loan) |
| ``day`` | int64 | the snapshot's day number (days since 1970-01-01) |
| ``month_end`` | int64 | 1 for a month-end snapshot, 0 for one taken on a review date |
| ``opened_day`` | int64 | the day the line was opened |
| ``limit_amount`` | int64 | the line's limit at the snapshot, fen |
| ``balance`` | int64 | principal its draws owe at the snapshot, fen |
| ``days_past_due`` | int64 | the worst days past due of its draws at the snapshot |
| ``worst_dpd`` | int64 | the worst days past due seen since the start of the snapshot's month |
| ``amount_due`` | int64 | installments falling due from the start of the month to the snapshot |
| ``amount_paid`` | int64 | repayments and prepayments in force over the same days |
| ``drawn`` | int64 | principal drawn over the same days |
| ``prepaid`` | int64 | the prepayments among ``amount_paid`` |

**The features at review day ``d``** read the line's snapshot taken on ``d`` (the line has no
features without one) and its month-end snapshots in the year before (``d − 365 < day < d``):

- ``months_on_book`` = (d − opened_day) // 30; ``months_observed`` = the snapshots read;
- ``current_dpd`` (at ``d``); ``worst_dpd_12m`` = the largest ``worst_dpd``;
- ``delinquent_months_3m/6m/12m`` = snapshots with ``worst_dpd`` > 0 taken after d − 92,
  d − 183, d − 365;
- ``on_time_share_bps`` = snapshots with something due and ``worst_dpd`` 0, per 10,000 of the
  snapshots with something due; ``payment_to_due_bps`` = Σ paid × 10,000 // Σ due;
- ``utilization_bps`` = balance × 10,000 // limit at ``d``; ``utilization_avg_bps`` =
  Σ balance × 10,000 // Σ limit over the snapshots read;
- ``drawn_12m``, ``repaid_12m``, ``prepaid_12m``: sums (fen).

Every ratio is whole basis points by integer division (``None`` when nothing divides), so
SQL and pandas agree to the unit. The aggregation has two forms (SQL on the database,
:func:`behaviour_sums` on a table); :meth:`BehaviourFeatures.from_sums` finishes both.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from decimal import Decimal

import numpy as np
import pandas as pd

from thinfile.errors import DataContractError

__all__ = [
    "LINE_MONTH_COLUMNS",
    "SUM_COLUMNS",
    "WINDOW_DAYS",
    "BehaviourFeatures",
    "behaviour_features",
    "behaviour_sums",
    "feature_columns",
    "line_months_from_performance",
]

WINDOW_DAYS: dict[str, int] = {"3m": 92, "6m": 183, "12m": 365}
"""How far back each delinquency window reaches, in days before the review day."""
BPS = 10_000
MONTH_DAYS = 30

LINE_MONTH_COLUMNS: tuple[str, ...] = (
    "line_id",
    "day",
    "month_end",
    "opened_day",
    "limit_amount",
    "balance",
    "days_past_due",
    "worst_dpd",
    "amount_due",
    "amount_paid",
    "drawn",
    "prepaid",
)
SUM_COLUMNS: tuple[str, ...] = (
    "line_id",
    "opened_day",
    "months_observed",
    "due_months",
    "on_time_months",
    "worst_dpd_12m",
    "current_dpd",
    "delinquent_3m",
    "delinquent_6m",
    "delinquent_12m",
    "limit_fen",
    "balance_fen",
    "balance_sum",
    "limit_sum",
    "due_sum",
    "paid_sum",
    "drawn_sum",
    "prepaid_sum",
)
"""The integer aggregates both forms compute per line (what the SQL selects, by name)."""


def _ratio(numerator: int, denominator: int) -> int | None:
    return None if denominator <= 0 else numerator * BPS // denominator


@dataclass(frozen=True, slots=True)
class BehaviourFeatures:
    """A line's behaviour at a review day: counts, days, fen and basis points (never floats)."""

    line_id: int | str
    months_on_book: int
    months_observed: int
    current_dpd: int
    worst_dpd_12m: int
    delinquent_months_3m: int
    delinquent_months_6m: int
    delinquent_months_12m: int
    on_time_share_bps: int | None
    utilization_bps: int | None
    utilization_avg_bps: int | None
    payment_to_due_bps: int | None
    drawn_12m: int
    repaid_12m: int
    prepaid_12m: int
    limit_fen: int
    balance_fen: int

    @classmethod
    def from_sums(cls, sums: Mapping[str, object], on_day: int) -> BehaviourFeatures:
        """The features from one line's aggregates (:data:`SUM_COLUMNS`) at ``on_day``."""
        s = {k: _whole(sums[k]) for k in SUM_COLUMNS if k != "line_id"}
        line = sums["line_id"]
        return cls(
            line_id=line if isinstance(line, str) else _whole(line),
            months_on_book=max(0, on_day - s["opened_day"]) // MONTH_DAYS,
            months_observed=s["months_observed"],
            current_dpd=s["current_dpd"],
            worst_dpd_12m=s["worst_dpd_12m"],
            delinquent_months_3m=s["delinquent_3m"],
            delinquent_months_6m=s["delinquent_6m"],
            delinquent_months_12m=s["delinquent_12m"],
            on_time_share_bps=_ratio(s["on_time_months"], s["due_months"]),
            utilization_bps=_ratio(s["balance_fen"], s["limit_fen"]),
            utilization_avg_bps=_ratio(s["balance_sum"], s["limit_sum"]),
            payment_to_due_bps=_ratio(s["paid_sum"], s["due_sum"]),
            drawn_12m=s["drawn_sum"],
            repaid_12m=s["paid_sum"],
            prepaid_12m=s["prepaid_sum"],
            limit_fen=s["limit_fen"],
            balance_fen=s["balance_fen"],
        )

    def as_context(self) -> dict[str, int | None]:
        """The features as the limit policy's graph reads them (``behaviour.*``)."""
        return {name: getattr(self, name) for name in _FEATURE_NAMES}


_FEATURE_NAMES = tuple(f.name for f in fields(BehaviourFeatures) if f.name != "line_id")
_RATIOS = {
    "on_time_share_bps": ("on_time_months", "due_months"),
    "utilization_bps": ("balance_fen", "limit_fen"),
    "utilization_avg_bps": ("balance_sum", "limit_sum"),
    "payment_to_due_bps": ("paid_sum", "due_sum"),
}
_COPIED = {
    "months_observed": "months_observed",
    "current_dpd": "current_dpd",
    "worst_dpd_12m": "worst_dpd_12m",
    "delinquent_months_3m": "delinquent_3m",
    "delinquent_months_6m": "delinquent_6m",
    "delinquent_months_12m": "delinquent_12m",
    "drawn_12m": "drawn_sum",
    "repaid_12m": "paid_sum",
    "prepaid_12m": "prepaid_sum",
    "limit_fen": "limit_fen",
    "balance_fen": "balance_fen",
}


def feature_columns(
    sums: Mapping[str, np.ndarray], on_day: int
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """:meth:`BehaviourFeatures.from_sums` of many lines at once: the aggregates of
    :data:`SUM_COLUMNS` as int64 arrays (0 for a missing sum, as ``from_sums`` reads None) to
    each feature's int64 array and its mask (False where the feature is None), in the order
    of :meth:`BehaviourFeatures.as_context`. Whole basis points by floor division, as there;
    a numerator too large for int64 is divided as Python integers."""
    values: dict[str, np.ndarray] = {}
    known: dict[str, np.ndarray] = {}
    for name in _FEATURE_NAMES:
        if name == "months_on_book":
            value = np.maximum(0, on_day - sums["opened_day"]) // MONTH_DAYS
            values[name], known[name] = value, np.ones(len(value), dtype=np.bool_)
        elif name in _RATIOS:
            top, bottom = (sums[c] for c in _RATIOS[name])
            values[name], known[name] = _ratio_column(top, bottom)
        else:
            values[name] = sums[_COPIED[name]]
            known[name] = np.ones(len(values[name]), dtype=np.bool_)
    return values, known


def _ratio_column(top: np.ndarray, bottom: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    known = bottom > 0
    divisor = np.where(known, bottom, 1)
    if len(top) and int(np.abs(top).max()) > np.iinfo(np.int64).max // BPS:
        exact = top.astype(object) * BPS // divisor.astype(object)  # Python integers
        return np.where(known, exact, 0).astype(np.int64), known
    return np.where(known, top * BPS // divisor, 0), known


def _whole(value: object) -> int:
    if value is None:
        return 0
    if type(value) is int:
        return value
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, Decimal) and value == value.to_integral_value():
        return int(value)  # PostgreSQL sums bigint columns as numeric
    raise DataContractError(f"expected a whole number, got {value!r}", field="behaviour")


def _check(frame: pd.DataFrame) -> pd.DataFrame:
    missing = [c for c in LINE_MONTH_COLUMNS if c not in frame.columns]
    if missing:
        raise DataContractError(
            f"the line-month table lacks {', '.join(missing)}",
            field="line_months",
            value=", ".join(missing),
            remedy="export it from the book or build it with line_months_from_performance",
        )
    table = frame[list(LINE_MONTH_COLUMNS)].copy()
    for column in LINE_MONTH_COLUMNS[1:]:
        if not pd.api.types.is_integer_dtype(table[column]) and not table.empty:
            raise DataContractError(
                f"the line-month column {column} must hold whole numbers", field=column
            )
        table[column] = table[column].astype(np.int64)
    return table


def behaviour_sums(frame: pd.DataFrame, on_day: int) -> pd.DataFrame:
    """The aggregates of :data:`SUM_COLUMNS` per line with a snapshot on ``on_day`` (pandas
    form of the SQL in ``thinfile.store.limits_repo``), one row per line, sorted by line."""
    t = _check(frame)
    d = int(on_day)
    read = (t["day"] > d - WINDOW_DAYS["12m"]) & (t["day"] <= d)
    t = t[read & ((t["month_end"] == 1) | (t["day"] == d))]
    at = t["day"] == d
    late = t["worst_dpd"] > 0
    due = t["amount_due"] > 0
    parts = pd.DataFrame(
        {
            "line_id": t["line_id"],
            "has_today": at.astype(np.int64),
            "opened_day": t["opened_day"],
            "months_observed": np.int64(1),
            "due_months": due.astype(np.int64),
            "on_time_months": (due & ~late).astype(np.int64),
            "worst_dpd_12m": t["worst_dpd"],
            "current_dpd": t["days_past_due"].where(at, 0),
            "delinquent_3m": (late & (t["day"] > d - WINDOW_DAYS["3m"])).astype(np.int64),
            "delinquent_6m": (late & (t["day"] > d - WINDOW_DAYS["6m"])).astype(np.int64),
            "delinquent_12m": late.astype(np.int64),
            "limit_fen": t["limit_amount"].where(at, 0),
            "balance_fen": t["balance"].where(at, 0),
            "balance_sum": t["balance"],
            "limit_sum": t["limit_amount"],
            "due_sum": t["amount_due"],
            "paid_sum": t["amount_paid"],
            "drawn_sum": t["drawn"],
            "prepaid_sum": t["prepaid"],
        }
    )
    largest = {"has_today", "opened_day", "worst_dpd_12m", "current_dpd", "limit_fen"}
    largest |= {"balance_fen"}
    how = {c: ("max" if c in largest else "sum") for c in parts.columns if c != "line_id"}
    grouped = parts.groupby("line_id", sort=True).agg(how).reset_index()
    grouped = grouped[grouped["has_today"] == 1]
    return grouped[list(SUM_COLUMNS)].reset_index(drop=True)


def behaviour_features(frame: pd.DataFrame, on_day: int) -> list[BehaviourFeatures]:
    """The features of every line with a snapshot on ``on_day``, sorted by line."""
    sums = behaviour_sums(frame, on_day)
    rows: list[dict[str, object]] = sums.to_dict(orient="records")  # type: ignore[assignment]
    return [BehaviourFeatures.from_sums(row, on_day) for row in rows]


def line_months_from_performance(performance: pd.DataFrame) -> pd.DataFrame:
    """A synthetic performance table (``thinfile synth performance``) as line-month rows:
    each loan a line whose limit is the amount lent, opened on day 0, its month ``k`` a
    month-end snapshot on day 30·k; ``drawn`` is the amount lent in month 1, ``prepaid`` what
    a prepaying month paid. Review day 30·k then reads the loan's first ``k`` months."""
    p = performance
    month = p["month"].astype(np.int64)
    paid = p["amount_paid"].astype(np.int64)
    principal = p["principal"].astype(np.int64)
    dpd = p["days_past_due"].astype(np.int64)
    return pd.DataFrame(
        {
            "line_id": p["loan_id"].astype(str),
            "day": month * MONTH_DAYS,
            "month_end": np.int64(1),
            "opened_day": np.int64(0),
            "limit_amount": principal,
            "balance": p["balance"].astype(np.int64),
            "days_past_due": dpd,
            "worst_dpd": dpd,
            "amount_due": p["amount_due"].astype(np.int64),
            "amount_paid": paid,
            "drawn": principal.where(month == 1, 0),
            "prepaid": paid.where(p["status"] == "prepaid", 0),
        },
        columns=list(LINE_MONTH_COLUMNS),
    )
