"""The ``thinfile model`` commands end to end on German credit data."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest

from tests.support.environment import shared_path
from thinfile.cli.app import main


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    try:
        main(args)
        code = 0
    except SystemExit as exit_:
        code = int(exit_.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def german_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    frame = pd.read_csv(shared_path("data", "german_credit", "germancredit.csv"))
    frame["bad"] = (frame.pop("creditability") == "bad").astype(int)
    frame.insert(0, "loan_id", [f"L{i:04d}" for i in range(len(frame))])
    path = tmp_path_factory.mktemp("data") / "german.csv"
    frame.to_csv(path, index=False)
    return path


def _train_scorecard(
    data: Path, model: Path, capsys: pytest.CaptureFixture[str]
) -> tuple[int, str]:
    """``thinfile model train`` of a scorecard on ``data`` with its protected attribute."""
    code, out, _ = run(
        [
            *("model", "train", str(data), "--target", "bad", "--id-col", "loan_id"),
            *("--kind", "scorecard", "--protected", "personal_status_and_sex"),
            *("--out", str(model)),
        ],
        capsys,
    )
    return code, out


def test_train_evaluate_score_and_report(german_csv: Path, tmp_path: Path, capsys) -> None:
    model = tmp_path / "model"
    code, out = _train_scorecard(german_csv, model, capsys)
    assert code == 0 and "sha256:" in out
    assert not list(model.glob("*.pkl"))

    code, out, _ = run(
        ["model", "evaluate", str(model), str(german_csv), "--target", "bad", "--json"], capsys
    )
    figures = json.loads(out)
    assert code == 0 and set(figures) == {*HEADLINE, "calibration"}
    assert figures["rows"] == 1000 and figures["auc"] > 0.75

    scores = tmp_path / "scores.csv"
    code, _, _ = run(
        [
            "model",
            "score",
            str(model),
            str(german_csv),
            "--out",
            str(scores),
            "--reasons",
            "2",
            "--chunk-rows",
            "300",
        ],
        capsys,
    )
    table = pd.read_csv(scores)
    assert code == 0 and len(table) == 1000
    assert list(table.columns[:5]) == ["id", "pd", "score", "reason_1", "reason_1_text"]
    assert table["id"].iloc[0] == "L0000"

    quick = tmp_path / "quick.csv"
    scoring = ["model", "score", str(model), str(german_csv), "--out", str(quick)]
    code, _, _ = run([*scoring, "--reasons", "2", "--reasons-method", "points"], capsys)
    fast = pd.read_csv(quick)
    assert code == 0 and fast[["id", "pd", "score"]].equals(table[["id", "pd", "score"]])
    assert fast["reason_1"].notna().any() and fast["reason_1"].str.fullmatch(r"R\d\d").any()
    code, _, err = run([*scoring, "--reasons-method", "shap"], capsys)
    assert code == 2 and "--reasons-method" in err

    report = tmp_path / "report.html"
    code, _, _ = run(["model", "report", str(model), "--out", str(report)], capsys)
    html = report.read_text()
    assert (
        code == 0
        and "<svg" in html
        and "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")
    )


HEADLINE = ("auc", "ks", "gini", "brier", "rows", "bad_rate", "psi")
FRACTION = re.compile(r"\b\d+\.(\d+)\b")


def test_evaluate_reports_calibration_and_groups_alike_in_text_and_json(
    german_csv: Path, tmp_path: Path, capsys
) -> None:
    """--segment and --protected are used: the text and --json carry the same figures —
    headline metrics, PSI, calibration by decile and metrics by group — the text to 4
    places, the JSON to 6."""
    model = tmp_path / "model"
    code, _ = _train_scorecard(german_csv, model, capsys)
    assert code == 0
    evaluate = [
        "model",
        "evaluate",
        str(model),
        str(german_csv),
        "--target",
        "bad",
        "--segment",
        "housing",
        "--protected",
        "personal_status_and_sex",
    ]
    code, out, _ = run([*evaluate, "--json"], capsys)
    figures = json.loads(out)
    assert code == 0
    assert set(figures) == {*HEADLINE, "calibration", "segment", "protected"}
    assert isinstance(figures["psi"], float) and isinstance(figures["bad_rate"], float)
    assert [c["decile"] for c in figures["calibration"]] == list(range(1, 11))
    assert sum(c["rows"] for c in figures["calibration"]) == 1000
    for key, column in (("segment", "housing"), ("protected", "personal_status_and_sex")):
        block = figures[key]
        assert block["column"] == column
        assert sum(g["rows"] for g in block["groups"].values()) == 1000
        assert 0 < block["approval_rate_ratio"] <= 1
    assert set(figures["segment"]["groups"]) == {"own", "rent", "for free"}
    assert all(len(places) <= 6 for places in FRACTION.findall(out))

    code, text, _ = run(evaluate, capsys)
    assert code == 0
    assert all(len(places) <= 4 for places in FRACTION.findall(text)), text
    lines = text.splitlines()
    for key in HEADLINE:
        value = figures[key]
        shown = str(value) if isinstance(value, int) else f"{value:.4f}"
        assert f"{key:>9}: {shown}" in lines
    for c in figures["calibration"]:
        assert [
            str(c["decile"]),
            str(c["rows"]),
            f"{c['mean_pd']:.4f}",
            f"{c['bad_rate']:.4f}",
        ] in [line.split() for line in lines]
    for key, title in (("segment", "by segment"), ("protected", "by protected attribute")):
        block = figures[key]
        assert f"{title}: {block['column']}" in lines
        assert f"approval_rate_ratio {block['approval_rate_ratio']:.4f}" in text
        for name, g in block["groups"].items():
            row = (
                f"{g['rows']:>8} {g['bad_rate']:>9.4f} {g['auc']:>7.4f} {g['approval_rate']:>14.4f}"
            )
            assert any(line.startswith(name) and line.endswith(row) for line in lines), name


def test_a_missing_target_exits_2_with_one_line(german_csv: Path, tmp_path: Path, capsys) -> None:
    code, _, err = run(
        ["model", "train", str(german_csv), "--target", "default", "--out", str(tmp_path / "m")],
        capsys,
    )
    assert code == 2
    assert err.strip().startswith("error: default: target column not found")
    assert len(err.strip().splitlines()) == 1


def test_a_directory_that_is_not_a_model_exits_2(german_csv: Path, tmp_path: Path, capsys) -> None:
    code, _, err = run(
        ["model", "score", str(tmp_path), str(german_csv), "--out", str(tmp_path / "s.csv")], capsys
    )
    assert code == 2 and "manifest.json" in err


def test_an_unknown_kind_exits_2(german_csv: Path, tmp_path: Path, capsys) -> None:
    code, _, err = run(
        [
            "model",
            "train",
            str(german_csv),
            "--target",
            "bad",
            "--kind",
            "nn",
            "--out",
            str(tmp_path / "m"),
        ],
        capsys,
    )
    assert code == 2 and "--kind" in err
