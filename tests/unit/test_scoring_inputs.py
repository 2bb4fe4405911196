"""One applicant's record is checked exactly as a table is: the same entries refused, with
the same error, and the same entries read as the same numbers."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from tests.support.scoring import applicants, records
from thinfile.errors import DataContractError
from thinfile.scoring import ScoringModel, train_model


@pytest.fixture(scope="module")
def model() -> ScoringModel:
    return train_model(applicants(2000, seed=21), target="bad", id_col="applicant_id", seed=2)


@pytest.fixture(scope="module")
def record() -> dict[str, object]:
    return records(applicants(5, seed=22).drop(columns=["bad"]))[0]


def _batch(model: ScoringModel, record: dict[str, object]) -> pd.DataFrame:
    return model.explain_frame(pd.DataFrame([record], dtype=object), reasons=3)


@pytest.mark.parametrize(
    ("column", "value", "problem"),
    [
        ("rent_on_time", 5, "not true/false"),
        ("rent_on_time", 7.0, "not true/false"),
        ("rent_on_time", "maybe", "not true/false"),
        ("income", "nan", "not numbers"),
        ("income", "NaN", "not numbers"),
        ("income", "abc", "not numbers"),
        ("income", "inf", "not numbers"),
        ("income", "", "not numbers"),
        ("income", [1], "not numbers"),
        ("income", math.inf, "infinite"),
        ("income", -math.inf, "infinite"),
        ("income", np.float64("inf"), "infinite"),
        ("late_payments", 1e400, "infinite"),
        ("rent_share", -math.inf, "infinite"),
    ],
)
def test_an_entry_a_table_refuses_is_refused_online_with_the_same_error(
    model: ScoringModel, record: dict[str, object], column: str, value: object, problem: str
) -> None:
    bad = {**record, column: value}
    with pytest.raises(DataContractError) as online:
        model.score_one(bad)
    with pytest.raises(DataContractError) as batch:
        _batch(model, bad)
    assert online.value.field == batch.value.field == column
    assert str(online.value) == str(batch.value)
    assert problem in str(online.value)


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("rent_on_time", "yes"),
        ("rent_on_time", "0"),
        ("rent_on_time", 1),
        ("rent_on_time", np.bool_(True)),
        ("income", "5400.5"),
        ("income", " 6000 "),
        ("income", np.float32(4800.0)),
        ("income", None),
        ("income", math.nan),
        ("late_payments", "2"),
        ("rent_share", None),
    ],
)
def test_an_entry_a_table_reads_is_read_online_as_the_same_number(
    model: ScoringModel, record: dict[str, object], column: str, value: object
) -> None:
    given = {**record, column: value}
    online = model.score_one(given, reasons=3)
    batch = _batch(model, given)
    assert online.pd == pytest.approx(batch["pd"].iloc[0], rel=1e-12)
    assert online.score == batch["score"].iloc[0]
    assert [r.description for r in online.reasons] == [
        batch[f"reason_{k}_text"].iloc[0] for k in range(1, len(online.reasons) + 1)
    ]


def test_a_record_that_leaves_a_key_out_scores_it_as_missing(
    model: ScoringModel, record: dict[str, object]
) -> None:
    """The API leaves an absent field out of the record; a table must still have the column."""
    without = {k: v for k, v in record.items() if k != "rent_share"}
    assert model.score_one(without) == model.score_one({**record, "rent_share": None})
    with pytest.raises(DataContractError, match="lacks"):
        model.score_frame(pd.DataFrame([without]))
