"""Optimal monotone binning and weights of evidence (WoE), stored as plain data.

optbinning finds the bin edges (numeric) or category groups (categorical); thinfile keeps only
those, counts goods and bads per bin itself, and computes every WoE — including the missing bin
and one bin per special code — from the observed default rates ("missing is information" for
thin files). WoE here is ``ln(bad share / good share)``: positive means riskier than average.
No optbinning object is ever stored: :class:`FeatureBins` round-trips through JSON.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import warnings
from bisect import bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from thinfile.scoring.contract import ColumnRole, ColumnSpec, is_money
from thinfile.scoring.figures import edge_texts

__all__ = ["FeatureBins", "fit_bins", "quick_iv", "recount"]

SHRINK = 1.0  # pseudo-observations pulling a small bin's WoE towards 0


@dataclass(frozen=True, slots=True)
class FeatureBins:
    """The bins of one feature and the WoE of each, plus missing, special and unknown."""

    name: str
    index: int
    categorical: bool
    splits: tuple[float, ...]
    groups: tuple[tuple[float, ...], ...]
    special_codes: tuple[float, ...]
    woe: tuple[float, ...]
    woe_special: tuple[float, ...]
    woe_missing: float
    counts: tuple[tuple[int, int], ...]  # (rows, bads): regular bins, specials, missing
    iv: float

    @property
    def n_regular(self) -> int:
        return len(self.woe)

    def labels(self, categories: Sequence[str] = ()) -> tuple[str, ...]:
        """Readable bin labels: regular bins, then each special code, then missing.

        Cut points read as :func:`~thinfile.scoring.figures.edge_texts` words them: money
        inputs (:func:`~thinfile.scoring.contract.is_money`) in yuan, other numbers rounded,
        never two bins alike. Only the words: :meth:`bin_of` reads the stored cut points."""
        if self.categorical:
            regular = [
                ", ".join(categories[int(c)] if int(c) < len(categories) else str(c) for c in g)
                for g in self.groups
            ]
        else:
            words = edge_texts(self.splits, money=is_money(self.name))
            regular = [_interval(lo, hi) for lo, hi in itertools.pairwise([None, *words, None])]
        specials = [f"special {_num(c)}" for c in self.special_codes]
        return (*regular, *specials, "missing")

    def bin_of(self, x: float) -> int:
        """The bin of one encoded value: regular, then specials, then missing; -1 = unknown."""
        if math.isnan(x):
            return self.n_regular + len(self.special_codes)
        if x in self.special_codes:
            return self.n_regular + self.special_codes.index(x)
        if not self.categorical:
            return bisect_right(self.splits, x)
        for i, group in enumerate(self.groups):
            if x in group:
                return i
        return -1

    def woe_table(self) -> np.ndarray:
        """WoE of every bin in :meth:`bin_of` order, with unknown (0.0) last."""
        return np.array([*self.woe, *self.woe_special, self.woe_missing, 0.0])

    def bins(self, x: np.ndarray) -> np.ndarray:
        """Vectorised :meth:`bin_of`, with unknown mapped to the last slot of woe_table."""
        n_reg, n_spec = self.n_regular, len(self.special_codes)
        if self.categorical:
            lookup = np.full(
                int(max((max(g) for g in self.groups if g), default=0)) + 2,
                n_reg + n_spec + 1,
                dtype=np.int64,
            )
            for i, group in enumerate(self.groups):
                lookup[np.asarray(group, dtype=np.int64)] = i
            safe = np.where(np.isnan(x) | (x < 0) | (x >= len(lookup)), len(lookup) - 1, x)
            out = lookup[safe.astype(np.int64)]
        else:
            out = np.searchsorted(np.asarray(self.splits), x, side="right")
        for k, code in enumerate(self.special_codes):
            out[x == code] = n_reg + k
        out[np.isnan(x)] = n_reg + n_spec
        return out

    def transform(self, x: np.ndarray) -> np.ndarray:
        out: np.ndarray = self.woe_table()[self.bins(x)]
        return out

    def as_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "index": self.index,
            "categorical": self.categorical,
            "splits": list(self.splits),
            "groups": [list(g) for g in self.groups],
            "special_codes": list(self.special_codes),
            "woe": list(self.woe),
            "woe_special": list(self.woe_special),
            "woe_missing": self.woe_missing,
            "counts": [list(c) for c in self.counts],
            "iv": self.iv,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, object]) -> FeatureBins:
        def floats(key: str) -> tuple[float, ...]:
            return tuple(float(str(v)) for v in _list(d[key]))

        return cls(
            name=str(d["name"]),
            index=int(str(d["index"])),
            categorical=bool(d["categorical"]),
            splits=floats("splits"),
            groups=tuple(tuple(float(str(v)) for v in _list(g)) for g in _list(d["groups"])),
            special_codes=floats("special_codes"),
            woe=floats("woe"),
            woe_special=floats("woe_special"),
            woe_missing=float(str(d["woe_missing"])),
            counts=tuple((int(c[0]), int(c[1])) for c in _list(d["counts"]) if isinstance(c, list)),
            iv=float(str(d["iv"])),
        )


def _list(value: object) -> list[object]:
    return value if isinstance(value, list) else []


def _num(x: float) -> str:
    """A special code as people read it: ``-9``, ``999,999``, never ``9.99999e+05``."""
    return f"{x:,.12g}"


def _interval(lo: str | None, hi: str | None) -> str:
    """The label of the bin from cut point ``lo`` to ``hi``, as worded (None: no bound)."""
    if lo is None:
        return f"< {_num(math.inf) if hi is None else hi}"
    if hi is None:
        return f">= {lo}"
    return f"[{lo}, {hi})"


def fit_bins(
    x: np.ndarray, y: np.ndarray, specs: Sequence[ColumnSpec], *, screen_below: float = 0.0
) -> list[FeatureBins]:
    """Optimal binning of the feature columns of ``x`` (encoded), with WoE from counts.

    Columns whose quick information value (:func:`quick_iv`) is under ``screen_below`` are not
    binned and not returned: merging bins only lowers IV, so they could not pass a selection
    at twice that threshold. At least the column with the highest quick IV is always binned.
    """
    quick = [quick_iv(x[:, j], y, s.special_codes) for j, s in enumerate(specs)]
    keep = [j for j, iv in enumerate(quick) if iv >= screen_below] or [int(np.argmax(quick))]
    return [_fit_one(specs[j], j, x[:, j], y) for j in keep]


def quick_iv(
    x: np.ndarray, y: np.ndarray, special_codes: Sequence[float] = (), bins: int = 20
) -> float:
    """Information value over up to ``bins`` quantile bins, plus missing and special bins."""
    slot = np.full(len(x), bins + len(special_codes), dtype=np.int64)  # missing
    regular = ~np.isnan(x)
    for k, code in enumerate(special_codes):
        hit = x == code
        slot[hit] = bins + k
        regular &= ~hit
    if regular.any():
        edges = np.unique(np.quantile(x[regular], np.linspace(0, 1, bins + 1)[1:-1]))
        slot[regular] = np.searchsorted(edges, x[regular], side="right")
    rows = np.bincount(slot, minlength=bins + len(special_codes) + 1)
    bads = np.bincount(slot, weights=y, minlength=len(rows))
    used = rows > 0
    return _weights_of_evidence(rows[used], bads[used])[1]


def _fit_one(spec: ColumnSpec, j: int, col: np.ndarray, y: np.ndarray) -> FeatureBins:
    from optbinning import OptimalBinning

    is_cat = spec.role is ColumnRole.CATEGORICAL
    params = {} if is_cat else _fit_params(spec)
    binner = OptimalBinning(spec.name, dtype="categorical" if is_cat else "numerical", **params)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=UserWarning, module="optbinning")
        binner.fit(col, y)
    if is_cat:
        groups = tuple(tuple(sorted(float(v) for v in g)) for g in binner.splits)
        splits: tuple[float, ...] = ()
    else:
        groups, splits = (), tuple(float(s) for s in binner.splits)
    return _with_woe(spec, j, is_cat, splits, groups, col, y)


def _fit_params(spec: ColumnSpec) -> dict[str, object]:
    # peak/valley trends found by optbinning's heuristic: the same bins as the exact search
    # on the benchmark tables at about half the solver time
    params: dict[str, object] = {"monotonic_trend": "auto_heuristic"}
    if spec.special_codes:
        params["special_codes"] = list(spec.special_codes)
    if spec.monotone:
        params["monotonic_trend"] = "ascending" if spec.monotone > 0 else "descending"
    return params


def _with_woe(
    spec: ColumnSpec,
    index: int,
    is_cat: bool,
    splits: tuple[float, ...],
    groups: tuple[tuple[float, ...], ...],
    x: np.ndarray,
    y: np.ndarray,
) -> FeatureBins:
    n_reg = len(groups) if is_cat else len(splits) + 1
    if is_cat and not groups:
        groups, n_reg = (tuple(float(v) for v in np.unique(x[x >= 0])),), 1
    draft = FeatureBins(
        spec.name,
        index,
        is_cat,
        splits,
        groups,
        spec.special_codes,
        (0.0,) * n_reg,
        (0.0,) * len(spec.special_codes),
        0.0,
        (),
        0.0,
    )
    return recount(draft, x, y)


def recount(bins: FeatureBins, x: np.ndarray, y: np.ndarray) -> FeatureBins:
    """The same bins with rows, bads, WoE and IV counted on the values ``x`` of other rows."""
    n_reg = bins.n_regular
    n_slots = n_reg + len(bins.special_codes) + 1
    slot = bins.bins(x)  # unknown categories fall in slot n_slots and are not counted
    rows = np.bincount(slot, minlength=n_slots + 1)[:n_slots]
    bads = np.bincount(slot, weights=y, minlength=n_slots + 1)[:n_slots]
    woe, iv = _weights_of_evidence(rows, bads)
    return dataclasses.replace(
        bins,
        woe=tuple(woe[:n_reg]),
        woe_special=tuple(woe[n_reg:-1]),
        woe_missing=float(woe[-1]),
        counts=tuple((int(r), int(b)) for r, b in zip(rows, bads, strict=True)),
        iv=iv,
    )


def _weights_of_evidence(rows: np.ndarray, bads: np.ndarray) -> tuple[list[float], float]:
    goods = rows - bads
    total_bad, total_good = max(bads.sum(), 1.0), max(goods.sum(), 1.0)
    total = total_bad + total_good
    bad_share = (bads + SHRINK * total_bad / total) / total_bad
    good_share = (goods + SHRINK * total_good / total) / total_good
    woe = np.log(bad_share / good_share)
    iv = float(np.sum((bads / total_bad - goods / total_good) * woe))
    return [float(w) for w in woe], iv
