"""Small vectorised helpers shared by the generators: named random streams, per-segment
parameters, yuan-to-fen rounding and the logistic function."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from thinfile.money import FEN_PER_YUAN
from thinfile.sim.segments import SEGMENTS

__all__ = [
    "Floats",
    "Ints",
    "Mask",
    "by_segment",
    "lognormal",
    "sigmoid",
    "streams",
    "weighted_choice",
    "whole_yuan_fen",
]

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]
Mask = npt.NDArray[np.bool_]


def streams(seed: int, names: Sequence[str]) -> dict[str, np.random.Generator]:
    """One independent random generator per name, all derived from ``seed``.

    Each part of the simulation draws from its own stream, so changing how one column is
    generated does not shift the random numbers of the others.
    """
    children = np.random.SeedSequence(seed).spawn(len(names))
    return {name: np.random.default_rng(child) for name, child in zip(names, children, strict=True)}


def by_segment(codes: Ints, field: str) -> Floats:
    """The value of one :class:`~thinfile.sim.segments.Segment` field for each applicant."""
    table = np.array([float(getattr(seg, field)) for seg in SEGMENTS])
    return table[codes]


def weighted_choice(rng: np.random.Generator, weights: Sequence[float] | Floats, size: int) -> Ints:
    """``size`` indices drawn with the given relative weights."""
    p = np.asarray(weights, dtype=np.float64)
    return rng.choice(len(p), size=size, p=p / p.sum()).astype(np.int64)


def lognormal(rng: np.random.Generator, median: Floats | float, sigma: float, size: int) -> Floats:
    """Log-normal draws with the given median (not mean)."""
    return np.asarray(median, dtype=np.float64) * np.exp(rng.normal(0.0, sigma, size))


def sigmoid(x: Floats) -> Floats:
    return 1.0 / (1.0 + np.exp(-x))


def whole_yuan_fen(yuan: Floats) -> Ints:
    """Amounts in yuan, rounded to whole yuan (half to even), as integer fen, never negative."""
    return np.maximum(np.rint(yuan), 0).astype(np.int64) * FEN_PER_YUAN
