"""The staff console on a phone (360 px, Chromium), in Chinese and English: no page is wider
than the screen — wide tables scroll inside their own region — and a product key is not
broken one letter per line."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI

from tests.e2e.test_web_browser import (
    _accept_for_the_borrower,
    _applies_as_a_new_borrower,
    _shot,
    app,
    browser,
    server,
)
from tests.e2e.test_web_pages import PASSWORD
from thinfile.http import AppContext
from thinfile.security.roles import Role
from thinfile.services import identity

pytestmark = [pytest.mark.browser, pytest.mark.slow]
__all__ = ["app", "browser", "server"]  # the fixtures this module uses from the browser tests

ADMIN = "admin@lender.example"
_WIDER_THAN_THE_SCREEN = """() => [...document.querySelectorAll('main *')]
    .filter(e => !e.closest('.scroll') && e.getBoundingClientRect().right > innerWidth + 1)
    .map(e => e.tagName + '.' + e.className)"""
_BROKEN_KEYS = """() => [...document.querySelectorAll('.mono.key')]
    .filter(e => e.getClientRects().length > 1
              || e.getBoundingClientRect().height > 2 * parseFloat(getComputedStyle(e).lineHeight))
    .map(e => e.textContent)"""


def _fits_the_screen(page: Any, name: str) -> None:
    width = page.evaluate("document.scrollingElement.scrollWidth")
    assert width <= 360, f"{name} is {width} px wide: {page.evaluate(_WIDER_THAN_THE_SCREEN)}"
    assert page.evaluate(_BROKEN_KEYS) == [], name


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_console_page_fits_a_phone(
    app: FastAPI, server: str, browser: Any, lang: str
) -> None:
    context: AppContext = app.state.context
    identity.create_user(
        context.engine, context.hasher, email=ADMIN, password=PASSWORD, role=Role.ADMIN
    )
    locale = "zh-CN" if lang == "zh" else "en-GB"
    phone = browser.new_context(viewport={"width": 360, "height": 740}, locale=locale)
    page = phone.new_page()
    serial = 500 if lang == "zh" else 600
    referred = _applies_as_a_new_borrower(page, server, serial, months_in_city=7)
    approved = _applies_as_a_new_borrower(page, server, serial + 1, months_in_city=24)
    _accept_for_the_borrower(app, approved)
    page.goto(f"{server}/sign-in")
    page.fill("#f-email", ADMIN)
    page.fill("#f-password", PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url("**/console")
    page.goto(f"{server}/console/loans")
    loan = page.locator("table a[href^='/console/loans/']").first.get_attribute("href")
    for path in (
        "/console?status=all",
        f"/console/applications/{referred}",
        f"/console/applications/{approved}",
        "/console/policies",
        "/console/loans",
        loan,
        "/console/portfolio",
    ):
        page.goto(f"{server}{path}")
        _fits_the_screen(page, path)
        _shot(page, f"{lang}-phone{path.replace('/', '-').replace('?', '-')}")
    phone.close()
