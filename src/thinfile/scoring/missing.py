"""What a missing value is scored as when the input was never missing in training.

A model learns nothing about a missing value it never saw: the scorecard's missing bin is
empty (WoE 0, the average applicant) and LightGBM sends NaN down the side of each split that
zero would take. Left as they are, an applicant who leaves out an adverse field (a
delinquency, say) would score better than with it. So at training, each number (numeric or
boolean input) with no missing value in the training rows is given a value its missing
entries are scored as (:attr:`ColumnSpec.missing_as`), the riskiest the model knows:

- an input of the scorecard: a value of its regular bin the scorecard counts as riskiest
  (highest coefficient × WoE: with the positive coefficients a scorecard keeps, the bin of
  highest bad rate once the small-bin shrinkage is applied), so that the scorecard gives it
  the most points against. Within that bin, for the trees beside the scorecard, the value on
  the risky side: the 99th percentile of the bin's training rows when it is the top bin, the
  1st when it is the bottom one, the median when it lies between (the rule below when it is
  the only bin);
- otherwise (an input of the trees alone): the 1st or the 99th training percentile, on the
  side (bottom or top decile) with the higher bad rate.

At scoring, batch and single alike, a missing entry of such an input is replaced by that value
before the bins and the trees; reasons still call it missing. Inputs that were missing in
training keep their own missing bin, and categories are left as they are (an unseen category
has WoE 0).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from thinfile.scoring.binning import FeatureBins
from thinfile.scoring.contract import ColumnRole, InputSchema
from thinfile.scoring.scorecard import Scorecard

__all__ = ["MissingValues", "with_missing_values"]

_NUMBERS = (ColumnRole.NUMERIC, ColumnRole.BOOLEAN)


def with_missing_values(
    schema: InputSchema,
    x: np.ndarray,
    y: np.ndarray,
    *,
    card: Scorecard | None = None,
    trees: bool = False,
) -> InputSchema:
    """``schema`` with ``missing_as`` set for every number never missing in ``x`` (the
    training matrix, outcomes ``y``) that the model reads: through the scorecard ``card``,
    or through its trees when it has ``trees``."""
    weighed = zip(card.bins_, card.coef_, strict=True) if card is not None else ()
    by_index = {b.index: (b, float(coef)) for b, coef in weighed}
    values: dict[str, float] = {}
    for j, spec in enumerate(schema.features):
        col = x[:, j]
        card_bins = by_index.get(j)
        if card_bins is None and not trees:
            continue
        if spec.role not in _NUMBERS or len(col) == 0 or np.isnan(col).any():
            continue
        regular = ~np.isin(col, spec.special_codes)
        if not regular.any():
            continue
        values[spec.name] = (
            _riskiest_bin_value(*card_bins, col, y)
            if card_bins is not None
            else _riskier_tail_value(col[regular], y[regular])
        )
    columns = tuple(
        dataclasses.replace(c, missing_as=values[c.name]) if c.name in values else c
        for c in schema.columns
    )
    return dataclasses.replace(schema, columns=columns)


def _riskiest_bin_value(bins: FeatureBins, coef: float, col: np.ndarray, y: np.ndarray) -> float:
    """A value of the regular bin of most points against that holds training rows, on the
    risky side of the bin."""
    slots = bins.bins(col)
    held = [k for k in range(bins.n_regular) if (slots == k).any()]
    riskiest = max(held, key=lambda k: coef * bins.woe[k])
    rows = col[slots == riskiest]
    top, bottom = riskiest == held[-1], riskiest == held[0]
    if top and bottom:
        return _riskier_tail_value(rows, y[slots == riskiest])
    if top:
        return float(np.quantile(rows, 0.99, method="higher"))
    if bottom:
        return float(np.quantile(rows, 0.01, method="lower"))
    return float(np.median(rows))


def _riskier_tail_value(col: np.ndarray, y: np.ndarray) -> float:
    """The 1st percentile when the bottom decile's bad rate is higher, else the 99th."""
    low, high = np.quantile(col, [0.1, 0.9])
    bottom, top = y[col <= low], y[col >= high]
    if float(bottom.mean()) > float(top.mean()):
        return float(np.quantile(col, 0.01, method="lower"))
    return float(np.quantile(col, 0.99, method="higher"))


@dataclass(frozen=True, slots=True)
class MissingValues:
    """The inputs whose missing entries are scored as a value, and those values."""

    columns: tuple[int, ...]
    values: tuple[float, ...]

    @classmethod
    def of(cls, schema: InputSchema) -> MissingValues:
        found = [
            (j, s.missing_as) for j, s in enumerate(schema.features) if s.missing_as is not None
        ]
        return cls(tuple(j for j, _ in found), tuple(float(v) for _, v in found))

    def fill(self, x: np.ndarray) -> np.ndarray:
        """``x`` with each such input's missing entries replaced (a copy, when any are)."""
        if not self.columns or not np.isnan(x[:, self.columns]).any():
            return x
        out = x.copy()
        for j, value in zip(self.columns, self.values, strict=True):
            col = out[:, j]
            col[np.isnan(col)] = value
        return out

    def fill_row(self, row: Sequence[float]) -> list[float]:
        """One encoded row with each such input's missing entry replaced."""
        out = list(row)
        for j, value in zip(self.columns, self.values, strict=True):
            if math.isnan(out[j]):
                out[j] = value
        return out

    def filled(self, row: Sequence[float]) -> Mapping[int, float]:
        """The inputs of ``row`` that :meth:`fill_row` replaces, and their values."""
        return {
            j: value
            for j, value in zip(self.columns, self.values, strict=True)
            if math.isnan(row[j])
        }
