"""Reason codes for a whole table at once: one ranking and one lookup per cell, no row loop.

Two methods say which inputs raised an applicant's risk:

- ``exact`` — the model's own contributions: the scorecard's points relative to the training
  average plus LightGBM's tree SHAP, blended and calibrated like the score. Tree SHAP walks
  every tree for every row, so it is the cost of a batch run with reasons.
- ``points`` — the scorecard's points by bin relative to the average, with no tree walk: one
  table lookup per input. In a blended model the scorecard is trained on the same inputs and
  ranks them the way the whole model mostly does (the share of rows whose top reason is also
  the exact method's is measured in ``bench/scoring_reasons_bench.py`` and bounded by a test).
  It is for whole-book runs that keep reasons for the record; a decline, a referral, a limit
  decrease and a borrower's request are explained with the exact method, as one applicant's
  online score always is.

Both rank contributions as :func:`thinfile.scoring.reasons.rank_reasons` does — largest
first, only those that raised the risk, ties to the later input — and word each reason the same
way: the scorecard bin's label where the input has bins, else the value itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import pandas as pd
import pyarrow as pa

from thinfile.errors import InvalidInputError
from thinfile.scoring.reasons import RAISES_RISK, ReasonBook, describe_value
from thinfile.scoring.scorecard import Scorecard

__all__ = ["ReasonCells", "ReasonMethod", "Wording", "point_contributions", "reason_cells"]

TEXT = pd.StringDtype(na_value=np.nan)
"""pandas' default text type, the type the columns of a scored table have."""


class ReasonMethod(StrEnum):
    """How reasons of a batch are found: the model's own contributions, or scorecard points."""

    EXACT = "exact"
    POINTS = "points"


def point_contributions(
    card: Scorecard | None, slots: np.ndarray | None, shape: tuple[int, ...]
) -> np.ndarray:
    """Rows × inputs: each scorecard input's points relative to its training average, from
    the bins the score was computed with (:meth:`Scorecard.slots`)."""
    if card is None or slots is None:
        raise InvalidInputError(
            "this model has no scorecard to take points from",
            field="reasons_method",
            value=ReasonMethod.POINTS.value,
            remedy="use the exact method for a model of trees only",
        )
    return card.contributions_of_slots(slots, np.zeros(shape, order="F"), by_input=True)


@dataclass(frozen=True, slots=True)
class ReasonCells:
    """Codes and sentences of every row's reasons as positions in two word lists.

    ``codes[i, k]`` and ``texts[i, k]`` index ``code_words`` and ``text_words``; position 0 is
    the empty word, for a row where fewer than ``k + 1`` inputs raised the risk. A table of a
    hundred thousand rows then holds a few hundred distinct sentences once each.
    """

    codes: np.ndarray
    texts: np.ndarray
    code_words: tuple[str, ...]
    text_words: tuple[str, ...]

    def code_column(self, k: int) -> pd.Series:
        return _string_column(self.codes[:, k], self.code_words)

    def text_column(self, k: int) -> pd.Series:
        return _string_column(self.texts[:, k], self.text_words)


@dataclass(frozen=True, slots=True)
class Wording:
    """How the inputs of a model are worded in reasons.

    ``bin_column[j]`` is input ``j``'s column in the scorecard's slot matrix (-1: no bins) and
    ``labels[j]`` its bins' labels; a reason about a value outside the labels (no bins, or a
    category the bins never saw) is worded from the value itself, in yuan where ``money[j]``
    (the input holds fen).
    """

    book: ReasonBook
    bin_column: np.ndarray
    labels: tuple[tuple[str, ...], ...]
    categories: tuple[tuple[str, ...], ...]
    money: tuple[bool, ...]


def reason_cells(
    parts: np.ndarray,
    x: np.ndarray,
    limit: int,
    wording: Wording,
    slots: np.ndarray | None,
) -> ReasonCells:
    """The ``limit`` reasons of every row of ``parts`` (rows × inputs of contributions);
    ``slots`` are the scorecard's bins of the rows (:meth:`Scorecard.slots`), if any."""
    book = wording.book
    n, width = parts.shape
    k = min(limit, width)
    codes = np.zeros((n, limit), dtype=np.int32)
    texts = np.zeros((n, limit), dtype=np.int32)
    words: list[str] = [""]
    if n == 0 or k <= 0:
        return ReasonCells(codes, texts, ("", *book.codes), tuple(words))
    order, valid = _largest(parts, k)
    codes[:, :k] = np.where(valid, order + 1, 0)
    first = np.zeros(width, dtype=np.intp)
    count = np.zeros(width, dtype=np.intp)
    for j in range(width):
        first[j], count[j] = len(words), len(wording.labels[j])
        words.extend(f"{book.names[j]}: {label}" for label in wording.labels[j])
    column = wording.bin_column[order]
    if slots is None or slots.shape[1] == 0:
        slot = np.full(order.shape, -1, dtype=np.intp)
    else:
        slot = np.where(column >= 0, np.take_along_axis(slots, np.maximum(column, 0), -1), -1)
    worded = valid & (slot >= 0) & (slot < count[order])
    texts[:, :k] = np.where(worded, first[order] + slot, 0)
    rows, cols = np.nonzero(valid & ~worded)
    features = order[rows, cols]
    for j in (int(j) for j in np.unique(features)):
        mine = features == j
        distinct, where = np.unique(x[rows[mine], j], return_inverse=True)
        start, name = len(words), book.names[j]
        money = wording.money[j]
        words.extend(
            f"{name}: {describe_value(float(v), wording.categories[j], money=money)}"
            for v in distinct
        )
        texts[rows[mine], cols[mine]] = start + where.reshape(-1)
    return ReasonCells(codes, texts, ("", *book.codes), tuple(words))


def _largest(parts: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` largest contributions' inputs of each row, largest first and ties to the
    later input (as :func:`~thinfile.scoring.reasons.rank_reasons` ranks them), and whether
    each one raised the risk."""
    width = parts.shape[1]
    left = parts[:, ::-1].copy()  # reversed: argmax's first maximum is the later input
    rows = np.arange(len(parts))
    order = np.empty((len(parts), k), dtype=np.intp)
    value = np.empty((len(parts), k))
    for r in range(k):
        at = np.argmax(left, axis=1)
        order[:, r] = width - 1 - at
        value[:, r] = left[rows, at]
        left[rows, at] = -np.inf
    return order, value > RAISES_RISK


def _string_column(positions: np.ndarray, words: Sequence[str]) -> pd.Series:
    """A text column (pandas' ``str``) of ``words`` at ``positions``, built by Arrow."""
    looked_up = pa.DictionaryArray.from_arrays(
        pa.array(positions, type=pa.int32()), pa.array(words, type=pa.large_string())
    ).cast(pa.large_string())
    return pd.Series(pd.array(looked_up, dtype=TEXT))
