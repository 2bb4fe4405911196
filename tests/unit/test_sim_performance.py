from datetime import date
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

from thinfile.errors import DataContractError, InvalidInputError
from thinfile.loanmath import LoanTerms, RepaymentMethod, build_schedule
from thinfile.money import Money
from thinfile.sim import PERFORMANCE_COLUMNS, STATUSES, generate_applicants, simulate_performance
from thinfile.sim.installments import build_schedules

MONTHS = 18


@pytest.fixture(scope="module")
def applicants() -> pd.DataFrame:
    return generate_applicants(25_000, seed=21)


@pytest.fixture(scope="module")
def performance(applicants) -> pd.DataFrame:
    return simulate_performance(applicants, months=MONTHS, seed=4)


def buckets(dpd: pd.Series) -> np.ndarray:
    return np.select([dpd == 0, dpd < 30, dpd < 60, dpd < 90], [0, 1, 2, 3], 4)


def test_rows_have_the_contracted_columns_types_and_ranges(performance):
    p = performance
    assert tuple(p.columns) == PERFORMANCE_COLUMNS
    assert set(p["status"]) == set(STATUSES)
    for column in ("amount_due", "amount_paid", "balance", "days_past_due"):
        assert p[column].dtype == np.int64 and (p[column] >= 0).all(), column
    assert p["month"].between(1, MONTHS).all()
    assert p["annual_rate_bps"].between(840, 2388).all()
    assert (p["loan_id"].str.slice(1) == p["applicant_id"].str.slice(1)).all()


def test_each_loan_reports_every_month_until_it_ends(performance):
    by_loan = performance.groupby("loan_id", sort=False)
    first, count, last = by_loan["month"].min(), by_loan["month"].size(), by_loan["month"].max()
    assert (first == 1).all() and (count == last).all()
    final = by_loan["status"].last()
    terminal = performance["status"].isin(["prepaid", "default", "closed"])
    assert terminal.groupby(performance["loan_id"]).sum().max() == 1
    ended = final.isin(["prepaid", "default", "closed"])
    assert (last[~ended] == MONTHS).all()


def test_defaults_within_twelve_months_are_exactly_the_bad_applicants(applicants, performance):
    defaults = performance[performance["status"] == "default"]
    early = set(defaults.loc[defaults["month"] <= 12, "applicant_id"])
    assert early == set(applicants.loc[applicants["bad_12m"] == 1, "applicant_id"])
    assert (defaults["days_past_due"] >= 90).all()
    assert (performance.loc[performance["status"] != "default", "days_past_due"] < 90).all()


def test_balances_never_rise_and_are_zero_when_a_loan_ends(performance):
    rises = performance.groupby("loan_id")["balance"].diff() > 0
    assert not rises.any()
    ended = performance["status"].isin(["prepaid", "closed"])
    assert (performance.loc[ended, "balance"] == 0).all()
    assert (performance.loc[performance["status"] == "default", "balance"] > 0).all()


def test_amounts_due_follow_the_loanmath_equal_installment_schedule(applicants, performance):
    regular = performance["status"].isin(["on_time", "closed"])
    by_loan = regular.groupby(performance["loan_id"])
    ids = by_loan.all().index[
        by_loan.all() & performance.groupby("loan_id")["status"].last().eq("closed")
    ]
    clean = performance[performance["loan_id"].isin(ids)]
    assert clean["loan_id"].nunique() > 100
    for loan_id, rows in list(clean.groupby("loan_id"))[:40]:
        who = applicants.loc[applicants["applicant_id"] == rows["applicant_id"].iloc[0]].iloc[0]
        schedule = build_schedule(
            LoanTerms(
                Money(int(who["requested_amount"])),
                Decimal(int(rows["annual_rate_bps"].iloc[0])) / 10_000,
                int(who["requested_term_months"]),
                RepaymentMethod.EQUAL_INSTALLMENT,
                date(2026, 1, 1),
            )
        )
        assert rows["amount_due"].tolist() == [i.total for i in schedule.installments], loan_id
        assert rows["balance"].tolist() == [i.balance for i in schedule.installments], loan_id


def test_vectorised_schedules_match_loanmath_to_the_fen():
    rng = np.random.default_rng(8)
    principal = rng.integers(100_000, 20_000_000, 300)
    bps = rng.integers(70, 200, 300)
    term = rng.choice([3, 6, 9, 12, 18, 24, 36], 300)
    built = build_schedules(principal, bps, term, width=36)
    for i in range(300):
        schedule = build_schedule(
            LoanTerms(
                Money(int(principal[i])),
                Decimal(int(bps[i]) * 12) / 10_000,
                int(term[i]),
                RepaymentMethod.EQUAL_INSTALLMENT,
                date(2026, 1, 1),
            )
        )
        assert built.total[i, 1 : term[i] + 1].tolist() == [x.total for x in schedule.installments]


