"""``thinfile limits simulate`` and ``thinfile model train-behaviour`` end to end on small
files made by ``thinfile synth``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.cli import run
from thinfile.decisioning.limit_policy import DEFAULT_LIMIT_POLICY_DIR
from thinfile.scoring import load_model, train_model
from thinfile.sim import (
    NOT_MODEL_INPUTS,
    generate_applicants,
    read_table,
    simulate_performance,
    write_table,
)


@pytest.fixture(scope="module")
def book(tmp_path_factory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("book")
    people, loans = folder / "applicants.csv", folder / "performance.parquet"
    applicants = generate_applicants(1500, seed=9)
    write_table(applicants, people)
    write_table(simulate_performance(applicants, months=18, seed=9), loans)
    return people, loans


def _higher_ceiling(tmp_path: Path) -> Path:
    folder = tmp_path / "policy"
    folder.mkdir()
    settings = json.loads((DEFAULT_LIMIT_POLICY_DIR / "policy.json").read_text("utf-8"))
    settings["ceiling_fen"] = 5_000_000
    (folder / "policy.json").write_text(json.dumps(settings), encoding="utf-8")
    graph = (DEFAULT_LIMIT_POLICY_DIR / "decision.json").read_text("utf-8")
    (folder / "decision.json").write_text(graph, encoding="utf-8")
    return folder


def test_simulate_writes_an_offline_report_and_the_change_from_the_baseline(capsys, tmp_path, book):
    people, loans = book
    out = tmp_path / "report.html"
    argv = ["limits", "simulate", "--applicants", str(people), "--performance", str(loans)]
    argv += ["--policy", str(_higher_ceiling(tmp_path)), "--out", str(out)]
    code, text, err = run(
        capsys, *argv, "--baseline-policy", str(DEFAULT_LIMIT_POLICY_DIR), "--json"
    )
    assert code == 0, err
    data = json.loads(text)
    candidate, baseline = data["candidate"], data["baseline"]
    assert data["months"] == 18 and len(candidate["by_month"]) == 18
    assert candidate["ceiling_fen"] == 5_000_000 and baseline["ceiling_fen"] == 3_000_000
    # the same book under both: the lines up to the candidate's ceiling
    assert candidate["by_month"][0]["lines"] == baseline["by_month"][0]["lines"]
    assert data["lines"] + data["left_out_above_ceiling"] == 1500
    # a higher ceiling lets limits grow further by month 18
    last = data["change"]["by_month"][-1]
    assert last["average_limit_fen"] > 0
    page = out.read_text("utf-8")
    assert "Limit policy simulation" in page and "Change from the baseline" in page
    # offline: nothing fetched (the SVG namespace is a name, not a request)
    assert not any(word in page for word in ("src=", "<link", "<script", "@import", "url("))
    code, text, _ = run(capsys, *argv)
    assert code == 0 and "report written to" in text


def test_simulate_refuses_a_bad_take_up_and_a_missing_file(capsys, tmp_path, book):
    people, loans = book
    argv = ["limits", "simulate", "--applicants", str(people), "--performance", str(loans)]
    argv += ["--policy", str(DEFAULT_LIMIT_POLICY_DIR), "--out", str(tmp_path / "r.html")]
    code, _, err = run(capsys, *argv, "--take-up", "2")
    assert code != 0 and "--take-up" in err and "Traceback" not in err
    argv[4] = str(tmp_path / "missing.csv")
    code, _, err = run(capsys, *argv)
    assert code != 0 and "Traceback" not in err


def test_train_behaviour_writes_a_model_whose_report_says_what_behaviour_adds(
    capsys, tmp_path, book
):
    people, loans = book
    applicants = read_table(people)
    application = train_model(
        applicants,
        target="bad_12m",
        kind="scorecard",
        id_col="applicant_id",
        exclude=[c for c in NOT_MODEL_INPUTS if c not in ("segment", "gender")],
        segment="segment",
        protected="gender",
    )
    application.save(tmp_path / "application")
    out = tmp_path / "behaviour"
    code, text, err = run(
        capsys,
        "model",
        "train-behaviour",
        str(loans),
        "--applicants",
        str(people),
        "--application-model",
        str(tmp_path / "application"),
        "--out",
        str(out),
        "--kind",
        "scorecard",
    )
    assert code == 0, err
    model = load_model(out)
    assert "application score alone" in text and model.version in text
    assert model.training["application_model"] == application.version
    assert "application_score" in model.feature_names and "segment" not in model.feature_names
    code, _, _ = run(capsys, "model", "report", str(out), "--out", str(tmp_path / "m.html"))
    assert code == 0 and "What behaviour adds" in (tmp_path / "m.html").read_text("utf-8")
