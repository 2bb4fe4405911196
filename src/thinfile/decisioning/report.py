"""The simulation report as a self-contained HTML page (no scripts, no CDN)."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from html import escape

from thinfile.decisioning.simulate import ArmSummary, SimulationReport, Tally

__all__ = ["render_simulation_html"]

_COLUMNS = (
    "applications",
    "approved",
    "approval_rate",
    "referral_rate",
    "expected_bad_rate",
    "realised_bad_rate",
    "average_annualized_rate",
    "average_amount",
)


_RATES = {
    "approval_rate",
    "referral_rate",
    "expected_bad_rate",
    "realised_bad_rate",
    "average_annualized_rate",
}


def _cell(column: str, value: object) -> str:
    if value is None:
        return "—"
    if column in _RATES:
        return f"{Decimal(str(value)):.2%}"
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


def _arm(label: str, arm: ArmSummary) -> str:
    return "".join(
        [
            f"<h1>{escape(label)} — policy {escape(arm.policy_version)}</h1>",
            _table("Overall", {"all": arm.overall.as_dict()}),
            _table("Thin-file vs thick-file", _rows(arm.by_file)),
            _table("By occupation", _rows(arm.by_segment)),
        ]
    )


def _rows(tallies: Mapping[str, Tally]) -> dict[str, dict[str, object]]:
    return {name: tally.as_dict() for name, tally in sorted(tallies.items())}


def render_simulation_html(report: SimulationReport) -> str:
    sections = [_arm("Candidate", report.candidate)]
    change = report.change()
    if report.baseline is not None and change is not None:
        sections.append(_arm("Baseline", report.baseline))
        sections.insert(
            0,
            (
                "<p class='change'>Change from baseline: approval rate "
                f"{Decimal(str(change['approval_rate'])):+.2%}, swapped in {change['swap_in']}, "
                f"swapped out {change['swap_out']}.</p>"
            ),
        )
    style = (
        "body{font:15px/1.4 system-ui,sans-serif;margin:2rem;color:#111}"
        "table{border-collapse:collapse;margin:.5rem 0 1.5rem}"
        "th,td{border:1px solid #bbb;padding:.3rem .6rem;text-align:right}"
        "th[scope=row]{text-align:left}"
    )
    return (
        f"<!doctype html><html lang='en'><meta charset='utf-8'><title>Policy simulation"
        f"</title><style>{style}</style><body><p>Model {escape(report.model_version)}</p>"
        + "".join(sections)
        + "</body></html>"
    )
