"""Portfolio monitoring from the live book, for the staff console: the same report as
``thinfile portfolio report`` (``thinfile.portfolio.build_report``), its inputs read from the
database instead of files.

- the loan-month table: the month-end rows close of business writes (``portfolio.loan_months``),
  with the application's ``segment`` and ``grade`` beside;
- current scores: the newest applications' score, grade and predicted PD, by decision date,
  with ``bad`` for loans that have matured (defaulted, or ``matured_months`` on book without
  defaulting; unknown before) — the back-test and ranking read those;
- baseline scores: the model's training score distribution (counts per score band, stored in
  the model's evaluation), each training row placed at its band's middle;
- decisions: approved or not, the model's PD, and the lawfully held attributes the
  application carries — gender, age band at the decision, local hukou — with bureau records
  (thin files) and the bureau score.

The bureau score is not stored with an application: it is computed here from the bureau
fields the application carries (history months, records, delinquencies; none given is a
征信白户) by the active model's bureau-only baseline (``evaluation["bureau_baseline"]``,
:mod:`thinfile.scoring.bureau_baseline`), ``round(1000 × (1 − PD_bureau))``. With it the
``inclusion`` section compares the model's approvals with a bureau-only policy cut off at the
same expected loss, as the file report does. A model trained before baselines were stored has
none: the section then shows thin- and thick-file approvals and bad rates, and the report's
``inclusion`` carries ``needs_bureau_baseline`` (retrain the model to get the comparison).
Everything here reads; nothing writes.
"""

from __future__ import annotations

import json
import time
import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from itertools import pairwise

import numpy as np
import pandas as pd
from sqlalchemy.engine import Engine

from thinfile.portfolio import Thresholds, build_report, is_default
from thinfile.portfolio.buckets import ENDED_STATUSES
from thinfile.portfolio.fairness import age_band
from thinfile.scoring.bureau_baseline import BureauBaseline
from thinfile.services.applications_records import ApplicationStatus
from thinfile.services.portfolio import loan_months
from thinfile.services.uow import UnitOfWork

__all__ = [
    "MATURED_MONTHS",
    "MonitorFilters",
    "filtered_loan_months",
    "live_report",
    "recent_alerts",
]

MATURED_MONTHS = 6
"""Months on book after which a loan that has not defaulted counts as good in the back-test."""
_APPROVED = frozenset({"approved", "accepted", "offer_declined"})
_AWAITING = ApplicationStatus.REFERRED.value
"""An application waiting for an underwriter: neither approved nor declined yet, so left out
of the approval rates (fairness, inclusion) until it is decided; its score counts in drift."""
_DECISIONS = 50_000
"""The newest applications read for drift, back-test and fairness."""


@dataclass(frozen=True, slots=True)
class MonitorFilters:
    """The console's filters: a product, a segment, and a vintage range (``YYYY-MM``, both
    ends included); None for all."""

    product: str | None = None
    segment: str | None = None
    vintage_from: str | None = None
    vintage_to: str | None = None

    def keep(self, table: pd.DataFrame) -> pd.Series:
        """True for the rows of a loan-month (or scores) table within the filters."""
        kept = pd.Series(True, index=table.index)
        for column, wanted in (("product", self.product), ("segment", self.segment)):
            if wanted and column in table.columns:
                kept &= table[column] == wanted
        if "vintage" in table.columns:
            if self.vintage_from:
                kept &= table["vintage"].fillna("") >= self.vintage_from
            if self.vintage_to:
                kept &= table["vintage"].fillna("9999") <= self.vintage_to
        return kept


def _decisions_frame(engine: Engine, bureau: BureauBaseline | None = None) -> pd.DataFrame:
    """The newest applications, one row each; with ``bureau``, their ``bureau_score``."""
    with UnitOfWork(engine) as uow:
        rows = uow.portfolio.decisions(limit=_DECISIONS)
    fields = bureau.features if bureau is not None else ()
    records: list[dict[str, object]] = []
    bureau_fields: list[dict[str, object]] = []
    for r in rows:
        application = json.loads(r.decision_json).get("inputs", {}).get("application", {})
        bureau_fields.append({name: application.get(name) for name in fields})
        decided = (
            r.decided_on if isinstance(r.decided_on, date) else date.fromisoformat(r.decided_on)
        )
        records.append(
            {
                "loan_id": None if r.loan_id is None else str(r.loan_id),
                "decided_on": decided.isoformat(),
                "segment": r.segment,
                "grade": r.grade,
                "pd": float(r.pd),  # float-ok: a probability
                "score": int(r.score),
                "approved": r.status in _APPROVED,
                "awaiting": r.status == _AWAITING,
                "gender": application.get("gender"),
                "age_band": _age_band(application.get("birth_date"), decided),
                "is_local_hukou": application.get("is_local_hukou"),
                "bureau_records": application.get("bureau_records"),
            }
        )
    frame = pd.DataFrame.from_records(
        records,
        columns=[
            "loan_id", "decided_on", "segment", "grade", "pd", "score", "approved", "awaiting",
            "gender", "age_band", "is_local_hukou", "bureau_records",
        ],
    )  # fmt: skip
    # no bureau record given is a 征信白户: no records at all
    frame = frame.assign(bureau_records=frame["bureau_records"].fillna(0).astype("int64"))
    if bureau is not None:
        frame["bureau_score"] = bureau.scores(pd.DataFrame(bureau_fields, columns=list(fields)))
    return frame


def _age_band(birth: object, on: date) -> str | None:
    if not isinstance(birth, str):
        return None
    born = date.fromisoformat(birth)
    years = on.year - born.year - ((on.month, on.day) < (born.month, born.day))
    return age_band(years)


