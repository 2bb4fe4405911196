"""The data contract: roles are inferred sensibly, and bad tables fail naming the column."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from thinfile.errors import DataContractError
from thinfile.scoring.contract import ColumnRole, binary_target, infer_schema
from thinfile.scoring.encoding import RecordEncoder, encode_frame


def applicants(n: int = 400, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    income = rng.lognormal(8, 0.5, n)
    income[rng.random(n) < 0.1] = np.nan
    return pd.DataFrame(
        {
            "applicant_id": [f"A{i:05d}" for i in range(n)],
            "name": [f"Person {i}" for i in range(n)],
            "birth_date": pd.date_range("1980-01-01", periods=n).strftime("%Y-%m-%d"),
            "income": income,
            "tenure_months": rng.integers(0, 60, n),
            "has_rent_record": rng.random(n) < 0.5,
            "platform": rng.choice(np.array(["meituan", "didi", "eleme", None], dtype=object), n),
            "bad_12m": (rng.random(n) < 0.3).astype(int),
        }
    )


def test_roles_are_inferred_from_values() -> None:
    schema = infer_schema(applicants(), target="bad_12m", id_col="applicant_id")
    roles = {c.name: c.role for c in schema.columns}
    assert roles == {
        "applicant_id": ColumnRole.IDENTIFIER,
        "name": ColumnRole.IDENTIFIER,
        "birth_date": ColumnRole.DATE,
        "income": ColumnRole.NUMERIC,
        "tenure_months": ColumnRole.NUMERIC,
        "has_rent_record": ColumnRole.BOOLEAN,
        "platform": ColumnRole.CATEGORICAL,
    }
    assert schema.feature_names == ("income", "tenure_months", "has_rent_record", "platform")


def test_user_roles_and_exclusions_win_over_inference() -> None:
    schema = infer_schema(
        applicants(), target="bad_12m", exclude=["income"], roles={"tenure_months": "categorical"}
    )
    roles = {c.name: c.role for c in schema.columns}
    assert roles["income"] is ColumnRole.IGNORED
    assert roles["tenure_months"] is ColumnRole.CATEGORICAL


def test_a_missing_target_column_is_named() -> None:
    with pytest.raises(DataContractError) as err:
        binary_target(applicants(), "default_flag")
    assert err.value.field == "default_flag"


def test_a_non_binary_target_is_refused() -> None:
    frame = applicants().assign(bad_12m=lambda f: f["tenure_months"])
    with pytest.raises(DataContractError, match="binary"):
        binary_target(frame, "bad_12m")


def test_a_named_bad_value_maps_text_targets() -> None:
    frame = pd.DataFrame({"outcome": ["bad", "good", "good"]})
    assert binary_target(frame, "outcome", bad_value="bad").tolist() == [1, 0, 0]


def test_an_unknown_column_in_options_is_named() -> None:
    with pytest.raises(DataContractError) as err:
        infer_schema(applicants(), target="bad_12m", exclude=["salary"])
    assert err.value.field == "salary"


def test_batch_and_single_encoding_agree() -> None:
    frame = applicants()
    schema = infer_schema(frame, target="bad_12m", id_col="applicant_id")
    matrix = encode_frame(frame, schema)
    encoder = RecordEncoder(schema)
    for i, record in enumerate(frame.head(50).to_dict("records")):
        encoded = encoder.encode({str(key): value for key, value in record.items()})
        np.testing.assert_array_equal(np.asarray(encoded, dtype=float), matrix[i])


def test_text_in_a_numeric_column_is_named_when_scoring() -> None:
    frame = applicants()
    schema = infer_schema(frame, target="bad_12m")
    bad = frame.assign(income=frame["income"].astype(object))
    bad.loc[3, "income"] = "lots"
    with pytest.raises(DataContractError) as err:
        encode_frame(bad, schema)
    assert err.value.field == "income"
