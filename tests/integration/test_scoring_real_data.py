"""thinfile scoring on the real credit datasets in ../shared/data (BASELINES.md split)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.model_selection import train_test_split

from tests.support.environment import shared_path
from thinfile.scoring import load_model, train_model
from thinfile.scoring.evaluation import auc


def baseline_split(frame: pd.DataFrame, target: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    train, test = train_test_split(frame, test_size=0.30, stratify=frame[target], random_state=42)
    return train, test


def german() -> pd.DataFrame:
    frame = pd.read_csv(shared_path("data", "german_credit", "germancredit.csv"))
    return frame.assign(bad=(frame.pop("creditability") == "bad").astype(int))


def test_the_german_blend_ranks_at_least_as_well_as_the_reference_scorecard() -> None:
    train, test = baseline_split(german(), "bad")
    model = train_model(train, target="bad", kind="both")
    pd_ = model.score_frame(test)["pd"].to_numpy()
    assert auc(test["bad"].to_numpy(), pd_) >= 0.8066  # optbinning scorecard (BASELINES.md)
    assert float(np.mean((pd_ - test["bad"].to_numpy()) ** 2)) < 0.16


def test_the_south_german_blend_ranks_at_least_as_well_as_tuned_lightgbm() -> None:
    frame = pd.read_csv(shared_path("data", "south_german_credit", "south_german_credit.csv"))
    frame = frame.assign(bad=(frame.pop("credit_risk") == 0).astype(int))
    train, test = baseline_split(frame, "bad")
    model = train_model(train, target="bad", kind="both")
    pd_ = model.score_frame(test)["pd"].to_numpy()
    assert auc(test["bad"].to_numpy(), pd_) >= 0.7674  # tuned LightGBM (BASELINES.md)
    assert float(np.mean((pd_ - test["bad"].to_numpy()) ** 2)) <= 0.1684


@pytest.mark.slow
def test_the_taiwan_model_without_sex_or_age_ranks_about_as_well_as_tuned_lightgbm(
    tmp_path,
) -> None:
    """Tuned LightGBM's 0.7805 [0.768, 0.791] (BASELINES.md) reads SEX and AGE, which thinfile
    leaves out as protected attributes; without them it ranks within 0.0015 of it."""
    frame = pd.read_csv(shared_path("data", "taiwan_default", "UCI_Credit_Card.csv"))
    frame = frame.rename(columns={"default.payment.next.month": "bad"})
    train, test = baseline_split(frame, "bad")
    model = train_model(train, target="bad", id_col="ID", kind="both")
    assert model.training["protected_left_out"] == ["SEX", "AGE"]
    scores = model.score_frame(test)
    assert 0.7790 <= auc(test["bad"].to_numpy(), scores["pd"].to_numpy()) <= 0.80
    model.save(tmp_path / "taiwan")
    reloaded = load_model(tmp_path / "taiwan").score_frame(test)
    pd.testing.assert_frame_equal(reloaded, scores)


def test_heloc_special_codes_get_their_own_weight_of_evidence() -> None:
    frame = pd.read_csv(shared_path("data", "heloc", "heloc_dataset_v1.csv"))
    frame = frame.assign(bad=(frame.pop("RiskPerformance") == "Bad").astype(int))
    train, test = baseline_split(frame, "bad")
    specials = {c: (-9.0, -8.0, -7.0) for c in frame.columns if c != "bad"}
    model = train_model(train, target="bad", kind="scorecard", special_codes=specials)
    assert auc(test["bad"].to_numpy(), model.score_frame(test)["pd"].to_numpy()) >= 0.785
    assert model.scorecard is not None
    delinquency = next(b for b in model.scorecard.bins_ if b.name == "MSinceMostRecentDelq")
    assert len(delinquency.woe_special) == 3
    assert len(set(delinquency.woe_special)) == 3
