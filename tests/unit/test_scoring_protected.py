"""Protected attributes (sex, age, hukou, where the applicant lives) are reported on, never
read by a model (DOMAIN.md §14): training leaves them out, and a model directory that reads
one is refused."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from tests.support.cli import run
from tests.support.decisioning import application
from tests.support.scoring import applicants, records, reseal
from thinfile.decisioning import parse_application
from thinfile.decisioning.engine import model_record
from thinfile.errors import DataContractError
from thinfile.scoring import ScoringModel, load_model, train_model
from thinfile.sim import APPLICANT_COLUMNS, NOT_MODEL_INPUTS

PROTECTED = ("age", "is_local_hukou", "city_tier", "Gender")
"""The protected columns of the test table, as written in it (one of them capitalised)."""


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return applicants(2500, seed=5, protected=True)


@pytest.fixture(scope="module")
def model(frame: pd.DataFrame) -> ScoringModel:
    return train_model(frame, target="bad", id_col="applicant_id", kind="both", seed=1)


def test_a_model_trained_on_age_and_hukou_reads_neither(model: ScoringModel) -> None:
    assert not set(PROTECTED) & set(model.feature_names)
    assert set(model.feature_names) == {
        "income",
        "late_payments",
        "tenure_months",
        "rent_on_time",
        "rent_share",
        "platform",
    }
    assert model.training["protected_left_out"] == list(PROTECTED)


def test_the_same_applicant_at_25_and_45_gets_the_same_pd(
    model: ScoringModel, frame: pd.DataFrame
) -> None:
    rows = frame.head(100)
    young = model.score_frame(rows.assign(age=25))["pd"]
    older = model.score_frame(rows.assign(age=45))["pd"]
    assert young.tolist() == older.tolist()
    for record in records(rows.head(20)):
        at_25 = model.score_one({**record, "age": 25, "is_local_hukou": True})
        at_45 = model.score_one({**record, "age": 45, "is_local_hukou": False})
        assert at_25 == at_45


def test_the_demo_tables_protected_columns_are_never_model_inputs() -> None:
    protected = {"gender", "age", "birth_date", "city", "city_tier", "hukou_province"}
    assert {*protected, "is_local_hukou"} <= set(NOT_MODEL_INPUTS) & set(APPLICANT_COLUMNS)


def test_a_decision_gives_the_model_no_age() -> None:
    app = parse_application(application())
    assert "age" not in model_record(app, date(2026, 1, 1))


def test_a_model_directory_that_reads_a_protected_attribute_is_refused(
    frame: pd.DataFrame, tmp_path: Path
) -> None:
    model = train_model(
        frame.rename(columns={"tenure_months": "months_on_platform"}),
        target="bad",
        id_col="applicant_id",
        kind="scorecard",
        seed=1,
    )
    folder = tmp_path / "model"
    model.save(folder)
    for name in ("model.json", "schema.json"):  # the input renamed as an attribute
        text = (folder / name).read_text(encoding="utf-8")
        (folder / name).write_text(text.replace('"months_on_platform"', '"AGE"'), "utf-8")
    reseal(folder)
    assert "AGE" in json.loads((folder / "model.json").read_text())["reasons"]["features"]
    with pytest.raises(DataContractError, match="protected attribute") as err:
        load_model(folder)
    assert err.value.field == "AGE"
    assert "retrain" in (err.value.remedy or "")


def test_training_on_the_command_line_names_the_protected_attributes_left_out(
    frame: pd.DataFrame, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "applicants.csv"
    frame.to_csv(data, index=False)
    code, out, _ = run(
        capsys,
        "model",
        "train",
        str(data),
        "--target",
        "bad",
        "--kind",
        "scorecard",
        "--out",
        str(tmp_path / "model"),
    )
    assert code == 0
    lines = [line for line in out.splitlines() if "protected" in line]
    assert lines == ["protected attributes left out of the model: " + ", ".join(PROTECTED)]
