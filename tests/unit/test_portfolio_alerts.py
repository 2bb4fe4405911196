"""Alerts: constructed drift, roll-rate rises, miscalibrated grades and unfair approvals
cross the shipped thresholds; ``thinfile portfolio alerts`` exits 4 when one is red."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.support.cli import run
from tests.unit.portfolio_books import loan_months, small_book
from thinfile.errors import InvalidInputError
from thinfile.portfolio import (
    DEFAULT_THRESHOLDS,
    build_report,
    evaluate_alerts,
    forward_by_month,
    has_red,
    load_thresholds,
)


def _levels(report: dict[str, object], measure: str) -> dict[str, str]:
    alerts = report["alerts"]
    assert isinstance(alerts, list)
    return {a["subject"]: a["level"] for a in alerts if a["measure"] == measure}


def _scores(shift: float, *, rows: int = 1000) -> pd.DataFrame:
    rng = np.random.default_rng(3)
    score = rng.normal(600, 50, rows)
    return pd.DataFrame(
        {
            "score": score + shift,
            "income": rng.normal(8000, 1000, rows),
            "decided_on": ["2026-03-02"] * (rows // 2) + ["2026-04-06"] * (rows - rows // 2),
        }
    )


def test_the_shipped_thresholds_are_the_documented_ones() -> None:
    t = load_thresholds()
    assert t.version == "portfolio-alerts/3"
    assert (t.psi_amber, t.psi_red) == (Decimal("0.10"), Decimal("0.25"))
    assert t.psi_min_rows == 500
    assert (t.impact_amber, t.impact_red) == (Decimal("0.90"), Decimal("0.80"))
    assert t.ratio_red == (Decimal("0.67"), Decimal("1.50")) and t.min_loans == 100


def test_a_shifted_score_is_red_and_a_stable_feature_raises_nothing() -> None:
    baseline = _scores(0.0).drop(columns="decided_on")
    report = build_report(small_book(), scores_baseline=baseline, scores_current=_scores(60.0))
    levels = _levels(report, "psi")
    assert levels["score"] == "red"
    assert levels["score 2026-W10"] == "red" and levels["score 2026-04"] == "red"
    assert "income" not in levels
    assert has_red(evaluate_alerts(report, load_thresholds()))


def test_a_small_shift_is_amber_and_none_is_quiet() -> None:
    baseline = _scores(0.0).drop(columns="decided_on")
    quiet = build_report(small_book(), scores_baseline=baseline, scores_current=_scores(0.0))
    assert _levels(quiet, "psi") == {}
    small = build_report(small_book(), scores_baseline=baseline, scores_current=_scores(17.0))
    drift = small["psi"]
    assert isinstance(drift, dict)
    value = Decimal(drift["score"]["value"])
    assert Decimal("0.10") < value <= Decimal("0.25")
    assert _levels(small, "psi")["score"] == "amber"


def test_weeks_of_too_few_scores_raise_no_psi_alert(tmp_path: Path) -> None:
    """200 scores a window drawn from the baseline itself: no window is drifting, yet each
    one's PSI wanders; below ``min_rows`` none is alerted, while the whole period's still is."""
    baseline = _scores(0.0, rows=20_000).drop(columns="decided_on")
    current = _scores(60.0, rows=400)
    report = build_report(small_book(), scores_baseline=baseline, scores_current=current)
    windows = report["psi_windows"]
    assert isinstance(windows, dict) and {r["rows"] for r in windows["week"]} == {200}
    levels = _levels(report, "psi")
    assert levels["score"] == "red" and not any(s.startswith("score 2026") for s in levels)
    counted = load_thresholds(_write_thresholds(tmp_path / "t.json", psi__min_rows=None))
    assert counted.psi_min_rows == 0
    subjects = {a.subject for a in evaluate_alerts(report, counted)}
    assert {"score 2026-W10", "score 2026-04"} <= subjects


def _rolling_book(scale: int = 1) -> pd.DataFrame:
    """Ten loans of 2026-01 (times ``scale``), all current in January; one is 10 days late in
    February, four more in March (the first one is then 40 days late)."""
    rows = []
    for k in range(10 * scale):
        loan, kind = f"L{k}", k // scale
        rows.append((loan, "2026-01", 1, "current", 0, 100, 100))
        late = kind == 0
        rows.append((loan, "2026-01", 2, "late" if late else "current", 10 * late, 100, 100))
        march = 40 if kind == 0 else 10 if kind <= 4 else 0
        rows.append((loan, "2026-01", 3, "late" if march else "current", march, 100, 100))
    return loan_months(rows)


def test_forward_roll_rates_by_month_are_counted_by_hand() -> None:
    table = forward_by_month(_rolling_book())
    rows = [tuple(r) for r in table.itertuples(index=False)]
    # February: 10 current in January, 1 rolled; March: 9 current in February, 4 rolled,
    # and the 1 loan 1-29 days late in February rolled to 30-59
    assert rows == [
        ("2026-02", "current", 10, 1, 0.1),
        ("2026-03", "current", 9, 4, 4 / 9),
        ("2026-03", "1-29", 1, 1, 1.0),
    ]


def _roll_alerts(book: pd.DataFrame) -> list[object]:
    found = build_report(book)["alerts"]
    assert isinstance(found, list)
    return [a for a in found if a["measure"] == "roll_rate"]


def test_a_roll_rate_up_34_points_on_the_month_is_red() -> None:
    # 120 current loans in January, 108 in February: the current bucket is compared; the
    # 12 loans 1-29 days late in February are too few for their roll to say anything
    assert _roll_alerts(_rolling_book(scale=12)) == [
        {"level": "red", "measure": "roll_rate", "subject": "current 2026-02→2026-03",
         "value": "34.444400", "limit": "5"},
    ]  # fmt: skip


def test_a_roll_rate_over_fewer_loans_than_the_threshold_raises_nothing() -> None:
    assert _roll_alerts(_rolling_book()) == []  # the same rise over 10 and 9 loans


def test_the_roll_alert_compares_the_books_latest_month_with_the_month_before() -> None:
    """100 loans 1-29 days late in February all cure in March; 100 others 1-29 days late in
    November all roll to 30-59 in December; none is 1-29 days late in between. The bucket's
    December roll has no November to compare with: no alert (not March's 0 % against
    December's 100 %, nine months apart)."""
    rows = []
    for k in range(300):
        for mob in range(1, 13):
            month = mob  # vintage 2026-01: month on book 1 is January
            days = 0
            if k < 100 and month == 2:
                days = 10
            if 100 <= k < 200 and month >= 11:
                days = 10 if month == 11 else 40
            rows.append((f"L{k}", "2026-01", mob, "late" if days else "current", days, 100, 100))
    trend = forward_by_month(loan_months(rows))
    late = trend[trend["bucket"] == "1-29"]
    assert list(late["month"]) == ["2026-03", "2026-12"]  # the gap the alert must not span
    assert list(late["rate"]) == [0.0, 1.0]
    assert _roll_alerts(loan_months(rows)) == []


def _graded(grade: str, pd_: float, loans: int, bads: int) -> pd.DataFrame:
    return pd.DataFrame(
        {"score": range(loans), "grade": grade, "pd": pd_, "bad": [1] * bads + [0] * (loans - bads)}
    )


def test_grades_outside_the_observed_to_predicted_bands_raise_alerts() -> None:
    current = pd.concat(
        [
            _graded("A", 0.05, 200, 30),  # 0.15 / 0.05 = 3.0: red
            _graded("B", 0.10, 200, 22),  # 1.1: inside the band
            _graded("C", 0.10, 200, 28),  # 1.4: amber
            _graded("D", 0.10, 50, 40),  # fewer loans than min_loans: not judged
        ],
        ignore_index=True,
    )
    report = build_report(small_book(), scores_current=current)
    levels = _levels(report, "backtest")
    assert levels == {"grade A": "red", "grade C": "amber", "grade all": "red"}


def test_an_impact_ratio_below_four_fifths_is_red_and_below_nine_tenths_amber() -> None:
    decisions = pd.DataFrame(
        {
            "gender": ["F"] * 10 + ["M"] * 10,
            "age_band": ["18-24", "25-34"] * 10,
            "approved": [k < 3 for k in range(10)] + [k < 8 for k in range(10)],
        }
    )
    # F 3/10 against M 8/10: 0.375; 18-24 (even k) approves F 0, 2 and M 0, 2, 4, 6: 6 of
    # 10; 25-34 (odd k) F 1 and M 1, 3, 5, 7: 5 of 10 → 5/6 ≈ 0.83, amber
    report = build_report(small_book(), decisions=decisions)
    assert _levels(report, "fairness") == {"gender F": "red", "age_band 25-34": "amber"}


def test_a_four_fifths_breach_the_test_does_not_confirm_is_amber_not_red() -> None:
    """One application of region X, approved, is the most-approved group; 700 of 1,000 of
    region Y: a ratio of 0.70, but one approval is no evidence (p ≈ 0.5), so amber."""
    decisions = pd.DataFrame(
        {
            "region": ["X"] + ["Y"] * 1000,
            "approved": [True] + [k < 700 for k in range(1000)],
        }
    )
    report = build_report(small_book(), decisions=decisions)
    fairness = report["fairness"]
    assert isinstance(fairness, list)
    rows = {r["group"]: r for r in fairness}
    assert rows["Y"]["impact_ratio"] == "0.700000" and rows["Y"]["significant"] is False
    assert _levels(report, "fairness") == {"region Y": "amber"}


def _write_thresholds(path: Path, **changes: object) -> Path:
    content = json.loads(DEFAULT_THRESHOLDS.read_text(encoding="utf-8"))
    for key, value in changes.items():
        section, _, name = key.partition("__")
        if value is None:
            del content[section][name]
        else:
            content[section][name] = value
    path.write_text(json.dumps(content), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"psi__red": None}, "psi.red"),
        ({"psi__red": "lots"}, "psi.red"),
        ({"psi__red": "0.05"}, "psi.red"),
        ({"psi__min_rows": "2.5"}, "psi.min_rows"),
        ({"psi__min_rows": "-1"}, "psi.min_rows"),
        ({"observed_to_predicted__red": ["1.5", "0.67"]}, "observed_to_predicted.red"),
        ({"impact_ratio__amber": True}, "impact_ratio.amber"),
    ],
)
def test_broken_thresholds_are_refused_naming_the_key(
    tmp_path: Path, changes: dict[str, object], field: str
) -> None:
    path = _write_thresholds(tmp_path / "t.json", **changes)
    with pytest.raises(InvalidInputError) as error:
        load_thresholds(path)
    assert error.value.field == field


