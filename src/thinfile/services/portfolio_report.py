"""The portfolio report page: every chart of the report as inline SVG in one HTML file.

Vintage curves are lines (one per vintage), roll rates a heat-map, PSI bars with the 0.10 and
0.25 lines, the back-test one interval per grade with the predicted PD marked, fairness a table.
Nothing loads from the network and no script runs; charts scale down to a 360 px screen.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape

from thinfile.portfolio import ACT, BUCKETS, WATCH
from thinfile.scoring.charts import line_chart

__all__ = ["render_portfolio_report"]

Json = Mapping[str, object]
_STYLE = """
body{font-family:system-ui,sans-serif;margin:0 auto;max-width:60rem;padding:0.75rem;color:#222}
svg{max-width:100%;height:auto;display:block}
table{border-collapse:collapse;font-size:0.85rem;display:block;overflow-x:auto}
td,th{border:1px solid #ccc;padding:0.2rem 0.4rem;text-align:right}
th:first-child,td:first-child{text-align:left}
.alert{color:#a40000;font-weight:bold}
"""


def render_portfolio_report(report: Json, *, title: str = "Portfolio report") -> str:
    """The self-contained HTML page of ``report`` (the shape of ``build_report``)."""
    parts = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head><body>",
        f"<h1>{escape(title)}</h1>",
        "<h2>Vintage curves</h2>",
        _vintage_charts(_rows(report, "vintages")),
        "<h2>Roll rates</h2>",
        _heat_map(_mapping(report.get("roll_rates"))),
        "<h2>Population stability (PSI)</h2>",
        _psi_bars(_mapping(report.get("psi"))),
        "<h2>Back-test by grade</h2>",
        _intervals(_rows(report, "backtest")),
        "<h2>Fairness</h2>",
        _table(_rows(report, "fairness")),
        "</body></html>",
    ]
    return "\n".join(parts)


def _rows(report: Json, key: str) -> list[Json]:
    value = report.get(key)
    return [r for r in value if isinstance(r, Mapping)] if isinstance(value, list) else []


def _mapping(value: object) -> Json:
    return value if isinstance(value, Mapping) else {}


def _number(text: object) -> float:
    return 0.0 if text is None else float(str(text))  # float-ok: a rate drawn on a chart


def _vintage_charts(rows: Sequence[Json]) -> str:
    if not rows:
        return "<p>No loans.</p>"
    charts = []
    for measure, label in (("ever_30", "Ever 30+ DPD"), ("default_cum", "Cumulative default")):
        series: dict[str, list[tuple[float, float]]] = {}
        for row in rows:
            point = (_number(row["mob"]), _number(row[measure]))
            series.setdefault(str(row["vintage"]), []).append(point)
        charts.append(
            line_chart(
                sorted(series.items()),
                title=f"{label} by vintage",
                x_label="months on book",
                y_label="share of loans",
            )
        )
    return "\n".join(charts)


def _heat_map(rates: Json) -> str:
    cell, left, top = 52, 56, 40
    size_w, size_h = left + cell * len(BUCKETS), top + cell * len(BUCKETS)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {size_w} {size_h}" '
        f'width="{size_w}" height="{size_h}" role="img" aria-label="Roll rates">',
        f'<text x="{left}" y="12" font-size="11">to (next month) →</text>',
    ]
    for j, name in enumerate(BUCKETS):
        x = left + j * cell + cell / 2
        parts.append(
            f'<text x="{x}" y="{top - 6}" font-size="10" text-anchor="middle">{name}</text>'
        )
    for i, start in enumerate(BUCKETS):
        y = top + i * cell
        parts.append(
            f'<text x="{left - 4}" y="{y + cell / 2 + 4}" font-size="10" '
            f'text-anchor="end">{start}</text>'
        )
        row = _mapping(rates.get(start))
        for j, end in enumerate(BUCKETS):
            value = row.get(end)
            shade = "#eee" if value is None else _blue(_number(value))
            shown = "–" if value is None else f"{_number(value):.0%}"
            colour = "#fff" if value is not None and _number(value) > 0.5 else "#222"
            x = left + j * cell
            parts.append(
                f'<rect x="{x}" y="{y}" width="{cell - 2}" height="{cell - 2}" fill="{shade}">'
                f"<title>{start} → {end}: {shown}</title></rect>"
                f'<text x="{x + cell / 2 - 1}" y="{y + cell / 2 + 3}" font-size="10" '
                f'text-anchor="middle" fill="{colour}">{shown}</text>'
            )
    parts.append("</svg>")
    return "\n".join(parts)


def _blue(share: float) -> str:
    light = round(235 - 180 * min(max(share, 0.0), 1.0))
    return f"rgb({light},{light + 10 if light < 245 else 245},245)"


def _psi_bars(drift: Json) -> str:
    rows: list[tuple[str, float]] = []
    score = _mapping(drift.get("score"))
    if score:
        rows.append(("score", _number(score.get("value"))))
    for name, figure in _mapping(drift.get("features")).items():
        rows.append((str(name), _number(_mapping(figure).get("value"))))
    if not rows:
        return "<p>No score tables given.</p>"
    left, bar, width = 150, 18, 380
    high = max(*(v for _, v in rows), ACT * 1.2)
    height = 20 + bar * len(rows)
    scale = (width - left - 10) / high
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-label="PSI">'
    ]
    for k, (name, value) in enumerate(rows):
        y = 16 + k * bar
        fill = "#a40000" if value > ACT else "#c8801e" if value >= WATCH else "#1f5fa8"
        parts.append(
            f'<text x="{left - 4}" y="{y + 12}" font-size="10" text-anchor="end">'
            f"{escape(name)}</text>"
            f'<rect x="{left}" y="{y + 2}" width="{value * scale:.1f}" height="{bar - 4}" '
            f'fill="{fill}"><title>{escape(name)}: {value:.4f}</title></rect>'
        )
    for mark in (WATCH, ACT):
        x = left + mark * scale
        parts.append(
            f'<line x1="{x:.1f}" y1="10" x2="{x:.1f}" y2="{height}" stroke="#444" '
            f'stroke-dasharray="3"/><text x="{x:.1f}" y="9" font-size="9" '
            f'text-anchor="middle">{mark:.2f}</text>'
        )
    parts.append("</svg>")
    return "\n".join(parts)


def _intervals(rows: Sequence[Json]) -> str:
    if not rows:
        return "<p>No matured outcomes given.</p>"
    left, band, width = 60, 24, 380
    high = max(max(_number(r["high"]), _number(r["predicted_pd"])) for r in rows) or 1.0
    scale = (width - left - 10) / high
    height = 20 + band * len(rows)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-label="Back-test by grade">'
    ]
    for k, row in enumerate(rows):
        y = 20 + k * band
        low, top = left + _number(row["low"]) * scale, left + _number(row["high"]) * scale
        seen = left + _number(row["bad_rate"]) * scale
        said = left + _number(row["predicted_pd"]) * scale
        colour = "#a40000" if row.get("alert") else "#1f5fa8"
        parts.append(
            f'<text x="{left - 4}" y="{y + 4}" font-size="10" text-anchor="end">'
            f"{escape(str(row['grade']))}</text>"
            f'<line x1="{low:.1f}" y1="{y}" x2="{top:.1f}" y2="{y}" stroke="{colour}" '
            f'stroke-width="3"/><circle cx="{seen:.1f}" cy="{y}" r="4" fill="{colour}">'
            f"<title>realised {row['bad_rate']}</title></circle>"
            f'<rect x="{said - 4:.1f}" y="{y - 4}" width="8" height="8" fill="none" '
            f'stroke="#222"><title>predicted {row["predicted_pd"]}</title></rect>'
        )
    parts.append(
        f'<text x="{left}" y="12" font-size="10">line: 95% interval; dot: realised; '
        "square: predicted</text></svg>"
    )
    return "\n".join(parts)


def _table(rows: Sequence[Json]) -> str:
    if not rows:
        return "<p>No decisions given.</p>"
    columns = list(rows[0])
    head = "".join(f"<th>{escape(c)}</th>" for c in columns)
    body = []
    for row in rows:
        warn = ' class="alert"' if row.get("four_fifths") else ""
        cells = "".join(f"<td>{escape(str(row.get(c)))}</td>" for c in columns)
        body.append(f"<tr{warn}>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
