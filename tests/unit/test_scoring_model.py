"""Training, scoring, reasons and the artifact on small synthetic and German credit tables."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.support.environment import shared_path
from thinfile.errors import DataContractError
from thinfile.scoring import ScoreResult, load_model, train_model
from thinfile.scoring.calibration import ScoreScale
from thinfile.scoring.evaluation import auc


def thin_file_population(n: int = 3000, seed: int = 7) -> pd.DataFrame:
    """Applicants with NaNs, booleans, categories and ints, and a known default process."""
    rng = np.random.default_rng(seed)
    income = rng.lognormal(8.5, 0.4, n)
    rent_on_time = rng.random(n) < 0.6
    platform = rng.choice(["meituan", "didi", "eleme", "none"], n, p=[0.3, 0.3, 0.2, 0.2])
    tenure = rng.integers(0, 48, n)
    history = rng.integers(0, 10, n).astype(float)
    history[rng.random(n) < 0.3] = np.nan  # no bureau record: thin file
    logit = (
        -1.0
        - 0.6 * (np.log(income) - 8.5) / 0.4
        - 0.8 * rent_on_time
        - 0.03 * tenure
        + 0.7 * (platform == "none")
        + 0.6 * np.isnan(history)
    )
    bad = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    return pd.DataFrame(
        {
            "applicant_id": np.arange(n),
            "income": income,
            "rent_on_time": rent_on_time,
            "platform": platform,
            "tenure_months": tenure,
            "bureau_years": history,
            "gender": rng.choice(["F", "M"], n),
            "bad_12m": bad,
        }
    )


@pytest.fixture(scope="module")
def population() -> pd.DataFrame:
    return thin_file_population()


@pytest.fixture(scope="module")
def blended(population: pd.DataFrame):
    return train_model(
        population,
        target="bad_12m",
        id_col="applicant_id",
        seed=3,
        protected="gender",
        monotone={"income": -1},
    )


def test_the_blend_ranks_risk_on_held_out_rows(blended, population) -> None:
    fresh = thin_file_population(2000, seed=99)
    scores = blended.score_frame(fresh)
    assert list(scores.columns) == ["pd", "score"]
    assert auc(fresh["bad_12m"].to_numpy(), scores["pd"].to_numpy()) > 0.70
    assert scores["score"].dtype.kind == "i"
    assert blended.feature_names == (
        "income",
        "rent_on_time",
        "platform",
        "tenure_months",
        "bureau_years",
    )


def test_the_protected_attribute_is_reported_but_never_a_feature(blended) -> None:
    assert "gender" not in blended.feature_names
    protected = blended.evaluation["protected"]
    assert protected["column"] == "gender"
    assert 0 < protected["approval_rate_ratio"] <= 1


def test_single_and_batch_scores_agree_and_reasons_raise_risk(blended, population) -> None:
    batch = blended.score_frame(population.head(200))
    for i, record in enumerate(population.head(200).to_dict("records")):
        one = blended.score_one(record, reasons=3)
        assert isinstance(one, ScoreResult)
        assert one.pd == pytest.approx(batch["pd"].iloc[i], rel=1e-9)
        assert one.score == batch["score"].iloc[i]
        assert len(one.reasons) <= 3
        assert all(r.contribution > 0 for r in one.reasons)
        assert [r.contribution for r in one.reasons] == sorted(
            (r.contribution for r in one.reasons), reverse=True
        )


def test_missing_and_unseen_inputs_still_score(blended) -> None:
    result = blended.score_one({"platform": "kuaishou"}, reasons=4)
    assert 0 < result.pd < 1
    described = {r.feature: r.description for r in result.reasons}
    if "bureau_years" in described:
        assert "missing" in described["bureau_years"]


def test_a_saved_model_loads_with_identical_scores(blended, population, tmp_path: Path) -> None:
    version = blended.save(tmp_path / "model")
    loaded = load_model(tmp_path / "model")
    assert loaded.version == version == blended.version
    assert version.startswith("sha256:")
    pd.testing.assert_frame_equal(loaded.score_frame(population), blended.score_frame(population))
    record = population.iloc[5].to_dict()
    assert loaded.score_one(record) == blended.score_one(record)
    names = {p.name for p in (tmp_path / "model").iterdir()}
    assert names == {"manifest.json", "model.json", "schema.json", "evaluation.json", "gbm.txt"}
    assert not any(n.endswith((".pkl", ".pickle", ".joblib")) for n in names)


def test_a_tampered_model_refuses_to_load(blended, tmp_path: Path) -> None:
    blended.save(tmp_path / "model")
    body = json.loads((tmp_path / "model" / "model.json").read_text())
    body["blend_weight"] = 0.99
    (tmp_path / "model" / "model.json").write_text(json.dumps(body))
    with pytest.raises(DataContractError, match="hash"):
        load_model(tmp_path / "model")


def test_a_column_that_is_the_outcome_is_refused_as_leakage(population) -> None:
    leaky = population.assign(days_past_due=population["bad_12m"] * 90)
    with pytest.raises(DataContractError) as err:
        train_model(leaky, target="bad_12m", kind="gbm")
    assert err.value.field == "days_past_due"


def test_too_few_bads_is_refused(population) -> None:
    few = population.assign(bad_12m=0)
    few.loc[:4, "bad_12m"] = 1
    with pytest.raises(DataContractError, match="too few"):
        train_model(few, target="bad_12m")


def test_points_follow_the_scale() -> None:
    scale = ScoreScale(base_score=600, base_odds=50, pdo=20)
    at_base = np.log(1 / 50)
    assert scale.score_one(at_base) == 600
    assert scale.score_one(at_base - np.log(2)) == 620


def german() -> pd.DataFrame:
    frame = pd.read_csv(shared_path("data", "german_credit", "germancredit.csv"))
    return frame.assign(bad=(frame.pop("creditability") == "bad").astype(int))


def test_the_german_scorecard_points_add_up_to_the_score() -> None:
    frame = german()
    model = train_model(frame.head(700), target="bad", kind="scorecard")
    table = pd.DataFrame(model.points_table())
    scorecard = model.scorecard
    assert scorecard is not None
    assert set(table["feature"]) == {b.name for b in scorecard.bins_}
    record = {str(key): value for key, value in frame.iloc[800].to_dict().items()}
    result = model.score_one(record, reasons=4)
    total = 0.0
    for b in scorecard.bins_:
        slot = b.bin_of(model._encoder.encode(record)[b.index])
        total += table[table["feature"] == b.name]["points"].iloc[slot]
    assert abs(total - result.score) <= 0.05 * len(scorecard.bins_) + 1
    assert (
        auc(frame["bad"].to_numpy()[700:], model.score_frame(frame.iloc[700:])["pd"].to_numpy())
        > 0.72
    )


def test_bin_labels_read_as_numbers_people_write():
    """Edges of money in fen read in yuan, ratios rounded: no exponent, thousands grouped."""
    from thinfile.scoring.binning import FeatureBins

    bins = FeatureBins(
        name="requested_amount",
        index=0,
        categorical=False,
        splits=(2_095_000.0, 6_305_000.5, 12_000_000.0),
        groups=(),
        special_codes=(-9.0,),
        woe=(0.1, 0.0, -0.1, -0.2),
        woe_special=(0.0,),
        woe_missing=0.0,
        counts=((1, 0), (1, 0), (1, 0), (1, 0), (1, 0), (1, 0)),
        iv=0.1,
    )
    assert bins.labels() == (
        "< ¥20,950",
        "[¥20,950, ¥63,050)",
        "[¥63,050, ¥120,000)",
        ">= ¥120,000",
        "special -9",
        "missing",
    )
    ratio = FeatureBins(
        "utility_on_time_ratio",
        1,
        False,
        (0.8377,),
        (),
        (),
        (0.1, -0.1),
        (),
        0.0,
        ((1, 0),) * 3,
        0.1,
    )
    assert ratio.labels() == ("< 0.84", ">= 0.84", "missing")
