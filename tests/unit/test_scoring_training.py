"""Training choices: leakage refusal, the blend's evidence rule, the tree-size budget."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from thinfile.errors import DataContractError
from thinfile.scoring import train_model
from thinfile.scoring.gbm import LEAF_BUDGET, GradientBoostedModel
from thinfile.scoring.heldout import Group, choose_weight
from thinfile.sim import generate_applicants

DEMO_EXCLUDE = ["name", "id_number", "phone", "birth_date", "gender", "hukou_province", "city"]


@pytest.fixture(scope="module")
def applicants() -> pd.DataFrame:
    return generate_applicants(4000, seed=7)


def test_the_simulators_true_pd_is_refused_as_leakage(applicants: pd.DataFrame) -> None:
    with pytest.raises(DataContractError) as err:
        train_model(applicants, target="bad_12m", id_col="applicant_id", kind="gbm",
                    exclude=DEMO_EXCLUDE)
    assert err.value.field == "true_pd"
    assert "probability of the target" in str(err.value)


def test_a_column_kept_deliberately_is_used(applicants: pd.DataFrame) -> None:
    model = train_model(applicants, target="bad_12m", id_col="applicant_id", kind="scorecard",
                        exclude=DEMO_EXCLUDE, keep=["true_pd"])
    assert "true_pd" in model.feature_names


def test_a_ratio_column_is_not_mistaken_for_a_pd() -> None:
    rng = np.random.default_rng(5)
    share = rng.beta(2, 8, 3000)  # like loan amount / income: in [0, 1], predictive
    bad = (rng.random(3000) < 0.1 + 0.8 * share).astype(int)
    frame = pd.DataFrame({"loan_share": share, "noise": rng.normal(size=3000), "bad": bad})
    model = train_model(frame, target="bad", kind="scorecard")
    assert "loan_share" in model.feature_names


def _pair(card_noise: float, tree_noise: float, n: int = 15) -> tuple[np.ndarray, list[Group]]:
    """Groups where each model sees the outcome through its own independent noise."""
    rng = np.random.default_rng(1)
    y = np.tile([0, 1], 200)
    rows = np.arange(len(y))
    return y, [Group(rows, y + rng.normal(scale=card_noise, size=len(y)),
                     y + rng.normal(scale=tree_noise, size=len(y))) for _ in range(n)]


def test_two_equally_good_models_are_averaged() -> None:
    y, groups = _pair(1.0, 1.0)
    assert choose_weight(y, groups) == 0.5


def test_one_model_alone_needs_evidence_that_it_beats_the_average() -> None:
    y, groups = _pair(3.0, 0.5)  # the trees see the outcome much better
    assert choose_weight(y, groups) == 0.0
    y, groups = _pair(0.5, 3.0)
    assert choose_weight(y, groups) == 1.0
    y, groups = _pair(1.0, 1.05, n=3)  # a small difference, three groups: no evidence
    assert choose_weight(y, groups) == 0.5


def test_the_tree_size_stays_within_the_explanation_budget() -> None:
    rng = np.random.default_rng(3)
    x = rng.normal(size=(6000, 8))
    y = (x[:, 0] + np.sin(3 * x[:, 1]) + rng.normal(scale=0.5, size=6000) > 0).astype(int)
    tuned = GradientBoostedModel(max_rounds=1000, threads=1).fit(x, y)
    full = GradientBoostedModel(threads=1).refit_all(
        x, y, leaves=tuned.num_leaves_, rounds=tuned.rounds_,
        learning_rate=tuned.learning_rate_)
    assert full.num_leaves_ * full.rounds_ <= LEAF_BUDGET
    assert tuned.num_leaves_ in (7, 15, 31)
