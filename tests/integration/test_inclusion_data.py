"""Inclusion against a bureau-only policy on the synthetic population and on a real dataset
(HELOC, ../shared/data: skipped outside CI when absent), the cut-off checked by brute force."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from tests.support.environment import shared_path
from thinfile.portfolio import inclusion
from thinfile.sim import generate_applicants
from thinfile.sim.evaluation import inclusion_decisions


def brute_force_cutoff(decisions: pd.DataFrame) -> float:
    """Every distinct thick-file bureau score tried as a cut-off, lowest kept whose
    approvals' mean PD is at most the model's approvals'."""
    target = decisions.loc[decisions["approved"], "pd"].mean()
    thick = decisions[(decisions["bureau_records"] > 2) & decisions["bureau_score"].notna()]
    meeting = [
        s
        for s in sorted(set(thick["bureau_score"]))
        if thick.loc[thick["bureau_score"] >= s, "pd"].mean() <= target + 1e-12
    ]
    return min(meeting) if meeting else float("inf")


def check(decisions: pd.DataFrame) -> None:
    found = inclusion(decisions)
    assert found.cutoff == brute_force_cutoff(decisions)
    rows = found.table.set_index(["policy", "group"])
    thin = decisions["bureau_records"] <= 2
    # the bureau-only policy declines every thin file; the model's thin approvals are included
    assert rows.loc[("bureau_only", "thin_file"), "approvals"] == 0
    assert found.included == int((decisions["approved"] & thin).sum()) > 0
    # at the same expected loss: the baseline's approvals are no riskier by the model's PD
    expected = rows["expected_bad_rate"].astype(float)
    assert expected[("bureau_only", "all")] <= expected[("model", "all")] + 1e-12
    observed = decisions.loc[decisions["approved"] & thin, "bad"].mean()
    assert found.included_observed_bad_rate == pytest.approx(observed)


def test_inclusion_on_the_synthetic_population() -> None:
    decisions = inclusion_decisions(generate_applicants(6000, seed=11), seed=11)
    check(decisions)
    # thin files are most of the synthetic applicants: the model includes many
    assert inclusion(decisions).included > 500


def test_inclusion_on_heloc_with_its_external_risk_estimate_as_the_bureau_score() -> None:
    raw = pd.read_csv(shared_path("data", "heloc", "heloc_dataset_v1.csv"))
    bad = (raw.pop("RiskPerformance") == "Bad").astype(int)
    features = raw.where(raw >= 0)
    train, test, y_train, y_test = train_test_split(
        features, bad, test_size=0.3, stratify=bad, random_state=42
    )
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
    model.fit(train.fillna(0), y_train)
    pd_ = model.predict_proba(test.fillna(0))[:, 1]
    decisions = pd.DataFrame(
        {
            "approved": pd_ <= np.quantile(pd_, 0.6),
            "bureau_records": test["NumTotalTrades"].fillna(0).to_numpy(),
            "bureau_score": test["ExternalRiskEstimate"].to_numpy(),
            "pd": pd_,
            "bad": y_test.to_numpy(),
        }
    )
    check(decisions)
