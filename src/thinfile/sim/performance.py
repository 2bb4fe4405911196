"""``simulate_performance``: month-by-month repayment of one loan per applicant.

Each applicant borrows ``requested_amount`` over ``requested_term_months`` as an equal-
installment loan (等额本息) priced from ``true_pd``. Every month a loan that is still open gets
one row, a snapshot taken after that month's due date:

- ``amount_due`` is this month's installment plus anything past due; ``amount_paid`` is what
  the borrower paid this month; payments cover the oldest installment first, interest before
  principal; ``balance`` is the principal still owed after the payment.
- ``days_past_due`` counts from the oldest unpaid due date: 1–29 with one installment missed,
  30–59 with two, 60–89 with three, 90 or more is a default (逾期90天以上).
- ``vintage`` is the origination month (``YYYY-MM``) and ``principal`` the amount lent (fen).
  With ``originations_over`` N > 1 the loans are spread over N consecutive vintages from
  ``first_vintage`` and the book is observed for ``months`` calendar months, so a loan
  originated k months after the first has ``months - k`` rows at most (later vintages are
  younger, as in a live book).
- ``status``: ``on_time`` (paid all that was due), ``late`` (paid nothing), ``partial``,
  ``prepaid`` (paid everything off early), ``closed`` (final installment paid) or ``default``.
  The last three end the loan: it has no later rows.

The outcome is tied to the applicants table: a loan defaults within its first 12 months
exactly when ``bad_12m`` is 1. Bad borrowers stop paying at a month drawn from a hazard that
rises then falls (often the month of an income shock), so they default three months later;
other borrowers miss payments and cure, and a few (in proportion to ``true_pd``) default after
month 12, so vintage curves rise, then flatten.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from thinfile.errors import DataContractError, InvalidInputError
from thinfile.sim.draws import Ints, Mask, streams
from thinfile.sim.identity import serial_ids
from thinfile.sim.installments import Schedules, build_schedules, price_monthly_bps
from thinfile.sim.segments import SEGMENTS

__all__ = [
    "DEFAULT_FIRST_VINTAGE",
    "MAX_MONTHS",
    "PERFORMANCE_COLUMNS",
    "STATUSES",
    "simulate_performance",
]

STATUSES: tuple[str, ...] = ("on_time", "late", "partial", "prepaid", "default", "closed")
ON_TIME, LATE, PARTIAL, PREPAID, DEFAULT, CLOSED = range(6)
PERFORMANCE_COLUMNS: tuple[str, ...] = (
    "applicant_id",
    "loan_id",
    "vintage",
    "segment",
    "month",
    "status",
    "days_past_due",
    "amount_due",
    "amount_paid",
    "balance",
    "principal",
    "income_shock",
    "annual_rate_bps",
)
REQUIRED_COLUMNS = (
    "applicant_id",
    "segment",
    "requested_amount",
    "requested_term_months",
    "true_pd",
    "bad_12m",
)
MAX_MONTHS = 120
DEFAULT_FIRST_VINTAGE = "2026-01"
"""The origination month of the first vintage: the month of the applicants' ``DEFAULT_AS_OF``."""
_VINTAGE = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
DEFAULT_DPD = 90
_FIRST_MISS_WEIGHTS = np.array([4, 7, 9, 9, 8, 7, 5, 4, 3], dtype=np.float64)
"""Relative hazard of a bad borrower's first missed installment in months 1–9."""


@dataclass(frozen=True, slots=True)
class Behaviour:
    """Monthly behaviour probabilities (the simulation's assumptions)."""

    miss_base: float = 0.005
    miss_per_pd: float = 0.30
    shock_multiplier: float = 4.0
    partial_per_miss: float = 0.35
    cure: float = 0.60
    partial_when_delinquent: float = 0.15
    prepay: float = 0.012
    late_default_per_pd: float = 0.25
    late_hazard: float = 0.15
    first_miss_on_shock: float = 0.6


@dataclass(frozen=True, slots=True)
class _Book:
    """Per-loan constants for the whole run."""

    schedules: Schedules
    term: Ints
    monthly_bps: Ints
    pd: np.ndarray
    first_miss: Ints
    shocks: Mask
    days_since_due: Ints


