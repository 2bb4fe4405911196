"""Policy simulation: what a candidate policy (and model) would do to past applications.

For each past application it runs the real decision and reports the approval rate, the
expected bad rate (mean PD of approvals), the realised bad rate where outcomes exist, the
average price, the economics of the approved offers (:mod:`thinfile.decisioning.economics`:
annualized rates and their distribution, share at the cap, expected interest, fees, loss and
margin), by segment (thin-file vs thick-file, grade, occupation) and the change from a
baseline policy — the figures a lender reads before shipping a policy change.

Each occupation is checked against the whole: it is flagged when its approval rate falls below
``min_segment_share`` of the overall approval rate, or its bad rate of approvals (realised
where outcomes exist, else expected) rises above the policy's ``target_bad_rate``, when more
than :data:`MOSTLY_AT_CAP` of its approvals sit at the cap, or when its expected margin is
below zero and no preferential programme explains it (``programme_margin``). Occupation
is never a model input nor a reason given to a borrower; here it is only counted.

Scores come from the model in one vectorised batch when it offers ``score_frame``; the
decisions then run in worker processes (``workers``), each with its own compiled policy.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from multiprocessing import get_context
from typing import Any

from thinfile.decisioning.application import FIELD_TYPES, Application
from thinfile.decisioning.buildup import PricingParameters
from thinfile.decisioning.economics import (
    EconomicsTally,
    OfferEconomics,
    economics_change,
    offer_economics,
)
from thinfile.decisioning.engine import Outcome, Scorer, decide, model_record
from thinfile.decisioning.policy import Policy, load_policy, policy_from_json
from thinfile.errors import InvalidInputError
from thinfile.loanmath import DEFAULT_CAP
from thinfile.money import Rounding, format_yuan, round_fen

__all__ = [
    "MIN_SEGMENT_SHARE",
    "MOSTLY_AT_CAP",
    "ROW_FIELDS",
    "THIN_FILE_MONTHS",
    "ArmSummary",
    "DecidedRows",
    "SimulationReport",
    "Tally",
    "application_from_record",
    "decide_records",
    "economics_lens",
    "plain_value",
    "report_from_rows",
    "simulate",
]

THIN_FILE_MONTHS = 12
"""Applicants with less bureau history than this count as thin-file."""

MIN_SEGMENT_SHARE = Decimal("0.8")
"""An occupation approved at less than this share of the overall approval rate is flagged,
unless the policy (``min_segment_share``) or the caller sets another share (the four-fifths
rule of thumb of adverse-impact checks)."""

MOSTLY_AT_CAP = 0.5
"""An occupation with more than this share of its approved offers at the cap is flagged."""

_PARALLEL_FROM = 4000
"""Below this many applications, worker processes cost more than they save."""
_CHUNK = 5000
"""Applications sent to a worker at a time."""


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
    grade: str = ""
    economics: OfferEconomics | None = None


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
    cap: Decimal = DEFAULT_CAP
    economics: EconomicsTally = field(default_factory=EconomicsTally)

    def add(self, row: _Row) -> None:
        self.applications += 1
        self.referred += row.outcome == Outcome.REFER.value
        if row.outcome != Outcome.APPROVE.value:
            return
        self.approved += 1
        self.pd_sum += row.pd
        self.rate_sum += row.rate or Decimal(0)
        self.amount_sum += row.amount
        if row.economics is not None:
            self.economics.add(row.economics)
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
            **self.economics.as_dict(self.cap),
        }


@dataclass
class ArmSummary:
    policy_version: str
    cap: Decimal = DEFAULT_CAP
    overall: Tally = field(default_factory=Tally)
    by_file: dict[str, Tally] = field(default_factory=dict)
    by_segment: dict[str, Tally] = field(default_factory=dict)
    by_grade: dict[str, Tally] = field(default_factory=dict)
    outcomes: list[str] = field(default_factory=list)

    def add(self, row: _Row) -> None:
        thin = "thin-file" if row.thin else "thick-file"
        for table, key in (
            (self.by_file, thin),
            (self.by_segment, row.segment),
            (self.by_grade, row.grade or "—"),
        ):
            table.setdefault(key, Tally(cap=self.cap)).add(row)
        self.overall.cap = self.cap
        self.overall.add(row)
        self.outcomes.append(row.outcome)

    def as_dict(
        self, *, min_share: Decimal = MIN_SEGMENT_SHARE, target: Decimal | None = None
    ) -> dict[str, object]:
        return {
            "policy_version": self.policy_version,
            "overall": self.overall.as_dict(),
            "by_file": {k: v.as_dict() for k, v in sorted(self.by_file.items())},
            "by_grade": {k: v.as_dict() for k, v in sorted(self.by_grade.items())},
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
    at_cap = row.get("share_at_cap")
    mostly_at_cap = isinstance(at_cap, float | int) and at_cap > MOSTLY_AT_CAP
    margin = row.get("expected_margin")
    losing = margin is not None and Decimal(str(margin)) < 0
    programme = losing and bool(row.get("with_programme"))
    return {
        **row,
        "approval_share_of_average": _ratio(row["approval_rate"], overall["approval_rate"]),
        "below_min_share": below,
        "above_target_bad_rate": above,
        "mostly_at_cap": mostly_at_cap,
        "negative_margin": losing and not programme,
        "programme_margin": programme,
        "flagged": below or above or mostly_at_cap or (losing and not programme),
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
            **economics_change(new.as_dict(), old.as_dict()),
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


_Texts = tuple[str, str, str, date, PricingParameters]
"""What a worker needs besides the applications: the policy's JSON, the model's version,
the decision date and the economics lens."""
Job = tuple[str, str, str, date, PricingParameters, list[tuple[Application, _Score]]]


def _decide_rows(job: Job) -> list[_Row]:
    settings_json, graph_json, model_version, on, lens, items = job
    policy = policy_from_json(settings_json, graph_json)
    model = _Versioned(model_version)
    cap, basis = policy.settings.cap, policy.settings.cap_basis
    rows = []
    for app, scored in items:
        d = decide(app, policy=policy, model=model, on=on, scored=scored, first_offer_only=True)
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
                d.grade,
                offer_economics(offer, d.pd, lens, cap=cap, basis=basis) if offer else None,
            )
        )
    return rows


def _texts(policy: Policy, model_version: str, on: date, lens: PricingParameters) -> _Texts:
    return (policy.settings_json(), policy.graph_json, model_version, on, lens)


def _scored(
    records: Sequence[Mapping[str, object]], model: Scorer, on: date
) -> list[tuple[Application, _Score]]:
    apps = [application_from_record(r) for r in records]
    return list(zip(apps, _batch_scores(model, apps, on), strict=True))


def _in_workers(
    records: Sequence[Mapping[str, object]],
    arms: list[_Texts],
    model: Scorer,
    on: date,
    workers: int,
) -> list[list[_Row]]:
    """Every arm's rows, decided in ``workers`` processes chunk by chunk: this process reads
    and scores the next chunk while the workers decide the ones before (scores are per row,
    so a chunk scores as it would in the whole batch)."""
    size = min(_CHUNK, math.ceil(len(records) / workers))
    with ProcessPoolExecutor(workers, mp_context=get_context("spawn")) as pool:
        pending: list[list[Future[list[_Row]]]] = [[] for _ in arms]
        for k in range(0, len(records), size):
            items = _scored(records[k : k + size], model, on)
            for texts, futures in zip(arms, pending, strict=True):
                futures.append(pool.submit(_decide_rows, (*texts, items)))
        return [[row for f in futures for row in f.result()] for futures in pending]


def _summary(policy: Policy, rows: list[_Row], bads: list[int | None]) -> ArmSummary:
    arm = ArmSummary(policy.version, policy.settings.cap)
    for row, bad in zip(rows, bads, strict=True):
        arm.add(dataclasses.replace(row, bad=bad))
    return arm


def economics_lens(policy: Policy, baseline: Policy | None) -> PricingParameters:
    """The pricing parameters every arm's economics are measured with: the candidate's, else
    the baseline's, else the shipped policy's."""
    for p in (policy, baseline):
        if p is not None and p.settings.pricing is not None:
            return p.settings.pricing
    shipped = load_policy().settings.pricing
    assert shipped is not None, "the shipped policy has pricing"
    return shipped


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
    decided = decide_records(
        records,
        policy=policy,
        model=model,
        on=on,
        baseline=baseline,
        outcome=outcome,
        workers=workers,
        parallel_from=parallel_from,
    )
    return report_from_rows(decided, policy=policy, baseline=baseline, model=model, share=share)


@dataclass(frozen=True, slots=True)
class DecidedRows:
    """The decisions of a run of applications, reduced to what a report counts, in input
    order: the candidate's, the baseline's (or None) and each application's known outcome."""

    candidate: list[_Row]
    baseline: list[_Row] | None
    bads: list[int | None]

    def records(self) -> list[dict[str, object]]:
        """One plain record per application (Decimals as text, so nothing is rounded):
        the form in which decisions made elsewhere (Spark executors) come back."""
        olds: list[_Row | None] = list(self.baseline) if self.baseline is not None else []
        olds += [None] * (len(self.candidate) - len(olds))
        return [
            {**_row_record("c_", new), **_row_record("b_", old), "bad": bad}
            for new, old, bad in zip(self.candidate, olds, self.bads, strict=True)
        ]

    @classmethod
    def from_records(
        cls, records: Iterable[Mapping[str, object]], *, with_baseline: bool
    ) -> DecidedRows:
        """The inverse of :meth:`records`."""
        new: list[_Row] = []
        old: list[_Row] = []
        bads: list[int | None] = []
        for record in records:
            new.append(_row_from_record("c_", record))
            if with_baseline:
                old.append(_row_from_record("b_", record))
            bad = plain_value(record.get("bad"))
            bads.append(None if bad is None else int(bad))  # type: ignore[call-overload]
        return cls(new, old if with_baseline else None, bads)


