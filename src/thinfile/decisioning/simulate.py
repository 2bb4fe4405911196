"""Policy simulation: what a candidate policy (and model) would do to past applications.

For each past application it runs the real decision and reports the approval rate, the
expected bad rate (mean PD of approvals), the realised bad rate where outcomes exist, the
average price, approvals by segment (thin-file vs thick-file, occupation) and the change from
a baseline policy — the figures a lender reads before shipping a policy change.

Each occupation is checked against the whole: it is flagged when its approval rate falls below
``min_segment_share`` of the overall approval rate, or its bad rate of approvals (realised
where outcomes exist, else expected) rises above the policy's ``target_bad_rate``. Occupation
is never a model input nor a reason given to a borrower; here it is only counted.

Scores come from the model in one vectorised batch when it offers ``score_frame``; the
decisions then run in worker processes (``workers``), each with its own compiled policy.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from multiprocessing import get_context
from typing import Any

from thinfile.decisioning.application import FIELD_TYPES, Application
from thinfile.decisioning.engine import Outcome, Scorer, decide, model_record
from thinfile.decisioning.policy import Policy, policy_from_json
from thinfile.errors import InvalidInputError
from thinfile.money import Rounding, format_yuan, round_fen

__all__ = [
    "MIN_SEGMENT_SHARE",
    "THIN_FILE_MONTHS",
    "ArmSummary",
    "SimulationReport",
    "Tally",
    "application_from_record",
    "plain_value",
    "simulate",
]

THIN_FILE_MONTHS = 12
"""Applicants with less bureau history than this count as thin-file."""

MIN_SEGMENT_SHARE = Decimal("0.8")
"""An occupation approved at less than this share of the overall approval rate is flagged,
unless the policy (``min_segment_share``) or the caller sets another share (the four-fifths
rule of thumb of adverse-impact checks)."""

_PARALLEL_FROM = 4000
"""Below this many applications, worker processes cost more than they save."""


def plain_value(value: object) -> object:
    """A record value as a plain Python value (NaN and missing become None)."""
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    item = getattr(value, "item", None)  # NumPy scalars
    if callable(item):
        return plain_value(item())
    if isinstance(value, datetime):  # also pandas Timestamp
        return value.date()
    return value


def application_from_record(record: Mapping[str, object]) -> Application:
    """An application from a table row (money already in fen), keeping known fields only;
    a value of the wrong type is an ``InvalidInputError`` (:meth:`Application.from_values`).

    Fields are read by name, as a live application carries them: declared income is the
    row's ``declared_monthly_income`` (what the applicant wrote on the form; a
    :mod:`thinfile.sim` applicants table has it for everyone), observed income
    ``income_monthly_mean`` with ``income_months_observed``. Nothing is inferred from one for
    the other, so a table without ``declared_monthly_income`` is decided as applicants who
    declared nothing.
    """
    values = {k: plain_value(v) for k, v in record.items() if k in FIELD_TYPES}
    values.setdefault("consent_credit", True)
    born = values.get("birth_date")
    if isinstance(born, str):
        values["birth_date"] = date.fromisoformat(born[:10])
    return Application.from_values(values)


@dataclass(frozen=True, slots=True)
class _Row:
    """One simulated decision, reduced to what the report counts."""

    outcome: str
    pd: float
    rate: Decimal | None
    amount: int
    bad: int | None
    thin: bool
    segment: str


@dataclass
class Tally:
    """Counts and sums over the decisions of one group (all, thin-file, one occupation)."""

    applications: int = 0
    approved: int = 0
    referred: int = 0
    pd_sum: float = 0.0
    bads: int = 0
    with_outcome: int = 0
    rate_sum: Decimal = Decimal(0)
    amount_sum: int = 0

    def add(self, row: _Row) -> None:
        self.applications += 1
        self.referred += row.outcome == Outcome.REFER.value
        if row.outcome != Outcome.APPROVE.value:
            return
        self.approved += 1
        self.pd_sum += row.pd
        self.rate_sum += row.rate or Decimal(0)
        self.amount_sum += row.amount
        if row.bad is not None:
            self.with_outcome += 1
            self.bads += row.bad

    @property
    def approval_rate(self) -> float:
        """Approved over applications, to six places (0 with no applications)."""
        n = self.applications
        return round(self.approved / n, 6) if n else 0.0

    def as_dict(self) -> dict[str, object]:
        n, a = self.applications, self.approved
        return {
            "applications": n,
            "approved": a,
            "approval_rate": self.approval_rate,
            "referral_rate": round(self.referred / n, 6) if n else 0.0,
            "expected_bad_rate": round(self.pd_sum / a, 6) if a else None,
            "realised_bad_rate": round(self.bads / self.with_outcome, 6)
            if self.with_outcome
            else None,
            "average_annualized_rate": str(round(self.rate_sum / a, 6)) if a else None,
            "average_amount": format_yuan(
                round_fen(Decimal(self.amount_sum) / a, Rounding.HALF_EVEN)
            )
            if a
            else None,
        }


@dataclass
class ArmSummary:
    policy_version: str
    overall: Tally = field(default_factory=Tally)
    by_file: dict[str, Tally] = field(default_factory=dict)
    by_segment: dict[str, Tally] = field(default_factory=dict)
    outcomes: list[str] = field(default_factory=list)

    def add(self, row: _Row) -> None:
        thin = "thin-file" if row.thin else "thick-file"
        for table, key in ((self.by_file, thin), (self.by_segment, row.segment)):
            table.setdefault(key, Tally()).add(row)
        self.overall.add(row)
        self.outcomes.append(row.outcome)

    def as_dict(
        self, *, min_share: Decimal = MIN_SEGMENT_SHARE, target: Decimal | None = None
    ) -> dict[str, object]:
        return {
            "policy_version": self.policy_version,
            "overall": self.overall.as_dict(),
            "by_file": {k: v.as_dict() for k, v in sorted(self.by_file.items())},
            "by_segment": {
                k: _segment_row(v.as_dict(), self.overall.as_dict(), min_share, target)
                for k, v in sorted(self.by_segment.items())
            },
            "flagged_segments": self.flagged_segments(min_share=min_share, target=target),
        }

    def flagged_segments(
        self, *, min_share: Decimal = MIN_SEGMENT_SHARE, target: Decimal | None = None
    ) -> list[str]:
        """The occupations below ``min_share`` of the overall approval rate or above the
        ``target`` bad rate, by name."""
        overall = self.overall.as_dict()
        return [
            name
            for name, tally in sorted(self.by_segment.items())
            if _segment_row(tally.as_dict(), overall, min_share, target)["flagged"]
        ]


def _segment_row(
    row: dict[str, object], overall: dict[str, object], min_share: Decimal, target: Decimal | None
) -> dict[str, object]:
    """One occupation's figures with its share of the overall approval rate and its flags."""
    average = Decimal(str(overall["approval_rate"]))
    rate = Decimal(str(row["approval_rate"]))
    below = average > 0 and rate < min_share * average
    bad = (
        row["realised_bad_rate"]
        if row["realised_bad_rate"] is not None
        else row["expected_bad_rate"]
    )
    above = target is not None and bad is not None and Decimal(str(bad)) > target
    return {
        **row,
        "approval_share_of_average": _ratio(row["approval_rate"], overall["approval_rate"]),
        "below_min_share": below,
        "above_target_bad_rate": above,
        "flagged": below or above,
    }