def simulate_performance(
    applicants: pd.DataFrame,
    *,
    months: int,
    seed: int,
    behaviour: Behaviour = Behaviour(),
    on_month: Callable[[int], None] | None = None,
    originations_over: int = 1,
    first_vintage: str = DEFAULT_FIRST_VINTAGE,
) -> pd.DataFrame:
    """Monthly repayment rows for one loan per applicant over ``months`` months on book.

    ``originations_over`` spreads the loans over that many monthly vintages from
    ``first_vintage`` (1, the default, originates every loan in ``first_vintage``).
    """
    _check(applicants, months, seed)
    first = _check_vintages(originations_over, first_vintage, months)
    rng = streams(seed, ("shocks", "plan", "behaviour", "originations"))
    book = _open_book(applicants, months, rng, behaviour)
    n = len(applicants)
    cum_paid = np.zeros(n, dtype=np.int64)
    active = np.ones(n, dtype=bool)
    chunks: list[dict[str, np.ndarray]] = []
    for month in range(1, months + 1):
        loans = np.flatnonzero(active)
        if loans.size:
            rows = _month(book, cum_paid, loans, month, rng["behaviour"], behaviour)
            active[loans[rows["status"] >= PREPAID]] = False
            chunks.append(rows)
        if on_month is not None:
            on_month(month)
    offsets = rng["originations"].integers(0, originations_over, n).astype(np.int64)
    return _table(applicants, book, chunks, _Vintages(first, offsets, months))


@dataclass(frozen=True, slots=True)
class _Vintages:
    """When each loan was originated: months after the first vintage, and the window."""

    first: int
    """The first vintage as a month count (year × 12 + month − 1)."""
    offsets: Ints
    months: int

    def labels(self, loans: Ints) -> pd.Series:
        """``YYYY-MM`` of each loan's vintage (formatted once per vintage, then indexed)."""
        months = self.first + np.arange(int(self.offsets.max(initial=0)) + 1)
        return _text(
            [f"{m // 12:04d}-{m % 12 + 1:02d}" for m in months.tolist()], self.offsets[loans]
        )


def _text(names: list[str], codes: Ints) -> pd.Series:
    """``names[codes]`` as a text column, built from the few names rather than row by row."""
    categories = pd.Index(names, dtype="str")
    return pd.Series(pd.Categorical.from_codes(codes, categories=categories)).astype("str")


def _check_vintages(originations_over: int, first_vintage: str, months: int) -> int:
    if (
        isinstance(originations_over, bool)
        or not isinstance(originations_over, int)
        or not 1 <= originations_over <= months
    ):
        raise InvalidInputError(
            f"loans can be originated over 1 to {months} months (the months simulated)",
            field="originations_over",
            value=originations_over,
        )
    match = _VINTAGE.match(first_vintage) if isinstance(first_vintage, str) else None
    if match is None:
        raise InvalidInputError(
            "the first vintage must be a month written YYYY-MM",
            field="first_vintage",
            value=first_vintage,
        )
    return int(match.group(1)) * 12 + int(match.group(2)) - 1


def _check(applicants: pd.DataFrame, months: int, seed: int) -> None:
    if isinstance(months, bool) or not isinstance(months, int) or not 1 <= months <= MAX_MONTHS:
        raise InvalidInputError(
            f"months must be from 1 to {MAX_MONTHS}", field="months", value=months
        )
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise InvalidInputError(
            "the seed must be a non-negative whole number", field="seed", value=seed
        )
    missing = [c for c in REQUIRED_COLUMNS if c not in applicants.columns]
    if missing:
        raise DataContractError(
            f"the applicants table lacks {', '.join(missing)}",
            field="applicants",
            value=", ".join(missing),
            remedy="pass a table made by thinfile synth applicants",
        )
    _check_values(applicants)


def _check_values(applicants: pd.DataFrame) -> None:
    """Refuse rows the simulation cannot price or schedule, naming the first bad column."""
    a = applicants
    checks = {
        "applicant_id": len(a) > 0,
        "segment": bool(a["segment"].isin([s.name for s in SEGMENTS]).all()),
        "requested_amount": bool((a["requested_amount"] > 0).all()),
        "requested_term_months": bool(a["requested_term_months"].between(1, MAX_MONTHS).all()),
        "true_pd": bool(a["true_pd"].between(0, 1).all()),
        "bad_12m": bool(a["bad_12m"].isin([0, 1]).all()),
    }
    for column, ok in checks.items():
        if not ok:
            raise DataContractError(
                f"the applicants table has no rows or a bad {column}",
                field=column,
                remedy="pass a table made by thinfile synth applicants",
            )


