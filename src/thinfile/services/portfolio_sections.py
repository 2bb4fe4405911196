"""The charts and tables of the portfolio report, each a section of HTML with inline SVG, in
the reader's language: the report file (``portfolio_report``) and the staff console draw the
same sections.

Vintage curves are lines (one per vintage), roll rates a heat-map, PSI bars with the 0.10 and
0.25 lines, the back-test one interval per grade with the predicted PD marked, fairness,
ranking, inclusion and alerts tables. Nothing loads from the network and no script runs;
charts scale down to a 360 px screen. Every text goes through ``gettext`` (the zh/en
catalogue of ``thinfile.web``, handed in by the caller).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from html import escape

from thinfile.portfolio import ACT, BUCKETS, WATCH
from thinfile.scoring.charts import line_chart

__all__ = [
    "COLUMN_LABELS",
    "RETRAIN_FOR_BASELINE",
    "SECTIONS",
    "Gettext",
    "Section",
    "report_sections",
]

Json = Mapping[str, object]
Gettext = Callable[[str], str]


def _n(message: str) -> str:
    """Marks a message for the catalogue; translated where it is shown."""
    return message


@dataclass(frozen=True, slots=True)
class Section:
    """One part of the report: an anchor, a translated heading and its HTML."""

    key: str
    title: str
    html: str


SECTIONS: tuple[tuple[str, str], ...] = (
    ("alerts", _n("Alerts")),
    ("vintages", _n("Vintage curves")),
    ("roll-rates", _n("Roll rates")),
    ("drift", _n("Population stability (PSI)")),
    ("backtest", _n("Back-test by grade")),
    ("ranking", _n("Ranking by vintage (AUC, Gini, KS)")),
    ("fairness", _n("Fairness")),
    ("inclusion", _n("Inclusion against a bureau-only policy")),
)
"""Each section's anchor and heading, in the order of the page."""

COLUMN_LABELS: dict[str, str] = {
    "vintage": _n("Vintage"),
    "loans": _n("Loans"),
    "bads": _n("Bads"),
    "auc": "AUC",
    "gini": "Gini",
    "ks": "KS",
    "attribute": _n("Attribute"),
    "group": _n("Group"),
    "applications": _n("Applications"),
    "approvals": _n("Approvals"),
    "approval_rate": _n("Approval rate"),
    "bad_rate": _n("Bad rate"),
    "impact_ratio": _n("Impact ratio"),
    "four_fifths": _n("Below four-fifths"),
    "z": "z",
    "p_value": "p",
    "significant": _n("Significant"),
    "policy": _n("Policy"),
    "expected_bad_rate": _n("Expected bad rate"),
    "observed_bad_rate": _n("Observed bad rate"),
    "outcomes": _n("Known outcomes"),
    "level": _n("Level"),
    "measure": _n("Measure"),
    "subject": _n("Subject"),
    "value": _n("Value"),
    "limit": _n("Limit"),
}
"""Column headings of the tables (names like AUC, KS stay as they are in every language)."""

VALUE_LABELS: dict[str, str] = {
    "red": _n("red"),
    "amber": _n("amber"),
    "psi": "PSI",
    "roll_rate": _n("roll rate"),
    "backtest": _n("back-test"),
    "fairness": _n("fairness"),
    "model": _n("alternative-data model"),
    "bureau_only": _n("bureau only"),
    "thin_file": _n("thin file"),
    "thick_file": _n("thick file"),
    "all": _n("all"),
    "True": _n("yes"),
    "False": _n("no"),
    "gender": _n("gender"),
    "age_band": _n("age band"),
    "hukou_status": _n("hukou status"),
    "is_local_hukou": _n("local hukou"),
    "region": _n("region"),
    "(missing)": _n("(missing)"),
    "F": _n("female"),
    "M": _n("male"),
    "score": _n("score"),
    "grade": _n("grade"),
    "current": _n("current"),
    "closed": _n("closed"),
}
"""Words of the tables' cells that are translated (the rest are figures or names)."""


RETRAIN_FOR_BASELINE = _n(
    "The active model carries no bureau-only baseline, so only thin- and thick-file approvals "
    "are shown. Retrain the model to compare its approvals with a bureau-only policy."
)
"""The note of the live report when the active model was trained before bureau baselines
were stored (its ``inclusion`` carries ``needs_bureau_baseline``)."""


def report_sections(report: Json, gettext: Gettext) -> list[Section]:
    """Every section of ``report`` (the shape of ``build_report``) in the order of the page."""
    _ = gettext
    draw: dict[str, Callable[[], str]] = {
        "alerts": lambda: _alerts(_rows(report, "alerts"), _),
        "vintages": lambda: _vintage_charts(_rows(report, "vintages"), _),
        "roll-rates": lambda: _heat_map(_mapping(report.get("roll_rates")), _),
        "drift": lambda: (
            _psi_bars(_mapping(report.get("psi")), _)
            + _window_bars(_mapping(report.get("psi_windows")), _)
        ),
        "backtest": lambda: _intervals(_rows(report, "backtest"), _),
        "ranking": lambda: _table(
            _rows(report, "ranking"), _, empty=_("No matured outcomes given.")
        ),
        "fairness": lambda: _table(_rows(report, "fairness"), _, empty=_("No decisions given.")),
        "inclusion": lambda: _inclusion(_mapping(report.get("inclusion")), _),
    }
    return [Section(key, _(title), draw[key]()) for key, title in SECTIONS]


