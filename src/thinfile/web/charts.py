"""Bar charts as data for inline SVG: the template draws them, so no script or library ships.

Every chart also renders as a table of the same numbers (charts are never the only way in).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["Bar", "BarChart", "bar_chart"]

_WIDTH = 560
_BAR_HEIGHT = 22
_GAP = 8
_LABEL_WIDTH = 150
_VALUE_WIDTH = 90


@dataclass(frozen=True, slots=True)
class Bar:
    label: str
    value: int
    shown: str
    y: int
    length: int


@dataclass(frozen=True, slots=True)
class BarChart:
    title: str
    bars: tuple[Bar, ...]
    width: int
    height: int
    label_width: int


def bar_chart(title: str, rows: Sequence[tuple[str, int, str]]) -> BarChart:
    """Horizontal bars for ``(label, value, value as shown)`` rows, scaled to the largest."""
    top = max((value for _, value, _ in rows), default=0) or 1
    room = _WIDTH - _LABEL_WIDTH - _VALUE_WIDTH
    bars = tuple(
        Bar(label, value, shown, i * (_BAR_HEIGHT + _GAP), max(1, value * room // top) if value
            else 0)
        for i, (label, value, shown) in enumerate(rows))
    height = max(1, len(bars)) * (_BAR_HEIGHT + _GAP)
    return BarChart(title, bars, _WIDTH, height, _LABEL_WIDTH)
