"""The console's monitoring report from the live book, on SQLite and PostgreSQL: the same
measures as the report of the exported loan-month table, within the filters."""

from __future__ import annotations

import numpy as np
import pandas as pd

from tests.integration.test_portfolio_export import book  # noqa: F401 - the fixture
from thinfile.portfolio import build_report
from thinfile.portfolio.drift import psi
from thinfile.scoring.evaluation import score_distribution
from thinfile.services.portfolio import loan_months
from thinfile.services.portfolio_monitor import (
    MonitorFilters,
    _baseline,
    _outcomes,
    filtered_loan_months,
    live_report,
)
from thinfile.store import make_engine


def test_the_live_report_is_the_report_of_the_exported_table(
    book: tuple[str, dict[str, int]],  # noqa: F811
) -> None:
    url, _ = book
    engine = make_engine(url)
    try:
        exported = loan_months(engine)
        live = live_report(engine)
        only_feb = live_report(engine, filters=MonitorFilters(vintage_from="2025-02"))
        table = filtered_loan_months(engine, MonitorFilters(vintage_to="2025-01"))
        other_product = filtered_loan_months(engine, MonitorFilters(product="none"))
    finally:
        engine.dispose()
    expected = build_report(exported)
    for key in ("vintages", "roll_rates", "roll_trend", "alerts"):
        assert live[key] == expected[key], key
    # no application was decided: nothing to back-test, rank or compare by group
    assert live["backtest"] == [] and live["fairness"] == []
    vintages = only_feb["vintages"]
    assert isinstance(vintages, list) and {r["vintage"] for r in vintages} == {"2025-02"}
    assert set(table["vintage"]) == {"2025-01"} and len(table) == 4 + 2  # A: 4 months, B: 2
    assert other_product.empty
    pd.testing.assert_frame_equal(
        table.drop(columns=["segment", "grade"]),
        exported[exported["vintage"] == "2025-01"].reset_index(drop=True),
    )


def test_a_loan_repaid_before_six_months_on_book_is_a_known_good_outcome(
    book: tuple[str, dict[str, int]],  # noqa: F811
) -> None:
    """The back-test's outcomes: B paid off in its second month is good at once (waiting for
    six months on book would leave every early repayment unknown for ever and count only the
    defaults); A and C, late and not yet 90 days past due at four and three months on book,
    are not known yet."""
    url, ids = book
    engine = make_engine(url)
    try:
        outcomes = _outcomes(loan_months(engine)).set_index("loan_id")["bad"]
    finally:
        engine.dispose()
    assert outcomes[str(ids["B"])] == 0.0
    assert outcomes[[str(ids["A"]), str(ids["C"])]].isna().all()


def test_the_training_scores_against_their_own_bands_are_stable() -> None:
    """The model keeps its training scores as counts in 20-point bands; the console rebuilds
    them for the score's PSI. The training scores themselves, and a fresh sample of the same
    population, read stable against that rebuilt baseline: binned with their own band."""
    rng = np.random.default_rng(5)
    train = np.round(rng.normal(600, 60, 20_000))
    baseline = _baseline(score_distribution(train))
    assert baseline is not None
    assert psi(baseline["score"], pd.Series(train)).value < 1e-9
    assert psi(baseline["score"], pd.Series(np.round(rng.normal(600, 60, 5_000)))).value < 0.01