ROW_FIELDS: tuple[tuple[str, str], ...] = (
    ("outcome", "string"),
    ("pd", "double"),
    ("rate", "string"),
    ("amount", "long"),
    ("thin", "boolean"),
    ("segment", "string"),
    ("grade", "string"),
    ("e_nominal", "string"),
    ("e_effective", "string"),
    ("e_at_cap", "boolean"),
    ("e_interest", "long"),
    ("e_fees", "long"),
    ("e_loss", "string"),
    ("e_costs", "string"),
    ("e_years", "string"),
    ("e_programme", "string"),
)
"""The columns of one arm in :meth:`DecidedRows.records` (after its prefix ``c_`` or ``b_``),
with their types in Spark's DDL; then ``bad`` (long)."""


def _row_record(prefix: str, row: _Row | None) -> dict[str, object]:
    if row is None:
        return {prefix + name: None for name, _type in ROW_FIELDS}
    e = row.economics
    values: dict[str, object] = {
        "outcome": row.outcome,
        "pd": row.pd,
        "rate": None if row.rate is None else str(row.rate),
        "amount": row.amount,
        "thin": row.thin,
        "segment": row.segment,
        "grade": row.grade,
        "e_nominal": None if e is None else str(e.nominal),
        "e_effective": None if e is None else str(e.effective),
        "e_at_cap": None if e is None else e.at_cap,
        "e_interest": None if e is None else e.interest,
        "e_fees": None if e is None else e.fees,
        "e_loss": None if e is None else str(e.loss),
        "e_costs": None if e is None else str(e.costs),
        "e_years": None if e is None else str(e.years),
        "e_programme": None if e is None else e.programme,
    }
    return {prefix + k: v for k, v in values.items()}


