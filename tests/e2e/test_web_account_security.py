"""Account security on the pages: a rate-limited application keeps what the borrower typed
and says so in their language (in Chromium), sign-up answers alike for taken and new
addresses, and a deactivated account's session stops at once."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi import FastAPI

from tests.e2e.api_harness import TestClient
from tests.e2e.test_web_browser import browser, server
from tests.e2e.test_web_pages import (
    PASSWORD,
    build_app,
    id_number,
    post,
    seed,
    web_settings,
)
from thinfile.http import AppContext
from thinfile.services import identity
from thinfile.services.identity_records import SYSTEM

__all__ = ["browser", "server"]  # the browser tests' fixtures, used here too


@pytest.fixture
def app(tmp_path: Path) -> FastAPI:
    """The pages with one application an hour per borrower."""
    limits = {
        "sign_in": "1000/60",
        "sign_in_address": "1000/60",
        "sign_up": "1000/60",
        "applications": "1/3600",
    }
    limited: FastAPI = build_app(tmp_path, settings=web_settings(tmp_path, rate_limits=limits))
    return limited


def _fill_application(page: Any) -> None:
    page.select_option("#f-purpose", "phone_purchase")
    page.fill("#f-requested_amount", "6000")
    page.select_option("#f-requested_term_months", "12")
    page.select_option("#f-segment", "delivery_rider")
    page.fill("#f-declared_monthly_income", "7000")
    page.fill("#f-months_in_city", "24")


@pytest.mark.browser
@pytest.mark.slow
def test_a_rate_limited_application_keeps_the_form_and_says_why_in_chinese(
    server: str, browser: Any
) -> None:
    context = browser.new_context(viewport={"width": 360, "height": 740}, locale="zh-CN")
    page = context.new_page()
    page.goto(f"{server}/sign-up")
    page.fill("#f-email", "limited@example.com")
    page.fill("#f-password", PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_selector("#signed-up")
    page.fill("#f-email", "limited@example.com")
    page.fill("#f-password", PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url("**/profile")
    page.fill("#f-name", "王小明")
    page.fill("#f-id_number", id_number(300))
    page.fill("#f-phone", "13900000300")
    page.click("main button[type=submit]")
    page.check("#c-credit_report\\:credit_assessment")
    page.click("main form[action='/consent'] button[type=submit]")
    page.goto(f"{server}/real-name")
    page.click("main form[action='/real-name'] button[type=submit]")
    page.wait_for_url("**/apply")
    _fill_application(page)
    page.click("main button[type=submit]")
    page.wait_for_url("**/applications/*")
    page.goto(f"{server}/apply")
    _fill_application(page)
    with page.expect_response(lambda r: r.url.endswith("/apply")) as sent:
        page.click("main button[type=submit]")
    assert sent.value.status == 429
    message = page.locator("#rate-limited").inner_text()
    assert "分钟后再次提交" in message and "Too many" not in message
    assert page.input_value("#f-requested_amount") == "6000"
    assert page.input_value("#f-declared_monthly_income") == "7000"
    assert page.input_value("#f-months_in_city") == "24"
    assert page.input_value("#f-segment") == "delivery_rider"
    assert page.input_value("#f-requested_term_months") == "12"
    context.close()


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    web_app = build_app(tmp_path)
    with TestClient(web_app, base_url="http://127.0.0.1") as test_client:
        seed(web_app, tmp_path)
        yield test_client


def test_sign_up_answers_alike_for_a_taken_and_a_new_address(client: TestClient) -> None:
    taken = post(client, "/sign-up", {"email": "uw@lender.example", "password": "intruder pw1"})
    new = post(client, "/sign-up", {"email": "fresh@example.com", "password": PASSWORD})
    assert taken.status_code == new.status_code == 303
    assert taken.headers["location"] == new.headers["location"]
    assert "set-cookie" not in taken.headers and "set-cookie" not in new.headers
    intruder = post(client, "/sign-in", {"email": "uw@lender.example", "password": "intruder pw1"})
    owner = post(client, "/sign-in", {"email": "uw@lender.example", "password": PASSWORD})
    assert intruder.status_code == 401 and owner.status_code == 303


def test_a_deactivated_accounts_session_stops_at_once(client: TestClient) -> None:
    assert post(
        client, "/sign-in", {"email": "uw@lender.example", "password": PASSWORD}
    ).is_redirect
    assert client.get("/console", follow_redirects=False).status_code == 200
    context: AppContext = client.app.state.context  # type: ignore[attr-defined]
    with context.engine.connect() as conn:
        user_id = conn.execute(
            sa.text("SELECT id FROM users WHERE email = 'uw@lender.example'")
        ).scalar_one()
    identity.deactivate_user(context.engine, user_id=user_id, actor=SYSTEM)
    refused = client.get("/console", follow_redirects=False)
    assert refused.status_code == 303 and refused.headers["location"].startswith("/sign-in")
