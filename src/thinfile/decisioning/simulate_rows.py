"""The decisions of a policy simulation, reduced to what its report counts
(:class:`~thinfile.decisioning.simulate_counts.DecisionRow`) and counted chunk by chunk
(:func:`count_records`), in this process or in worker processes; a Spark partition counts its
own rows the same way (:mod:`thinfile.spark.simulate`) and the parts merge exactly.

Scores come from the model in one vectorised batch per chunk when it offers ``score_frame``
(a row's score does not depend on its neighbours); the decisions then run in worker processes
(``workers``), each with its own compiled policy, while this process scores the next chunk.
A simulation counts each application's outcome and its best offer, so each is decided with
``first_offer_only`` and no cost statement is drawn.
"""

from __future__ import annotations

import itertools
import math
from collections import deque
from collections.abc import Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from multiprocessing import get_context

from thinfile.decisioning.application import FIELD_TYPES, Application
from thinfile.decisioning.buildup import PricingParameters
from thinfile.decisioning.economics import offer_economics
from thinfile.decisioning.engine import Scorer, decide, model_record
from thinfile.decisioning.policy import Policy, load_policy, policy_from_json
from thinfile.decisioning.simulate_counts import Counts, DecisionRow

__all__ = [
    "PARALLEL_FROM",
    "THIN_FILE_MONTHS",
    "application_from_record",
    "count_records",
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

    frame = pd.DataFrame([model_record(a, on) for a in apps])
    # A field every application of the chunk left out is a column of gaps, as score_one
    # reads a missing key: a chunk is scored as its rows would be one by one.
    absent = [n for n in getattr(model, "feature_names", ()) if n not in frame.columns]
    frame = score_frame(frame.reindex(columns=[*frame.columns, *absent]) if absent else frame)
    return [
        _Score(float(p), int(s))  # float-ok: probabilities
        for p, s in zip(frame["pd"], frame["score"], strict=True)
    ]


_Texts = tuple[str, str, str, date, PricingParameters]
"""What a worker needs besides the applications: the policy's JSON, the model's version,
the decision date and the economics lens."""
_Arm = tuple[str, Decimal]
"""An arm's policy version and cap, which its summary is counted with."""
_Job = tuple[list[_Texts], list[_Arm], list[tuple[Application, _Score]], list[int | None]]
"""A chunk's work: every arm's texts and key, the scored applications and their outcomes."""


def _decide_arm(texts: _Texts, items: list[tuple[Application, _Score]]) -> list[DecisionRow]:
    settings_json, graph_json, model_version, on, lens = texts
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
                (app.bureau_history_months or 0) < THIN_FILE_MONTHS,
                app.segment,
                d.grade,
                offer_economics(offer, d.pd, lens, cap=cap, basis=basis) if offer else None,
            )
        )
    return rows


def _count_chunk(job: _Job) -> Counts:
    """Decide a chunk with every arm and count it (in a worker, or in this process)."""
    arms, keys, items, bads = job
    decided = [_decide_arm(texts, items) for texts in arms]
    counts = Counts.empty(keys)
    olds: list[DecisionRow | None] = list(decided[1]) if len(decided) > 1 else [None] * len(bads)
    for new, old, bad in zip(decided[0], olds, bads, strict=True):
        counts.add(new, old, bad)
    return counts


def _texts(policy: Policy, model_version: str, on: date, lens: PricingParameters) -> _Texts:
    return (policy.settings_json(), policy.graph_json, model_version, on, lens)


def _scored(
    records: Sequence[Mapping[str, object]], model: Scorer, on: date
) -> list[tuple[Application, _Score]]:
    apps = [application_from_record(r) for r in records]
    return list(zip(apps, _batch_scores(model, apps, on), strict=True))


def count_records(
    records: Iterable[Mapping[str, object]],
    *,
    policy: Policy,
    model: Scorer,
    on: date,
    baseline: Policy | None = None,
    outcome: str = "bad_12m",
    workers: int = 1,
    parallel_from: int = PARALLEL_FROM,
) -> Counts:
    """Score, decide and count every record with ``policy`` (and ``baseline``), reading
    ``records`` a chunk at a time, so a run of any length holds a few chunks, not the run.

    With ``workers`` > 1 and at least ``parallel_from`` records, chunks are decided and
    counted in that many processes while this one reads and scores the next (scores are per
    row, so a chunk scores as it would in the whole batch); at most two chunks per worker are
    in flight. The counts are exact, so they are the same however the run was split.
    """
    lens = economics_lens(policy, baseline)
    chosen = [p for p in (policy, baseline) if p is not None]
    arms = [_texts(p, model.version, on, lens) for p in chosen]
    keys = [(p.version, p.settings.cap) for p in chosen]
    stream = iter(records)
    head = list(itertools.islice(stream, max(parallel_from, workers * _CHUNK)))
    counts = Counts.empty(keys)

    def job(chunk: list[Mapping[str, object]]) -> _Job:
        return arms, keys, _scored(chunk, model, on), [_outcome(r, outcome) for r in chunk]

    if workers <= 1 or len(head) < parallel_from:
        for chunk in _chunks(itertools.chain(head, stream), _CHUNK):
            counts.merge(_count_chunk(job(chunk)))
        return counts
    size = min(_CHUNK, math.ceil(len(head) / workers))
    with ProcessPoolExecutor(workers, mp_context=get_context("spawn")) as pool:
        pending: deque[Future[Counts]] = deque()
        for chunk in _chunks(itertools.chain(head, stream), size):
            pending.append(pool.submit(_count_chunk, job(chunk)))
            while len(pending) > 2 * workers:
                counts.merge(pending.popleft().result())
        while pending:
            counts.merge(pending.popleft().result())
    return counts


def _chunks(
    records: Iterator[Mapping[str, object]], size: int
) -> Iterator[list[Mapping[str, object]]]:
    while chunk := list(itertools.islice(records, size)):
        yield chunk


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
