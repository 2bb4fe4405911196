"""The business calendar is Beijing's: today, and a gateway completion's value date, are dates
in Asia/Shanghai (UTC+8, no daylight saving), not the UTC date — which is still yesterday's
until 08:00 in China."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from thinfile.services import business_date
from thinfile.services.value_dated import value_date_of


@pytest.mark.parametrize(
    ("utc", "beijing"),
    [
        (datetime(2026, 3, 9, 15, 59, 59, tzinfo=UTC), date(2026, 3, 9)),  # 23:59:59 in China
        (datetime(2026, 3, 9, 16, 0, tzinfo=UTC), date(2026, 3, 10)),  # midnight in China
        (datetime(2026, 12, 31, 18, 0, tzinfo=UTC), date(2027, 1, 1)),  # 02:00 on New Year's Day
        (datetime(2028, 2, 28, 23, 0, tzinfo=UTC), date(2028, 2, 29)),  # a leap day
    ],
)
def test_today_and_value_dates_are_beijing_dates(
    monkeypatch: pytest.MonkeyPatch, utc: datetime, beijing: date
) -> None:
    monkeypatch.setattr(business_date, "now_utc", lambda: utc)
    assert business_date.lender_today() == beijing
    assert value_date_of(utc) == beijing
    assert value_date_of(utc.replace(tzinfo=None)) == beijing  # SQLite's naive UTC


@pytest.mark.parametrize(
    ("command", "first_due"),
    [
        (("checkout", "quote", "--price", "600", "--periods", "3"), "2027-02-01"),
        (("quote", "--principal", "600", "--periods", "3"), "2027-02-01"),
    ],
)
def test_the_quotes_start_on_the_lenders_today(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], command, first_due
) -> None:
    """At 18:00 UTC on New Year's Eve it is 02:00 on 1 January in Beijing: a purchase or a
    loan quoted then starts on 1 January (the machine's or UTC's date said 31 December, and
    ``thinfile quote`` started every loan on 2024-01-01)."""
    import json

    from tests.support.cli import run

    monkeypatch.setattr(business_date, "now_utc", lambda: datetime(2026, 12, 31, 18, tzinfo=UTC))
    code, out, err = run(capsys, *command, "--json")
    assert code == 0, err
    data = json.loads(out)
    installments = data["borrower"]["installments"] if "borrower" in data else data["installments"]
    assert installments[0]["due_date"] == first_due
