"""Account security on the pages: a rate-limited application keeps what the borrower typed
and says so in their language (in Chromium), sign-up answers alike for taken and new
addresses and refuses the phone accounts' reserved domain, a deactivated account's session
stops at once, and signing out ends the session itself, not only the browser's cookie."""

from __future__ import annotations

import re
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
    csrf,
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


def _signed_out_cookie(client: TestClient) -> str:
    """Sign out of the signed-in session; the session cookie it had."""
    cookie = client.cookies.get("thinfile_session")
    assert cookie
    out = post(client, "/sign-out", {}, form_page="/")
    assert out.status_code == 303 and out.headers["location"] == "/"
    assert "thinfile_session" not in client.cookies
    return str(cookie)


def test_signing_out_ends_the_session_and_a_copy_of_its_cookie(client: TestClient) -> None:
    assert post(
        client, "/sign-in", {"email": "uw@lender.example", "password": PASSWORD}
    ).is_redirect
    copied = _signed_out_cookie(client)
    client.cookies.set("thinfile_session", copied, domain="127.0.0.1")  # a copy kept
    page = client.get("/console", follow_redirects=False)
    api = client.get("/v1/auth/me", headers={"Authorization": f"Bearer {copied}"})
    assert page.status_code == 303 and page.headers["location"].startswith("/sign-in")
    assert api.status_code == 401
    again = post(client, "/sign-in", {"email": "uw@lender.example", "password": PASSWORD})
    assert again.is_redirect and client.get("/console", follow_redirects=False).status_code == 200


def test_signing_out_without_a_session_only_drops_the_cookie(client: TestClient) -> None:
    client.cookies.set("thinfile_session", "not-a-token", domain="127.0.0.1")
    out = post(client, "/sign-out", {}, form_page="/")
    assert out.status_code == 303 and "thinfile_session" not in client.cookies


def test_a_phone_borrower_signs_out_and_signs_in_again_with_a_new_code(tmp_path: Path) -> None:
    """An account opened by phone has no password: signing out is how it ends a session, and
    the next code signs it in at the account's new token version."""
    app = build_app(tmp_path, settings=web_settings(tmp_path, sms_code_resend_seconds=0))
    phone = "13902027001"

    def sign_in(client: TestClient) -> Any:
        page = post(client, "/sign-in/phone", {"phone": phone}, form_page="/sign-in/phone")
        code = re.search(r'id="sandbox-code">(\d{6})<', page.text)
        assert code, "the code page shows no sandbox code"
        return post(client, "/sign-in/phone/code", {"phone": phone, "code": code.group(1)})

    with TestClient(app, base_url="http://127.0.0.1") as client:
        assert sign_in(client).headers["location"] == "/profile"
        copied = _signed_out_cookie(client)
        client.cookies.set("thinfile_session", copied, domain="127.0.0.1")  # a copy kept
        gone = client.get("/profile", follow_redirects=False)
        back = sign_in(client)
        profile = client.get("/profile", follow_redirects=False)
    assert gone.status_code == 303 and gone.headers["location"].startswith("/sign-in")
    assert back.status_code == 303 and back.headers["location"] == "/home"
    assert profile.status_code == 200


def test_sign_up_refuses_the_domain_reserved_for_phone_accounts(client: TestClient) -> None:
    refused = post(client, "/sign-up", {"email": "me@phone.invalid", "password": PASSWORD})
    english = client.post(
        "/sign-up",
        data={
            "csrf_token": csrf(refused.text),
            "email": "me@PHONE.invalid",
            "password": PASSWORD,
        },
        headers={"Accept-Language": "en"},
    )
    assert refused.status_code == english.status_code == 422
    assert "该地址不能用于开立账户" in refused.text and 'value="me@phone.invalid"' in refused.text
    assert "Use your own e-mail address" in english.text
    signed_in = post(client, "/sign-in", {"email": "me@phone.invalid", "password": PASSWORD})
    assert signed_in.status_code == 401
