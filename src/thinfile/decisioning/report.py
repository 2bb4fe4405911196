"""The simulation report as a self-contained HTML page (no scripts, no CDN)."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal
from html import escape

from thinfile.decisioning.simulate import SimulationReport

__all__ = ["percent", "points", "render_simulation_html"]

_COLUMNS = (
    "applications",
    "approved",
    "approval_rate",
    "referral_rate",
    "expected_bad_rate",
    "realised_bad_rate",
    "average_annualized_rate",
    "average_effective_rate",
    "share_at_cap",
    "average_amount",
    "expected_interest",
    "expected_fees",
    "expected_loss",
    "expected_margin",
    "expected_margin_points",
    "with_programme",
)


_RATES = {
    "approval_rate",
    "referral_rate",
    "expected_bad_rate",
    "realised_bad_rate",
    "average_annualized_rate",
    "average_effective_rate",
    "share_at_cap",
}


_HUNDREDTH = Decimal("0.01")


def percent(share: object) -> str:
    """A share (0.76755) as a percentage to two places, halves up (76.76%): one rounding
    wherever a simulation's rates are shown, the report's six places read as written."""
    value = Decimal(str(share)) * 100  # not money: a share in percent
    return f"{value.quantize(_HUNDREDTH, rounding=ROUND_HALF_UP)}%"


def points(change: object) -> str:
    """A change of a share (-0.00725) in percentage points, signed (-0.73 points)."""
    value = Decimal(str(change)) * 100  # not money: a difference of shares, in points
    return f"{value.quantize(_HUNDREDTH, rounding=ROUND_HALF_UP):+} points"


def _cell(column: str, value: object) -> str:
    if value is None:
        return "—"
    if column in _RATES:
        return percent(value)
    return escape(str(value))


def _table(title: str, rows: dict[str, dict[str, object]]) -> str:
    head = "".join(f"<th>{escape(c.replace('_', ' '))}</th>" for c in _COLUMNS)
    body = "".join(
        f"<tr><th scope='row'>{escape(name)}</th>"
        + "".join(f"<td>{_cell(c, row.get(c))}</td>" for c in _COLUMNS)
        + "</tr>"
        for name, row in rows.items()
    )
    return f"<h2>{escape(title)}</h2><table><tr><th></th>{head}</tr>{body}</table>"


_CLASS_FLAGGED = " class='flagged'"


def _flag(row: Mapping[str, object]) -> str:
    words = [
        text
        for key, text in (
            ("below_min_share", "approval below the minimum share"),
            ("above_target_bad_rate", "bad rate above target"),
            ("mostly_at_cap", "most approvals at the cap"),
            ("negative_margin", "expected margin below zero"),
            ("programme_margin", "margin below zero under a preferential programme"),
        )
        if row.get(key)
    ]
    return "⚑ " + "; ".join(words) if words else ""


def _segments(rows: Mapping[str, Mapping[str, object]]) -> str:
    """The by-occupation table: the usual columns, the share of the overall approval rate
    and the flag."""
    head = "".join(f"<th>{escape(c.replace('_', ' '))}</th>" for c in _COLUMNS)
    body = "".join(
        f"<tr{_CLASS_FLAGGED if row.get('flagged') else ''}><th scope='row'>{escape(name)}</th>"
        + "".join(f"<td>{_cell(c, row.get(c))}</td>" for c in _COLUMNS)
        + f"<td>{_cell('approval_rate', row.get('approval_share_of_average'))}</td>"
        + f"<td>{escape(_flag(row))}</td></tr>"
        for name, row in rows.items()
    )
    return (
        f"<h2>By occupation</h2><table><tr><th></th>{head}"
        f"<th>share of average approval</th><th>flag</th></tr>{body}</table>"
    )


def _mapping(value: object) -> dict[str, dict[str, object]]:
    return value if isinstance(value, dict) else {}


def _distribution(*groups: Mapping[str, object]) -> str:
    """Counts of approved offers by band of the nominal annualized rate, with percentiles."""
    rows: list[tuple[str, Mapping[str, object]]] = []
    for name, group in zip(("all", "file", "grade", "occupation"), groups, strict=True):
        items = [("all", group)] if name == "all" else list(group.items())
        for label, row in items:
            dist = row.get("rate_distribution") if isinstance(row, Mapping) else None
            if isinstance(dist, Mapping):
                rows.append((str(label), dist))
    if not rows:
        return ""
    bands = rows[0][1]["bands"]
    assert isinstance(bands, Mapping)
    head = (
        "".join(f"<th>{escape(str(b))}</th>" for b in bands)
        + "<th>p10</th><th>p50</th><th>p90</th>"
    )
    body = ""
    for label, dist in rows:
        counts = dist["bands"]
        assert isinstance(counts, Mapping)
        body += f"<tr><th scope='row'>{escape(label)}</th>"
        body += "".join(f"<td>{counts[b]}</td>" for b in bands)
        body += "".join(f"<td>{_cell('share_at_cap', dist[p])}</td>" for p in ("p10", "p50", "p90"))
        body += "</tr>"
    return (
        "<h2>Annualized rates of approved offers (nominal, IRR × 12)</h2>"
        f"<table><tr><th></th>{head}</tr>{body}</table>"
    )


def _change(change: Mapping[str, object]) -> str:
    def points_of(key: str) -> str:
        value = change.get(key)
        return "—" if value is None else points(value)

    def yuan(key: str) -> str:
        value = change.get(key)
        return "—" if value is None else f"{Decimal(str(value)):+,.2f} yuan"

    return (
        "<p class='change'>Change from baseline: approval rate "
        f"{points(change['approval_rate'])}, swapped in {change['swap_in']}, "
        f"swapped out {change['swap_out']}; mean annualized rate "
        f"{points_of('average_annualized_rate')} (compounded "
        f"{points_of('average_effective_rate')}), share at the cap "
        f"{points_of('share_at_cap')}; expected interest {yuan('expected_interest')}, fees "
        f"{yuan('expected_fees')}, loss {yuan('expected_loss')}, margin "
        f"{yuan('expected_margin')}.</p>"
    )


def _checks(report: SimulationReport) -> str:
    target = report.target_bad_rate
    return (
        "<p class='checks'>An occupation is flagged when its approval rate is below "
        f"{report.min_segment_share:.0%} of the overall approval rate"
        + (f", or its bad rate of approvals above {target:.2%}" if target is not None else "")
        + "; or most of its approvals sit at the cap (within half a point), or its expected "
        "margin is below zero without a preferential programme to explain it. Expected figures: "
        "interest and fees if every borrower pays as scheduled; loss = PD × LGD a year over the "
        "balance; margin = revenue less cost of funds, loss, operating cost and capital charge, "
        "all measured with one set of pricing parameters for every policy compared.</p>"
    )


def _arm(label: str, arm: Mapping[str, object]) -> str:
    version, overall, by_file, by_segment = (
        arm["policy_version"],
        arm["overall"],
        arm["by_file"],
        arm["by_segment"],
    )
    assert isinstance(overall, dict) and isinstance(by_file, dict)
    assert isinstance(by_segment, dict)
    flagged = arm.get("flagged_segments") or []
    assert isinstance(flagged, list)
    note = (
        f"<p class='flagged'>Flagged: {escape(', '.join(map(str, flagged)))}.</p>"
        if flagged
        else ""
    )
    return "".join(
        [
            f"<h1>{escape(label)} — policy {escape(str(version))}</h1>",
            _table("Overall", {"all": overall}),
            _table("Thin-file vs thick-file", by_file),
            _table("By grade", _mapping(arm.get("by_grade"))),
            _segments(by_segment),
            _distribution(overall, by_file, _mapping(arm.get("by_grade")), by_segment),
            note,
        ]
    )


def render_simulation_html(report: SimulationReport) -> str:
    data = report.as_dict()
    candidate, baseline = data["candidate"], data["baseline"]
    assert isinstance(candidate, dict)
    sections = [_checks(report), _arm("Candidate", candidate)]
    change = report.change()
    if isinstance(baseline, dict) and change is not None:
        sections.append(_arm("Baseline", baseline))
        sections.insert(0, _change(change))
    style = (
        "body{font:15px/1.4 system-ui,sans-serif;margin:2rem;color:#111}"
        "table{border-collapse:collapse;margin:.5rem 0 1.5rem}"
        "th,td{border:1px solid #bbb;padding:.3rem .6rem;text-align:right}"
        "th[scope=row]{text-align:left}"
        "tr.flagged td,p.flagged{color:#8a1c00;font-weight:600}"
    )
    return (
        f"<!doctype html><html lang='en'><meta charset='utf-8'><title>Policy simulation"
        f"</title><style>{style}</style><body><p>Model {escape(report.model_version)}</p>"
        + "".join(sections)
        + "</body></html>"
    )
