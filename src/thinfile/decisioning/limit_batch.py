"""Limit decisions of a batch of lines, column by column (批量调额): the same answers as
:func:`~thinfile.decisioning.limits.decide_limit` line by line, at a review's scale.

A review decides a million lines with one policy whose graph is made of decision tables, so
most of the work per line is the same work: the graph is a function of the few fields it
reads (``LimitPolicy.reads``) and many lines share their values. :func:`decide_limit_columns`
takes the batch as arrays (:class:`LimitColumns`), runs the graph once per distinct
combination of the fields it reads, and finishes each line with array arithmetic: the risk
actions, the blockers (``PAST_DUE_NOW`` added for a line past due), the increase target,
the affordability cap and the ceiling, rounded down to the policy's step. What is exact
decimal arithmetic in ``decide_limit`` (``limit × step``, ``affordable_limit``, a decrease's
``limit × factor``) is computed by the same functions, once per distinct combination of its
inputs, so no float ever touches an amount. A policy whose graph reads anything else (a
node that is not a decision table) is decided line by line by ``decide_limit``.

The columns, the arms and the stored inputs are in
:mod:`~thinfile.decisioning.limit_columns`. A test holds both paths equal on thousands of
varied lines.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from thinfile.decisioning.limit_columns import Flags, Ints, LimitColumns, Texts
from thinfile.decisioning.limit_policy import LimitPolicy
from thinfile.decisioning.limits import (
    BehaviourScore,
    LimitAction,
    _down,
    _up,
    affordable_limit,
    decide_limit,
)

__all__ = ["LimitBatch", "decide_limit_columns"]

_LINE_FIELDS = ("status", "limit_fen", "days_since_increase", "temporary")


@dataclass(frozen=True, slots=True)
class LimitBatch:
    """The decisions of a batch, row for row: action (``LimitAction`` values), the limit
    before and after, the reason codes joined by commas, the policy version."""

    action: Texts
    old_limit: Ints
    new_limit: Ints
    reason_codes: Texts
    policy_version: Texts

    def __len__(self) -> int:
        return len(self.action)

    def held_out(self, rows: Flags) -> LimitBatch:
        """Increases at ``rows`` withheld (control-group lines), as ``LimitDecision.held_out``."""
        hold = rows & (self.action == LimitAction.INCREASE.value)
        action, new, codes = self.action.copy(), self.new_limit.copy(), self.reason_codes.copy()
        action[hold] = LimitAction.HELD_OUT.value
        new[hold] = self.old_limit[hold]
        codes[hold] = [f"{c},CONTROL_GROUP" if c else "CONTROL_GROUP" for c in codes[hold]]
        return LimitBatch(action, self.old_limit, new, codes, self.policy_version)

    @classmethod
    def merged(cls, size: int, parts: Sequence[tuple[NDArray[np.intp], LimitBatch]]) -> LimitBatch:
        """One batch of ``size`` rows from parts decided apart (each with its rows)."""
        out = cls(
            np.empty(size, dtype=object),
            np.zeros(size, dtype=np.int64),
            np.zeros(size, dtype=np.int64),
            np.empty(size, dtype=object),
            np.empty(size, dtype=object),
        )
        for rows, part in parts:
            for name in ("action", "old_limit", "new_limit", "reason_codes", "policy_version"):
                getattr(out, name)[rows] = getattr(part, name)
        return out


def _codes(values: NDArray[Any], known: Flags | None = None) -> tuple[Ints, list[object]]:
    """Integer codes of ``values`` (None where not ``known``) and the value of each code."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    listed: list[object] = [v.item() if isinstance(v, np.generic) else v for v in uniques]
    codes = codes.astype(np.int64)
    if known is not None or (codes < 0).any():
        missing = codes < 0 if known is None else ~known
        codes = np.where(missing, len(listed), codes)
        listed.append(None)
    return codes, listed


def _combined(columns: Sequence[Ints]) -> Ints:
    """One code per distinct combination of the columns' codes (0, 1, … by first seen)."""
    combined = np.zeros(len(columns[0]) if columns else 0, dtype=np.int64)
    for codes in columns:
        width = int(codes.max()) + 1 if len(codes) else 1
        combined, _ = pd.factorize(combined * width + codes)
        combined = combined.astype(np.int64)
    return combined


