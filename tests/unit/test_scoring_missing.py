"""Trained with ``missing_as_riskiest``, a number never missing in training is scored, when
missing, as the riskiest value the model knows: leaving out an adverse field never lowers the
probability of default. Trained without it (the default), nothing changes: a form that does
not ask for a field is not declined for it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.support.scoring import applicants, oracle_pd, records, reseal
from thinfile.scoring import ScoringModel, load_model, train_model

KINDS = ("scorecard", "gbm", "both")


@pytest.fixture(scope="module")
def training() -> pd.DataFrame:
    return applicants(3000, seed=7)


@pytest.fixture(scope="module")
def fresh() -> pd.DataFrame:
    """New applicants with at least one late payment."""
    frame = applicants(1500, seed=8)
    return frame[frame["late_payments"] >= 1].reset_index(drop=True)


@pytest.fixture(scope="module", params=KINDS)
def model(request: pytest.FixtureRequest, training: pd.DataFrame) -> ScoringModel:
    return train_model(
        training,
        target="bad",
        id_col="applicant_id",
        kind=request.param,
        seed=3,
        missing_as_riskiest=True,
    )


def test_leaving_out_late_payments_never_lowers_the_pd(
    model: ScoringModel, fresh: pd.DataFrame, tmp_path: Path
) -> None:
    given = model.score_frame(fresh)["pd"].to_numpy()
    left_out = model.score_frame(fresh.assign(late_payments=np.nan))["pd"].to_numpy()
    assert (left_out >= given - 1e-12).all(), model.kind
    assert (left_out > given + 1e-6).any()
    for record, pd_given in zip(records(fresh.head(60)), given, strict=False):
        without = {k: v for k, v in record.items() if k != "late_payments"}
        one = model.score_one(without, reasons=6)
        assert one.pd >= pd_given - 1e-12
        assert all(
            r.description.endswith(": missing") for r in one.reasons if r.feature == "late_payments"
        )
    model.save(tmp_path / "model")  # the value is in the directory, where the oracle reads it
    np.testing.assert_allclose(
        left_out, oracle_pd(tmp_path / "model", fresh.assign(late_payments=np.nan)), rtol=1e-9
    )


def test_a_missing_entry_is_scored_as_the_riskiest_scorecard_bin(
    training: pd.DataFrame, fresh: pd.DataFrame
) -> None:
    card = train_model(
        training,
        target="bad",
        id_col="applicant_id",
        kind="scorecard",
        seed=3,
        missing_as_riskiest=True,
    )
    rows = fresh.head(50)
    each = [card.score_frame(rows.assign(late_payments=v))["pd"].to_numpy() for v in range(4)]
    left_out = card.score_frame(rows.assign(late_payments=np.nan))["pd"].to_numpy()
    np.testing.assert_allclose(left_out, np.max(each, axis=0), rtol=1e-12)


def test_trees_alone_score_a_missing_entry_at_the_riskier_training_percentile(
    training: pd.DataFrame,
) -> None:
    trees = train_model(
        training, target="bad", id_col="applicant_id", kind="gbm", seed=3, missing_as_riskiest=True
    )
    specs = {s.name: s for s in trees.schema.features}
    late, income = training["late_payments"], training["income"]
    assert specs["late_payments"].missing_as == np.quantile(late, 0.99, method="higher")
    assert specs["income"].missing_as == np.quantile(income, 0.01, method="lower")
    assert specs["rent_share"].missing_as is None  # missing in training: its own missing bin
    assert specs["platform"].missing_as is None  # a category


def test_a_model_directory_without_missing_values_scores_as_before(
    training: pd.DataFrame, fresh: pd.DataFrame, tmp_path: Path
) -> None:
    """A directory written before models kept ``missing_as``: a missing entry goes to the
    scorecard's (empty) missing bin and down LightGBM's default side, as it always did."""
    model = train_model(
        training, target="bad", id_col="applicant_id", kind="both", seed=3, missing_as_riskiest=True
    )
    new, old = tmp_path / "new", tmp_path / "old"
    model.save(new)
    shutil.copytree(new, old)
    schema = json.loads((old / "schema.json").read_text())
    for column in schema["columns"]:
        column.pop("missing_as", None)
    (old / "schema.json").write_text(json.dumps(schema, indent=1, sort_keys=True))
    reseal(old)
    rows = fresh.head(40).assign(late_payments=np.nan)
    loaded = load_model(old)
    assert all(s.missing_as is None for s in loaded.schema.features)
    np.testing.assert_allclose(loaded.score_frame(rows)["pd"], oracle_pd(old, rows), rtol=1e-9)
    online = [loaded.score_one(r).pd for r in records(rows)]
    np.testing.assert_allclose(online, oracle_pd(old, rows), rtol=1e-9)
    assert (model.score_frame(rows)["pd"] > loaded.score_frame(rows)["pd"]).all()
    assert loaded.save(tmp_path / "again") == loaded.version  # its files are written as read


def test_by_default_a_missing_entry_is_scored_as_the_model_learned(
    training: pd.DataFrame, fresh: pd.DataFrame
) -> None:
    plain = train_model(training, target="bad", id_col="applicant_id", kind="both", seed=3)
    assert all(s.missing_as is None for s in plain.schema.features)
    rows = fresh.head(40).assign(late_payments=np.nan)
    online = [plain.score_one(r).pd for r in records(rows)]
    np.testing.assert_allclose(plain.score_frame(rows)["pd"], online, rtol=1e-9)
