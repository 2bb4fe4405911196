"""Reason codes (拒绝原因): which inputs pushed an applicant's risk up the most.

A contribution is a feature's share of the applicant's log-odds of default relative to the
training average: scorecard WoE × coefficient, or LightGBM's tree SHAP (``pred_contrib``).
Only features that raised the risk (contribution > 0) are reasons; the largest come first.
Each feature has a stable code (``R01``, ``R02``… in input order) and a readable name.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from thinfile.scoring.figures import value_text

__all__ = ["RAISES_RISK", "ReasonBook", "ReasonCode", "rank_reasons", "readable_name"]

RAISES_RISK = 1e-12
"""A contribution at or below this is not a reason."""


@dataclass(frozen=True, slots=True)
class ReasonCode:
    """One reason: stable code, the input it is about, a readable sentence, log-odds share."""

    code: str
    feature: str
    description: str
    contribution: float


def rank_reasons(contributions: Sequence[float], limit: int) -> list[int]:
    """The inputs of the ``limit`` largest contributions that raised the risk, largest first;
    of equal contributions the later input comes first."""
    if limit <= 0:
        return []
    ranked = sorted(((c, j) for j, c in enumerate(contributions) if c > RAISES_RISK), reverse=True)
    return [j for _, j in ranked[:limit]]


def readable_name(column: str) -> str:
    """``cb_person_cred_hist_length`` → ``Cb person cred hist length``; splits camelCase."""
    text = re.sub(r"[_.\-]+", " ", column)
    text = re.sub(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Za-z])(?=\d)|(?<=\d)(?=[A-Za-z])", " ", text)
    words = text.split()
    if not words:
        return column
    first = words[0] if words[0].isupper() else words[0].capitalize()
    rest = [w if w.isupper() else w.lower() for w in words[1:]]
    return " ".join([first, *rest])


class ReasonBook:
    """Codes and readable names of a model's features, and the ranking of contributions."""

    def __init__(
        self, features: Sequence[str], *, descriptions: Mapping[str, str] | None = None
    ) -> None:
        names = dict(descriptions or {})
        self.features = tuple(features)
        self.codes = tuple(f"R{i + 1:02d}" for i in range(len(self.features)))
        self.names = tuple(names.get(f) or readable_name(f) for f in self.features)

    def top(
        self, contributions: Sequence[float], values: Sequence[str], *, limit: int
    ) -> tuple[ReasonCode, ...]:
        """The ``limit`` largest positive contributions (:func:`rank_reasons`), as reason
        codes; ``values`` are the inputs' words."""
        return tuple(
            ReasonCode(
                self.codes[j],
                self.features[j],
                f"{self.names[j]}: {values[j]}",
                round(contributions[j], 6),
            )
            for j in rank_reasons(contributions, limit)
        )

    def as_dict(self) -> dict[str, object]:
        return {"features": list(self.features), "names": list(self.names)}


def describe_value(
    value: float, categories: Sequence[str], *, label: str | None = None, money: bool = False
) -> str:
    """How a raw input reads in a reason: the scorecard bin label, the category, the number —
    money (fen, ``money``) in yuan (``¥12,165``), another number rounded
    (:func:`~thinfile.scoring.figures.value_text`)."""
    if label is not None:
        return label
    if math.isnan(value):
        return "missing"
    if categories:
        return categories[int(value)] if 0 <= value < len(categories) else "unrecognised value"
    return value_text(value, money=money)