def _per_distinct(
    compute: Callable[..., object], columns: Sequence[NDArray[Any]], rows: Flags
) -> NDArray[Any]:
    """``compute(*values)`` of each row in ``rows``, called once per distinct combination of
    the columns' values (the rows elsewhere are left empty)."""
    out = np.empty(len(rows), dtype=object)
    where = np.flatnonzero(rows)
    if not len(where):
        return out
    picked = [c[where] for c in columns]
    codes = _combined([_codes(c)[0] for c in picked])
    _, first = np.unique(codes, return_index=True)
    answers = [compute(*(_python(c[i]) for c in picked)) for i in first]
    table = np.empty(len(answers), dtype=object)
    table[:] = answers
    out[where] = table[codes]
    return out


def _python(value: object) -> object:
    return value.item() if isinstance(value, np.generic) else value


@dataclass(frozen=True, slots=True)
class _Read:
    """How one field the graph reads comes from the columns: codes per line, value per code."""

    path: str
    codes: Ints
    values: list[object]


def _reads(
    columns: LimitColumns, reads: Sequence[str], model_grade: Texts | None
) -> list[_Read] | None:
    """The graph's read fields as codes per line; None when one is read in a way only the
    line-by-line path reproduces (a whole sub-object)."""
    n = len(columns)
    constant = np.zeros(n, dtype=np.int64)
    found: list[_Read] = []
    for path in reads:
        head, _, rest = path.partition(".")
        if head in ("line", "behaviour", "model") and not rest:
            return None
        if head == "kind" and not rest:
            found.append(_Read(path, constant, [columns.kind]))
        elif "." in rest or head not in ("line", "behaviour", "model"):
            found.append(_Read(path, constant, [None]))
        elif head == "line" and rest in _LINE_FIELDS:
            found.append(_Read(path, *_line_codes(columns, rest)))
        elif head == "behaviour" and rest in columns.behaviour:
            found.append(
                _Read(path, *_codes(columns.behaviour[rest], columns.behaviour_known[rest]))
            )
        elif head == "model" and rest == "grade":
            grades = model_grade if model_grade is not None else np.full(n, None, dtype=object)
            found.append(_Read(path, *_codes(grades)))
        else:
            found.append(_Read(path, constant, [None]))
    return found


def _line_codes(columns: LimitColumns, field: str) -> tuple[Ints, list[object]]:
    if field == "status":
        return _codes(columns.status)
    if field == "limit_fen":
        return _codes(columns.limit_fen)
    if field == "days_since_increase":
        return _codes(columns.days_since_increase, columns.increase_known)
    return columns.temporary.astype(np.int64), [False, True]


def _context(reads: Sequence[_Read], n: int) -> dict[str, object]:
    """Line ``n``'s context with only the fields the graph reads (its key is the same)."""
    context: dict[str, Any] = {}
    for read in reads:
        head, _, rest = read.path.partition(".")
        value = read.values[int(read.codes[n])]
        if not rest:
            context[head] = value
        elif "." not in rest and head in ("line", "behaviour", "model"):
            context.setdefault(head, {})[rest] = value
    return context


@dataclass(frozen=True, slots=True)
class _Outcome:
    """What the graph says for one combination of the fields it reads."""

    risk: Mapping[str, Any] | None
    blockers: tuple[str, ...]
    grade: Mapping[str, Any]

    @classmethod
    def of(cls, result: Mapping[str, Any]) -> _Outcome:
        risk = result.get("risk")
        has_risk = isinstance(risk, dict) and bool(risk.get("action"))
        return cls(
            risk if has_risk else None,
            tuple(str(b["code"]) for b in result.get("blockers") or []),
            result.get("grade") or {},
        )


