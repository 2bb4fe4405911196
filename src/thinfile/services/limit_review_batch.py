"""One batch of the limit review decided column by column (批量复审).

``decide_batch_in(uow, book, day, first, last)`` decides and writes what
``limit_reviews.decide_lines_in`` does for the same lines — the same decisions, offers,
limit moves and notices — with the batch read in one statement as columns, the features
finished from the sums as arrays (``scoring.behaviour.feature_columns``), the arms hashed in
one pass, the policy's graph run once per distinct combination of the fields it reads
(``decisioning.limit_batch``), and the decisions and offers written by ``COPY`` from one
buffer each. The line-by-line path stays for a borrower's request and as the reference a
test holds this one to.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy.engine import Engine

from thinfile.decisioning.limit_batch import LimitBatch, decide_limit_columns
from thinfile.decisioning.limit_columns import LimitColumns, assign_limit_arms, inputs_json
from thinfile.decisioning.limits import BehaviourScore, LimitAction, LimitArm
from thinfile.money import Money
from thinfile.scoring.behaviour import SUM_COLUMNS, feature_columns
from thinfile.services.behaviour_scores import (
    active_behaviour_model_in,
    model_reasons_json,
    score_lines,
)
from thinfile.services.limit_features import snapshot_in
from thinfile.services.limit_policies import LimitBook
from thinfile.services.notifications import (
    notify_limit_changed_in_unit,
    notify_limit_frozen_in_unit,
)
from thinfile.services.uow import UnitOfWork
from thinfile.store.servicing_codec import from_day

__all__ = [
    "decide_batch_in",
    "review_batch_in",
    "review_batches",
    "review_columns",
    "tell_borrowers",
]

_MOVES = {
    LimitAction.DECREASE.value: ("active", "decrease"),
    LimitAction.FREEZE.value: ("frozen", "freeze"),
    LimitAction.UNFREEZE.value: ("active", "unfreeze"),
}


def review_columns(
    frame: pd.DataFrame, kind: str, day: int, application_scores: Mapping[int, int]
) -> LimitColumns:
    """The columns of a batch read by ``uow.limit_decisions.review_lines`` on ``day``."""

    def ints(column: str) -> np.ndarray:
        return frame[column].to_numpy(dtype=np.int64, na_value=0)

    def known(column: str) -> np.ndarray:
        return ~frame[column].isna().to_numpy(dtype=np.bool_)

    sums = {c: ints(c) for c in SUM_COLUMNS if c != "line_id"}
    features, features_known = feature_columns(sums, day)
    increased = known("last_increase")
    since = np.where(increased, day - ints("last_increase"), 0)
    rates: dict[object, str] = {}
    rate_texts = np.empty(len(frame), dtype=object)
    rate_texts[:] = [
        rates[r] if r in rates else rates.setdefault(r, str(Decimal(str(r))))
        for r in frame["annual_rate"].tolist()
    ]
    line_ids = ints("line_id")
    scores = [application_scores.get(i) for i in line_ids.tolist()] if application_scores else []
    return LimitColumns(
        kind,
        line_ids,
        frame["status"].astype(str).to_numpy(dtype=object),
        ints("limit_amount"),
        rate_texts,
        ints("income"),
        known("income"),
        since,
        increased,
        ints("temporary") != 0,
        np.array([s or 0 for s in scores] or np.zeros(len(frame)), dtype=np.int64),
        np.array([s is not None for s in scores] or np.zeros(len(frame)), dtype=np.bool_),
        features,
        features_known,
    )


def _decide(
    book: LimitBook,
    columns: LimitColumns,
    arms: np.ndarray,
    scores: Sequence[BehaviourScore | None] | None,
) -> LimitBatch:
    """Each line by its arm's policy: the challenger's lines by the challenger."""
    challenger = arms == LimitArm.CHALLENGER.value
    parts = []
    for rows, policy in (
        (np.flatnonzero(~challenger), book.champion),
        (np.flatnonzero(challenger), book.challenger),
    ):
        if len(rows) and policy is not None:
            picked = None if scores is None else [scores[i] for i in rows.tolist()]
            parts.append((rows, decide_limit_columns(columns.take(rows), policy, picked)))
    return LimitBatch.merged(len(columns), parts)


def decide_batch_in(uow: UnitOfWork, book: LimitBook, day: int, first: int, last: int) -> int:
    """Review the lines ``first`` to ``last`` snapshotted on ``day`` not reviewed yet and
    write the decisions and what follows them (the caller commits); how many were decided."""
    kind = "review"
    frame = uow.limit_decisions.review_lines(day, first, last, unreviewed=True)
    if frame.empty:
        return 0
    model = active_behaviour_model_in(uow)
    app_scores = uow.limits.application_scores(first, last) if model is not None else {}
    columns = review_columns(frame, kind, day, app_scores)
    n = len(columns)
    scores: list[BehaviourScore | None] | None = None
    if model is not None:
        scores = list(score_lines(model, [columns.inputs(i) for i in range(n)]))
    share = book.share if book.challenger is not None else Decimal(0)
    arms = assign_limit_arms(columns.line_id, book.champion.settings.control_share, share)
    batch = _decide(book, columns, arms, scores)
    batch = batch.held_out(arms == LimitArm.CONTROL.value)
    uow.limit_decisions.add_review_decisions(
        {
            "line_id": columns.line_id,
            "day": day,
            "review_day": day,
            "kind": kind,
            "arm": arms,
            "policy_version": batch.policy_version,
            "model_version": None if scores is None else [s and s.model_version for s in scores],
            "action": batch.action,
            "old_limit": batch.old_limit,
            "new_limit": batch.new_limit,
            "reason_codes": batch.reason_codes,
            "inputs_json": inputs_json(columns),
            "pd": None if scores is None else [s and s.pd for s in scores],
            "model_reasons": (
                None
                if scores is None
                else [model_reasons_json(s.reasons if s else ()) for s in scores]
            ),
        },
        n,
    )
    _follow(uow, book, day, (first, last), columns.line_id, batch)
    return n


def _follow(
    uow: UnitOfWork,
    book: LimitBook,
    day: int,
    lines: tuple[int, int],
    line_ids: np.ndarray,
    batch: LimitBatch,
) -> None:
    """Offers for increases (set-based, from the decisions written); limit moves and
    notices for decreases, freezes, unfreezes (``limit_reviews._follow``)."""
    first, last = lines
    expires = day + book.champion.settings.offer_days
    uow.limit_decisions.offer_review_increases(day, first, last, expires)
    moving = np.flatnonzero(np.isin(batch.action, list(_MOVES))).tolist()
    ids = uow.limit_decisions.review_decision_ids(day, first, last, list(_MOVES)) if moving else {}
    moves, notices = [], []
    for i in moving:
        status, notice = _MOVES[str(batch.action[i])]
        line_id, old, new = int(line_ids[i]), int(batch.old_limit[i]), int(batch.new_limit[i])
        reason = str(batch.reason_codes[i])
        moves.append(
            {
                "line_id": line_id,
                "limit": new,
                "status": status,
                "day": day,
                "old_limit": old,
                "reason": reason,
            }
        )
        notices.append(
            {
                "line_id": line_id,
                "decision_id": ids[line_id],
                "day": day,
                "kind": notice,
                "old_limit": old,
                "new_limit": new,
                "reason_codes": reason,
            }
        )
    uow.limit_decisions.move_limits(moves)
    uow.limit_decisions.add_notices(notices)
    tell_borrowers(uow, moves, f"review:{day}")


def tell_borrowers(uow: UnitOfWork, moves: Sequence[Mapping[str, Any]], change: str) -> None:
    """Each line's borrower hears of its move, in the move's transaction: ``limit_frozen``
    for a freeze, ``limit_changed`` when the amount moved (once per line and change). The
    owners are looked up in one statement; a line nobody owns tells nobody."""
    owners = uow.applications.owners_of_lines([int(m["line_id"]) for m in moves])
    for m in moves:
        line_id, new = int(m["line_id"]), Money(int(m["limit"]), "CNY")
        if line_id not in owners:
            continue
        if m["status"] == "frozen":
            notify_limit_frozen_in_unit(uow, line_id, new, change)
        else:
            notify_limit_changed_in_unit(
                uow, line_id, Money(int(m["old_limit"]), "CNY"), new, change
            )


_WORKER: dict[str, Any] = {}
"""A worker process's engine and limit book (set once when it starts)."""


