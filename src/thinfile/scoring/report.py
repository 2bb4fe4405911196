"""Evaluation of a model on labelled data, and the self-contained HTML report.

The report shows what a credit committee asks for: discrimination (AUC, KS, Gini), calibration
by decile, the score distribution and its stability (PSI against training), metrics by segment
and by protected attribute, and — for scorecards — every attribute's points. Charts are inline
SVG; the page loads nothing from the network.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from html import escape

import pandas as pd

from thinfile.errors import DataContractError
from thinfile.scoring import evaluation as ev
from thinfile.scoring.charts import bar_chart, line_chart
from thinfile.scoring.contract import binary_target
from thinfile.scoring.encoding import encode_frame
from thinfile.scoring.model import ScoringModel

__all__ = ["evaluate_frame", "render_report"]


def evaluate_frame(
    model: ScoringModel,
    frame: pd.DataFrame,
    *,
    target: str,
    segment: str | None = None,
    protected: str | None = None,
    bad_value: object = None,
) -> dict[str, object]:
    """Every evaluation figure of ``model`` on a labelled table."""
    y = binary_target(frame, target, bad_value=bad_value)
    for name in (segment, protected):
        if name and name not in frame.columns:
            raise DataContractError("column not found", field=name)
    pd_, score = model.score_matrix(encode_frame(frame, model.schema))
    baseline = model.evaluation.get("training_distribution")
    edges = baseline.get("edges") if isinstance(baseline, dict) else None
    dist = ev.score_distribution(score, y, edges=edges if isinstance(edges, list) else None)
    out: dict[str, object] = {
        "metrics": ev.metrics(y, pd_),
        "calibration": ev.calibration_by_decile(y, pd_),
        "roc": ev.roc_points(y, pd_),
        "score_distribution": dist,
        "training_distribution": baseline,
    }
    if isinstance(baseline, dict) and isinstance(baseline.get("counts"), list):
        out["psi"] = ev.psi(baseline["counts"], dist["counts"])
    if segment:
        out["segment"] = {"column": segment, **ev.group_metrics(y, pd_, frame[segment].to_numpy())}
    if protected:
        out["protected"] = {
            "column": protected,
            **ev.group_metrics(y, pd_, frame[protected].to_numpy()),
        }
    return out


CSS = """body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:980px;color:#222}
table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{border:1px solid #ccc;padding:3px 8px;
text-align:right}th{background:#f2f4f7}td:first-child,th:first-child{text-align:left}
.charts{display:flex;flex-wrap:wrap;gap:12px}code{background:#f2f4f7;padding:1px 4px}"""


def _table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    body = "".join(
        "<tr>" + "".join(f"<td>{escape(_fmt(v))}</td>" for v in r) + "</tr>" for r in rows
    )
    return f"<table><tr>{head}</tr>{body}</table>"


def _fmt(v: object) -> str:
    if isinstance(v, float):
        return "–" if math.isnan(v) else f"{v:.4f}" if abs(v) < 10 else f"{v:,.1f}"
    return "–" if v is None else str(v)


def _charts(report: Mapping[str, object]) -> str:
    svgs = []
    roc = report.get("roc")
    if isinstance(roc, list):
        svgs.append(
            line_chart(
                [("model", [(p[0], p[1]) for p in roc])],
                title="ROC curve",
                x_label="false-positive rate",
                y_label="true-positive rate",
                diagonal=True,
            )
        )
    cal = report.get("calibration")
    if isinstance(cal, list):
        pts = [(float(c["mean_pd"]), float(c["bad_rate"])) for c in cal]
        svgs.append(
            line_chart(
                [("observed vs predicted", pts)],
                title="Calibration by decile",
                x_label="mean predicted PD",
                y_label="observed bad rate",
                diagonal=True,
            )
        )
    dist = report.get("score_distribution")
    if isinstance(dist, dict):
        labels = [f"{e:g}" for e in dist["edges"][:-1]]
        svgs.append(
            bar_chart(
                labels,
                dist["counts"],
                title="Score distribution",
                x_label="score band (lower edge)",
                y_label="applicants",
            )
        )
    return '<div class="charts">' + "".join(svgs) + "</div>"


def _groups(title: str, block: object) -> str:
    if not isinstance(block, dict):
        return ""
    groups = block["groups"]
    rows = [(g, v["rows"], v["bad_rate"], v["auc"], v["approval_rate"]) for g, v in groups.items()]
    return (
        f"<h2>{escape(title)}: <code>{escape(str(block['column']))}</code></h2>"
        f"<p>Approving the safest {block['approve_share']:.0%}; lowest/highest group "
        f"approval-rate ratio: <b>{_fmt(block['approval_rate_ratio'])}</b> "
        "(below 0.8 deserves a look).</p>"
        + _table(("group", "rows", "bad rate", "AUC", "approval rate"), rows)
    )


def _model_section(model: ScoringModel) -> str:
    parts = [
        f"<p>Kind: <b>{escape(model.kind)}</b>; scorecard weight in the blend "
        f"{model.blend_weight:.2f}; features: {len(model.feature_names)}; training rows: "
        f"{model.training.get('rows')}.</p>"
    ]
    if model.gbm is not None:
        parts.append(
            f"<p>Gradient boosting: {model.gbm.num_leaves_} leaves per tree, "
            f"{model.gbm.rounds_} trees.</p>"
        )
    if model.scorecard is not None:
        card = model.scorecard
        iv = sorted(card.iv_.items(), key=lambda kv: -kv[1])[:20]
        parts.append(
            '<div class="charts">'
            + bar_chart(
                [k[:10] for k, _ in iv],
                [v for _, v in iv],
                title="Information value",
                x_label="feature",
                y_label="IV",
            )
            + "</div>"
        )
        parts.append(
            f"<h2>Scorecard points (base {model.scale.base_score:g} at odds "
            f"{model.scale.base_odds:g}:1, {model.scale.pdo:g} points to double)</h2>"
        )
        rows = [
            (r["feature"], r["bin"], r["rows"], r["bad_rate"], r["woe"], r["points"])
            for r in model.points_table()
        ]
        parts.append(_table(("feature", "bin", "rows", "bad rate", "WoE", "points"), rows))
    return "".join(parts)


def _behaviour_section(block: object) -> str:
    """What behaviour adds: the behaviour model against the application score alone."""
    if not isinstance(block, dict):
        return ""
    b, a = block["behaviour"], block["application"]
    rows = [
        (name, b[key], a[key], b[key] - a[key])
        for name, key in (("AUC", "auc"), ("KS", "ks"), ("Gini", "gini"), ("Brier", "brier"))
    ]
    mob = [
        (
            m["months_on_book"],
            m["rows"],
            m["bad_rate"],
            m["behaviour_mean_pd"],
            m["application_mean_pd"],
            m["behaviour_auc"],
            m["application_auc"],
        )
        for m in block["by_months_on_book"]
    ]
    gain, se = float(block["auc_gain"]), float(block["auc_gain_se"])
    return (
        "<h2>What behaviour adds</h2>"
        f"<p>On {block['rows']} reviews of {block['borrowers']} borrowers held out of training "
        f"(bad rate {_fmt(block['bad_rate'])}), the behaviour model ranks defaults with AUC "
        f"<b>{_fmt(b['auc'])}</b> against <b>{_fmt(a['auc'])}</b> for the application score "
        f"alone: <b>{gain:+.4f}</b> (standard error {_fmt(se)}, DeLong), KS "
        f"{float(block['ks_gain']):+.4f}. The application score alone is calibrated to the "
        "same outcome on the training borrowers.</p>"
        + _table(("metric", "behaviour", "application alone", "difference"), rows)
        + "<h3>Calibration by months on book</h3>"
        + _table(
            (
                "months on book",
                "rows",
                "bad rate",
                "behaviour mean PD",
                "application mean PD",
                "behaviour AUC",
                "application AUC",
            ),
            mob,
        )
    )


def render_report(model: ScoringModel, evaluation: Mapping[str, object] | None = None) -> str:
    """The HTML report; figures from ``evaluation`` or those stored at training."""
    report = evaluation if evaluation is not None else model.evaluation
    metrics = report.get("metrics", {})
    rows = [(k, v) for k, v in metrics.items()] if isinstance(metrics, dict) else []
    cal = report.get("calibration")
    cal_rows = (
        [(c["decile"], c["rows"], c["mean_pd"], c["bad_rate"]) for c in cal]
        if isinstance(cal, list)
        else []
    )
    psi = report.get("psi")
    sections = [
        f"<h1>Scoring model report</h1><p>Model <code>{escape(model.version)}</code>, "
        f"generated {datetime.now(UTC):%Y-%m-%d %H:%M} UTC.</p>",
        _model_section(model),
        _behaviour_section(model.evaluation.get("behaviour_comparison")),
        "<h2>Held-out performance</h2>" if evaluation is None else "<h2>Performance</h2>",
        _table(("metric", "value"), rows),
        f"<p>PSI against training: {_fmt(psi)}</p>" if psi is not None else "",
        _charts(report),
        "<h2>Calibration by decile</h2>",
        _table(("decile", "rows", "mean PD", "bad rate"), cal_rows),
        _groups("By segment", report.get("segment")),
        _groups("By protected attribute", report.get("protected")),
    ]
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>thinfile model report</title><style>{CSS}</style></head><body>"
        + "".join(sections)
        + "</body></html>"
    )
