"""Simulated sales histories: deterministic, valid as a feed, and riskier businesses' sales are
more volatile and falling."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from tests.support.cli import run
from thinfile.errors import DataContractError, InvalidInputError
from thinfile.scoring.sales import sales_by_business, sales_features
from thinfile.scoring.sales_feed import CHANNELS
from thinfile.sim import generate_applicants, read_table
from thinfile.sim.sales import SALES_COLUMNS, SALES_SEGMENTS, simulate_sales

AS_OF = date(2026, 1, 1)


@pytest.fixture(scope="module")
def applicants() -> pd.DataFrame:
    return generate_applicants(2_000, seed=11)


@pytest.fixture(scope="module")
def sales(applicants: pd.DataFrame) -> pd.DataFrame:
    return simulate_sales(applicants, days=240, seed=5, as_of=AS_OF)


def test_the_same_seed_gives_the_same_table(applicants, sales):
    again = simulate_sales(applicants, days=240, seed=5, as_of=AS_OF)
    pd.testing.assert_frame_equal(sales, again)
    other = simulate_sales(applicants, days=240, seed=6, as_of=AS_OF)
    assert not sales["gross_sales"].equals(other["gross_sales"])


def test_rows_are_a_valid_feed(sales):
    assert tuple(sales.columns) == SALES_COLUMNS
    assert (sales["gross_sales"] > 0).all()
    assert ((sales["refunds"] >= 0) & (sales["refunds"] <= sales["gross_sales"])).all()
    assert (sales["transactions"] >= 1).all()
    assert (sales["transactions"] <= sales["gross_sales"]).all()
    assert set(sales["channel"]) <= set(CHANNELS)
    assert not sales.duplicated(["applicant_id", "date", "channel"]).any()
    days = sales["date"].dt.date
    assert days.max() < AS_OF and days.min() >= date(2025, 5, 6)  # 240 days before


def test_shops_sell_by_qr_and_card_and_riders_and_drivers_earn_on_platforms(applicants, sales):
    kinds = sales.merge(applicants[["applicant_id", "segment"]], on="applicant_id")
    shop = kinds["segment"] == "micro_shop_owner"
    assert set(kinds.loc[shop, "channel"]) == {"qr", "card"}
    assert set(kinds.loc[~shop, "channel"]) == {"platform"}
    assert set(kinds["segment"]) == set(SALES_SEGMENTS)


def test_only_consenting_applicants_and_working_riders_have_a_feed(applicants, sales):
    with_feed = set(sales["applicant_id"].unique())
    fed = applicants[[a in with_feed for a in applicants["applicant_id"]]]
    assert fed["consent_alt_data"].all()
    riders = fed[fed["segment"] != "micro_shop_owner"]
    assert (riders["platform_tenure_months"] > 0).all()


def test_riskier_businesses_have_more_volatile_and_falling_sales(applicants, sales):
    rows = sales_by_business(sales)
    features = pd.DataFrame(
        [
            (a, f.volatility_bps, f.trend_bps, f.recent_to_prior_bps)
            for a, r in rows.items()
            for f in (sales_features(r, AS_OF),)
        ],
        columns=["applicant_id", "volatility", "trend", "recent"],
    ).merge(applicants[["applicant_id", "true_pd", "bad_12m"]], on="applicant_id")
    quartile = pd.qcut(features["true_pd"], 4, labels=False)
    by = features.groupby(quartile)[["volatility", "trend"]].median()
    assert by["volatility"].is_monotonic_increasing
    assert by["trend"].iloc[-1] < by["trend"].iloc[0]
    collapsed = features.groupby("bad_12m")["recent"].apply(lambda s: (s < 5_000).mean())
    assert collapsed[1] > collapsed[0] + 0.2


def test_the_table_needs_the_applicants_columns_and_sane_arguments(applicants):
    with pytest.raises(DataContractError):
        simulate_sales(applicants.drop(columns=["true_pd"]), days=10, seed=1, as_of=AS_OF)
    with pytest.raises(InvalidInputError):
        simulate_sales(applicants, days=0, seed=1, as_of=AS_OF)
    with pytest.raises(InvalidInputError):
        simulate_sales(applicants, days=10, seed=-1, as_of=AS_OF)


def test_no_one_with_a_feed_gives_an_empty_table(applicants):
    none = applicants[applicants["segment"] == "factory_worker"].head(5)
    empty = simulate_sales(none, days=30, seed=1, as_of=AS_OF)
    assert tuple(empty.columns) == SALES_COLUMNS and empty.empty
    assert empty["gross_sales"].dtype == np.int64


@pytest.mark.parametrize("suffix", [".parquet", ".csv"])
def test_synth_sales_writes_the_table_the_function_makes(capsys, tmp_path, suffix):
    people = tmp_path / f"applicants{suffix}"
    run(capsys, "synth", "applicants", "--n", "600", "--seed", "3", "--out", str(people))
    out_file = tmp_path / f"sales{suffix}"
    code, out, _ = run(
        capsys,
        "synth",
        "sales",
        "--applicants",
        str(people),
        "--days",
        "60",
        "--seed",
        "4",
        "--as-of",
        "2026-01-01",
        "--out",
        str(out_file),
    )
    assert code == 0 and "daily rows for" in out
    written = read_table(out_file)
    expected = simulate_sales(read_table(people), days=60, seed=4, as_of=AS_OF)
    assert sales_by_business(written) == sales_by_business(expected)


def test_synth_sales_refuses_a_bad_day_count(capsys, tmp_path):
    code, _out, err = run(
        capsys, "synth", "sales", "--applicants", "x.csv", "--days", "0", "--out", "s.csv"
    )
    assert code == 2 and "--days" in err