def _start_worker(engine: Engine, book: LimitBook) -> None:
    engine.dispose(close=False)  # the parent's pooled connections stay the parent's
    _WORKER.update(engine=engine, book=book)


def review_batch_in(uow: UnitOfWork, book: LimitBook, day: int, first: int, last: int) -> int:
    """Snapshot the lines ``first`` to ``last`` on ``day`` (those not snapshotted yet), then
    :func:`decide_batch_in` them: the snapshot is the batch's, so the batches of a review
    take theirs in parallel, each reading its own lines' loans and installments by key."""
    snapshot_in(uow, from_day(day), lines=(first, last))
    return decide_batch_in(uow, book, day, first, last)


def _review_batch(day: int, first: int, last: int) -> tuple[int, int]:
    with UnitOfWork(_WORKER["engine"]) as uow:
        decided = review_batch_in(uow, _WORKER["book"], day, first, last)
        uow.commit()
    return last, decided


def review_batches(
    engine: Engine,
    book: LimitBook,
    day: int,
    ranges: Sequence[tuple[int, int]],
    *,
    workers: int = 1,
    after_batch: Callable[[int, int], None] | None = None,
) -> int:
    """Review each range of line ids in a transaction of its own; with ``workers`` > 1 on
    PostgreSQL, in that many processes at once (forked, so each starts with the book
    loaded). How many lines were decided; ``after_batch(last id, decided so far)`` after
    each batch, in the order they finish."""
    decided = 0
    forked = "fork" in multiprocessing.get_all_start_methods()
    if workers < 2 or len(ranges) < 2 or engine.dialect.name != "postgresql" or not forked:
        for first, last in ranges:
            decided += _in_unit(engine, book, day, first, last)
            if after_batch is not None:
                after_batch(last, decided)
        return decided
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(
        workers, mp_context=context, initializer=_start_worker, initargs=(engine, book)
    ) as pool:
        futures = [pool.submit(_review_batch, day, first, last) for first, last in ranges]
        for future in as_completed(futures):
            last, count = future.result()
            decided += count
            if after_batch is not None:
                after_batch(last, decided)
    return decided


def _in_unit(engine: Engine, book: LimitBook, day: int, first: int, last: int) -> int:
    with UnitOfWork(engine) as uow:
        decided = review_batch_in(uow, book, day, first, last)
        uow.commit()
    return decided