def decide_limit_columns(
    columns: LimitColumns,
    policy: LimitPolicy,
    scores: Sequence[BehaviourScore | None] | None = None,
) -> LimitBatch:
    """Every line of ``columns`` decided by ``policy`` (graded by its behaviour score where
    one is given): row for row what ``decide_limit`` decides."""
    n = len(columns)
    if n == 0:
        empty = np.empty(0, dtype=object)
        return LimitBatch(empty, np.empty(0, np.int64), np.empty(0, np.int64), empty, empty)
    grades = _model_grades(policy, scores, n)
    reads = None if policy.reads is None else _reads(columns, policy.reads, grades)
    if reads is None:
        return _line_by_line(columns, policy, scores)
    key = _combined([r.codes for r in reads]) if reads else np.zeros(n, dtype=np.int64)
    _, first = np.unique(key, return_index=True)
    outcomes = [_Outcome.of(policy.evaluate(_context(reads, int(i)))) for i in first]
    action = np.full(n, LimitAction.NONE.value, dtype=object)
    new = columns.limit_fen.copy()
    codes = np.empty(n, dtype=object)
    risky = _risk(columns, policy, outcomes, key, action, new, codes)
    pending = _blocked(columns, outcomes, key, ~risky, codes)
    _increase(columns, policy, outcomes, key, pending, action, new, codes)
    versions = np.full(n, policy.version, dtype=object)
    return LimitBatch(action, columns.limit_fen.copy(), new, codes, versions)


def _model_grades(
    policy: LimitPolicy, scores: Sequence[BehaviourScore | None] | None, n: int
) -> Texts | None:
    if scores is None or all(s is None for s in scores):
        return None
    by_pd: dict[str, str | None] = {}
    out = np.empty(n, dtype=object)
    for i, score in enumerate(scores):
        if score is None:
            out[i] = None
            continue
        if score.pd not in by_pd:
            by_pd[score.pd] = policy.settings.grade_for_pd(Decimal(score.pd))
        out[i] = by_pd[score.pd]
    return out


def _line_by_line(
    columns: LimitColumns, policy: LimitPolicy, scores: Sequence[BehaviourScore | None] | None
) -> LimitBatch:
    n = len(columns)
    decided = [
        decide_limit(columns.inputs(i), policy, None if scores is None else scores[i])
        for i in range(n)
    ]
    return LimitBatch(
        np.array([d.action.value for d in decided], dtype=object).reshape(n),
        np.array([d.old_limit for d in decided], dtype=np.int64).reshape(n),
        np.array([d.new_limit for d in decided], dtype=np.int64).reshape(n),
        np.array([",".join(d.reason_codes) for d in decided], dtype=object).reshape(n),
        np.array([d.policy_version for d in decided], dtype=object).reshape(n),
    )


def _per_key(outcomes: Sequence[_Outcome], pick: Callable[[_Outcome], object]) -> Texts:
    table = np.empty(len(outcomes), dtype=object)
    table[:] = [pick(o) for o in outcomes]
    return table


def _risk(
    columns: LimitColumns,
    policy: LimitPolicy,
    outcomes: Sequence[_Outcome],
    key: Ints,
    action: Texts,
    new: Ints,
    codes: Texts,
) -> Flags:
    """Lines whose graph names a risk action: freeze, unfreeze, decrease or nothing, with
    the action's code (``decide_limit``'s ``_risk_action``); which lines those are."""
    has = np.array([o.risk is not None for o in outcomes], dtype=np.bool_)[key]
    what = _per_key(outcomes, lambda o: "" if o.risk is None else str(o.risk["action"]))[key]
    codes[has] = _per_key(outcomes, lambda o: "" if o.risk is None else str(o.risk["code"]))[key][
        has
    ]
    active, frozen = columns.status == "active", columns.status == "frozen"
    action[has & (what == "freeze") & active] = LimitAction.FREEZE.value
    action[has & (what == "unfreeze") & frozen] = LimitAction.UNFREEZE.value
    step = policy.settings.step_fen
    balance = _feature_or_zero(columns, "balance_fen")
    for i in np.flatnonzero(has & (what == "decrease") & active):
        risk = outcomes[int(key[i])].risk
        assert risk is not None
        limit = int(columns.limit_fen[i])
        kept = _down(Decimal(limit) * Decimal(str(risk["factor"])), step)
        lower = min(limit, max(_up(int(balance[i]), step), kept))
        if lower < limit:
            action[i], new[i] = LimitAction.DECREASE.value, lower
    kept = has & (what == "decrease") & (action != LimitAction.DECREASE.value)
    for i in np.flatnonzero(kept):  # nothing lowered: a reason that says it is kept
        codes[i] = "HOLD_" + str(codes[i]).removeprefix("DECREASE_")
    return has