def _rows(report: Json, key: str) -> list[Json]:
    value = report.get(key)
    return [r for r in value if isinstance(r, Mapping)] if isinstance(value, list) else []


def _mapping(value: object) -> Json:
    return value if isinstance(value, Mapping) else {}


def _list(value: object) -> list[object]:
    return list(value) if isinstance(value, list) else []


def _number(text: object) -> float:
    return 0.0 if text is None else float(str(text))  # float-ok: a rate drawn on a chart


def _empty(text: str) -> str:
    return f'<p class="empty">{escape(text)}</p>'


def _vintage_charts(rows: Sequence[Json], _: Gettext) -> str:
    if not rows:
        return _empty(_("No loans."))
    charts = []
    for measure, label in (
        ("ever_30", _("Ever 30+ days past due by vintage")),
        ("default_cum", _("Cumulative default by vintage")),
    ):
        series: dict[str, list[tuple[float, float]]] = {}
        for row in rows:
            point = (_number(row["mob"]), _number(row[measure]))
            series.setdefault(str(row["vintage"]), []).append(point)
        charts.append(
            line_chart(
                sorted(series.items()),
                title=label,
                x_label=_("months on book"),
                y_label=_("share of loans"),
            )
        )
    return "\n".join(charts)


def _heat_map(rates: Json, _: Gettext) -> str:
    cell, left, top = 52, 56, 40
    size_w, size_h = left + cell * len(BUCKETS), top + cell * len(BUCKETS)
    words = {"current": _("current"), "closed": _("closed")}
    names = {b: words.get(b, b) for b in BUCKETS}
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {size_w} {size_h}" '
        f'width="{size_w}" height="{size_h}" role="img" aria-label="{escape(_("Roll rates"))}">',
        f'<text x="{left}" y="12" font-size="11">{escape(_("to (next month) →"))}</text>',
    ]
    for j, name in enumerate(BUCKETS):
        x = left + j * cell + cell / 2
        parts.append(
            f'<text x="{x}" y="{top - 6}" font-size="10" text-anchor="middle">'
            f"{escape(names[name])}</text>"
        )
    for i, start in enumerate(BUCKETS):
        y = top + i * cell
        parts.append(
            f'<text x="{left - 4}" y="{y + cell / 2 + 4}" font-size="10" '
            f'text-anchor="end">{escape(names[start])}</text>'
        )
        row = _mapping(rates.get(start))
        for j, end in enumerate(BUCKETS):
            name = f"{names[start]} → {names[end]}"
            parts.append(_cell(left + j * cell, y, cell, row.get(end), name))
    parts.append("</svg>")
    return "\n".join(parts)


def _cell(x: int, y: int, cell: int, value: object, name: str) -> str:
    shade = "#eee" if value is None else _blue(_number(value))
    shown = "–" if value is None else f"{_number(value):.0%}"
    colour = "#fff" if value is not None and _number(value) > 0.5 else "#222"
    return (
        f'<rect x="{x}" y="{y}" width="{cell - 2}" height="{cell - 2}" fill="{shade}">'
        f"<title>{escape(name)}: {shown}</title></rect>"
        f'<text x="{x + cell / 2 - 1}" y="{y + cell / 2 + 3}" font-size="10" '
        f'text-anchor="middle" fill="{colour}">{shown}</text>'
    )


def _blue(share: float) -> str:
    light = round(235 - 180 * min(max(share, 0.0), 1.0))
    return f"rgb({light},{light + 10 if light < 245 else 245},245)"


def _psi_bars(drift: Json, _: Gettext) -> str:
    rows: list[tuple[str, float]] = []
    score = _mapping(drift.get("score"))
    if score:
        rows.append((_("score"), _number(score.get("value"))))
    for name, figure in _mapping(drift.get("features")).items():
        rows.append((str(name), _number(_mapping(figure).get("value"))))
    if not rows:
        return _empty(_("No score tables given."))
    return _stability_bars(rows, "PSI")


def _window_bars(windows: Json, _: Gettext) -> str:
    """The score's PSI per week and per month, each window a bar against the thresholds."""
    parts = []
    for name, heading in (("week", _("Score PSI by week")), ("month", _("Score PSI by month"))):
        rows = [
            (str(_mapping(r).get("window")), _number(_mapping(r).get("psi")))
            for r in _list(windows.get(name))
        ]
        if rows:
            parts.append(f"<h3>{escape(heading)}</h3>" + _stability_bars(rows, heading))
    return "\n".join(parts) or _empty(_("No dated current scores given."))


def _stability_bars(rows: Sequence[tuple[str, float]], label: str) -> str:
    left, bar, width = 150, 18, 340
    high = max(*(v for _, v in rows), ACT * 1.2)
    height = 20 + bar * len(rows)
    scale = (width - left - 10) / high
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-label="{escape(label)}">'
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


