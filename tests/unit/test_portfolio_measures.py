"""Each portfolio measure against figures computed by hand on small tables."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from tests.unit.portfolio_books import loan_months, small_book
from thinfile.errors import DataContractError
from thinfile.portfolio import (
    BUCKETS,
    backtest_by_grade,
    check_loan_months,
    fairness_table,
    psi,
    psi_by_window,
    ranking,
    ranking_by_vintage,
    roll_rates,
    stability_flag,
    vintage_curves,
)
from thinfile.sim import generate_applicants, simulate_performance

Z95 = 1.959963984540054


@pytest.fixture
def book() -> pd.DataFrame:
    return small_book()


def test_vintage_curves_count_every_loan_originated_including_ones_closed_early(
    book: pd.DataFrame,
) -> None:
    curves = vintage_curves(book).set_index(["vintage", "mob"])
    first = curves.loc["2026-01"]
    assert list(first.index) == [1, 2, 3, 4]
    assert (first["loans"] == 3).all() and (first["principal"] == 6000).all()
    assert first["ever_30"].tolist() == pytest.approx([0, 1 / 3, 1 / 3, 2 / 3])
    assert first["ever_60"].tolist() == pytest.approx([0, 0, 1 / 3, 1 / 3])
    assert first["ever_90"].tolist() == pytest.approx([0, 0, 0, 1 / 3])
    assert first["default_cum"].tolist() == pytest.approx([0, 0, 0, 1 / 3])
    assert first["ever_30_principal"].tolist() == pytest.approx([0, 1 / 6, 1 / 6, 3 / 6])
    assert first["default_cum_principal"].tolist() == pytest.approx([0, 0, 0, 1 / 6])


def test_a_one_loan_vintage_moves_in_whole_steps(book: pd.DataFrame) -> None:
    single = vintage_curves(book).set_index(["vintage", "mob"]).loc["2026-02"]
    assert single["loans"].tolist() == [1, 1]
    assert single["ever_30"].tolist() == [0.0, 1.0]
    assert single["default_cum"].tolist() == [0.0, 0.0]


def test_an_empty_book_has_no_curves() -> None:
    assert vintage_curves(loan_months([])).empty


def test_roll_rates_pair_each_loan_with_its_next_month(book: pd.DataFrame) -> None:
    rolls = roll_rates(book)
    counts = rolls.counts
    assert list(counts.index) == list(BUCKETS) == list(counts.columns)
    assert counts.loc["current"].to_dict() == {
        "current": 1, "1-29": 0, "30-59": 3, "60-89": 0, "90+": 0, "closed": 1,
    }  # fmt: skip
    assert counts.at["1-29", "current"] == 1
    assert counts.at["30-59", "60-89"] == 1 and counts.at["60-89", "90+"] == 1
    assert counts.to_numpy().sum() == 8  # 12 rows, 4 loans: 8 consecutive pairs
    assert list(rolls.rates.loc["current"]) == pytest.approx([0.2, 0, 0.6, 0, 0, 0.2])
    assert rolls.rates.loc["1-29", "current"] == 1.0
    assert rolls.rates.loc["90+"].isna().all() and rolls.rates.loc["closed"].isna().all()
    assert rolls.forward() == {"current": 0.0, "1-29": 0.0, "30-59": 1.0, "60-89": 1.0}


def test_a_loan_missing_a_month_makes_no_pair_across_the_gap() -> None:
    gap = loan_months(
        [("A", "2026-01", 1, "on_time", 0, 90, 100), ("A", "2026-01", 3, "late", 45, 90, 100)]
    )
    assert roll_rates(gap).counts.to_numpy().sum() == 0


def test_psi_of_categories_floors_empty_bins_and_keeps_missing_apart() -> None:
    baseline = pd.Series(["a", "a", "b", "b", None], dtype="str")
    current = pd.Series(["a", "c", "c", None], dtype="str")
    result = psi(baseline, current)
    by_hand = (
        (0.25 - 0.4) * math.log(0.25 / 0.4)  # a
        + (0.0001 - 0.4) * math.log(0.0001 / 0.4)  # b: none now
        + (0.5 - 0.0001) * math.log(0.5 / 0.0001)  # c: none before
        + (0.25 - 0.2) * math.log(0.25 / 0.2)  # missing
    )
    assert result.value == pytest.approx(by_hand)
    assert result.flag == "act"
    assert sorted(result.bins["bin"]) == ["(missing)", "a", "b", "c"]


def test_psi_of_numbers_cuts_at_the_baseline_deciles() -> None:
    baseline = pd.Series(np.arange(1, 11), dtype="float64")
    current = pd.Series([1.0] * 5 + [10.0] * 5)
    result = psi(baseline, current)
    by_hand = 2 * (0.5 - 0.1) * math.log(5) + 8 * (0.0001 - 0.1) * math.log(0.001)
    assert len(result.bins) == 11  # ten deciles and missing
    assert result.value == pytest.approx(by_hand)
    assert psi(baseline, baseline).value == 0.0 and psi(baseline, baseline).flag == "stable"


def test_stability_flags_at_a_tenth_and_a_quarter() -> None:
    assert [stability_flag(v) for v in (0.0999, 0.10, 0.25, 0.2501)] == [
        "stable", "watch", "watch", "act",
    ]  # fmt: skip


def wilson(bads: int, n: int) -> tuple[float, float]:
    p = bads / n
    centre = (p + Z95**2 / (2 * n)) / (1 + Z95**2 / n)
    half = Z95 / (1 + Z95**2 / n) * math.sqrt(p * (1 - p) / n + Z95**2 / (4 * n * n))
    return centre - half, centre + half


def test_backtest_alerts_when_the_predicted_pd_leaves_the_wilson_interval() -> None:
    outcomes = pd.DataFrame(
        {
            "grade": ["A"] * 10 + ["B"] * 4,
            "pd": [0.05] * 10 + [0.2] * 4,
            "bad": [1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0],
        }
    )
    table = backtest_by_grade(outcomes).set_index("grade")
    assert list(table.index) == ["A", "B", "all"]
    low, high = wilson(3, 10)
    assert (table.at["A", "low"], table.at["A", "high"]) == pytest.approx((low, high))
    assert table.at["A", "bad_rate"] == 0.3 and bool(table.at["A", "alert"])
    assert (table.at["B", "low"], table.at["B", "high"]) == pytest.approx(wilson(1, 4))
    assert not table.at["B", "alert"]
    assert table.at["all", "loans"] == 14 and table.at["all", "bads"] == 4
    assert table.at["all", "predicted_pd"] == pytest.approx((0.5 + 0.8) / 14)


def test_backtest_refuses_outcomes_that_are_not_zero_or_one() -> None:
    with pytest.raises(DataContractError) as err:
        backtest_by_grade(pd.DataFrame({"grade": ["A"], "pd": [0.1], "bad": [2]}))
    assert err.value.field == "bad"


def test_ranking_matches_pairs_counted_by_hand() -> None:
    result = ranking(pd.Series([0.1, 0.4, 0.35, 0.8]), pd.Series([0, 0, 1, 1]))
    assert result.auc == pytest.approx(3 / 4)  # bads beat goods in 3 of 4 pairs
    assert result.gini == pytest.approx(0.5)
    assert result.ks == pytest.approx(0.5)
    assert math.isnan(ranking(pd.Series([0.1, 0.2]), pd.Series([0, 0])).auc)


def test_fairness_gives_the_impact_ratio_and_a_two_proportion_test() -> None:
    decisions = pd.DataFrame(
        {
            "gender": ["F"] * 10 + ["M"] * 20,
            "approved": [True] * 4 + [False] * 6 + [True] * 12 + [False] * 8,
            "bad": [1, 0, None, None] + [None] * 6 + [1, 1, 1] + [0] * 9 + [None] * 8,
        }
    )
    table = fairness_table(decisions, ["gender", "age_band"]).set_index("group")
    assert table["attribute"].tolist() == ["gender", "gender"]
    assert table.at["F", "approval_rate"] == 0.4 and table.at["M", "approval_rate"] == 0.6
    assert table.at["F", "impact_ratio"] == pytest.approx(0.4 / 0.6)
    assert bool(table.at["F", "four_fifths"]) and not table.at["M", "four_fifths"]
    assert table.at["F", "bad_rate"] == 0.5 and table.at["M", "bad_rate"] == 0.25
    pooled = 16 / 30
    z = (0.4 - 0.6) / math.sqrt(pooled * (1 - pooled) * (1 / 10 + 1 / 20))
    assert table.at["F", "z"] == pytest.approx(z)
    assert table.at["F", "p_value"] == pytest.approx(math.erfc(abs(z) / math.sqrt(2)))
    assert not table.at["F", "significant"] and table.at["M", "p_value"] == 1.0


def test_fairness_reads_approved_as_written_and_refuses_a_blank() -> None:
    """An approved column read from a file: text true/false and 1/0 count as written; a
    blank (or "no") is refused naming its row, never counted as an approval."""
    written = pd.DataFrame(
        {"gender": ["F", "F", "F", "M"], "approved": ["true", "FALSE", "0", "1"]}
    )
    table = fairness_table(written, ["gender"]).set_index("group")
    assert table.at["F", "approvals"] == 1 and table.at["M", "approvals"] == 1
    for bad_value in (None, "no", ""):
        blank = written.assign(approved=pd.Series(["true", bad_value, "0", "1"], dtype=object))
        with pytest.raises(DataContractError) as refused:
            fairness_table(blank, ["gender"])
        assert "row 2" in refused.value.message


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda t: t.drop(columns="principal"), "loan_months"),
        (lambda t: t.assign(balance=t["balance"] - 10_000), "balance"),
        (lambda t: t.assign(balance=t["balance"].astype("float64")), "balance"),
        (lambda t: t.assign(vintage="2026-13"), "vintage"),
        (lambda t: t.assign(mob=0), "mob"),
        (lambda t: pd.concat([t, t.head(1)]), "mob"),
        (lambda t: t.assign(mob=t["mob"].where(t.index > 0, 2_000_000_000)), "mob"),
    ],
)
def test_tables_that_break_the_loan_month_contract_are_refused(
    book: pd.DataFrame, change: object, field: str
) -> None:
    with pytest.raises(DataContractError) as err:
        check_loan_months(change(book))  # type: ignore[operator]
    assert err.value.field == field


def test_a_synthetic_book_is_a_loan_month_table_with_a_curve_per_vintage() -> None:
    people = generate_applicants(600, seed=3)
    rows = simulate_performance(people, months=8, seed=3, originations_over=3)
    curves = vintage_curves(rows)
    assert set(curves["vintage"]) == {"2026-01", "2026-02", "2026-03"}
    assert curves.groupby("vintage")["loans"].first().sum() == 600
    assert curves.groupby("vintage")["mob"].max().tolist() == [8, 7, 6]
    assert (curves["ever_90"] == curves["default_cum"]).all()
    assert curves.groupby("vintage")["ever_30"].apply(lambda s: s.is_monotonic_increasing).all()


def test_a_grade_with_no_bads_has_an_interval_from_zero() -> None:
    outcomes = pd.DataFrame({"grade": ["A"] * 5, "pd": [0.1] * 5, "bad": [0] * 5})
    row = backtest_by_grade(outcomes).iloc[0]
    assert row["low"] == 0.0 and row["high"] == pytest.approx(wilson(0, 5)[1])
    assert not row["alert"]


def _pairs_auc(scores: list[float], bads: list[int]) -> float:
    """The share of (bad, good) pairs in which the bad scores higher; ties count a half."""
    bad = [s for s, b in zip(scores, bads, strict=True) if b]
    good = [s for s, b in zip(scores, bads, strict=True) if not b]
    wins = sum(1.0 if x > y else 0.5 if x == y else 0.0 for x in bad for y in good)
    return wins / (len(bad) * len(good))


def _ks_by_hand(scores: list[float], bads: list[int]) -> float:
    """The largest gap between the cumulative score shares of bads and goods."""
    bad = sorted(s for s, b in zip(scores, bads, strict=True) if b)
    good = sorted(s for s, b in zip(scores, bads, strict=True) if not b)
    return max(
        abs(sum(v <= cut for v in bad) / len(bad) - sum(v <= cut for v in good) / len(good))
        for cut in sorted(set(scores))
    )


def test_ranking_by_vintage_counts_pairs_within_each_vintage_and_over_all() -> None:
    table = pd.DataFrame(
        {
            "vintage": ["2026-01"] * 5 + ["2026-02"] * 4 + ["2026-03"] * 2,
            "score": [0.9, 0.2, 0.6, 0.4, 0.6, 0.3, 0.7, 0.1, 0.5, 0.2, 0.3],
            "bad": [1, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0],
        }
    )
    result = ranking_by_vintage(table).set_index("vintage")
    assert list(result.index) == ["2026-01", "2026-02", "2026-03", "all"]
    for vintage, rows in [*table.groupby("vintage"), ("all", table)]:
        scores, bads = list(rows["score"]), list(rows["bad"])
        found = result.loc[vintage]
        assert found["loans"] == len(rows) and found["bads"] == sum(bads)
        if sum(bads) == 0:  # 2026-03 had no bad loan: nothing to rank
            assert math.isnan(found["auc"]) and math.isnan(found["ks"])
            continue
        assert found["auc"] == pytest.approx(_pairs_auc(scores, bads))
        assert found["gini"] == pytest.approx(2 * _pairs_auc(scores, bads) - 1)
        assert found["ks"] == pytest.approx(_ks_by_hand(scores, bads))
    assert result.loc["2026-01", "auc"] == pytest.approx(5.5 / 6)  # the 0.6 tie counts a half


def test_ranking_without_vintages_is_one_overall_row_and_refuses_a_missing_column() -> None:
    table = pd.DataFrame({"score": [0.1, 0.8, 0.4], "bad": [0, 1, 0]})
    result = ranking_by_vintage(table)
    assert list(result["vintage"]) == ["all"] and result["auc"].item() == 1.0
    with pytest.raises(DataContractError) as refused:
        ranking_by_vintage(table.drop(columns="score"))
    assert refused.value.field == "outcomes"


def test_psi_by_week_and_month_measures_each_window_against_the_one_baseline() -> None:
    baseline = pd.Series(["a", "a", "b", "b"], dtype="str")
    current = pd.DataFrame(
        {
            "decided_on": ["2026-02-02", "2026-02-08", "2026-02-09", "2026-03-01", None],
            "score": ["a", "b", "b", "a", "b"],
        }
    )

    def by_hand(values: list[str]) -> float:
        shares = {k: max(values.count(k) / len(values), 0.0001) for k in ("a", "b")}
        return sum((shares[k] - 0.5) * math.log(shares[k] / 0.5) for k in shares)

    weeks = psi_by_window(baseline, current, on="decided_on", window="week")
    # 2026-02-02 (Mon) and 02-08 (Sun) share ISO week 6; 02-09 opens week 7; 03-01 is week 9
    assert list(weeks["window"]) == ["2026-W06", "2026-W07", "2026-W09"]
    assert list(weeks["rows"]) == [2, 1, 1]
    assert weeks["psi"].tolist() == pytest.approx(
        [by_hand(["a", "b"]), by_hand(["b"]), by_hand(["a"])]
    )
    months = psi_by_window(baseline, current, on="decided_on", window="month")
    assert list(months["window"]) == ["2026-02", "2026-03"] and list(months["rows"]) == [3, 1]
    assert months["psi"].iloc[0] == pytest.approx(by_hand(["a", "b", "b"]))
    assert list(months["flag"]) == [stability_flag(v) for v in months["psi"]]
    with pytest.raises(DataContractError) as refused:
        psi_by_window(baseline, current, on="decided_on", window="day")
    assert refused.value.field == "window"