def _files(tmp_path: Path, shift: float) -> list[str]:
    book, base, now = tmp_path / "book.csv", tmp_path / "base.csv", tmp_path / "now.csv"
    small_book().to_csv(book, index=False)
    _scores(0.0).drop(columns="decided_on").to_csv(base, index=False)
    _scores(shift).to_csv(now, index=False)
    return [
        "--loan-months",
        str(book),
        "--scores-baseline",
        str(base),
        "--scores-current",
        str(now),
    ]


def test_the_alerts_command_exits_4_on_red_so_a_scheduler_can_page(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, printed, _ = run(capsys, "portfolio", "alerts", *_files(tmp_path, 60.0))
    assert code == 4
    first = printed.splitlines()[0]
    assert first.startswith("RED   psi") and re.search(r": PSI \d+\.\d\d \(limit 0\.25\)$", first)
    code, printed, _ = run(capsys, "portfolio", "alerts", *_files(tmp_path, 0.0), "--json")
    assert code == 0
    assert json.loads(printed) == {"thresholds": "portfolio-alerts/3", "alerts": []}


def test_amber_alone_exits_0_and_looser_thresholds_silence_red(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, printed, _ = run(capsys, "portfolio", "alerts", *_files(tmp_path, 17.0))
    assert code == 0 and printed.startswith("AMBER psi")
    loose = _write_thresholds(tmp_path / "loose.json", psi__amber="5", psi__red="9")
    argv = [*_files(tmp_path, 60.0), "--thresholds", str(loose)]
    code, printed, _ = run(capsys, "portfolio", "alerts", *argv)
    assert code == 0 and printed.strip() == "0 alerts (portfolio-alerts/3)"


def test_a_broken_thresholds_file_is_one_line_naming_the_key(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    broken = _write_thresholds(tmp_path / "broken.json", psi__red=None)
    argv = [*_files(tmp_path, 0.0), "--thresholds", str(broken)]
    code, _, error = run(capsys, "portfolio", "alerts", *argv)
    assert code == 2 and "psi.red" in error and len(error.strip().splitlines()) == 1
