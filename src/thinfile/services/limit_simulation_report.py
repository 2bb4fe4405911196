"""The limit simulation as a self-contained HTML page (inline SVG, no scripts, no CDN)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from html import escape

from thinfile.money import format_yuan
from thinfile.scoring.charts import line_chart
from thinfile.services.limit_simulation import LimitSimulation

__all__ = ["render_limit_simulation_html"]

_STYLE = (
    "body{font:15px/1.4 system-ui,sans-serif;margin:2rem;color:#111;max-width:1100px}"
    "table{border-collapse:collapse;margin:.5rem 0 1.5rem}"
    "th,td{border:1px solid #bbb;padding:.3rem .6rem;text-align:right}"
    "th[scope=row]{text-align:left}code{background:#f2f4f7;padding:1px 4px}"
)
_DECISIONS = ("increase_accepted", "offer_declined", "held_out", "decrease", "freeze", "unfreeze")


def _pct(value: object) -> str:
    return "—" if value is None else f"{Decimal(str(value)):.2%}"


def _yuan(value: object) -> str:
    return "—" if value is None else format_yuan(int(str(value)), grouped=True)


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    body = "".join(
        "<tr>"
        + "".join(
            f"<th scope='row'>{escape(c)}</th>" if i == 0 else f"<td>{escape(c)}</td>"
            for i, c in enumerate(r)
        )
        + "</tr>"
        for r in rows
    )
    return f"<table><tr>{head}</tr>{body}</table>"


def _months(by_month: Sequence[Mapping[str, object]]) -> str:
    if not by_month:
        return ""
    bands = list(_mapping(by_month[0]["band_shares"]))
    header = ["month", "lines", *bands, "average limit", "utilization", *_DECISIONS]
    rows = []
    for m in by_month:
        shares = _mapping(m["band_shares"])
        decisions = _mapping(m["decisions"])
        rows.append(
            [
                str(m["month"]),
                str(m["lines"]),
                *(_pct(shares[b]) for b in bands),
                _yuan(m["average_limit_fen"]),
                _pct(m["utilization"]),
                *(str(decisions.get(d, 0)) for d in _DECISIONS),
            ]
        )
    return _table(header, rows)


def _mapping(value: object) -> Mapping[str, object]:
    return value if isinstance(value, Mapping) else {}


def _loss(title: str, loss: Mapping[str, object]) -> str:
    rows = []
    for name, label in (("increased", "raised (accepted)"), ("control", "control, held out")):
        g = _mapping(loss.get(name))
        rows.append(
            [
                label,
                str(g.get("lines")),
                _yuan(g.get("balance_at_entry_fen")),
                _yuan(g.get("charged_off_fen")),
                str(g.get("defaulted_lines")),
                _pct(g.get("loss_rate")),
            ]
        )
    header = ["group", "lines", "balance at entry", "charged off", "defaulted", "loss rate"]
    return f"<h3>{escape(title)}</h3>" + _table(header, rows)


def _run(title: str, run: Mapping[str, object]) -> str:
    by_segment = _mapping(run.get("by_segment"))
    segments = "".join(
        f"<h3>Segment <code>{escape(name)}</code></h3>" + _months(list(_seq(rows)))
        for name, rows in by_segment.items()
    )
    return (
        f"<h2>{escape(title)}: policy <code>{escape(str(run['policy_version']))}</code></h2>"
        + _loss("Balance-weighted loss: raised against control lines", _mapping(run["loss"]))
        + "<h3>All lines, by month on book</h3>"
        + _months(list(_seq(run["by_month"])))
        + segments
    )


def _seq(value: object) -> Sequence[Mapping[str, object]]:
    return [v for v in value if isinstance(v, Mapping)] if isinstance(value, list) else []


def _chart(data: Mapping[str, object]) -> str:
    series = []
    for name in ("candidate", "baseline"):
        run = _mapping(data.get(name))
        if run:
            points = [
                (float(str(m["month"])), float(str(m["at_ceiling_share"] or 0)))  # float-ok: chart
                for m in _seq(run["by_month"])
            ]
            series.append((name, points))
    return line_chart(
        series, title="Share at the ceiling", x_label="month on book", y_label="share of lines"
    )


def _change(change: Mapping[str, object]) -> str:
    rows = [
        [
            str(m["month"]),
            _pct(m["at_ceiling_share"]),
            _yuan(m["average_limit_fen"]),
            _pct(m["utilization"]),
        ]
        for m in _seq(change.get("by_month"))
    ]
    loss = _mapping(change.get("loss_rate"))
    return (
        "<h2>Change from the baseline (candidate − baseline)</h2>"
        f"<p>Loss rate of raised lines {_pct(loss.get('increased'))}, of control lines "
        f"{_pct(loss.get('control'))}.</p>"
        + _table(["month", "at ceiling", "average limit", "utilization"], rows)
    )


def render_limit_simulation_html(report: LimitSimulation) -> str:
    """The page: assumptions, the change from the baseline, then each policy's figures."""
    data = report.as_dict()
    intro = (
        "<h1>Limit policy simulation</h1>"
        f"<p>{report.lines} lines over {report.months} months on book; "
        f"{report.above_ceiling} loans above the ceiling left out; offers accepted by "
        f"{report.take_up:.0%} of borrowers. A line uses the same share of a raised limit as "
        "its loan did of the amount lent; a default loses the raised line's balance. The "
        "loss rate is the balance charged off after a line's first (would-be) increase over "
        "its balance then.</p>"
    )
    change = report.change()
    sections = [intro, _chart(data)]
    if change is not None:
        sections.append(_change(change))
    sections.append(_run("Candidate", _mapping(data["candidate"])))
    if report.baseline is not None:
        sections.append(_run("Baseline", _mapping(data["baseline"])))
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>Limit policy simulation</title><style>{_STYLE}</style></head><body>"
        + "".join(sections)
        + "</body></html>"
    )
