# mypy: disable-error-code="index, attr-defined, var-annotated"
# (the tests read JSON-shaped reports, typed as object by their producers)
"""The behaviour model's training table: the review's feature definition, outcomes counted by
hand, borrowers never on both sides of the split; the model against the application score."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from thinfile.errors import DataContractError, InvalidInputError
from thinfile.scoring.behaviour import behaviour_features, line_months_from_performance
from thinfile.scoring.behaviour_model import (
    APPLICATION_SCORE,
    TARGET,
    behaviour_table,
    split_by_borrower,
    train_behaviour_model,
)
from thinfile.scoring.model import load_model
from thinfile.scoring.report import render_report
from thinfile.sim import generate_applicants, simulate_performance


def _loan(name: str, statuses: list[str]) -> list[dict[str, object]]:
    return [
        {
            "applicant_id": f"A{name}",
            "loan_id": f"L{name}",
            "segment": "shop",
            "month": k,
            "status": status,
            "days_past_due": {"late": 20, "default": 95}.get(status, 0),
            "amount_due": 1_000,
            "amount_paid": 0 if status in ("late", "default") else 1_000,
            "balance": 9_000 - 500 * k,
            "principal": 10_000,
        }
        for k, status in enumerate(statuses, start=1)
    ]


def test_outcomes_are_defaults_within_the_horizon_of_loans_open_at_the_review():
    performance = pd.DataFrame(
        _loan("1", ["on_time"] * 8)  # good through month 3 + 3
        + _loan("2", ["on_time", "on_time", "on_time", "late", "late", "default"])
        + _loan("3", ["on_time", "on_time", "closed"])  # ended at the review: no row
        + _loan("4", ["on_time", "on_time", "on_time", "on_time", "prepaid"])  # ends: good
        + _loan("5", ["on_time"] * 4)  # not observed to month 6: no row
        + _loan("6", ["on_time"] * 3 + ["late"] * 3 + ["default"])  # defaults in month 7
    )
    table = behaviour_table(performance, review_months=[3], horizon=3)
    outcome = dict(zip(table["loan_id"], table[TARGET], strict=True))
    assert outcome == {"L1": 0, "L2": 1, "L4": 0, "L6": 0}
    assert set(table["review_month"]) == {3}


def test_the_training_features_are_the_features_the_review_reads():
    applicants = generate_applicants(300, seed=2)
    performance = simulate_performance(applicants, months=12, seed=2)
    table = behaviour_table(performance, review_months=[3, 9], horizon=3)
    months = line_months_from_performance(performance)
    for k in (3, 9):
        part = table[table["review_month"] == k].set_index("loan_id")
        expected = {f.line_id: f.as_context() for f in behaviour_features(months, 30 * k)}
        assert len(part) > 50
        for loan, row in part.iterrows():
            got = {name: row[name] for name in expected[loan]}
            assert {n: (None if pd.isna(v) else int(v)) for n, v in got.items()} == expected[loan]


def test_the_split_holds_out_whole_borrowers_and_bad_inputs_are_refused():
    ids = pd.Series(["A1", "A1", "A2", "A3", "A3", "A4"] * 50 + [f"B{i}" for i in range(300)])
    held = split_by_borrower(ids, test_share=0.3, seed=1)
    assert set(ids[held]).isdisjoint(set(ids[~held]))
    assert 0.15 < held.mean() < 0.45
    with pytest.raises(InvalidInputError):
        split_by_borrower(ids, test_share=0.9, seed=1)
    with pytest.raises(DataContractError, match="status"):
        behaviour_table(pd.DataFrame({"loan_id": ["L1"]}))
    with pytest.raises(InvalidInputError):
        behaviour_table(pd.DataFrame(_loan("1", ["on_time"])), horizon=0)


def test_behaviour_beats_an_application_score_that_knows_nothing_of_repayment(tmp_path):
    applicants = generate_applicants(3000, seed=4)
    performance = simulate_performance(applicants, months=12, seed=4)
    table = behaviour_table(performance, review_months=[3, 6], horizon=6)
    rng = np.random.default_rng(0)
    # an application score that is noise: behaviour must add almost everything
    table[APPLICATION_SCORE] = rng.integers(500, 700, len(table))
    model = train_behaviour_model(table, application_version="noise", kind="scorecard")
    c = model.evaluation["behaviour_comparison"]
    assert abs(c["application"]["auc"] - 0.5) < 0.1
    assert c["behaviour"]["auc"] > 0.7 and c["auc_gain"] > 3 * c["auc_gain_se"]
    assert [m["months_on_book"] for m in c["by_months_on_book"]] == [3, 6]
    assert sum(m["rows"] for m in c["by_months_on_book"]) == c["rows"]
    # the artifact carries the comparison: saved, reloaded, same version, same report section
    version = model.save(tmp_path / "behaviour")
    again = load_model(tmp_path / "behaviour")
    assert again.version == version and again.evaluation["behaviour_comparison"] == json.loads(
        json.dumps(c)
    )
    assert "What behaviour adds" in render_report(again)
