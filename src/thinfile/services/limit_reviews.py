"""Limit reviews (额度复审): every open line decided by the limit policy, set-based.

``review_limits(engine, on)`` reviews the open lines in batches of ids, column by column
(``limit_review_batch``): each batch first snapshots its lines' behaviour on ``on``, then one
statement reads the batch's feature aggregates beside what else the policy reads (status,
limit, rate, income, last increase, temporary limit), the graph runs once per distinct
combination of the fields it reads, then the batch's decisions, offers, limit moves and
notices are written with one statement each and committed; with ``workers`` > 1
(PostgreSQL) the batches run in that many processes. ``decide_lines_in`` decides line by
line — a borrower's request, and the reference the column-wise path is tested against. A
line decided once on a date is never decided again that date (``limit_decisions.review_day``
is unique per line), so a run killed midway resumes, and a second run of the same date
changes nothing.

When a behaviour model is registered (``services.behaviour_scores``), the batch's lines are
scored by it in one call and the policy grades each from its PD; every decision records the
model's version, PD and top reasons beside the policy version. Without one the policy's rules
grade the line and the decision's model version is empty.

Each line meets one arm by a deterministic hash of its id (``assign_limit_arm``): the control
group (the champion's ``control_share``) gets no automatic increase — its would-be offers are
recorded as ``held_out`` — but is decreased and frozen like every other line; a challenger
policy, when one is set, decides its share of the rest. Increases become offers that change
the limit only when the borrower accepts (``limits.accept_limit_offer``); decreases, freezes
and unfreezes move the line at once, with a notice the borrower reads.

``close_of_business_step(uow, x)`` is close of business's ``limits`` step: temporary limits
ending on ``x``, and at month-end the snapshot and the review, inside the step's unit of work.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy.engine import Engine

from thinfile.decisioning.limit_policy import LimitPolicy
from thinfile.decisioning.limits import (
    BehaviourScore,
    LimitAction,
    LimitArm,
    LimitDecision,
    LimitInputs,
    StaffBound,
    assign_limit_arm,
    decide_limit,
    staff_bound,
)
from thinfile.errors import InvalidInputError
from thinfile.scoring.behaviour import BehaviourFeatures
from thinfile.services.audit import record_audit
from thinfile.services.behaviour_scores import (
    active_behaviour_model_in,
    model_reasons_json,
    score_lines,
)
from thinfile.services.business_date import business_date_in
from thinfile.services.limit_features import (
    backfill_incomes_in,
    is_month_end,
    refresh_incomes_in,
    snapshot_in,
)
from thinfile.services.limit_policies import LimitBook, limit_book_in
from thinfile.services.limit_review_batch import review_batch_in, review_batches, tell_borrowers
from thinfile.services.uow import UnitOfWork
from thinfile.store.servicing_codec import from_day, to_day

__all__ = [
    "ReviewReport",
    "close_of_business_step",
    "decide_lines_in",
    "end_temporary_limits_in",
    "measure_line_in",
    "review_limits",
    "staff_bound_in",
]

BATCH_LINES = 20_000


@dataclass(frozen=True, slots=True)
class ReviewReport:
    """What a review did: decisions by ``arm:action``, lines decided by this run, seconds."""

    on: date
    decided: int
    counts: Mapping[str, int]
    seconds: float


def _arm(book: LimitBook, line_id: int) -> LimitArm:
    share = book.share if book.challenger is not None else Decimal(0)
    return assign_limit_arm(line_id, book.champion.settings.control_share, share)


def _inputs(
    kind: str,
    facts: Mapping[str, Any],
    features: BehaviourFeatures,
    day: int,
    application_score: int | None = None,
) -> LimitInputs:
    last = facts["last_increase"]
    return LimitInputs(
        line_id=int(facts["line_id"]),
        kind=kind,
        status=str(facts["status"]),
        limit_fen=int(facts["limit_amount"]),
        behaviour=features.as_context(),
        annual_rate=Decimal(str(facts["annual_rate"])),
        income_fen=None if facts["income"] is None else int(facts["income"]),
        days_since_increase=None if last is None else day - int(last),
        temporary=facts["temporary"] is not None,
        application_score=application_score,
    )


def _lines_in(
    uow: UnitOfWork, day: int, first: int, last: int, *, kind: str, unreviewed: bool
) -> tuple[list[LimitInputs], list[BehaviourScore | None]]:
    """The inputs of the open lines ``first`` to ``last`` snapshotted on ``day`` (not yet
    reviewed that day when ``unreviewed``), and the behaviour model's score of each (None
    without a model)."""
    open_lines = uow.limit_decisions.line_facts(day, first, last, unreviewed=unreviewed)
    if not open_lines:
        return [], []
    sums = {int(r["line_id"]): r for r in uow.limits.feature_sums(day, first=first, last=last)}
    model = active_behaviour_model_in(uow)
    app_scores = uow.limits.application_scores(first, last) if model is not None else {}
    lines = [
        _inputs(
            kind,
            facts,
            BehaviourFeatures.from_sums(sums[int(facts["line_id"])], day),
            day,
            app_scores.get(int(facts["line_id"])),
        )
        for facts in open_lines
        if int(facts["line_id"]) in sums  # no snapshot on the day: opened later
    ]
    scores: list[BehaviourScore | None] = (
        list(score_lines(model, lines)) if model is not None else [None] * len(lines)
    )
    return lines, scores


def _policy_of(book: LimitBook, arm: LimitArm) -> LimitPolicy:
    """The policy that decides a line of ``arm``: the challenger's arm by the challenger (when
    one is set), every other arm by the champion."""
    return book.challenger if arm is LimitArm.CHALLENGER and book.challenger else book.champion


def measure_line_in(uow: UnitOfWork, book: LimitBook, on: date, line_id: int) -> bool:
    """Bring ``line_id`` up to ``on`` before it is decided out of the nightly review (a
    borrower's request, a staff increase): its income backfilled from its application and
    refreshed from newer platform earnings, its behaviour snapshotted (this line's, not the
    book's). True when the snapshot was taken now: the caller drops it once read
    (``uow.limits.forget``), so the night's review measures the line as it is then — a
    draw after the look would otherwise be missed and a limit cut below what is drawn."""
    haircut = book.champion.settings.income_haircut
    backfill_incomes_in(uow, on, line_id=line_id)
    refresh_incomes_in(uow, on, haircut=haircut, line_id=line_id)
    return snapshot_in(uow, on, line_id=line_id) > 0


def staff_bound_in(uow: UnitOfWork, book: LimitBook, on: date, line_id: int) -> StaffBound:
    """How far staff may raise ``line_id`` on ``on`` (:func:`~thinfile.decisioning.limits.
    staff_bound`), measured as a borrower's request would be (:func:`measure_line_in`),
    graded by the policy of its arm."""
    taken = measure_line_in(uow, book, on, line_id)
    lines, scores = _lines_in(uow, to_day(on), line_id, line_id, kind="request", unreviewed=False)
    if taken:
        uow.limits.forget(to_day(on), line_id)
    if not lines:
        return StaffBound(None, "", Decimal(0), None)
    return staff_bound(lines[0], _policy_of(book, _arm(book, line_id)), scores[0])


def decide_lines_in(
    uow: UnitOfWork,
    book: LimitBook,
    day: int,
    first: int,
    last: int,
    *,
    kind: str = "review",
) -> list[tuple[int, LimitDecision]]:
    """Decide the lines ``first`` to ``last`` snapshotted on ``day`` and write the decisions
    and what follows them (the caller commits); ``(decision id, decision)`` per line."""
    review = kind == "review"
    lines, scores = _lines_in(uow, day, first, last, kind=kind, unreviewed=review)
    if not lines:
        return []
    rows: list[dict[str, object]] = []
    decided: list[LimitDecision] = []
    for inputs, score in zip(lines, scores, strict=True):
        line_id = inputs.line_id
        arm = _arm(book, line_id)
        decision = decide_limit(inputs, _policy_of(book, arm), score)
        if review and arm is LimitArm.CONTROL and decision.action is LimitAction.INCREASE:
            decision = decision.held_out()
        decided.append(decision)
        rows.append(
            {
                "line_id": line_id,
                "day": day,
                "review_day": day if review else None,
                "kind": kind,
                "arm": arm.value,
                "policy_version": decision.policy_version,
                "model_version": decision.model_version,
                "action": decision.action.value,
                "old_limit": decision.old_limit,
                "new_limit": decision.new_limit,
                "reason_codes": ",".join(decision.reason_codes),
                "inputs_json": json.dumps(inputs.as_json(), separators=(",", ":")),
                "pd": decision.pd,
                "model_reasons": model_reasons_json(decision.model_reasons),
            }
        )
    ids = uow.limit_decisions.add_decisions(rows)
    pairs = list(zip(ids, decided, strict=True))
    _follow(
        uow,
        book,
        day,
        [(i, d, int(str(r["line_id"]))) for (i, d), r in zip(pairs, rows, strict=True)],
    )
    return pairs


_MOVES = {
    LimitAction.DECREASE: ("active", "decrease"),
    LimitAction.FREEZE: ("frozen", "freeze"),
    LimitAction.UNFREEZE: ("active", "unfreeze"),
}


def _follow(
    uow: UnitOfWork, book: LimitBook, day: int, done: list[tuple[int, LimitDecision, int]]
) -> None:
    """Offers for increases; limit moves and notices for decreases, freezes, unfreezes."""
    offers, moves, notices = [], [], []
    for decision_id, d, line_id in done:
        if d.action is LimitAction.INCREASE:
            offers.append(
                {
                    "line_id": line_id,
                    "decision_id": decision_id,
                    "old_limit": d.old_limit,
                    "new_limit": d.new_limit,
                    "offered_day": day,
                    "expires_day": day + book.champion.settings.offer_days,
                    "status": "pending",
                }
            )
        elif d.action in _MOVES:
            status, notice = _MOVES[d.action]
            reason = ",".join(d.reason_codes)
            moves.append(
                {
                    "line_id": line_id,
                    "limit": d.new_limit,
                    "status": status,
                    "day": day,
                    "old_limit": d.old_limit,
                    "reason": reason,
                }
            )
            notices.append(
                {
                    "line_id": line_id,
                    "decision_id": decision_id,
                    "day": day,
                    "kind": notice,
                    "old_limit": d.old_limit,
                    "new_limit": d.new_limit,
                    "reason_codes": reason,
                }
            )
    uow.limit_decisions.supersede_offers([int(str(o["line_id"])) for o in offers], day)
    uow.limit_decisions.add_offers(offers)
    uow.limit_decisions.move_limits(moves)
    uow.limit_decisions.add_notices(notices)
    tell_borrowers(uow, moves, f"review:{day}")


def end_temporary_limits_in(uow: UnitOfWork, on: date) -> int:
    """Temporary limits whose end date has come end, with a notice: the line keeps no more
    than the limit before the temporary one (a decrease decided since, by the review or
    staff, stands; nothing above that limit survives it — an increase the borrower accepted
    for good since ended the temporary limit then); how many ended."""
    day = to_day(on)
    ended = uow.limit_decisions.temporary_ending(day)
    moves, notices = [], []
    for t in ended:
        uow.limit_decisions.end_temporary(int(t.id))
        line = uow.credit_lines.get(int(t.line_id), lock=True).line
        back = min(line.limit.fen, int(t.base_limit))
        if back == line.limit.fen:
            continue
        move = {
            "line_id": int(t.line_id),
            "limit": back,
            "status": line.status.value,
            "day": day,
            "old_limit": line.limit.fen,
            "reason": "TEMPORARY_ENDED",
        }
        moves.append(move)
        notices.append(
            {
                "line_id": int(t.line_id),
                "decision_id": None,
                "day": day,
                "kind": "temporary_end",
                "old_limit": line.limit.fen,
                "new_limit": back,
                "reason_codes": "TEMPORARY_ENDED",
            }
        )
    uow.limit_decisions.move_limits(moves)
    uow.limit_decisions.add_notices(notices)
    tell_borrowers(uow, moves, f"temporary-end:{day}")
    return len(ended)


def _prepare(uow: UnitOfWork, on: date) -> LimitBook:
    """The run's row, incomes (backfilled from applications, refreshed from newer platform
    earnings), expired offers and ended temporary limits. Each batch then takes its lines'
    snapshot of the day (``review_batch_in``), after the temporary limits ending that day
    have ended, as close of business does."""
    day = to_day(on)
    uow.limit_decisions.open_run(day)
    book = limit_book_in(uow)
    backfill_incomes_in(uow, on)
    refresh_incomes_in(uow, on, haircut=book.champion.settings.income_haircut)
    uow.limit_decisions.expire_offers(day)
    end_temporary_limits_in(uow, on)
    return book


def _ranges(uow: UnitOfWork, batch: int) -> list[tuple[int, int]]:
    bounds = uow.limit_decisions.line_bounds()
    if bounds is None:
        return []
    low, high = bounds
    return [(a, min(a + batch - 1, high)) for a in range(low, high + 1, batch)]


def _check_dated(uow: UnitOfWork, on: date) -> None:
    """Refuse a review dated after the business date or before the book's last closed day.

    A review reads the lines as they stand now — principal, days past due, limit — measured
    to its date, and moves them at once. Dated ahead, its months on book and days past due
    belong to a day that has not come; dated before the last closed day, it would decide on
    today's figures as if they were that day's (a line frozen at 60 days past due on the
    month-end unfrozen by a review "of" March) and supersede the later reviews' decisions
    and offers with older-dated ones."""
    today = business_date_in(uow)
    if on > today:
        raise InvalidInputError(
            f"the review date {on.isoformat()} is after the business date {today.isoformat()}",
            field="on",
            value=on.isoformat(),
            remedy="review on the business date or the last closed day",
        )
    closed = uow.cob.book_day()
    if closed is not None and to_day(on) < closed:
        last = from_day(closed)
        raise InvalidInputError(
            f"the review date {on.isoformat()} is before the book's last closed day "
            f"{last.isoformat()}: a review reads the lines as they stand now",
            field="on",
            value=on.isoformat(),
            remedy=f"review on {last.isoformat()} or later, up to the business date",
        )


def review_limits(
    engine: Engine,
    on: date,
    *,
    actor: str | None = None,
    batch_lines: int = BATCH_LINES,
    after_batch: Callable[[int, int], None] | None = None,
    workers: int = 1,
) -> ReviewReport:
    """Review every open line on ``on`` (idempotent per date; resumes a killed run). With
    ``actor`` the finished run is audited (``limits.review``) with its counts. With
    ``workers`` > 1 on PostgreSQL the batches run in that many processes at once."""
    if not isinstance(on, date):
        raise InvalidInputError("the review date must be a date", field="on")
    if batch_lines < 1:
        raise InvalidInputError("a batch holds at least one line", field="batch_lines")
    if workers < 1:
        raise InvalidInputError("a review runs in at least one process", field="workers")
    began, day, decided = time.perf_counter(), to_day(on), 0
    with UnitOfWork(engine) as uow:
        _check_dated(uow, on)
        run = uow.limit_decisions.run(day)
        if run is not None and run.status == "done":  # reviewed already: nothing to do
            counts = json.loads(run.counts_json)
            return ReviewReport(on, 0, counts, time.perf_counter() - began)
        book = _prepare(uow, on)
        ranges = _ranges(uow, batch_lines)
        uow.commit()
    decided = review_batches(engine, book, day, ranges, workers=workers, after_batch=after_batch)
    with UnitOfWork(engine) as uow:
        counts = uow.limit_decisions.reviewed_counts(day)
        run = uow.limit_decisions.run(day)
        if run is not None and run.status != "done":
            uow.limit_decisions.finish_run(day, counts)
            if actor:
                record_audit(
                    uow,
                    actor,
                    "limits.review",
                    f"limits:{on.isoformat()}",
                    {"decided": decided, "counts": counts},
                )
        uow.commit()
    return ReviewReport(on, decided, counts, time.perf_counter() - began)


def close_of_business_step(uow: UnitOfWork, x: date) -> int:
    """Limit management for business date ``x`` inside close of business's unit of work:
    temporary limits ending; at month-end the snapshot and the review of every line."""
    touched = end_temporary_limits_in(uow, x)
    if not is_month_end(x):
        return touched
    book = _prepare(uow, x)
    day = to_day(x)
    for first, last in _ranges(uow, BATCH_LINES):
        touched += review_batch_in(uow, book, day, first, last)
    uow.limit_decisions.finish_run(day, uow.limit_decisions.reviewed_counts(day))
    return touched
