"""How ``thinfile model evaluate`` reports: the same figures as text or as one JSON object,
fractions to 4 places in the text and 6 in the JSON, a group's missing AUC as None."""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

__all__ = ["evaluation_figures", "evaluation_lines"]

_HEADLINE = ("auc", "ks", "gini", "brier", "rows", "bad_rate", "psi")
"""The headline figures of ``model evaluate``, in the order printed."""

_JSON_PLACES = 6
"""Decimal places of every fraction ``model evaluate --json`` prints (the text prints 4)."""


def _figure(value: object) -> object:
    """A figure as ``model evaluate`` reports it: fractions to :data:`_JSON_PLACES` places,
    NaN (e.g. the AUC of a group with no bads) as None; lists and mappings figure by figure."""
    if isinstance(value, dict):
        return {str(k): _figure(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_figure(v) for v in value]
    if isinstance(value, float | np.floating):
        number = value.item() if isinstance(value, np.floating) else value
        return None if math.isnan(number) else round(number, _JSON_PLACES)
    if isinstance(value, np.integer):
        return value.item()
    return value


def evaluation_figures(report: Mapping[str, object]) -> dict[str, object]:
    """What ``model evaluate`` prints (text or JSON, the same figures): the headline metrics
    and PSI against training (None for a model without a training distribution), the
    calibration by decile, and the metrics by segment and by protected attribute when asked."""
    metrics = report["metrics"]
    assert isinstance(metrics, dict)
    out: dict[str, object] = {k: _figure(metrics[k]) for k in _HEADLINE if k != "psi"}
    out["psi"] = _figure(report.get("psi"))
    out["calibration"] = _figure(report["calibration"])
    for key in ("segment", "protected"):
        if key in report:
            out[key] = _figure(report[key])
    return out


def _text(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.4f}"
    return "–" if value is None else str(value)


def evaluation_lines(figures: Mapping[str, object]) -> list[str]:
    """The text of ``model evaluate``: :func:`evaluation_figures`, fractions to 4 places."""
    lines = [f"{key:>9}: {_text(figures[key])}" for key in _HEADLINE]
    calibration = figures["calibration"]
    assert isinstance(calibration, list)
    lines += [
        "",
        "calibration by decile",
        f"{'decile':>8} {'rows':>8} {'mean_pd':>9} {'bad_rate':>9}",
    ]
    lines += [
        f"{c['decile']:>8} {c['rows']:>8} {_text(c['mean_pd']):>9} {_text(c['bad_rate']):>9}"
        for c in calibration
    ]
    for key, title in (("segment", "by segment"), ("protected", "by protected attribute")):
        block = figures.get(key)
        if not isinstance(block, dict):
            continue
        groups = block["groups"]
        assert isinstance(groups, dict)
        width = max([len("group"), *(len(g) for g in groups)])
        lines += [
            "",
            f"{title}: {block['column']}",
            f"approve_share {_text(block['approve_share'])} (PD up to pd_cutoff "
            f"{_text(block['pd_cutoff'])} approved); approval_rate_ratio "
            f"{_text(block['approval_rate_ratio'])} (lowest/highest group; below 0.8 deserves "
            "a look)",
            f"{'group':<{width}} {'rows':>8} {'bad_rate':>9} {'auc':>7} {'approval_rate':>14}",
        ]
        lines += [
            f"{g:<{width}} {v['rows']:>8} {_text(v['bad_rate']):>9} {_text(v['auc']):>7} "
            f"{_text(v['approval_rate']):>14}"
            for g, v in groups.items()
        ]
    return lines