def _outcomes(book: pd.DataFrame) -> pd.DataFrame:
    """Per loan: its vintage and ``bad`` — 1 defaulted; 0 repaid in full without default
    (closed or prepaid, however soon) or :data:`MATURED_MONTHS` on book without default; NaN
    not yet known."""
    if book.empty:
        return pd.DataFrame(columns=["loan_id", "vintage", "bad"])
    flagged = book.assign(
        default=is_default(book["status"], book["days_past_due"]),
        repaid=book["status"].isin(ENDED_STATUSES),
    )
    per_loan = flagged.groupby("loan_id").agg(
        vintage=("vintage", "first"),
        defaulted=("default", "any"),
        repaid=("repaid", "any"),
        mob=("mob", "max"),
    )
    good = per_loan["repaid"] | (per_loan["mob"] >= MATURED_MONTHS)
    bad = np.where(per_loan["defaulted"], 1.0, np.where(good, 0.0, np.nan))
    return pd.DataFrame(
        {
            "loan_id": per_loan.index.to_numpy(),
            "vintage": per_loan["vintage"].to_numpy(),
            "bad": bad,
        }
    )


def _baseline(distribution: Mapping[str, object] | None) -> pd.DataFrame | None:
    """Training scores rebuilt from the model's score bands (``[low, high)``, as
    ``scoring.evaluation.score_distribution`` counts them): each row just below its band's
    upper edge, so the PSI's decile edges fall on band edges and a current score is binned
    with the training scores of its own band. (At the band's middle, the half of a band
    above the middle fell in the next decile: an unchanged population read 0.14, "watch".)"""
    if not distribution:
        return None
    edges, counts = distribution.get("edges"), distribution.get("counts")
    if not isinstance(edges, list) or not isinstance(counts, list) or len(edges) != len(counts) + 1:
        return None
    tops = [np.nextafter(float(b), -np.inf) for _, b in pairwise(edges)]  # float-ok: scores
    scores = np.repeat(tops, [round(float(c)) for c in counts])  # float-ok: row counts
    return pd.DataFrame({"score": scores}) if len(scores) else None


def filtered_loan_months(engine: Engine, filters: MonitorFilters) -> pd.DataFrame:
    """The book's loan-month table with each loan's ``segment`` and ``grade``, filtered."""
    book = loan_months(engine)
    decided = _decisions_frame(engine).dropna(subset=["loan_id"])
    book = book.merge(
        decided[["loan_id", "segment", "grade"]].drop_duplicates("loan_id"),
        on="loan_id",
        how="left",
    )
    return book[filters.keep(book)].reset_index(drop=True)


def live_report(
    engine: Engine,
    *,
    filters: MonitorFilters | None = None,
    training_distribution: Mapping[str, object] | None = None,
    bureau_baseline: object = None,
    thresholds: Thresholds | None = None,
) -> dict[str, object]:
    """The portfolio report of the live book (the shape of ``build_report``), within
    ``filters`` — the loans' measures by product, segment and vintage; the applications'
    (drift, fairness, inclusion) by segment and the month decided, every product's; drift
    only when the model's ``training_distribution`` is given, and the comparison with a
    bureau-only policy only with the model's ``bureau_baseline`` (its
    ``evaluation["bureau_baseline"]``; a malformed one raises ``DataContractError``)."""
    filters = filters or MonitorFilters()
    bureau = None if bureau_baseline is None else BureauBaseline.from_dict(bureau_baseline)
    book = filtered_loan_months(engine, filters)
    decisions = _decisions_frame(engine, bureau)
    outcomes = _outcomes(book)
    current = decisions.merge(outcomes, on="loan_id", how="left")
    # An application is decided before a product is chosen, and most never become a loan: the
    # decisions kept are those of the segment decided in the vintage months (its cohort is the
    # month it was decided), declines included, whatever the product; a product narrows the
    # outcomes (``book`` is filtered), so the back-test reads that product's loans only.
    cohort = current.assign(vintage=current["decided_on"].str.slice(0, 7))
    current = current[filters.keep(cohort)]  # the decisions carry no product
    baseline = _baseline(training_distribution)
    scores = current[["score", "grade", "pd", "bad", "vintage", "decided_on"]]
    report = build_report(
        book,
        scores_baseline=baseline,
        scores_current=scores,
        decisions=current[~current["awaiting"].astype(bool)].drop(columns=["score", "awaiting"]),
        thresholds=thresholds,
    )
    inclusion = report.get("inclusion")
    if bureau is None and isinstance(inclusion, dict):
        inclusion["needs_bureau_baseline"] = True  # the model has none: retrain it
    return report


_recent: weakref.WeakKeyDictionary[Engine, tuple[float, list[dict[str, str]]]] = (
    weakref.WeakKeyDictionary()
)
"""Per engine (so a disposed database's alerts die with it): when computed, and the alerts."""


def recent_alerts(
    engine: Engine,
    *,
    training_distribution: Mapping[str, object] | None = None,
    max_age_seconds: float = 300.0,
    clock: Callable[[], float] = time.monotonic,
) -> list[dict[str, str]]:
    """The live book's alerts for the console's home page, computed at most once every
    ``max_age_seconds`` per database (the month-end rows change once a day)."""
    now = clock()
    found = _recent.get(engine)
    if found is None or now - found[0] > max_age_seconds:
        report = live_report(engine, training_distribution=training_distribution)
        alerts = report["alerts"]
        found = (now, list(alerts) if isinstance(alerts, list) else [])
        _recent[engine] = found
    return found[1]
