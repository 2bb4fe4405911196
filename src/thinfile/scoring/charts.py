"""Small hand-drawn SVG charts for the HTML report: no plotting library, no CDN."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

__all__ = ["bar_chart", "line_chart"]

W, H, PAD = 420, 260, 40


def _frame(title: str, x_label: str, y_label: str) -> list[str]:
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} {H}" width="{W}" '
        f'height="{H}" role="img" aria-label="{escape(title)}">',
        f'<text x="{W / 2}" y="16" text-anchor="middle" font-size="13">{escape(title)}</text>',
        f'<line x1="{PAD}" y1="{H - PAD}" x2="{W - 10}" y2="{H - PAD}" stroke="#333"/>',
        f'<line x1="{PAD}" y1="{H - PAD}" x2="{PAD}" y2="24" stroke="#333"/>',
        f'<text x="{W / 2}" y="{H - 8}" text-anchor="middle" font-size="11">'
        f"{escape(x_label)}</text>",
        f'<text x="12" y="{H / 2}" font-size="11" transform="rotate(-90 12 {H / 2})" '
        f'text-anchor="middle">{escape(y_label)}</text>',
    ]


def _sx(v: float, lo: float, hi: float) -> float:
    return PAD + (v - lo) / ((hi - lo) or 1.0) * (W - 10 - PAD)


def _sy(v: float, lo: float, hi: float) -> float:
    return H - PAD - (v - lo) / ((hi - lo) or 1.0) * (H - PAD - 24)


def line_chart(
    series: Sequence[tuple[str, Sequence[tuple[float, float]]]],
    *,
    title: str,
    x_label: str,
    y_label: str,
    diagonal: bool = False,
) -> str:
    """Lines through points; ``diagonal`` adds the y = x reference line."""
    points = [p for _, pts in series for p in pts]
    x_hi = max((p[0] for p in points), default=1.0)
    y_hi = max((p[1] for p in points), default=1.0)
    hi = max(x_hi, y_hi) if diagonal else None
    xs = (0.0, hi if hi is not None else x_hi)
    ys = (0.0, hi if hi is not None else y_hi)
    parts = _frame(title, x_label, y_label)
    parts.append(f'<text x="{PAD}" y="{H - PAD + 14}" font-size="10">0</text>')
    parts.append(
        f'<text x="{W - 10}" y="{H - PAD + 14}" font-size="10" text-anchor="end">{xs[1]:.3g}</text>'
    )
    parts.append(f'<text x="{PAD - 4}" y="28" font-size="10" text-anchor="end">{ys[1]:.3g}</text>')
    if diagonal:
        parts.append(
            f'<line x1="{_sx(0, *xs)}" y1="{_sy(0, *ys)}" x2="{_sx(xs[1], *xs)}" '
            f'y2="{_sy(ys[1], *ys)}" stroke="#aaa" stroke-dasharray="4"/>'
        )
    colours = ("#1f5fa8", "#c8501e", "#2e8b57")
    for k, (name, pts) in enumerate(series):
        path = " ".join(f"{_sx(x, *xs):.1f},{_sy(y, *ys):.1f}" for x, y in pts)
        colour = colours[k % len(colours)]
        parts.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{path}"/>')
        parts.append(
            f'<text x="{PAD + 8}" y="{40 + 14 * k}" font-size="11" fill="{colour}">'
            f"{escape(name)}</text>"
        )
    parts.append("</svg>")
    return "\n".join(parts)


def bar_chart(
    labels: Sequence[str], values: Sequence[float], *, title: str, x_label: str, y_label: str
) -> str:
    """Vertical bars, one per label."""
    parts = _frame(title, x_label, y_label)
    hi = max(values, default=1.0) or 1.0
    n = max(len(values), 1)
    width = (W - 10 - PAD) / n
    for i, (label, v) in enumerate(zip(labels, values, strict=True)):
        x, top = PAD + i * width, _sy(v, 0.0, hi)
        parts.append(
            f'<rect x="{x + 1:.1f}" y="{top:.1f}" width="{max(width - 2, 1):.1f}" '
            f'height="{H - PAD - top:.1f}" fill="#1f5fa8">'
            f"<title>{escape(label)}: {v:g}</title></rect>"
        )
        if n <= 12 or i % max(n // 8, 1) == 0:
            parts.append(
                f'<text x="{x + width / 2:.1f}" y="{H - PAD + 12}" font-size="9" '
                f'text-anchor="middle">{escape(label)}</text>'
            )
    parts.append(f'<text x="{PAD - 4}" y="28" font-size="10" text-anchor="end">{hi:.3g}</text>')
    parts.append("</svg>")
    return "\n".join(parts)