def _ratio(part: object, whole: object) -> float | None:
    """``part / whole`` of two rates as the report gives them (6 decimals), None for 0."""
    if not isinstance(part, float | int) or not isinstance(whole, float | int) or not whole:
        return None
    return round(part / whole, 6)


@dataclass
class SimulationReport:
    """What a policy would do, with the share and target its occupations are checked by."""

    model_version: str
    candidate: ArmSummary
    baseline: ArmSummary | None
    min_segment_share: Decimal = MIN_SEGMENT_SHARE
    target_bad_rate: Decimal | None = None

    def change(self) -> dict[str, object] | None:
        if self.baseline is None:
            return None
        new, old = self.candidate.overall, self.baseline.overall
        pairs = list(zip(self.candidate.outcomes, self.baseline.outcomes, strict=True))
        return {
            "approval_rate": round(
                new.approved / new.applications - old.approved / old.applications, 6
            ),
            "swap_in": sum(1 for n, o in pairs if n == "approve" and o != "approve"),
            "swap_out": sum(1 for n, o in pairs if n != "approve" and o == "approve"),
        }

    def _arm(self, arm: ArmSummary) -> dict[str, object]:
        return arm.as_dict(min_share=self.min_segment_share, target=self.target_bad_rate)

    def as_dict(self) -> dict[str, object]:
        return {
            "model_version": self.model_version,
            "min_segment_share": str(self.min_segment_share),
            "target_bad_rate": None if self.target_bad_rate is None else str(self.target_bad_rate),
            "candidate": self._arm(self.candidate),
            "baseline": self._arm(self.baseline) if self.baseline else None,
            "change": self.change(),
        }


@dataclass(frozen=True, slots=True)
class _Score:
    pd: float
    score: int
    reasons: tuple[()] = ()


