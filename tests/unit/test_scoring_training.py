"""Training choices: leakage refusal, the blend's evidence rule, tree sizes, held-out rows."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from thinfile.errors import DataContractError
from thinfile.scoring import train_model
from thinfile.scoring.contract import infer_schema
from thinfile.scoring.encoding import encode_frame
from thinfile.scoring.evaluation import auc, auc_difference_se
from thinfile.scoring.gbm import LEAF_BUDGET, GradientBoostedModel
from thinfile.scoring.heldout import SMALL_TABLE, Group, choose_weight, held_out
from thinfile.scoring.scorecard import Scorecard
from thinfile.sim import generate_applicants

DEMO_EXCLUDE = ["name", "id_number", "phone", "birth_date", "gender", "hukou_province", "city"]


@pytest.fixture(scope="module")
def applicants() -> pd.DataFrame:
    return generate_applicants(4000, seed=7)


def test_the_simulators_true_pd_is_refused_as_leakage(applicants: pd.DataFrame) -> None:
    with pytest.raises(DataContractError) as err:
        train_model(
            applicants, target="bad_12m", id_col="applicant_id", kind="gbm", exclude=DEMO_EXCLUDE
        )
    assert err.value.field == "true_pd"
    assert "probability of the target" in str(err.value)


def test_a_column_kept_deliberately_is_used(applicants: pd.DataFrame) -> None:
    model = train_model(
        applicants,
        target="bad_12m",
        id_col="applicant_id",
        kind="scorecard",
        exclude=DEMO_EXCLUDE,
        keep=["true_pd"],
    )
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
    return y, [
        Group(
            rows,
            y + rng.normal(scale=card_noise, size=len(y)),
            y + rng.normal(scale=tree_noise, size=len(y)),
        )
        for _ in range(n)
    ]


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
        x, y, leaves=tuned.num_leaves_, rounds=tuned.rounds_, learning_rate=tuned.learning_rate_
    )
    assert full.num_leaves_ * full.rounds_ <= LEAF_BUDGET
    assert tuned.num_leaves_ in (7, 15, 31)


def _additive(n: int, seed: int = 3) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 6))
    y = (x[:, 0] - 0.7 * x[:, 1] + rng.normal(scale=1.0, size=n) > 0.8).astype(int)
    return x, y


def test_tree_sizes_that_rank_alike_give_way_to_the_smallest_trees() -> None:
    x, y = _additive(4000)
    everything_ties = GradientBoostedModel(tolerance=1e9, threads=1).fit(x, y)
    assert everything_ties.num_leaves_ == 7
    alone = {
        n: GradientBoostedModel(leaves=(n,), threads=1).fit(x, y).valid_auc_ for n in (7, 15, 31)
    }
    strict = GradientBoostedModel(tolerance=0.0, threads=1).fit(x, y)
    assert strict.valid_auc_ == max(alone.values())
    assert alone[strict.num_leaves_] == max(alone.values())


def test_the_standard_error_of_an_auc_difference_matches_the_bootstrap() -> None:
    rng = np.random.default_rng(0)
    y = (rng.random(2000) < 0.3).astype(int)
    a, b = y + rng.normal(scale=1.5, size=2000), y + rng.normal(scale=1.6, size=2000)
    boot = []
    for _ in range(300):
        i = rng.integers(0, 2000, 2000)
        boot.append(auc(y[i], a[i]) - auc(y[i], b[i]))
    assert auc_difference_se(y, a, b) == pytest.approx(np.std(boot), rel=0.15)
    assert auc_difference_se(y, a, a) == 0.0


def test_small_tables_tune_the_trees_on_the_mean_of_the_folds() -> None:
    from sklearn.model_selection import StratifiedKFold

    x, y = _additive(1200)
    folds = list(StratifiedKFold(n_splits=5, shuffle=True, random_state=1).split(x, y))
    model = GradientBoostedModel(threads=1)
    held = model.cross_validate(x, y, folds)
    assert [len(z) for z in held] == [len(v) for _, v in folds]
    fold_auc = np.mean([auc(y[v], z) for (_, v), z in zip(folds, held, strict=True)])
    assert fold_auc == pytest.approx(model.valid_auc_, abs=1e-6)  # the rows LightGBM judged
    assert model.num_leaves_ in (7, 15, 31)
    assert model.num_leaves_ * model.rounds_ <= LEAF_BUDGET
    final = GradientBoostedModel(threads=1).refit_all(
        x, y, leaves=model.num_leaves_, rounds=model.rounds_, learning_rate=model.learning_rate_
    )
    in_sample = np.mean([auc(y[v], final.logit(x[v])) for _, v in folds])
    assert fold_auc < in_sample  # the fold scores come from trees that never saw those rows


@pytest.mark.parametrize("rows", [1500, SMALL_TABLE + 1000])
def test_held_out_rows_are_judged_once_and_the_final_models_use_every_row(rows: int) -> None:
    x_raw, y = _additive(rows, seed=5)
    frame = pd.DataFrame(x_raw, columns=[f"f{j}" for j in range(6)]).assign(bad=y)
    schema = infer_schema(frame, target="bad")
    x = encode_frame(frame, schema)
    held = held_out(x, y, schema, kind="both", seed=42)
    judged = held.stacked("rows")
    assert len(np.unique(judged)) == len(judged)
    expected = rows if rows < SMALL_TABLE else round(0.2 * rows)
    assert len(judged) == expected
    assert held.card is not None and held.gbm is not None
    for bins in held.card.bins_:
        assert sum(n for n, _ in bins.counts) == rows
    assert auc(y[judged], held.stacked("gbm")) > 0.75
    assert auc(y[judged], held.stacked("scorecard")) > 0.75


def test_a_recounted_scorecard_keeps_its_bins_and_counts_every_row() -> None:
    x_raw, y = _additive(3000, seed=8)
    frame = pd.DataFrame(x_raw, columns=[f"f{j}" for j in range(6)]).assign(bad=y)
    schema = infer_schema(frame, target="bad")
    x = encode_frame(frame, schema)
    part = Scorecard(schema.features).fit(x[:2000], y[:2000])
    same = part.recounted(x[:2000], y[:2000])
    assert [b.woe for b in same.bins_] == [b.woe for b in part.bins_]
    full = part.recounted(x, y)
    assert [(b.name, b.splits) for b in full.bins_] == [(b.name, b.splits) for b in part.bins_]
    assert all(sum(n for n, _ in b.counts) == 3000 for b in full.bins_)
    assert all(sum(bad for _, bad in b.counts) == y.sum() for b in full.bins_)
    assert (full.coef_ >= 0).all()
