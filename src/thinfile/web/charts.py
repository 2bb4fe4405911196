"""Bar charts as data for inline SVG: the template draws them, so no script or library ships.

Every chart also renders as a table of the same numbers (charts are never the only way in).
The label column and the room for the value after the longest bar are measured from the
texts themselves (:func:`text_width`), so no label or value is ever cut off at the edge of the
picture, in either language.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["BAR_HEIGHT", "FONT_SIZE", "Bar", "BarChart", "bar_chart", "text_width"]

FONT_SIZE = 12
"""Pixels; the same size ``app.css`` gives ``.chart text``."""
BAR_HEIGHT = 22
_GAP = 8
_BAR_ROOM = 300
"""Length of the longest bar."""
_PAD = 8
"""Between a label and its bar, and between a bar and its value."""
_WIDE = 1.0
_CAPITAL = 1.0
_NARROW = 0.65
"""Advance of a character in ems, rounded up over the common system sans-serif fonts (DejaVu
Sans is the widest): CJK one em, capitals at most one em (W), other characters — digits,
lower case, ¥, punctuation — at most 0.65 em."""


def _ems(char: str) -> float:
    if unicodedata.east_asian_width(char) in "WF":
        return _WIDE
    return _CAPITAL if char.isupper() else _NARROW


def text_width(text: str, font_size: int = FONT_SIZE) -> int:
    """An upper estimate of the rendered width of ``text`` in pixels (no font files needed)."""
    return int(sum(_ems(c) for c in text) * font_size) + 1


@dataclass(frozen=True, slots=True)
class Bar:
    label: str
    value: int
    shown: str
    y: int
    length: int

    @property
    def text_y(self) -> int:
        """Baseline of the label and the value: centred on the bar."""
        return self.y + (BAR_HEIGHT + FONT_SIZE) // 2 - 2


@dataclass(frozen=True, slots=True)
class BarChart:
    title: str
    bars: tuple[Bar, ...]
    width: int
    height: int
    label_width: int

    @property
    def bar_height(self) -> int:
        return BAR_HEIGHT

    def value_x(self, bar: Bar) -> int:
        return self.label_width + bar.length + _PAD


def bar_chart(title: str, rows: Sequence[tuple[str, int, str]]) -> BarChart:
    """Horizontal bars for ``(label, value, value as shown)`` rows, scaled to the largest.

    The label column is as wide as the widest label and the chart as wide as the longest bar
    plus the widest value, so every text lies inside the picture.
    """
    top = max((value for _, value, _ in rows), default=0) or 1
    label_width = max((text_width(label) for label, _, _ in rows), default=0) + _PAD
    bars = tuple(
        Bar(
            label,
            value,
            shown,
            i * (BAR_HEIGHT + _GAP),
            max(1, value * _BAR_ROOM // top) if value else 0,
        )
        for i, (label, value, shown) in enumerate(rows)
    )
    right = max((b.length + _PAD + text_width(b.shown) for b in bars), default=_BAR_ROOM)
    height = max(1, len(bars)) * (BAR_HEIGHT + _GAP)
    return BarChart(title, bars, label_width + max(right, _BAR_ROOM) + _PAD, height, label_width)
