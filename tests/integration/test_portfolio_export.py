"""The live book's loan-month table: the month-end rows close of business writes, exported,
against what the loans' dates and payments say by hand — on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from tests.integration.servicing_helpers import terms
from tests.support.cli import run
from thinfile.portfolio import vintage_curves
from thinfile.services.cob import run_cob
from thinfile.services.loans import open_and_disburse, quote_payoff
from thinfile.services.payments import prepay_loan
from thinfile.services.portfolio import loan_months
from thinfile.servicing import ServicingProduct
from thinfile.store import make_engine, upgrade

JAN, FEB = date(2025, 1, 10), date(2025, 2, 5)
MONTH_ENDS = [date(2025, 1, 31), date(2025, 2, 28), date(2025, 3, 31), date(2025, 4, 30)]


def _dpd(month_end: date, first_due: date) -> int:
    """Days past due of a loan that never paid: days since its first due date."""
    return max(0, (month_end - first_due).days)


@pytest.fixture
def book(database_url: str) -> tuple[str, dict[str, int]]:
    """A (3,000 yuan, never pays), B (2,000 yuan, pays off on 15 February), both opened on
    10 January; C (1,200 yuan, never pays) opened on 5 February; closed to 30 April."""
    engine = make_engine(database_url)
    upgrade(engine)
    ids = {
        "A": open_and_disburse(engine, terms("3000", 6, "0.18", start=JAN)).loan_id,
        "B": open_and_disburse(engine, terms("2000", 3, "0.12", start=JAN)).loan_id,
    }
    run_cob(engine, date(2025, 2, 4))
    ids["C"] = open_and_disburse(engine, terms("1200", 3, "0.18", start=FEB)).loan_id
    run_cob(engine, date(2025, 2, 14))
    payoff = quote_payoff(engine, ids["B"], date(2025, 2, 15))
    prepay_loan(engine, ids["B"], payoff, date(2025, 2, 15))
    run_cob(engine, MONTH_ENDS[-1])
    engine.dispose()
    return database_url, ids


def _rows(frame: pd.DataFrame, loan_id: int) -> list[tuple[object, ...]]:
    mine = frame[frame["loan_id"] == str(loan_id)].sort_values("mob")
    columns = ["vintage", "mob", "status", "days_past_due", "balance", "principal"]
    return [tuple(r) for r in mine[columns].itertuples(index=False)]


def test_every_loan_has_a_row_per_month_end_until_it_ends(
    book: tuple[str, dict[str, int]],
) -> None:
    url, ids = book
    engine = make_engine(url)
    frame = loan_months(engine)
    engine.dispose()
    a_due, c_due = date(2025, 2, 10), date(2025, 3, 5)
    assert _rows(frame, ids["A"]) == [
        ("2025-01", k + 1, "late" if _dpd(end, a_due) else "current", _dpd(end, a_due), 300_000,
         300_000)
        for k, end in enumerate(MONTH_ENDS)
    ]  # fmt: skip
    # B was due on 10 February, unpaid, and paid off on the 15th: closed before its last due
    # date, it is prepaid in February with nothing owed, and has no row after
    assert _rows(frame, ids["B"]) == [
        ("2025-01", 1, "current", 0, 200_000, 200_000),
        ("2025-01", 2, "prepaid", 0, 0, 200_000),
    ]
    assert _rows(frame, ids["C"]) == [
        ("2025-02", k + 1, "late" if _dpd(end, c_due) else "current", _dpd(end, c_due), 120_000,
         120_000)
        for k, end in enumerate(MONTH_ENDS[1:])
    ]  # fmt: skip
    assert set(frame["product"]) == {"standard"}


def test_the_exported_table_gives_the_vintage_curves_counted_by_hand(
    book: tuple[str, dict[str, int]],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url, _ = book
    monkeypatch.setenv("THINFILE_DATABASE_URL", url)
    out = tmp_path / "book.parquet"
    code, printed, _ = run(capsys, "portfolio", "export", "--out", str(out))
    assert code == 0 and "wrote 9 loan-months of 3 loans" in printed
    curves = vintage_curves(pd.read_parquet(out)).set_index(["vintage", "mob"])
    # 2025-01: A is 30+ from March (49 days) and 60+ in April (79); B never was
    assert curves.loc[("2025-01", 3), "ever_30"] == 0.5
    assert curves.loc[("2025-01", 4), "ever_60"] == 0.5
    assert curves.loc[("2025-01", 4), "ever_90"] == 0.0
    # 2025-02: C is 56 days past due at its third month-end
    assert curves.loc[("2025-02", 3), "ever_30"] == 1.0


def test_export_names_the_option_when_the_file_is_neither_csv_nor_parquet(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "portfolio", "export", "--out", str(tmp_path / "book.xlsx"))
    assert code == 2 and "--out" in err


def test_a_loan_charged_off_at_sixty_days_counts_as_sixty_plus_at_its_month_end(
    database_url: str,
) -> None:
    """A product charging off at 60 days past due: the loan first due on 10 February, never
    paid, is charged off on 11 April. Its April row is charged off and 79 days past due (30
    April less 10 February), so ever-60+ counts it at month on book 4, as it counts a loan
    still on the book at that age."""
    engine = make_engine(database_url)
    upgrade(engine)
    product = ServicingProduct(charge_off_days=60)
    loan_id = open_and_disburse(
        engine, terms("3000", 6, "0.18", start=JAN), product=product
    ).loan_id
    run_cob(engine, MONTH_ENDS[-1])
    frame = loan_months(engine)
    engine.dispose()
    rows = _rows(frame, loan_id)
    assert [(r[1], r[3]) for r in rows] == [(1, 0), (2, 18), (3, 49), (4, 79)]
    assert rows[-1][2] not in ("current", "late")  # ended as a charge-off
    curves = vintage_curves(frame).set_index(["vintage", "mob"])
    assert curves.loc[("2025-01", 4), "ever_60"] == 1.0
