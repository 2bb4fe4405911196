"""The decisions of a policy simulation, reduced to what its report counts
(:class:`DecisionRow`), made in this process or in worker processes, and carried as plain
records when they are made elsewhere (Spark executors, :mod:`thinfile.spark.simulate`).

Scores come from the model in one vectorised batch per chunk when it offers ``score_frame``
(a row's score does not depend on its neighbours); the decisions then run in worker processes
(``workers``), each with its own compiled policy, while this process scores the next chunk.
A simulation counts each application's outcome and its best offer, so each is decided with
``first_offer_only`` and no cost statement is drawn.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from multiprocessing import get_context
from typing import Any

from thinfile.decisioning.application import FIELD_TYPES, Application
from thinfile.decisioning.buildup import PricingParameters
from thinfile.decisioning.economics import OfferEconomics, offer_economics
from thinfile.decisioning.engine import Scorer, decide, model_record
from thinfile.decisioning.policy import Policy, load_policy, policy_from_json

__all__ = [
    "PARALLEL_FROM",
    "ROW_FIELDS",
    "THIN_FILE_MONTHS",
    "DecidedRows",
    "DecisionRow",
    "application_from_record",
    "decide_records",
    "economics_lens",
    "plain_value",
]

THIN_FILE_MONTHS = 12
"""Applicants with less bureau history than this count as thin-file."""

PARALLEL_FROM = 4000
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
class DecisionRow:
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


def _decide_rows(job: Job) -> list[DecisionRow]:
    settings_json, graph_json, model_version, on, lens, items = job
    policy = policy_from_json(settings_json, graph_json)
    model = _Versioned(model_version)
    cap, basis = policy.settings.cap, policy.settings.cap_basis
    rows = []
    for app, scored in items:
        d = decide(app, policy=policy, model=model, on=on, scored=scored, first_offer_only=True)
        offer = d.offers[0] if d.offers else None
        rows.append(
            DecisionRow(
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
) -> list[list[DecisionRow]]:
    """Every arm's rows, decided in ``workers`` processes chunk by chunk: this process reads
    and scores the next chunk while the workers decide the ones before (scores are per row,
    so a chunk scores as it would in the whole batch)."""
    size = min(_CHUNK, math.ceil(len(records) / workers))
    with ProcessPoolExecutor(workers, mp_context=get_context("spawn")) as pool:
        pending: list[list[Future[list[DecisionRow]]]] = [[] for _ in arms]
        for k in range(0, len(records), size):
            items = _scored(records[k : k + size], model, on)
            for texts, futures in zip(arms, pending, strict=True):
                futures.append(pool.submit(_decide_rows, (*texts, items)))
        return [[row for f in futures for row in f.result()] for futures in pending]


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


@dataclass(frozen=True, slots=True)
class DecidedRows:
    """The decisions of a run of applications, reduced to what a report counts, in input
    order: the candidate's, the baseline's (or None) and each application's known outcome."""

    candidate: list[DecisionRow]
    baseline: list[DecisionRow] | None
    bads: list[int | None]

    def records(self) -> list[dict[str, object]]:
        """One plain record per application (Decimals as text, so nothing is rounded):
        the form in which decisions made elsewhere (Spark executors) come back."""
        olds: list[DecisionRow | None] = list(self.baseline) if self.baseline is not None else []
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
        new: list[DecisionRow] = []
        old: list[DecisionRow] = []
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


def _row_record(prefix: str, row: DecisionRow | None) -> dict[str, object]:
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


def _row_from_record(prefix: str, record: Mapping[str, object]) -> DecisionRow:
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
    return DecisionRow(
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
    parallel_from: int = PARALLEL_FROM,
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
