"""The portfolio report: its JSON shape on a small book, and the command that writes it."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest

from tests.support.cli import run
from tests.unit.portfolio_books import small_book
from thinfile.portfolio import build_report
from thinfile.services.portfolio_report import render_portfolio_report
from thinfile.sim import generate_applicants, simulate_performance


def scores() -> tuple[pd.DataFrame, pd.DataFrame]:
    baseline = pd.DataFrame({"score": [float(v) for v in range(1, 11)], "city": ["a"] * 10})
    current = pd.DataFrame(
        {
            "score": [1.0] * 5 + [10.0] * 5,
            "city": ["a"] * 9 + ["b"],
            "grade": ["A"] * 10,
            "pd": [0.05] * 10,
            "bad": [1, 1, 1, 0, 0, 0, 0, 0, 0, 0],
            "vintage": ["2026-01"] * 5 + ["2026-02"] * 5,
            "decided_on": ["2026-02-02"] * 5 + ["2026-03-03"] * 5,
        }
    )
    return baseline, current


def test_the_report_gives_every_measure_with_rates_as_decimal_strings() -> None:
    baseline, current = scores()
    decisions = pd.DataFrame(
        {
            "gender": ["F", "F", "M", "M"],
            "approved": [True, False, True, True],
            "bureau_records": [0, 5, 1, 3],
        }
    )
    report = build_report(
        small_book(), scores_baseline=baseline, scores_current=current, decisions=decisions
    )
    assert set(report) == {
        "vintages", "roll_rates", "psi", "psi_windows", "backtest", "ranking", "fairness",
        "inclusion", "roll_trend", "alerts", "alert_thresholds",
    }  # fmt: skip
    vintages = report["vintages"]
    assert isinstance(vintages, list)
    assert vintages[3] == {
        "vintage": "2026-01", "mob": 4, "loans": 3, "ever_30": "0.666667",
        "ever_60": "0.333333", "ever_90": "0.333333", "default_cum": "0.333333",
    }  # fmt: skip
    rolls = report["roll_rates"]
    assert isinstance(rolls, dict)
    assert rolls["current"]["30-59"] == "0.600000" and rolls["90+"]["current"] is None
    drift = report["psi"]
    assert isinstance(drift, dict)
    assert drift["score"]["flag"] == "act" and set(drift["features"]) == {"city"}
    backtest = report["backtest"]
    assert isinstance(backtest, list)
    assert backtest[0]["grade"] == "A" and backtest[0]["bad_rate"] == "0.300000"
    assert backtest[0]["alert"] is True
    # the score is higher = safer: the three bads all score 1.0 beside two goods at 1.0 and
    # five at 10.0: of 21 pairs 15 rank the bad below the good and 6 are ties, so
    # AUC = (15 + 6/2) / 21 = 18/21; 2026-02 has no bad to rank
    assert report["ranking"] == [
        {"vintage": "2026-01", "loans": 5, "bads": 3, "auc": "0.500000", "gini": "0.000000",
         "ks": "0.000000"},
        {"vintage": "2026-02", "loans": 5, "bads": 0, "auc": None, "gini": None, "ks": None},
        {"vintage": "all", "loans": 10, "bads": 3, "auc": "0.857143", "gini": "0.714286",
         "ks": "0.714286"},
    ]  # fmt: skip
    windows = report["psi_windows"]
    assert isinstance(windows, dict)
    assert [(w["window"], w["rows"]) for w in windows["week"]] == [("2026-W06", 5), ("2026-W10", 5)]
    assert [w["window"] for w in windows["month"]] == ["2026-02", "2026-03"]
    fairness = report["fairness"]
    assert isinstance(fairness, list)
    assert [(r["group"], r["impact_ratio"]) for r in fairness] == [
        ("F", "0.500000"),
        ("M", "1.000000"),
    ]
    assert report["inclusion"] == {
        "thin_file": {
            "applications": 2, "approvals": 2, "approval_rate": "1.000000", "bad_rate": None,
        },
        "thick_file": {
            "applications": 2, "approvals": 1, "approval_rate": "0.500000", "bad_rate": None,
        },
    }  # fmt: skip
    json.dumps(report)  # every value is plain JSON


def test_the_report_page_draws_every_chart_inline_and_loads_nothing() -> None:
    baseline, current = scores()
    page = render_portfolio_report(
        build_report(small_book(), scores_baseline=baseline, scores_current=current)
    )
    # two vintage charts, the heat-map, PSI, PSI by week and by month, the back-test
    assert page.count("<svg") == 7
    assert "Ranking by vintage" in page and "<td>0.857143</td>" in page
    assert "<script" not in page
    assert not re.search(r'(?:src|href)="https?:', page)
    assert "max-width:100%" in page


def test_portfolio_report_writes_the_page_and_prints_json(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    people = generate_applicants(400, seed=5)
    book = tmp_path / "book.parquet"
    simulate_performance(people, months=6, seed=5, originations_over=3).to_parquet(book)
    out = tmp_path / "report.html"
    code, printed, _ = run(
        capsys, "portfolio", "report", "--loan-months", str(book), "--out", str(out), "--json"
    )
    assert code == 0
    report = json.loads(printed)
    assert {row["vintage"] for row in report["vintages"]} == {"2026-01", "2026-02", "2026-03"}
    assert report["psi"] == {"score": None, "features": {}}
    assert "<svg" in out.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("extra", "option"),
    [
        (["--out", "report.txt"], "--out"),
        (["--scores-baseline", "a.parquet"], "--scores-current"),
        (["--loan-months", "missing.parquet"], "--loan-months"),
    ],
)
def test_bad_report_options_get_one_line_naming_the_option(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, extra: list[str], option: str
) -> None:
    book = tmp_path / "book.csv"
    small_book().to_csv(book, index=False)
    argv = ["portfolio", "report", "--loan-months", str(book), "--out", str(tmp_path / "r.html")]
    code, out, err = run(capsys, *argv, *extra)
    assert code == 2 and option in err and "Traceback" not in out + err