def _intervals(rows: Sequence[Json], _: Gettext) -> str:
    if not rows:
        return _empty(_("No matured outcomes given."))
    left, band, width = 60, 24, 340
    high = max(max(_number(r["high"]), _number(r["predicted_pd"])) for r in rows) or 1.0
    scale = (width - left - 10) / high
    height = 20 + band * len(rows)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" '
        f'aria-label="{escape(_("Back-test by grade"))}">'
    ]
    for k, row in enumerate(rows):
        y = 20 + k * band
        low, top = left + _number(row["low"]) * scale, left + _number(row["high"]) * scale
        seen = left + _number(row["bad_rate"]) * scale
        said = left + _number(row["predicted_pd"]) * scale
        colour = "#a40000" if row.get("alert") else "#1f5fa8"
        grade = _(str(row["grade"])) if row["grade"] == "all" else str(row["grade"])
        parts.append(
            f'<text x="{left - 4}" y="{y + 4}" font-size="10" text-anchor="end">'
            f"{escape(grade)}</text>"
            f'<line x1="{low:.1f}" y1="{y}" x2="{top:.1f}" y2="{y}" stroke="{colour}" '
            f'stroke-width="3"/><circle cx="{seen:.1f}" cy="{y}" r="4" fill="{colour}">'
            f"<title>{escape(_('realised'))} {row['bad_rate']}</title></circle>"
            f'<rect x="{said - 4:.1f}" y="{y - 4}" width="8" height="8" fill="none" '
            f'stroke="#222"><title>{escape(_("predicted"))} {row["predicted_pd"]}</title></rect>'
        )
    legend = _("line: 95% interval; dot: realised; square: predicted")
    parts.append(f'<text x="{left}" y="12" font-size="10">{escape(legend)}</text></svg>')
    return "\n".join(parts)


def _shown(value: object, _: Gettext) -> str:
    """A cell in the reader's words: each word the tables translate (``gender F`` → 性别 女),
    figures and names as they are."""
    text = str(value) if value is not None else "–"
    return " ".join(_(VALUE_LABELS[w]) if w in VALUE_LABELS else w for w in text.split(" "))


def _table(rows: Sequence[Json], _: Gettext, *, empty: str) -> str:
    if not rows:
        return _empty(empty)
    columns = list(rows[0])
    head = "".join(
        f'<th scope="col">{escape(_(COLUMN_LABELS[c]) if c in COLUMN_LABELS else c)}</th>'
        for c in columns
    )
    body = []
    for row in rows:
        warn = ' class="flag"' if row.get("four_fifths") or row.get("level") == "red" else ""
        cells = "".join(f"<td>{escape(_shown(row.get(c), _))}</td>" for c in columns)
        body.append(f"<tr{warn}>{cells}</tr>")
    return (
        '<div class="scroll"><table><thead><tr>'
        f"{head}</tr></thead><tbody>{''.join(body)}</tbody></table></div>"
    )


def _alerts(rows: Sequence[Json], _: Gettext) -> str:
    if not rows:
        return f'<p class="ok">{escape(_("No measure is past its threshold."))}</p>'
    return _table(rows, _, empty="")


def _inclusion(inclusion: Json, _: Gettext) -> str:
    baseline = _mapping(inclusion.get("baseline"))
    if not baseline:
        by_file = [
            {"group": name, **_mapping(inclusion.get(name))}
            for name in ("thin_file", "thick_file")
            if name in inclusion
        ]
        table = _table(by_file, _, empty=_("No decisions with bureau records given."))
        if not inclusion.get("needs_bureau_baseline"):
            return table
        return f'<p class="note">{escape(_(RETRAIN_FOR_BASELINE))}</p>{table}'
    table = _table(_rows(baseline, "policies"), _, empty="")
    return f'<p class="inclusion">{escape(_summary(baseline, _))}</p>{table}'


def _summary(baseline: Json, _: Gettext) -> str:
    """The sentence above the table: how many thin files only the model approves, and the
    bureau-only policy's cut-off (none when no bureau file is as safe as the model's
    approvals: it then approves nobody)."""
    figures = {
        "included": baseline.get("included"),
        "expected": baseline.get("included_expected_bad_rate") or "–",
        "observed": baseline.get("included_observed_bad_rate") or "–",
    }
    cutoff = baseline.get("cutoff")
    if cutoff is None:
        return (
            _(
                "%(included)s thin-file applicants approved by the model would be declined by the "
                "bureau-only policy, which approves nobody at the model's expected loss (no bureau "
                "score is as safe as the model's approvals); their expected bad rate %(expected)s, "
                "observed %(observed)s."
            )
            % figures
        )
    rule = (
        _("chosen at the model's expected loss")
        if baseline.get("cutoff_rule") == "same_expected_loss"
        else _("given")
    )
    return _(
        "%(included)s thin-file applicants approved by the model would be declined by the "
        "bureau-only policy (bureau score at least %(cutoff)s, %(rule)s); their expected bad "
        "rate %(expected)s, observed %(observed)s."
    ) % {**figures, "cutoff": cutoff, "rule": rule}
