"""The DuckDB path over Parquet gives the pandas path's vintage curves and roll rates."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from tests.unit.portfolio_books import small_book
from thinfile.errors import DataContractError
from thinfile.portfolio import forward_by_month, roll_rates, vintage_curves
from thinfile.sim import generate_applicants, simulate_performance
from thinfile.store.portfolio_parquet import (
    parquet_forward_by_month,
    parquet_roll_rates,
    parquet_vintage_curves,
)


def books() -> list[pd.DataFrame]:
    people = generate_applicants(1500, seed=9)
    synthetic = simulate_performance(people, months=10, seed=9, originations_over=4)
    return [small_book(), synthetic]


@pytest.mark.parametrize("which", [0, 1], ids=["hand-made", "synthetic"])
def test_duckdb_and_pandas_agree_on_vintage_curves_and_roll_rates(
    tmp_path: Path, which: int
) -> None:
    table = books()[which]
    path = tmp_path / "book.parquet"
    table.to_parquet(path)
    pd.testing.assert_frame_equal(parquet_vintage_curves(path), vintage_curves(table))
    columnar, frame = parquet_roll_rates(path), roll_rates(table)
    pd.testing.assert_frame_equal(columnar.counts, frame.counts)
    pd.testing.assert_frame_equal(columnar.rates, frame.rates)
    pd.testing.assert_frame_equal(parquet_forward_by_month(path), forward_by_month(table))


def test_a_parquet_file_without_the_contract_columns_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.parquet"
    small_book().drop(columns="principal").to_parquet(path)
    with pytest.raises(DataContractError) as err:
        parquet_vintage_curves(path)
    assert "principal" in err.value.message


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda t: pd.concat([t, t.head(1)]), "mob"),  # a loan twice in one month
        (lambda t: t.assign(mob=t["mob"].where(t.index > 0, 2_000_000_000)), "mob"),
        (lambda t: t.assign(mob=0), "mob"),
        (lambda t: t.assign(vintage="2026-13"), "vintage"),
        (lambda t: t.assign(balance=t["balance"] - 10_000_000), "balance"),
    ],
)
def test_a_parquet_file_breaking_the_contract_is_refused_as_the_table_is(
    tmp_path: Path, change: object, field: str
) -> None:
    """The DuckDB path checks the rows as check_loan_months does before drawing a curve: a
    duplicated loan-month would skew every rate, a month on book of two billion would claim
    memory for every month up to it."""
    path = tmp_path / "broken.parquet"
    change(small_book()).reset_index(drop=True).to_parquet(path)  # type: ignore[operator]
    for read in (parquet_vintage_curves, parquet_roll_rates, parquet_forward_by_month):
        with pytest.raises(DataContractError) as err:
            read(path)
        assert err.value.field == field
