from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from thinfile.errors import InvalidInputError
from thinfile.sim import (
    APPLICANT_COLUMNS,
    DEFAULT_AS_OF,
    PERFORMANCE_COLUMNS,
    PURPOSES,
    SEGMENTS,
    TERMS,
    generate_applicants,
    read_table,
    write_table,
)
from thinfile.sim.evaluation import compare_information, segment_table
from thinfile.sim.geography import CITIES, PROVINCES
from thinfile.sim.identity import are_valid_id_numbers, are_valid_phones

MONEY = (
    "requested_amount",
    "income_monthly_mean",
    "declared_monthly_income",
    "ecommerce_monthly_spend",
    "existing_debt_payment_monthly",
)
DOCS = Path(__file__).resolve().parents[2] / "src" / "thinfile" / "sim" / "docs.md"


@pytest.fixture(scope="module")
def applicants() -> pd.DataFrame:
    return generate_applicants(40_000, seed=11)


def test_the_table_has_the_contracted_columns_in_order(applicants):
    assert tuple(applicants.columns) == APPLICANT_COLUMNS
    assert applicants["applicant_id"].iloc[0] == "A0000000001"
    assert applicants["applicant_id"].is_unique


def test_money_is_whole_fen_and_never_negative(applicants):
    for column in MONEY:
        assert applicants[column].dtype == np.int64, column
        assert (applicants[column] >= 0).all(), column
    assert (applicants["requested_amount"] % 10_000 == 0).all()  # whole hundreds of yuan
    assert applicants["requested_amount"].between(100_000, 20_000_000).all()


def test_id_numbers_are_valid_unique_and_carry_the_birth_date_and_sex(applicants):
    ids = applicants["id_number"]
    assert are_valid_id_numbers(ids).all()
    assert ids.is_unique
    assert (ids.str.slice(6, 14) == applicants["birth_date"].dt.strftime("%Y%m%d")).all()
    odd = ids.str.slice(16, 17).astype(int) % 2 == 1
    assert (odd == (applicants["gender"] == "M")).all()
    province = ids.str.slice(0, 2).astype(int).map(PROVINCES)
    assert (province == applicants["hukou_province"]).all()


def test_ages_are_completed_years_at_the_application_date(applicants):
    assert applicants["age"].between(18, 60).all()
    sample = applicants.sample(300, random_state=1)
    for born, age in zip(sample["birth_date"].dt.date, sample["age"], strict=True):
        years = (
            DEFAULT_AS_OF.year
            - born.year
            - ((DEFAULT_AS_OF.month, DEFAULT_AS_OF.day) < (born.month, born.day))
        )
        assert years == age


def test_phones_are_valid_and_unique(applicants):
    assert are_valid_phones(applicants["phone"]).all()
    assert applicants["phone"].is_unique


def test_categories_and_ranges_are_the_documented_ones(applicants):
    a = applicants
    assert set(a["segment"]) == {s.name for s in SEGMENTS}
    assert set(a["purpose"]) <= set(PURPOSES)
    assert set(a["requested_term_months"]) <= set(TERMS)
    assert set(a["gender"]) == {"F", "M"}
    assert a["city_tier"].between(1, 4).all()
    tiers = {c.name: c.tier for c in CITIES}
    assert (a["city"].map(tiers) == a["city_tier"]).all()
    assert a["income_months_observed"].between(0, 12).all()
    assert (a["income_verified"] == (a["income_months_observed"] >= 6)).all()
    assert a["true_pd"].between(0, 1, inclusive="neither").all()
    assert set(a["bad_12m"]) == {0, 1}
    assert (a["bureau_records"][a["bureau_history_months"] == 0] == 0).all()
    assert (a["months_in_city"] >= 1).all()


def test_ratios_are_missing_exactly_when_nothing_was_reported(applicants):
    for kind in ("rent", "utility"):
        months, ratio = applicants[f"{kind}_months_reported"], applicants[f"{kind}_on_time_ratio"]
        assert (ratio.isna() == (months == 0)).all()
        assert ratio.dropna().between(0, 1).all()
    cv = applicants["income_monthly_cv"]
    assert (cv.isna() == (applicants["income_months_observed"] < 3)).all()


def test_without_consent_there_is_no_alternative_data(applicants):
    refused = applicants[~applicants["consent_alt_data"]]
    assert len(refused) > 0
    for column in (
        "income_months_observed",
        "rent_months_reported",
        "utility_months_reported",
        "social_insurance_months",
        "ecommerce_months_active",
    ):
        assert (refused[column] == 0).all(), column


def test_the_same_seed_gives_the_same_table_and_another_seed_does_not():
    first = generate_applicants(3_000, seed=5)
    pd.testing.assert_frame_equal(first, generate_applicants(3_000, seed=5))
    other = generate_applicants(3_000, seed=6)
    assert not first["id_number"].equals(other["id_number"])


def test_the_bad_rate_is_calibrated_overall_and_differs_by_segment(applicants):
    table = segment_table(applicants)
    overall = table.loc["all"]
    assert 0.04 <= overall["bad_rate"] <= 0.08
    assert abs(overall["bad_rate"] - overall["mean_true_pd"]) < 0.006
    rates = table["bad_rate"]
    assert rates["salaried_resident"] < rates["new_graduate"] < rates["factory_worker"]
    assert rates["construction_worker"] > 2 * rates["salaried_resident"]
    shares = table["share"].drop("all")
    for segment in SEGMENTS:
        assert shares[segment.name] == pytest.approx(segment.share, abs=0.01)


def test_alternative_data_ranks_thin_file_risk_clearly_better_than_the_bureau(applicants):
    value = compare_information(applicants, seed=0)
    assert value.thin_file_share > 0.7
    assert value.thin_file_bureau_auc < 0.63
    assert value.thin_file_with_alternative_auc > 0.68
    assert value.thin_file_with_alternative_auc - value.thin_file_bureau_auc > 0.08


@pytest.mark.parametrize("suffix", [".parquet", ".csv"])
def test_tables_round_trip_through_csv_and_parquet(tmp_path, suffix):
    frame = generate_applicants(500, seed=3)
    path = tmp_path / f"applicants{suffix}"
    write_table(frame, path)
    back = read_table(path)
    pd.testing.assert_frame_equal(back, frame, check_dtype=False)
    assert back["requested_amount"].dtype == np.int64
    assert back["id_number"].iloc[0] == frame["id_number"].iloc[0]


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"n": 0, "seed": 1}, "n"),
        ({"n": 2.5, "seed": 1}, "n"),
        ({"n": 10, "seed": -1}, "seed"),
    ],
)
def test_impossible_requests_are_refused_with_the_field_named(kwargs, field):
    with pytest.raises(InvalidInputError) as err:
        generate_applicants(**kwargs)
    assert err.value.field == field


def test_the_docs_describe_every_column():
    text = DOCS.read_text(encoding="utf-8")
    for column in APPLICANT_COLUMNS + PERFORMANCE_COLUMNS:
        assert f"| `{column}` |" in text, column


def test_another_application_date_moves_ages_with_it():
    later = generate_applicants(200, seed=1, as_of=date(2030, 6, 30))
    assert later["age"].between(18, 60).all()
    assert later["birth_date"].min() >= pd.Timestamp("1969-06-30")