@dataclass(frozen=True, slots=True)
class _Versioned:
    """Stands in for the model inside workers: the scores are already computed."""

    version: str

    def score_one(self, record: Mapping[str, object], *, reasons: int = 4) -> _Score:
        raise AssertionError("simulation workers receive precomputed scores")


def _batch_scores(model: Scorer, apps: Sequence[Application], on: date) -> list[_Score]:
    score_frame = getattr(model, "score_frame", None)
    if score_frame is None:
        return [
            _Score(float(s.pd), int(s.score))  # float-ok: probabilities
            for s in (model.score_one(model_record(a, on), reasons=0) for a in apps)
        ]
    import pandas as pd

    frame = score_frame(pd.DataFrame([model_record(a, on) for a in apps]))
    return [
        _Score(float(p), int(s))  # float-ok: probabilities
        for p, s in zip(frame["pd"], frame["score"], strict=True)
    ]


Job = tuple[str, str, str, date, list[tuple[Application, _Score]]]


def _decide_rows(job: Job) -> list[_Row]:
    settings_json, graph_json, model_version, on, items = job
    policy = policy_from_json(settings_json, graph_json)
    model = _Versioned(model_version)
    rows = []
    for app, scored in items:
        d = decide(app, policy=policy, model=model, on=on, scored=scored)
        offer = d.offers[0] if d.offers else None
        rows.append(
            _Row(
                d.outcome.value,
                d.pd,
                offer.annualized.nominal if offer else None,
                offer.amount if offer else 0,
                None,
                (app.bureau_history_months or 0) < THIN_FILE_MONTHS,
                app.segment,
            )
        )
    return rows


def _run(
    policy: Policy,
    model_version: str,
    on: date,
    items: list[tuple[Application, _Score]],
    workers: int,
    parallel_from: int,
) -> list[_Row]:
    texts = (policy.settings_json(), policy.graph_json, model_version, on)
    if workers <= 1 or len(items) < parallel_from:
        return _decide_rows((*texts, items))
    size = math.ceil(len(items) / workers)
    jobs: list[Job] = [(*texts, items[k : k + size]) for k in range(0, len(items), size)]
    with ProcessPoolExecutor(workers, mp_context=get_context("spawn")) as pool:
        return [row for chunk in pool.map(_decide_rows, jobs) for row in chunk]


def _summary(version: str, rows: list[_Row], bads: list[int | None]) -> ArmSummary:
    arm = ArmSummary(version)
    for row, bad in zip(rows, bads, strict=True):
        arm.add(_Row(row.outcome, row.pd, row.rate, row.amount, bad, row.thin, row.segment))
    return arm


def _outcome(record: Mapping[str, object], column: str) -> int | None:
    raw = plain_value(record.get(column))
    return int(raw) if isinstance(raw, (int, float, bool)) else None


def simulate(
    records: Iterable[Mapping[str, object]],
    *,
    policy: Policy,
    model: Scorer,
    on: date,
    baseline: Policy | None = None,
    outcome: str = "bad_12m",
    workers: int = 1,
    parallel_from: int = _PARALLEL_FROM,
    min_segment_share: Decimal | None = None,
) -> SimulationReport:
    """Decide every record with ``policy`` (and ``baseline``) and summarise the results.

    With ``workers`` > 1 and at least ``parallel_from`` records, decisions run in that many
    processes; the report is the same either way. Occupations are flagged below
    ``min_segment_share`` of the overall approval rate (default: the policy's, else
    :data:`MIN_SEGMENT_SHARE`) and above the policy's ``target_bad_rate``.
    """
    share = _min_share(min_segment_share, policy)
    rows: list[Any] = list(records)
    apps = [application_from_record(r) for r in rows]
    bads = [_outcome(r, outcome) for r in rows]
    items = list(zip(apps, _batch_scores(model, apps, on), strict=True))
    rows_new = _run(policy, model.version, on, items, workers, parallel_from)
    candidate = _summary(policy.version, rows_new, bads)
    old = None
    if baseline is not None:
        old = _summary(
            baseline.version, _run(baseline, model.version, on, items, workers, parallel_from), bads
        )
    return SimulationReport(model.version, candidate, old, share, policy.settings.target_bad_rate)


def _min_share(given: Decimal | None, policy: Policy) -> Decimal:
    share = given if given is not None else policy.settings.min_segment_share
    share = MIN_SEGMENT_SHARE if share is None else share
    if not 0 <= share <= 1:
        raise InvalidInputError(
            "the minimum segment share must be from 0 to 1",
            field="min_segment_share",
            value=str(share),
            remedy="give a share such as 0.8 (four fifths of the average approval rate)",
        )
    return share
