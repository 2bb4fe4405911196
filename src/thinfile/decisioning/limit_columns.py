"""A batch of limit decisions' inputs as columns (列式输入): :class:`LimitColumns` (one array
per field of :class:`~thinfile.decisioning.limits.LimitInputs`), each line's arm
(:func:`assign_limit_arms`, the hash of ``assign_limit_arm`` in whole numbers) and each line's
stored inputs (:func:`inputs_json`, byte for byte what ``json.dumps(inputs.as_json(),
separators=(",", ":"))`` writes).
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

import numpy as np
from numpy.typing import NDArray

from thinfile.decisioning.limits import LimitArm, LimitInputs, assign_limit_arm

__all__ = ["LimitColumns", "assign_limit_arms", "inputs_json"]

Ints = NDArray[np.int64]
Flags = NDArray[np.bool_]
Texts = NDArray[np.object_]


@dataclass(frozen=True, slots=True)
class LimitColumns:
    """A batch of lines' :class:`LimitInputs`, one array per field (row ``n`` is one line).
    A field that may be None has its values (0 where None) and a ``*_known`` mask."""

    kind: str
    line_id: Ints
    status: Texts
    limit_fen: Ints
    annual_rate: Texts
    """The rate as text (``str`` of its ``Decimal``)."""
    income_fen: Ints
    income_known: Flags
    days_since_increase: Ints
    increase_known: Flags
    temporary: Flags
    application_score: Ints
    score_known: Flags
    behaviour: Mapping[str, Ints]
    """The behaviour features in the order the stored inputs list them."""
    behaviour_known: Mapping[str, Flags]
    """False where a feature is None (a ratio with nothing to divide)."""

    def __len__(self) -> int:
        return len(self.line_id)

    def take(self, rows: NDArray[np.intp]) -> LimitColumns:
        """The lines at ``rows``."""
        arrays = {f: getattr(self, f)[rows] for f in _ARRAYS}
        return LimitColumns(
            kind=self.kind,
            behaviour={k: v[rows] for k, v in self.behaviour.items()},
            behaviour_known={k: v[rows] for k, v in self.behaviour_known.items()},
            **arrays,
        )

    def feature(self, name: str, n: int) -> int | None:
        return int(self.behaviour[name][n]) if self.behaviour_known[name][n] else None

    def inputs(self, n: int) -> LimitInputs:
        """Line ``n`` as the one-line :class:`LimitInputs`."""
        return LimitInputs(
            line_id=int(self.line_id[n]),
            kind=self.kind,
            status=str(self.status[n]),
            limit_fen=int(self.limit_fen[n]),
            behaviour={name: self.feature(name, n) for name in self.behaviour},
            annual_rate=Decimal(str(self.annual_rate[n])),
            income_fen=int(self.income_fen[n]) if self.income_known[n] else None,
            days_since_increase=(
                int(self.days_since_increase[n]) if self.increase_known[n] else None
            ),
            temporary=bool(self.temporary[n]),
            application_score=(int(self.application_score[n]) if self.score_known[n] else None),
        )

    @classmethod
    def from_inputs(cls, kind: str, lines: Sequence[LimitInputs]) -> LimitColumns:
        """The columns of one-line inputs (all of ``kind``, with the same features)."""
        names = list(lines[0].behaviour) if lines else []

        def ints(values: Sequence[int | None]) -> tuple[Ints, Flags]:
            known = np.array([v is not None for v in values], dtype=np.bool_)
            return np.array([v or 0 for v in values], dtype=np.int64), known

        income, income_known = ints([i.income_fen for i in lines])
        since, since_known = ints([i.days_since_increase for i in lines])
        score, score_known = ints([i.application_score for i in lines])
        features = {n: ints([i.behaviour.get(n) for i in lines]) for n in names}
        return cls(
            kind,
            np.array([i.line_id for i in lines], dtype=np.int64),
            np.array([i.status for i in lines], dtype=object),
            np.array([i.limit_fen for i in lines], dtype=np.int64),
            np.array([str(i.annual_rate) for i in lines], dtype=object),
            income,
            income_known,
            since,
            since_known,
            np.array([i.temporary for i in lines], dtype=np.bool_),
            score,
            score_known,
            {n: v for n, (v, _) in features.items()},
            {n: k for n, (_, k) in features.items()},
        )


_ARRAYS = (
    "line_id",
    "status",
    "limit_fen",
    "annual_rate",
    "income_fen",
    "income_known",
    "days_since_increase",
    "increase_known",
    "temporary",
    "application_score",
    "score_known",
)


_BAND = 2**20
"""How near a share's bound a line's hash is decided by ``assign_limit_arm`` itself (the
bound in decimal arithmetic may round; 2**20 of 2**64 is far beyond any rounding)."""


def _bounds(share: Decimal) -> tuple[int, int]:
    exact = Fraction(share) * 2**64
    return math.floor(exact) - _BAND, math.ceil(exact) + _BAND


def assign_limit_arms(line_ids: Ints, control_share: Decimal, challenger_share: Decimal) -> Texts:
    """``assign_limit_arm`` of each line (its ``LimitArm`` value): the same hash compared in
    whole numbers, and the rare hash close to a bound compared as ``assign_limit_arm`` does."""
    low_control, high_control = _bounds(control_share)
    low_rest, high_rest = _bounds(control_share + challenger_share)
    control, challenger = LimitArm.CONTROL.value, LimitArm.CHALLENGER.value
    champion = LimitArm.CHAMPION.value
    arms: list[str] = []
    for line in line_ids.tolist():
        digest = hashlib.sha256(b"thinfile-limits:%d" % line).digest()
        u = int.from_bytes(digest[:8], "big")
        if u < low_control:
            arms.append(control)
        elif high_control < u < low_rest:
            arms.append(challenger)
        elif u > high_rest and u > high_control:
            arms.append(champion)
        else:
            arms.append(assign_limit_arm(line, control_share, challenger_share).value)
    out = np.empty(len(arms), dtype=object)
    out[:] = arms
    return out


def _text(value: object) -> str:
    return json.dumps(value)


def _number_texts(values: Ints, known: Flags | None = None) -> list[str]:
    texts: list[str] = [str(v) for v in values.tolist()]
    if known is not None and not known.all():
        for i in np.flatnonzero(~known).tolist():
            texts[i] = "null"
    return texts


def _string_texts(values: Texts) -> list[str]:
    seen: dict[object, str] = {}
    return [seen[v] if v in seen else seen.setdefault(v, _text(v)) for v in values.tolist()]


def inputs_json(columns: LimitColumns) -> list[str]:
    """Each line's stored inputs: ``json.dumps(inputs.as_json(), separators=(",", ":"))``."""
    parts = [
        _number_texts(columns.line_id),
        _string_texts(columns.status),
        _number_texts(columns.limit_fen),
        *(_number_texts(v, columns.behaviour_known[k]) for k, v in columns.behaviour.items()),
        _string_texts(columns.annual_rate),
        _number_texts(columns.income_fen, columns.income_known),
        _number_texts(columns.days_since_increase, columns.increase_known),
        ["true" if t else "false" for t in columns.temporary.tolist()],
        _number_texts(columns.application_score, columns.score_known),
    ]
    features = ",".join(f"{_text(k)}:%s" for k in columns.behaviour)
    head = '{"line_id":%s,"kind":' + _text(columns.kind).replace("%", "%%")
    template = (
        head + ',"status":%s,"limit_fen":%s,"behaviour":{' + features + '},"annual_rate":%s,'
        '"income_fen":%s,"days_since_increase":%s,"temporary":%s,"application_score":%s}'
    )
    return [template % row for row in zip(*parts, strict=True)]