def _row_from_record(prefix: str, record: Mapping[str, object]) -> _Row:
    def get(name: str) -> Any:
        return plain_value(record.get(prefix + name))

    economics = None
    if get("e_nominal") is not None:
        economics = OfferEconomics(
            nominal=Decimal(get("e_nominal")),
            effective=Decimal(get("e_effective")),
            at_cap=bool(get("e_at_cap")),
            interest=int(get("e_interest")),
            fees=int(get("e_fees")),
            loss=Decimal(get("e_loss")),
            costs=Decimal(get("e_costs")),
            years=Decimal(get("e_years")),
            programme=get("e_programme"),
        )
    rate = get("rate")
    return _Row(
        str(get("outcome")),
        float(get("pd")),  # float-ok: probability
        None if rate is None else Decimal(rate),
        int(get("amount")),
        None,
        bool(get("thin")),
        str(get("segment")),
        str(get("grade") or ""),
        economics,
    )


def decide_records(
    records: Iterable[Mapping[str, object]],
    *,
    policy: Policy,
    model: Scorer,
    on: date,
    baseline: Policy | None = None,
    outcome: str = "bad_12m",
    workers: int = 1,
    parallel_from: int = _PARALLEL_FROM,
) -> DecidedRows:
    """Score and decide every record with ``policy`` (and ``baseline``): the work of
    :func:`simulate` before the counting, which a partition of a larger run can do alone."""
    rows: list[Any] = list(records)
    bads = [_outcome(r, outcome) for r in rows]
    lens = economics_lens(policy, baseline)
    arms = [_texts(p, model.version, on, lens) for p in (policy, baseline) if p is not None]
    if workers <= 1 or len(rows) < parallel_from:
        items = _scored(rows, model, on)
        decided = [_decide_rows((*texts, items)) for texts in arms]
    else:
        decided = _in_workers(rows, arms, model, on, workers)
    new, old = decided[0], (decided[1] if baseline is not None else None)
    return DecidedRows(new, old, bads)


def report_from_rows(
    decided: DecidedRows,
    *,
    policy: Policy,
    baseline: Policy | None,
    model: Scorer,
    share: Decimal | None = None,
) -> SimulationReport:
    """The report of decisions counted in input order (the same report whoever decided)."""
    chosen = _min_share(share, policy)
    candidate = _summary(policy, decided.candidate, decided.bads)
    old = None
    if baseline is not None and decided.baseline is not None:
        old = _summary(baseline, decided.baseline, decided.bads)
    return SimulationReport(model.version, candidate, old, chosen, policy.settings.target_bad_rate)


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
