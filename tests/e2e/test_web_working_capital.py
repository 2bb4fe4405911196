"""The shop owner's working-capital line page and the staff view beside the sales chart, in
Chinese and English, on SQLite and PostgreSQL: the figures shown are the line's, a draw and a
repayment go through the forms, a sales CSV is stored and charted, a bad one is refused naming
the row and stores nothing, and another borrower's line is not found."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from tests.e2e.api_harness import TestClient
from tests.e2e.test_web_pages import PASSWORD, borrower, build_app, post, seed, web_settings
from thinfile.http import AppContext
from thinfile.money import Money
from thinfile.services import working_capital as wc
from thinfile.services.consent import DataCategory, Purpose, grant_consent
from thinfile.services.identity_records import SYSTEM
from thinfile.services.sales_feed import local_today
from thinfile.services.uow import UnitOfWork


@pytest.fixture
def client(tmp_path: Path, database_url: str) -> Iterator[TestClient]:
    app = build_app(tmp_path, settings=web_settings(tmp_path, database_url=database_url))
    with TestClient(app, base_url="http://127.0.0.1") as test_client:
        seed(app, tmp_path)
        test_client.app_context = app.state.context
        yield test_client


def _context(client: TestClient) -> AppContext:
    context: AppContext = client.app_context
    return context


def shop_owner_with_line(client: TestClient, serial: int) -> int:
    """A signed-in borrower who consents to their sales data and has a 20,000 yuan line."""
    borrower(client, serial)
    engine = _context(client).engine
    with UnitOfWork(engine) as uow:
        user = uow.users.active_by_email(f"b{serial}@example.com")
        assert user is not None
        applicant_id = uow.applicants.id_of_user(user.id)
    assert applicant_id is not None
    grant_consent(
        engine,
        applicant_id=applicant_id,
        category=DataCategory.MERCHANT_SALES,
        purpose=Purpose.CREDIT_ASSESSMENT,
        notice_version="v1",
        separate=False,
        actor=SYSTEM,
    )
    line = wc.open_working_capital_line(
        engine, user.id, limit=Money.of("20000"), daily_rate=Decimal("0.0004")
    )
    return line.line_id


def sales_csv(days: int, gross: str = "800.00") -> str:
    today = local_today()
    rows = [
        f"{(today - timedelta(days=k)).isoformat()},{gross},8.00,30,qr" for k in range(days, 0, -1)
    ]
    return "\n".join(["date,gross_sales,refunds,transactions,channel", *rows])


def _form(page: str, action: str) -> str:
    found = re.search(
        rf'action="{re.escape(action)}">\s*'
        r'<input type="hidden" name="csrf_token" value="[0-9a-f]+">'
        r'\s*<input type="hidden" name="idempotency_key" value="([^"]+)"',
        page,
    )
    assert found, page
    return found.group(1)


def test_a_shop_owner_draws_repays_and_uploads_sales_on_the_line_page(client: TestClient) -> None:
    line_id = shop_owner_with_line(client, 501)
    url = f"/working-capital/{line_id}"
    page = client.get(url).text
    assert "可用额度" in page and "今日利息" in page and "¥20,000.00" in page
    assert "日利率" in page and "0.040%" in page and "14.600%" in page
    key = _form(page, f"{url}/draws")
    drawn = post(
        client,
        f"{url}/draws",
        {"amount": "5000", "term_days": "90", "idempotency_key": key},
        form_page=url,
    )
    assert drawn.status_code == 303 and drawn.headers["location"] == f"{url}?done=draw"
    again = post(
        client,
        f"{url}/draws",
        {"amount": "5000", "term_days": "90", "idempotency_key": key},
        form_page=url,
    )
    assert again.status_code == 303  # the same form twice draws once
    page = client.get(url).text
    facts = dict(re.findall(r'<dd id="wc-(\w+)"[^>]*>([^<]+)</dd>', page))
    assert (facts["drawn"], facts["available"], facts["today"]) == (
        "¥5,000.00",
        "¥15,000.00",
        "¥2.00",  # 5,000.00 × 0.0004
    )
    too_much = post(
        client,
        f"{url}/draws",
        {"amount": "15000.01", "term_days": "90", "idempotency_key": _form(page, f"{url}/draws")},
        form_page=url,
    )
    assert too_much.status_code == 409 and 'id="e-draw"' in too_much.text
    for term in ("²", "９０", "٩٠"):  # a term only like digits: refused, nothing drawn
        odd = post(
            client,
            f"{url}/draws",
            {"amount": "100", "term_days": term, "idempotency_key": _form(page, f"{url}/draws")},
            form_page=url,
        )
        assert odd.status_code == 422 and 'id="e-draw"' in odd.text, (term, odd.status_code)
    assert "¥15,000.00" in client.get(url).text
    repaid = post(
        client,
        f"{url}/repayments",
        {"amount": "1000", "idempotency_key": _form(page, f"{url}/repayments")},
        form_page=url,
    )
    assert repaid.status_code == 303, repaid.text
    assert "¥4,000.00" in client.get(url).text
    stored = post(client, f"{url}/sales", {"csv": sales_csv(5)}, form_page=url)
    assert stored.status_code == 303, stored.text
    page = client.get(url).text
    assert '<svg class="chart"' in page and page.count("792.00") >= 5
    bad = post(client, f"{url}/sales", {"csv": sales_csv(3, gross="-5")}, form_page=url)
    assert bad.status_code == 422 and 'id="e-sales"' in bad.text
    english = client.get(url, headers={"Accept-Language": "en"}).text
    assert "Available" in english and "Daily rate" in english and "Upload sales" in english


def test_another_borrowers_line_is_not_found_and_staff_see_the_sales_chart(
    client: TestClient,
) -> None:
    line_id = shop_owner_with_line(client, 502)
    post(
        client,
        f"/working-capital/{line_id}/sales",
        {"csv": sales_csv(3)},
        form_page=f"/working-capital/{line_id}",
    )
    borrower(client, 503)
    assert client.get(f"/working-capital/{line_id}").status_code == 404
    assert client.get("/working-capital").status_code == 200
    reply = post(client, "/sign-in", {"email": "uw@lender.example", "password": PASSWORD})
    assert reply.status_code == 303
    staff = client.get(f"/console/working-capital/{line_id}")
    assert staff.status_code == 200, staff.text
    assert '<svg class="chart"' in staff.text and 'id="sales-table"' in staff.text
    assert staff.text.count("¥800.00") == 3
