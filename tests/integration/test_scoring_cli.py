"""The ``thinfile model`` commands end to end on German credit data."""

from __future__ import annotations

import json
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


def test_train_evaluate_score_and_report(german_csv: Path, tmp_path: Path, capsys) -> None:
    model = tmp_path / "model"
    code, out, _ = run(
        [
            "model",
            "train",
            str(german_csv),
            "--target",
            "bad",
            "--id-col",
            "loan_id",
            "--kind",
            "scorecard",
            "--protected",
            "personal_status_and_sex",
            "--out",
            str(model),
        ],
        capsys,
    )
    assert code == 0 and "sha256:" in out
    assert not list(model.glob("*.pkl"))

    code, out, _ = run(
        ["model", "evaluate", str(model), str(german_csv), "--target", "bad", "--json"], capsys
    )
    figures = json.loads(out)
    assert code == 0 and set(figures) == {"auc", "ks", "gini", "brier", "rows"}
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
