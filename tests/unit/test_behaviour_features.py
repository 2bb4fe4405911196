"""Behaviour features from a line-month table, checked against hand-counted values."""

from __future__ import annotations

import pandas as pd
import pytest

from thinfile.errors import DataContractError
from thinfile.scoring.behaviour import (
    BehaviourFeatures,
    behaviour_features,
    line_months_from_performance,
)


def _row(
    day,
    *,
    month_end=1,
    limit=100_000,
    balance=0,
    dpd=0,
    worst=None,
    due=0,
    paid=0,
    drawn=0,
    prepaid=0,
    line=7,
):
    return {
        "line_id": line,
        "day": day,
        "month_end": month_end,
        "opened_day": 0,
        "limit_amount": limit,
        "balance": balance,
        "days_past_due": dpd,
        "worst_dpd": dpd if worst is None else worst,
        "amount_due": due,
        "amount_paid": paid,
        "drawn": drawn,
        "prepaid": prepaid,
    }


def test_features_read_the_review_snapshot_and_the_month_ends_of_the_year_before():
    rows = [
        _row(10, balance=90_000, drawn=90_000),  # more than a year before: not read
        _row(400, balance=60_000, due=10_000, paid=10_000),
        _row(430, balance=50_000, due=10_000, paid=0, dpd=5),
        _row(445, month_end=0, balance=99_999, worst=9),  # an earlier review: not read
        _row(460, balance=40_000, due=10_000, paid=20_000, prepaid=5_000),
        _row(470, month_end=0, balance=30_000, limit=200_000, dpd=0, worst=3),  # today
    ]
    (f,) = behaviour_features(pd.DataFrame(rows), 470)
    assert f == BehaviourFeatures(
        line_id=7,
        months_on_book=470 // 30,
        months_observed=4,
        current_dpd=0,
        worst_dpd_12m=5,
        delinquent_months_3m=2,
        delinquent_months_6m=2,
        delinquent_months_12m=2,
        on_time_share_bps=2 * 10_000 // 3,
        utilization_bps=30_000 * 10_000 // 200_000,
        utilization_avg_bps=180_000 * 10_000 // 500_000,
        payment_to_due_bps=30_000 * 10_000 // 30_000,
        drawn_12m=0,
        repaid_12m=30_000,
        prepaid_12m=5_000,
        limit_fen=200_000,
        balance_fen=30_000,
    )


def test_a_line_without_a_snapshot_on_the_review_day_has_no_features():
    assert behaviour_features(pd.DataFrame([_row(400)]), 410) == []


def test_a_table_with_fractions_or_missing_columns_is_refused():
    frame = pd.DataFrame([_row(400)])
    with pytest.raises(DataContractError, match="worst_dpd"):
        behaviour_features(frame.drop(columns="worst_dpd"), 400)
    with pytest.raises(DataContractError, match="balance"):
        behaviour_features(frame.assign(balance=0.5), 400)


def test_a_synthetic_performance_table_becomes_line_months_a_model_can_learn_from():
    performance = pd.DataFrame(
        {
            "loan_id": ["L1", "L1", "L1"],
            "month": [1, 2, 3],
            "status": ["on_time", "late", "prepaid"],
            "days_past_due": [0, 12, 0],
            "amount_due": [1_000, 1_000, 2_000],
            "amount_paid": [1_000, 0, 9_000],
            "balance": [8_000, 8_000, 0],
            "principal": [9_000, 9_000, 9_000],
        }
    )
    table = line_months_from_performance(performance)
    (f,) = behaviour_features(table, 90)
    assert (f.months_on_book, f.delinquent_months_12m, f.worst_dpd_12m) == (3, 1, 12)
    assert (f.drawn_12m, f.prepaid_12m, f.repaid_12m) == (9_000, 9_000, 10_000)
    assert f.on_time_share_bps == 2 * 10_000 // 3 and f.utilization_bps == 0