def _open_book(
    applicants: pd.DataFrame, months: int, rng: dict[str, np.random.Generator], behaviour: Behaviour
) -> _Book:
    principal = applicants["requested_amount"].to_numpy(dtype=np.int64)
    term = applicants["requested_term_months"].to_numpy(dtype=np.int64)
    true_pd = applicants["true_pd"].to_numpy(dtype=np.float64)
    bad = applicants["bad_12m"].to_numpy(dtype=np.int64) == 1
    seg = pd.Categorical(applicants["segment"], categories=[s.name for s in SEGMENTS]).codes
    shock_rate = np.array([s.shock_rate for s in SEGMENTS])[seg]
    horizon = max(months, 12)  # the same shocks, and so the same story, for any run length
    shocks = (rng["shocks"].random((horizon, len(applicants))) < shock_rate).T
    bps = price_monthly_bps(true_pd)
    width = min(months, int(term.max()))
    first_miss = _first_missed_month(rng["plan"], bad, true_pd, term, shocks, behaviour)
    return _Book(
        schedules=build_schedules(principal, bps, term, width=width),
        term=term,
        monthly_bps=bps,
        pd=true_pd,
        first_miss=first_miss,
        shocks=shocks,
        days_since_due=rng["plan"].integers(1, 30, len(applicants)),
    )


def _first_missed_month(
    rng: np.random.Generator,
    bad: Mask,
    true_pd: np.ndarray,
    term: Ints,
    shocks: Mask,
    behaviour: Behaviour,
) -> Ints:
    """The month a defaulting borrower stops paying for good (0: never within the run).

    Bad borrowers stop in months 1–9 (never after their term), so they default by month 12;
    a few others stop from month 10 on and default after month 12.
    """
    n = bad.shape[0]
    window = np.minimum(term, len(_FIRST_MISS_WEIGHTS))
    cdf = np.cumsum(_FIRST_MISS_WEIGHTS)
    drawn = np.searchsorted(cdf, rng.random(n) * cdf[window - 1], side="right") + 1
    early = shocks[:, : len(_FIRST_MISS_WEIGHTS)] & (
        np.arange(1, len(_FIRST_MISS_WEIGHTS) + 1) <= window[:, None]
    )
    on_shock = early.any(axis=1) & (rng.random(n) < behaviour.first_miss_on_shock)
    first = np.where(on_shock, early.argmax(axis=1) + 1, drawn)
    late_month = 9 + rng.geometric(behaviour.late_hazard, n)
    late = ~bad & (late_month <= term) & (rng.random(n) < behaviour.late_default_per_pd * true_pd)
    return np.where(bad, first, np.where(late, late_month, 0)).astype(np.int64)


def _paid_through(book: _Book, cum_paid: Ints, loans: Ints) -> Ints:
    """How many installments the cumulative payments cover in full."""
    due = book.schedules.due[loans, 1 : book.schedules.width + 1]
    covered = (due <= cum_paid[loans, None]).sum(axis=1)
    paid: Ints = np.minimum(covered, book.term[loans])
    return paid


