"""The working-capital line's monthly statement on the shop owner's page and the staff
console, in Chinese and English, on SQLite and PostgreSQL: a sales-linked line drawn in
January 2028, repaid from sales across the month end and by hand, drawn again in February
(29 days), every figure checked against a day-by-day calculation written here — each night's
interest half up to the fen, repayments to interest first then principal, oldest draw first,
10% of a day's sales collected — the CSV download the same, and another borrower's line "not
found"."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

import pytest

import thinfile.services.cob_steps as cob_step
import thinfile.servicing.working_capital as wc_domain
from tests.e2e.api_harness import TestClient
from tests.e2e.test_web_pages import PASSWORD, borrower, post
from tests.e2e.test_web_working_capital import _context, client
from thinfile.money import Money
from thinfile.services import business_date
from thinfile.services import working_capital as wc
from thinfile.services.cob import run_cob
from thinfile.services.uow import UnitOfWork
from thinfile.servicing.working_capital import RepaymentMode

__all__ = ["client"]

OPENED = date(2028, 1, 25)
RATE = Decimal("0.0004")
SHARE = Decimal("0.1")
LAST = date(2028, 3, 1)


def _half_up(x: Decimal) -> int:
    return int(x.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _truncated(x: Decimal) -> int:
    """A night's interest: truncated to the fen, never above the daily rate."""
    return int(x.quantize(Decimal(1), rounding=ROUND_DOWN))


def _yuan(fen: int) -> str:
    return f"¥{fen // 100:,}.{fen % 100:02d}"


# what happens, by business day: draws (fen), and repayments (kind, fen)
DRAWS = {OPENED: 1_000_000, date(2028, 2, 10): 300_001}
SALES = {date(2028, 1, 31): 250_000, date(2028, 2, 20): 123_456}  # collected that day
PAID = {date(2028, 2, 1): 30_000}
PERIOD_1_MINIMUM = 100_000 + 22_000


def oracle() -> list[tuple[date, str, int, int, int, int]]:
    """Every row of the line's history: (day, event, amount, interest paid, principal paid,
    all owed after it); a day's postings come before its night's interest."""
    principal: list[int] = []
    unpaid_interest = 0
    rows = []
    day = OPENED
    while day <= LAST:
        postings: list[tuple[str, int]] = []
        if day in DRAWS:
            postings.append(("draw", DRAWS[day]))
        if day in SALES:
            postings.append(("sales", _half_up(SHARE * SALES[day])))
        if day in PAID:
            postings.append(("repayment", PAID[day]))
        for kind, amount in postings:
            on_interest = on_principal = 0
            if kind == "draw":
                principal.append(amount)
            else:
                on_interest = min(amount, unpaid_interest)
                unpaid_interest -= on_interest
                left = amount - on_interest
                for i, p in enumerate(principal):
                    cut = min(p, left)
                    principal[i] -= cut
                    left -= cut
                    on_principal += cut
            rows.append(
                (day, kind, amount, on_interest, on_principal, sum(principal) + unpaid_interest)
            )
        night = sum(_truncated(Decimal(p) * RATE) for p in principal if p)
        unpaid_interest += night
        rows.append((day, "interest", night, 0, 0, sum(principal) + unpaid_interest))
        day += timedelta(days=1)
    return rows


def _owed_after(rows: list[tuple[date, str, int, int, int, int]], day: date) -> int:
    return [r for r in rows if r[0] <= day][-1][5]


def _sales_line(client: TestClient, serial: int, monkeypatch: pytest.MonkeyPatch) -> int:
    borrower(client, serial)
    engine = _context(client).engine
    with UnitOfWork(engine) as uow:
        user = uow.users.active_by_email(f"b{serial}@example.com")
        assert user is not None
    monkeypatch.setattr(business_date, "now_utc", lambda: datetime(2028, 1, 25, tzinfo=UTC))
    line = wc.open_working_capital_line(
        engine,
        user.id,
        limit=Money.of("20000"),
        daily_rate=RATE,
        mode=RepaymentMode.SALES,
        sales_share=SHARE,
    )
    day = OPENED
    while day <= LAST:
        if day in DRAWS:
            wc.draw_on_line(engine, user.id, line.line_id, Money(DRAWS[day]), term_days=90)
        if day in SALES:
            wc.record_sales(engine, line.line_id, Money(SALES[day]), day - timedelta(days=1))
        if day in PAID:
            wc.repay_line(engine, user.id, line.line_id, Money(PAID[day]))
        run_cob(engine, day)
        day += timedelta(days=1)
    return line.line_id