def test_vintage_curve_rises_then_flattens(applicants, performance):
    defaults = performance[performance["status"] == "default"]
    per_month = defaults["month"].value_counts().reindex(range(1, MONTHS + 1), fill_value=0)
    cumulative = per_month.cumsum() / len(applicants)
    assert per_month.loc[1:3].sum() == 0
    assert per_month.loc[4:9].sum() > 3 * per_month.loc[13:18].sum()
    assert per_month.loc[16:18].sum() < per_month.loc[4:6].sum() / 3
    assert cumulative.is_monotonic_increasing
    assert 0.04 <= cumulative.loc[12] <= 0.08


def test_roll_rates_deepen_with_each_bucket(performance):
    p = performance.assign(bucket=buckets(performance["days_past_due"]))
    p["next"] = p.groupby("loan_id")["bucket"].shift(-1)
    moves = p.dropna(subset=["next"])
    crossed = pd.crosstab(moves["bucket"], moves["next"], normalize="index")
    roll = crossed.reindex(index=range(5), columns=range(5), fill_value=0.0).to_numpy()
    current_to_1 = roll[0, 1]
    forward = [roll[b, b + 1] for b in (1, 2, 3)]
    assert 0.01 < current_to_1 < 0.08
    assert forward[0] < forward[1] < forward[2]
    assert roll[1, 0] > 0.3  # many early delinquents cure


def test_income_shocks_make_missed_payments_likelier(performance):
    missed = performance["status"].isin(["late", "partial"])
    by_shock = missed.groupby(performance["income_shock"]).mean()
    assert by_shock[True] > 2 * by_shock[False]


def test_the_same_seed_gives_the_same_rows_and_shorter_runs_are_a_prefix(applicants):
    few = applicants.head(3_000)
    long_run = simulate_performance(few, months=18, seed=2)
    pd.testing.assert_frame_equal(long_run, simulate_performance(few, months=18, seed=2))
    short_run = simulate_performance(few, months=12, seed=2)
    prefix = long_run[long_run["month"] <= 12].reset_index(drop=True)
    pd.testing.assert_frame_equal(prefix, short_run)


def test_bad_arguments_are_refused(applicants):
    with pytest.raises(InvalidInputError) as err:
        simulate_performance(applicants.head(10), months=0, seed=1)
    assert err.value.field == "months"
    with pytest.raises(DataContractError):
        simulate_performance(applicants.drop(columns="true_pd"), months=6, seed=1)
    with pytest.raises(DataContractError):
        simulate_performance(applicants.head(0), months=6, seed=1)


def test_one_origination_month_puts_every_loan_in_the_first_vintage(performance) -> None:
    assert set(performance["vintage"]) == {"2026-01"}
    assert (performance.groupby("loan_id")["principal"].nunique() == 1).all()


def test_originations_over_months_spread_vintages_and_leave_later_ones_younger(
    applicants: pd.DataFrame,
) -> None:
    few = applicants.head(3000)
    book = simulate_performance(
        few, months=12, seed=4, originations_over=6, first_vintage="2025-10"
    )
    assert sorted(set(book["vintage"])) == [
        "2025-10", "2025-11", "2025-12", "2026-01", "2026-02", "2026-03",
    ]  # fmt: skip
    offset = {"2025-10": 0, "2025-11": 1, "2025-12": 2, "2026-01": 3, "2026-02": 4, "2026-03": 5}
    assert (book["month"] <= 12 - book["vintage"].map(offset)).all()
    assert book.groupby("vintage")["month"].max().to_dict()["2026-03"] == 7
    assert book["loan_id"].nunique() == 3000
    principal = book.groupby("applicant_id")["principal"].first()
    lent = few.set_index("applicant_id")["requested_amount"]
    assert (principal == lent.loc[principal.index]).all()
    single = simulate_performance(few, months=12, seed=4)
    mine = book[book["vintage"] == "2025-10"].drop(columns="vintage").reset_index(drop=True)
    theirs = single[single["loan_id"].isin(mine["loan_id"])].drop(columns="vintage")
    pd.testing.assert_frame_equal(mine, theirs.reset_index(drop=True))


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"originations_over": 0}, "originations_over"),
        ({"originations_over": 7}, "originations_over"),
        ({"first_vintage": "2026-13"}, "first_vintage"),
        ({"first_vintage": "202601"}, "first_vintage"),
    ],
)
def test_impossible_origination_windows_are_refused(
    applicants: pd.DataFrame, kwargs: dict[str, object], field: str
) -> None:
    with pytest.raises(InvalidInputError) as err:
        simulate_performance(applicants.head(10), months=6, seed=1, **kwargs)  # type: ignore[arg-type]
    assert err.value.field == field