def _blocked(
    columns: LimitColumns, outcomes: Sequence[_Outcome], key: Ints, rows: Flags, codes: Texts
) -> Flags:
    """Lines of ``rows`` the graph's blockers stop (``PAST_DUE_NOW`` added for a line past
    due) or whose income is unknown get their codes; the lines left to the increase."""
    dpd = _current_dpd(columns)
    has_past_due = np.array([("PAST_DUE_NOW" in o.blockers) for o in outcomes], dtype=np.bool_)
    has_past_due = has_past_due[key]
    add = rows & (dpd > 0) & ~has_past_due
    plain = _per_key(outcomes, lambda o: ",".join(o.blockers))[key]
    more = _per_key(outcomes, lambda o: ",".join((*o.blockers, "PAST_DUE_NOW")))[key]
    counted = np.array([len(o.blockers) for o in outcomes], dtype=np.int64)[key]
    blocked = rows & ((counted > 0) | add)
    codes[blocked & add] = more[blocked & add]
    codes[blocked & ~add] = plain[blocked & ~add]
    unknown = rows & ~blocked & ~columns.income_known
    codes[unknown] = "INCOME_UNKNOWN"
    return rows & ~blocked & columns.income_known


def _current_dpd(columns: LimitColumns) -> Ints:
    return _feature_or_zero(columns, "current_dpd")


def _feature_or_zero(columns: LimitColumns, name: str) -> Ints:
    """A feature with 0 where it is None or absent (as ``LimitInputs.current_dpd`` reads)."""
    if name not in columns.behaviour:
        return np.zeros(len(columns), dtype=np.int64)
    return np.where(columns.behaviour_known[name], columns.behaviour[name], 0)


def _increase(
    columns: LimitColumns,
    policy: LimitPolicy,
    outcomes: Sequence[_Outcome],
    key: Ints,
    rows: Flags,
    action: Texts,
    new: Ints,
    codes: Texts,
) -> None:
    """The increase of ``rows``: the grade's step of the limit, capped by the ceiling and by
    what the income repays, rounded down to the step (``decide_limit``'s ``_increase``)."""
    s = policy.settings
    step = _per_key(outcomes, lambda o: str(o.grade.get("step", "1")))[key]
    dsr = _per_key(outcomes, lambda o: str(o.grade.get("max_dsr", "0")))[key]
    limit = columns.limit_fen

    def target_of(fen: int, factor: str) -> int:
        return _down(Decimal(fen) * Decimal(factor), s.step_fen)

    def affordable_of(income: int, ratio: str, rate: str) -> int:
        cap = affordable_limit(income, Decimal(ratio), Decimal(rate), s.affordability_term_months)
        return _down(cap, s.step_fen)

    target = _whole(_per_distinct(target_of, [limit, step], rows), rows)
    affordable = _whole(
        _per_distinct(affordable_of, [columns.income_fen, dsr, columns.annual_rate], rows), rows
    )
    ceiling = s.ceiling_fen
    most = np.minimum(np.minimum(target, affordable), ceiling)
    stays = rows & (most <= limit)
    codes[stays] = np.where(
        ceiling <= limit[stays],
        "AT_CEILING",
        np.where(affordable[stays] <= limit[stays], "AFFORDABILITY", "BEHAVIOUR_GRADE"),
    ).astype(object)
    up = rows & ~stays
    capped = (most == affordable) & (affordable < target)
    at_ceiling = (most == ceiling) & (ceiling < target)
    table = np.array(
        [
            "INCREASE_GOOD_REPAYMENT",
            "INCREASE_GOOD_REPAYMENT,CAPPED_AFFORDABILITY",
            "INCREASE_GOOD_REPAYMENT,CAPPED_CEILING",
            "INCREASE_GOOD_REPAYMENT,CAPPED_AFFORDABILITY,CAPPED_CEILING",
        ],
        dtype=object,
    )
    codes[up] = table[(capped.astype(np.int64) + 2 * at_ceiling.astype(np.int64))[up]]
    action[up] = LimitAction.INCREASE.value
    new[up] = most[up]


def _whole(values: NDArray[Any], rows: Flags) -> Ints:
    """Fen computed per row of ``rows`` as an integer array (0 elsewhere)."""
    out = np.zeros(len(values), dtype=np.int64)
    out[rows] = values[rows].astype(np.int64)
    return out