def _facts(page: str) -> dict[str, str]:
    return dict(re.findall(r'<dd id="st-(\w+)"[^>]*>([^<]+)</dd>', page))


def _rows(page: str) -> list[tuple[str, str, str, str, str]]:
    return re.findall(
        r'<tr class="st-([\w-]+)"><td class="date">[^<]*</td><td class="key">[^<]*</td>'
        r'<td class="amount">([^<]+)</td><td class="detail"[^>]*>([^<]+)</td>'
        r'<td class="detail"[^>]*>([^<]+)</td><td class="detail"[^>]*>([^<]+)</td></tr>',
        page,
    )


def test_the_statement_page_shows_each_event_and_nights_interest_to_the_fen(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    line_id = _sales_line(client, 521, monkeypatch)
    rows = oracle()
    feb = [r for r in rows if r[0].month == 2 and (r[1] != "interest" or r[2])]
    url = f"/working-capital/{line_id}/statement"
    assert 'id="statement-link"' in client.get(f"/working-capital/{line_id}").text
    page = client.get(url, params={"month": "2028-02"})
    assert page.status_code == 200, page.text
    facts = _facts(page.text)
    interest = sum(r[2] for r in rows if r[0].month == 2 and r[1] == "interest")
    assert facts == {
        "opening": _yuan(_owed_after(rows, date(2028, 1, 31))),
        "drawn": _yuan(300_001),
        "repaid": _yuan(30_000 + 12_346),  # 10% of 1,234.56 half up
        "interest": _yuan(interest),
        "fees": "¥0.00",
        "closing": _yuan(_owed_after(rows, date(2028, 2, 29))),
        # period 1 (01-25 to 03-24, 60 days) asks 10% of each draw for the days it is held:
        # 1,000.00 for all 60, and 300.001 × 44 / 60 = 220.0007 for 02-10 to 03-24 (half up)
        "minimum": _yuan(PERIOD_1_MINIMUM - 25_000 - 30_000 - 12_346),
    }
    assert _rows(page.text) == [
        (kind, _yuan(a), _yuan(i), _yuan(p), _yuan(o)) for _d, kind, a, i, p, o in feb
    ]
    assert sum(1 for r in feb if r[1] == "interest") == 29  # a leap February, every night
    text = page.text
    assert "2028-02 月度对账单" in text and "按当月实际天数计息" in text and "0.040%" in text
    assert "14.600%" in text and "按销售额还款" in text
    assert "第 1 期" in text and _yuan(67_346) in text and _yuan(PERIOD_1_MINIMUM) in text
    january = client.get(url, params={"month": "2028-01"}).text
    jan = [r for r in rows if r[0].month == 1]
    assert _facts(january)["opening"] == "¥0.00"
    assert _facts(january)["interest"] == _yuan(sum(r[2] for r in jan if r[1] == "interest"))
    assert _facts(january)["closing"] == facts["opening"]
    assert _facts(january)["minimum"] == _yuan(100_000 - 25_000)
    english = client.get(url, params={"month": "2028-02"}, headers={"Accept-Language": "en"})
    assert "Statement for 2028-02" in english.text and "actual days of the month" in english.text
    assert _facts(english.text) == facts and "From sales" in english.text
    download = client.get(f"{url}.csv", params={"month": "2028-02"})
    assert download.status_code == 200 and download.headers["content-type"].startswith("text/csv")
    assert "attachment" in download.headers["content-disposition"]
    table = list(csv.reader(io.StringIO(download.text)))
    assert table[0] == ["date", "event", "amount", "interest_paid", "principal_paid", "owed_after"]
    assert table[1:] == [
        [d.isoformat(), kind, *(f"{v / 100:.2f}" for v in (a, i, p, o))]
        for d, kind, a, i, p, o in feb
    ]
    assert client.get(url, params={"month": "2028-13"}).status_code == 422
    assert client.get(url, params={"month": "2028-05"}).status_code == 422


def test_another_borrower_gets_not_found_and_staff_see_the_statement(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    line_id = _sales_line(client, 522, monkeypatch)
    rows = oracle()
    borrower(client, 523)
    url = f"/working-capital/{line_id}/statement"
    assert client.get(url, params={"month": "2028-02"}).status_code == 404
    assert client.get(f"{url}.csv", params={"month": "2028-02"}).status_code == 404
    reply = post(client, "/sign-in", {"email": "uw@lender.example", "password": PASSWORD})
    assert reply.status_code == 303
    staff = client.get(f"/console/working-capital/{line_id}", params={"month": "2028-02"})
    assert staff.status_code == 200, staff.text
    facts = _facts(staff.text)
    assert facts["closing"] == _yuan(_owed_after(rows, date(2028, 2, 29)))
    assert facts["opening"] == _yuan(_owed_after(rows, date(2028, 1, 31)))
    latest = client.get(f"/console/working-capital/{line_id}").text
    assert "2028-03" in latest and _facts(latest)["closing"] == _yuan(_owed_after(rows, LAST))
    download = client.get(
        f"/console/working-capital/{line_id}/statement.csv", params={"month": "2028-01"}
    )
    assert download.status_code == 200
    assert download.text.splitlines()[1].startswith("2028-01-25,draw,10000.00")


def test_a_charged_off_line_takes_repayments_as_recoveries_on_the_pages(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cob_step, "CHARGE_OFF_DAYS", 5)
    monkeypatch.setattr(wc_domain, "CHARGE_OFF_DAYS", 5)
    monkeypatch.setattr(business_date, "now_utc", lambda: datetime(2028, 1, 25, tzinfo=UTC))
    borrower(client, 524)
    engine = _context(client).engine
    with UnitOfWork(engine) as uow:
        user = uow.users.active_by_email("b524@example.com")
        assert user is not None
    line = wc.open_working_capital_line(
        engine, user.id, limit=Money.of("1000"), daily_rate=Decimal("0.0005")
    )
    wc.open_working_capital_line(
        engine, "keeps-the-book-open", limit=Money.of("1"), daily_rate=RATE
    )
    wc.draw_on_line(engine, user.id, line.line_id, Money.of("1000"), term_days=90)
    charged_off_on = OPENED + timedelta(days=74)  # the day-69 shortfall, 5 days past due
    run_cob(engine, charged_off_on)
    owed = 100_000 + 50 * 75  # 1,000.00 × 0.0005 = 0.50 a night, 75 nights
    url = f"/working-capital/{line.line_id}"
    page = client.get(url).text
    assert 'id="charged-off"' in page and 'id="draw-button"' not in page
    assert re.search(rf'<dd id="wc-owed">{re.escape(_yuan(owed))}</dd>', page)
    key = re.search(r'name="idempotency_key" value="([^"]+)"', page)
    assert key is not None
    paid = post(
        client,
        f"{url}/repayments",
        {"amount": "300", "idempotency_key": key.group(1)},
        form_page=url,
    )
    assert paid.status_code == 303, paid.text
    page = client.get(url, headers={"Accept-Language": "en"}).text
    assert f'<dd id="wc-recovered">{_yuan(30_000)}</dd>' in page
    assert f'<dd id="wc-owed">{_yuan(owed - 30_000)}</dd>' in page
    run_cob(engine, charged_off_on + timedelta(days=2))
    statement = client.get(f"{url}/statement", params={"month": "2028-04"}).text
    assert _facts(statement)["recovered"] == _yuan(30_000)
    assert _facts(statement)["closing"] == _yuan(owed - 30_000)  # nothing accrued since
    assert ("recovery", _yuan(30_000), _yuan(50 * 75), _yuan(30_000 - 50 * 75)) == _rows(statement)[
        -1
    ][:4]
    reply = post(client, "/sign-in", {"email": "uw@lender.example", "password": PASSWORD})
    assert reply.status_code == 303
    staff = client.get(f"/console/working-capital/{line.line_id}").text
    assert 'class="status-charged-off"' in staff and "核销后收回" in staff
    assert f'<dd id="wc-recovered">{_yuan(30_000)}</dd>' in staff
