"""A working-capital line's monthly statement, on SQLite and PostgreSQL, against a
day-by-day calculation written here (not the servicing code): every day's interest in
February 2028 (29 days) to the fen, with a second draw and an early repayment inside it, the
month's draws and repayments, no fee, opening and closing balances; a month still open is
partial; another borrower's line is not found; ``thinfile sales statement`` prints it (JSON or
CSV rows) with the same figures."""

from __future__ import annotations

import calendar
import json
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

import pytest

from tests.support.cli import run
from thinfile.errors import InvalidInputError, NotFoundError
from thinfile.money import Money
from thinfile.services import business_date
from thinfile.services import working_capital as wc
from thinfile.services.cob import run_cob
from thinfile.services.working_capital_statements import monthly_statement

OPENED = date(2028, 1, 25)
RATE = Decimal("0.00035")


@pytest.fixture
def opened(monkeypatch: pytest.MonkeyPatch) -> date:
    monkeypatch.setattr(business_date, "now_utc", lambda: datetime(2028, 1, 25, tzinfo=UTC))
    return OPENED


def _half_up(x: Decimal) -> int:
    return int(x.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _truncated(x: Decimal) -> int:
    """A night's interest: truncated to the fen, never above the daily rate."""
    return int(x.quantize(Decimal(1), rounding=ROUND_DOWN))


def oracle(
    draws: dict[date, int], repaid: dict[date, int], last: date
) -> dict[date, tuple[int, int, int]]:
    """Per day: (principal drawn at the close, the close's interest, all owed after it).
    Each draw earns its own principal × rate, half up, at each close from the day it is
    made; a repayment pays all unpaid interest first, then principal, oldest draw first."""
    principal: list[int] = []
    interest_unpaid = 0
    out = {}
    day = OPENED
    while day <= last:
        if day in draws:
            principal.append(draws[day])
        if day in repaid:
            left = repaid[day]
            take = min(left, interest_unpaid)
            interest_unpaid -= take
            left -= take
            for i, p in enumerate(principal):
                cut = min(p, left)
                principal[i] -= cut
                left -= cut
        charged = sum(_truncated(Decimal(p) * RATE) for p in principal if p)
        interest_unpaid += charged
        out[day] = (sum(principal), charged, sum(principal) + interest_unpaid)
        day += timedelta(days=1)
    return out


def test_a_month_statement_has_each_days_interest_to_the_fen_and_no_fee(engine, opened):
    line = wc.open_working_capital_line(engine, "shop-5", limit=Money.of("50000"), daily_rate=RATE)
    wc.draw_on_line(engine, "shop-5", line.line_id, Money.of("12345.67"), term_days=90)
    run_cob(engine, date(2028, 2, 10))
    wc.draw_on_line(engine, "shop-5", line.line_id, Money.of("3000.01"), term_days=180)
    run_cob(engine, date(2028, 2, 19))
    wc.repay_line(engine, "shop-5", line.line_id, Money.of("5000"))
    run_cob(engine, date(2028, 3, 2))
    expected = oracle(
        {OPENED: 1234567, date(2028, 2, 11): 300001}, {date(2028, 2, 20): 500000}, date(2028, 3, 2)
    )

    feb = monthly_statement(engine, line.line_id, date(2028, 2, 14), owner="shop-5")
    assert (feb.month, feb.through, feb.complete) == (date(2028, 2, 1), date(2028, 2, 29), True)
    assert [d.on for d in feb.days] == [date(2028, 2, k) for k in range(1, 30)]
    assert [(d.drawn, d.interest) for d in feb.days] == [
        expected[date(2028, 2, k)][:2] for k in range(1, 30)
    ]
    assert feb.interest_total == sum(expected[date(2028, 2, k)][1] for k in range(1, 30))
    assert [(p.on, p.amount) for p in feb.draws] == [(date(2028, 2, 11), 300001)]
    assert [(p.on, p.amount) for p in feb.repayments] == [(date(2028, 2, 20), 500000)]
    paid = feb.repayments[0]
    assert paid.paid_interest + paid.paid_principal == 500000
    assert paid.paid_interest == sum(v[1] for d, v in expected.items() if d < date(2028, 2, 20))
    assert feb.fees == 0
    assert feb.opening_owed == expected[date(2028, 1, 31)][2]
    assert feb.closing_owed == expected[date(2028, 2, 29)][2]
    assert feb.closing_drawn == expected[date(2028, 2, 29)][0]

    jan = monthly_statement(engine, line.line_id, date(2028, 1, 1))
    assert [d.on for d in jan.days] == [OPENED + timedelta(days=k) for k in range(7)]
    assert jan.opening_owed == 0 and jan.closing_owed == feb.opening_owed
    assert [(p.on, p.amount) for p in jan.draws] == [(OPENED, 1234567)]

    march = monthly_statement(engine, line.line_id, date(2028, 3, 1))
    assert (march.complete, march.through, len(march.days)) == (False, date(2028, 3, 2), 2)
    assert march.opening_owed == feb.closing_owed
    assert calendar.isleap(2028)

    with pytest.raises(NotFoundError):
        monthly_statement(engine, line.line_id, date(2028, 2, 1), owner="shop-6")
    with pytest.raises(InvalidInputError) as later:
        monthly_statement(engine, line.line_id, date(2028, 4, 1))
    assert later.value.field == "month"


def test_the_command_prints_a_months_statement_and_its_rows(engine, opened, capsys, monkeypatch):
    monkeypatch.setenv(
        "THINFILE_DATABASE_URL", str(engine.url.render_as_string(hide_password=False))
    )
    line = wc.open_working_capital_line(engine, "shop-7", limit=Money.of("9000"), daily_rate=RATE)
    wc.draw_on_line(engine, "shop-7", line.line_id, Money.of("8888.88"), term_days=90)
    run_cob(engine, date(2028, 2, 2))
    expected = oracle({OPENED: 888888}, {}, date(2028, 2, 2))
    code, out, _err = run(
        capsys, "sales", "statement", "--line", str(line.line_id), "--month", "2028-01"
    )
    assert code == 0, _err
    shown = json.loads(out)
    jan = [v for d, v in expected.items() if d.month == 1]
    assert shown["interest"] == f"{sum(v[1] for v in jan) / 100:.2f}"
    assert shown["closing_owed"] == f"{jan[-1][2] / 100:.2f}" and shown["fees"] == "0.00"
    assert shown["period"]["minimum"] == "888.89"  # 10% of 8,888.88, half up
    assert shown["minimum_due"] == "888.89" and shown["complete"] is True
    code, out, _err = run(capsys, "sales", "statement", "--line", str(line.line_id), "--csv")
    rows = out.splitlines()
    assert code == 0 and rows[0] == "date,event,amount,interest_paid,principal_paid,owed_after"
    feb = [(d, v) for d, v in expected.items() if d.month == 2]
    assert rows[1:] == [
        f"{d.isoformat()},interest,{v[1] / 100:.2f},0.00,0.00,{v[2] / 100:.2f}" for d, v in feb
    ]
    code, _out, err = run(capsys, "sales", "statement", "--line", str(line.line_id), "--month", "x")
    assert code == 2 and "month" in err
