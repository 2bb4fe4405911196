"""The bureau-only baseline: fitted on the bureau fields alone, kept as JSON in the model's
evaluation, read back with its version and every field checked, and scoring applications
``round(1000 × (1 − PD_bureau))``."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from thinfile.errors import DataContractError
from thinfile.scoring import load_model, train_model
from thinfile.scoring.bureau_baseline import (
    BUREAU_FIELDS,
    EVALUATION_KEY,
    VERSION,
    BureauBaseline,
    bureau_baseline_of,
    fit_bureau_baseline,
    has_bureau_fields,
)
from thinfile.scoring.evaluation import auc
from thinfile.sim import NOT_MODEL_INPUTS, generate_applicants


@pytest.fixture(scope="module")
def applicants() -> pd.DataFrame:
    return generate_applicants(6000, seed=11)


@pytest.fixture(scope="module")
def baseline(applicants: pd.DataFrame) -> BureauBaseline:
    return fit_bureau_baseline(applicants, applicants["bad_12m"].to_numpy())


def _stored(baseline: BureauBaseline) -> dict[str, object]:
    """The baseline as it comes back from ``evaluation.json``."""
    loaded: dict[str, object] = json.loads(json.dumps(baseline.as_dict()))
    return loaded


def test_the_baseline_is_a_standardised_logistic_regression_on_the_bureau_fields_alone(
    applicants: pd.DataFrame, baseline: BureauBaseline
) -> None:
    assert baseline.features == BUREAU_FIELDS and baseline.rows == len(applicants)
    x = applicants[list(BUREAU_FIELDS)].to_numpy(dtype=float)
    reference = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
    reference.fit(x, applicants["bad_12m"].to_numpy())
    expected = reference.predict_proba(x)[:, 1]
    np.testing.assert_allclose(baseline.bureau_pd(applicants), expected, rtol=1e-6, atol=1e-9)
    scores = baseline.scores(applicants)
    assert scores.dtype == np.int64 and scores.name == "bureau_score"
    assert (scores == np.rint(1000 * (1 - expected)).astype(np.int64)).mean() > 0.999
    # the bureau ranks risk among thick files (more than two records), not by chance
    thick = (applicants["bureau_records"] > 2).to_numpy()
    assert auc(applicants["bad_12m"].to_numpy()[thick], -scores.to_numpy()[thick]) > 0.6


def test_the_score_falls_as_delinquencies_rise(baseline: BureauBaseline) -> None:
    file = pd.DataFrame(
        {
            "bureau_history_months": 48,
            "bureau_records": 4,
            "bureau_delinquencies_24m": range(0, 11),
        }
    )
    scores = baseline.scores(file).to_numpy()
    assert (np.diff(scores) <= 0).all() and scores[0] > scores[-1]
    assert dict(zip(baseline.features, baseline.coefficients, strict=True))[
        "bureau_delinquencies_24m"
    ] > 0  # fmt: skip


def test_a_field_left_out_counts_as_no_bureau_report(baseline: BureauBaseline) -> None:
    left_out = pd.DataFrame({name: [None] for name in BUREAU_FIELDS})
    zeros = pd.DataFrame({name: [0] for name in BUREAU_FIELDS})
    assert baseline.scores(left_out).tolist() == baseline.scores(zeros).tolist()


def test_fitting_twice_gives_the_same_baseline_to_the_last_digit(
    applicants: pd.DataFrame, baseline: BureauBaseline
) -> None:
    again = fit_bureau_baseline(applicants, applicants["bad_12m"].to_numpy())
    assert json.dumps(again.as_dict()) == json.dumps(baseline.as_dict())


def test_the_json_form_reads_back_to_the_same_scores(
    applicants: pd.DataFrame, baseline: BureauBaseline
) -> None:
    stored = _stored(baseline)
    assert stored["version"] == VERSION
    back = BureauBaseline.from_dict(stored)
    assert back == baseline
    assert back.scores(applicants).equals(baseline.scores(applicants))


def test_a_trained_model_carries_the_baseline_through_its_directory(
    applicants: pd.DataFrame, tmp_path: Path
) -> None:
    model = train_model(
        applicants,
        target="bad_12m",
        kind="scorecard",
        id_col="applicant_id",
        exclude=list(NOT_MODEL_INPUTS),
    )
    model.save(tmp_path / "m")
    loaded = load_model(tmp_path / "m")
    found = bureau_baseline_of(loaded.evaluation)
    assert found is not None and found == bureau_baseline_of(model.evaluation)
    assert found.rows == len(applicants)  # fitted on every training row


def test_a_model_trained_without_bureau_fields_has_no_baseline() -> None:
    rng = np.random.default_rng(2)
    income = rng.lognormal(8.5, 0.4, 3000)
    bad = (rng.random(3000) < 1 / (1 + np.exp(3 + (np.log(income) - 8.5)))).astype(int)
    frame = pd.DataFrame({"income": income, "noise": rng.normal(size=3000), "bad": bad})
    assert not has_bureau_fields(frame)
    model = train_model(frame, target="bad", kind="scorecard")
    assert EVALUATION_KEY not in model.evaluation
    assert bureau_baseline_of(model.evaluation) is None
    assert bureau_baseline_of({}) is None and bureau_baseline_of(None) is None


def test_another_version_is_refused_naming_it(baseline: BureauBaseline) -> None:
    stored = {**_stored(baseline), "version": "bureau-baseline/2"}
    with pytest.raises(DataContractError) as error:
        bureau_baseline_of({EVALUATION_KEY: stored})
    assert error.value.field == "bureau_baseline.version"
    assert error.value.value == "bureau-baseline/2" and "retrain" in str(error.value.remedy)


def _without(data: dict[str, object], key: str) -> dict[str, object]:
    return {k: v for k, v in data.items() if k != key}


MALFORMED = [
    ("not an object", lambda d: [d], "bureau_baseline"),
    ("no features", lambda d: _without(d, "features"), "bureau_baseline.features"),
    ("a feature not named", lambda d: {**d, "features": ["a", 3, "c"]}, "bureau_baseline.features"),
    ("a mean short", lambda d: {**d, "means": d["means"][:2]}, "bureau_baseline.means"),
    ("a zero scale", lambda d: {**d, "scales": [1.0, 0.0, 1.0]}, "bureau_baseline.scales"),
    ("a coefficient as text", lambda d: {**d, "coefficients": ["0.1", 0.2, 0.3]},
     "bureau_baseline.coefficients"),
    ("no intercept", lambda d: {**d, "intercept": None}, "bureau_baseline.intercept"),
    ("a true intercept", lambda d: {**d, "intercept": True}, "bureau_baseline.intercept"),
    ("no training rows", lambda d: {**d, "rows": 0}, "bureau_baseline.rows"),
]  # fmt: skip


@pytest.mark.parametrize(("case", "spoil", "field"), MALFORMED, ids=[m[0] for m in MALFORMED])
def test_a_malformed_baseline_raises_a_data_contract_error_naming_the_field(
    baseline: BureauBaseline, case: str, spoil: object, field: str
) -> None:
    spoilt = spoil(copy.deepcopy(_stored(baseline)))  # type: ignore[operator]
    with pytest.raises(DataContractError) as error:
        bureau_baseline_of({EVALUATION_KEY: spoilt})
    assert error.value.field == field, case
    assert error.value.code == "data_contract" and error.value.remedy


def test_a_bureau_field_that_is_not_a_number_is_refused_naming_it(
    baseline: BureauBaseline,
) -> None:
    file = pd.DataFrame(
        {"bureau_history_months": [12], "bureau_records": ["many"], "bureau_delinquencies_24m": [0]}
    )
    with pytest.raises(DataContractError) as error:
        baseline.scores(file)
    assert error.value.field == "bureau_records" and error.value.value == "many"
    with pytest.raises(DataContractError) as missing:
        baseline.scores(file.assign(bureau_records=3).drop(columns=["bureau_delinquencies_24m"]))
    assert missing.value.field == "bureau_delinquencies_24m"


def test_one_outcome_alone_cannot_fit_a_baseline(applicants: pd.DataFrame) -> None:
    with pytest.raises(DataContractError) as error:
        fit_bureau_baseline(applicants, np.zeros(len(applicants), dtype=int))
    assert error.value.field == "y"