def _month(
    book: _Book,
    cum_paid: Ints,
    loans: Ints,
    month: int,
    rng: np.random.Generator,
    behaviour: Behaviour,
) -> dict[str, np.ndarray]:
    s = book.schedules
    col = min(month, s.width)
    amount_due = s.due[loans, col] - cum_paid[loans]
    oldest = _paid_through(book, cum_paid, loans) + 1
    delinquent = oldest < month
    shock = book.shocks[loans, month - 1]
    choice = _choose(
        book, loans, month, rng, behaviour, delinquent=delinquent, shock=shock, oldest=oldest
    )
    pct = rng.integers(20, 81, loans.size)
    paid = np.select(
        [choice == ON_TIME, choice == PARTIAL, choice == PREPAID],
        [amount_due, amount_due * pct // 100, amount_due],
        0,
    )
    cum_paid[loans] += paid
    covered = _paid_through(book, cum_paid, loans)
    settled = covered >= book.term[loans]
    remaining = s.balance[loans, covered] - np.maximum(
        0, cum_paid[loans] - s.due[loans, covered] - s.interest[loans, covered + 1]
    )
    paid = np.where(choice == PREPAID, paid + remaining, paid)
    remaining = np.where(settled | (choice == PREPAID), 0, remaining)
    dpd = np.where(
        settled | (covered + 1 > month), 0, 30 * (month - covered - 1) + book.days_since_due[loans]
    )
    status = np.select(
        [choice == PREPAID, settled, dpd >= DEFAULT_DPD, paid == amount_due, paid == 0],
        [PREPAID, CLOSED, DEFAULT, ON_TIME, LATE],
        PARTIAL,
    )
    return {
        "loan": loans,
        "month": np.full(loans.size, month),
        "status": status,
        "days_past_due": dpd,
        "amount_due": amount_due,
        "amount_paid": paid,
        "balance": remaining,
        "income_shock": shock,
    }


def _choose(
    book: _Book,
    loans: Ints,
    month: int,
    rng: np.random.Generator,
    behaviour: Behaviour,
    *,
    delinquent: Mask,
    shock: Mask,
    oldest: Ints,
) -> Ints:
    """What each borrower does this month: pay in full, nothing, part, or everything off."""
    b = behaviour
    miss = (b.miss_base + b.miss_per_pd * book.pd[loans]) * np.where(shock, b.shock_multiplier, 1)
    first = book.first_miss[loans]
    on_path = (first > 0) & (month >= first)
    can_prepay = (month < book.term[loans]) & (first == 0) & ~shock
    current = np.stack([miss, miss * b.partial_per_miss, np.where(can_prepay, b.prepay, 0.0)])
    stay = 1.0 - b.cure * np.where(shock, 0.6, 1.0) - b.partial_when_delinquent
    behind = np.stack([stay, np.full(loans.size, b.partial_when_delinquent), np.zeros(loans.size)])
    edges = np.cumsum(np.where(delinquent, behind, current), axis=0)
    u = rng.random(loans.size)
    choice = np.select(
        [u < edges[0], u < edges[1], u < edges[2]], [LATE, PARTIAL, PREPAID], ON_TIME
    )
    must_cure = (delinquent & (month - oldest >= 3)) | (month == first - 1)
    choice = np.where(must_cure, ON_TIME, choice)
    return np.where(on_path, LATE, choice)


def _table(
    applicants: pd.DataFrame,
    book: _Book,
    chunks: list[dict[str, np.ndarray]],
    vintages: _Vintages,
) -> pd.DataFrame:
    rows = {key: np.concatenate([c[key] for c in chunks]) for key in chunks[0]}
    observed = rows["month"] <= vintages.months - vintages.offsets[rows["loan"]]
    order = np.lexsort((rows["month"], rows["loan"]))
    order = order[observed[order]]
    rows = {key: values[order] for key, values in rows.items()}
    loans = rows.pop("loan")
    ids = applicants["applicant_id"].to_numpy(dtype=str)
    principal = applicants["requested_amount"].to_numpy(dtype=np.int64)
    names = [seg.name for seg in SEGMENTS]
    segments = pd.Categorical(applicants["segment"], categories=names).codes.astype(np.int64)
    frame = {
        "applicant_id": pd.array(ids[loans], dtype="str"),
        "loan_id": pd.array(serial_ids("L", 1, len(applicants))[loans], dtype="str"),
        "vintage": vintages.labels(loans),
        "segment": _text(names, segments[loans]),
        "month": rows["month"].astype(np.int64),
        "status": pd.array(np.array(STATUSES)[rows["status"]], dtype="str"),
        "days_past_due": rows["days_past_due"].astype(np.int64),
        "amount_due": rows["amount_due"].astype(np.int64),
        "amount_paid": rows["amount_paid"].astype(np.int64),
        "balance": rows["balance"].astype(np.int64),
        "principal": principal[loans],
        "income_shock": rows["income_shock"].astype(bool),
        "annual_rate_bps": (book.monthly_bps[loans] * 12).astype(np.int64),
    }
    return pd.DataFrame(frame, columns=list(PERFORMANCE_COLUMNS))
