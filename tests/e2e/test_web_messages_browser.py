"""The borrower's message centre in a real browser at 360 px, in Chinese and English: a
reminder delivered by the worker reads in the borrower's language, marking it read clears the
unread count; staff read the delivery status in the console.

Uses the server, browser and journey helpers of tests/e2e/test_web_browser.py.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi import FastAPI

from tests.e2e.test_web_browser import (
    _applies_as_a_new_borrower,
    _shot,
    _signs_in_as_the_underwriter,
    app,
    browser,
    server,
)
from tests.e2e.test_web_pages import PASSWORD
from tests.integration.notification_helpers import CATALOG, NOON, channels, utc
from thinfile.comms import MessageKind
from thinfile.http import AppContext
from thinfile.money import Money
from thinfile.security.roles import Role
from thinfile.services import notifications as notes
from thinfile.services.identity_records import Actor
from thinfile.services.notification_delivery import deliver_due_notifications
from thinfile.services.uow import UnitOfWork
from thinfile.store.decisioning_tables import applications

pytestmark = [pytest.mark.browser, pytest.mark.slow]
__all__ = ["app", "browser", "server"]

SUBJECT = {"zh": "3天后到期还款", "en": "Repayment due in 3 days"}


def _a_reminder_delivered(app: FastAPI, application_id: str, lang: str) -> None:
    context: AppContext = app.state.context
    with context.engine.connect() as conn:
        user_id = conn.execute(
            sa.select(applications.c.user_id).where(applications.c.id == application_id)
        ).scalar_one()
    notes.set_preferences(
        context.engine,
        Actor(user_id, Role.BORROWER),
        user_id,
        language=lang,
        time_zone="Asia/Shanghai",
        in_app_only=True,
    )
    with UnitOfWork(context.engine) as uow:
        notes.enqueue_notification_in_unit(
            uow,
            user_id,
            MessageKind.DUE_SOON,
            subject="loan:77",
            day=(date(2030, 1, 18) - date(1970, 1, 1)).days,
            loan_id=77,
            amount=Money.of("512.30"),
        )
        uow.commit()
    deliver_due_notifications(
        context.engine,
        channels(context.engine, context.cipher, None),
        CATALOG,
        context.cipher,
        clock=lambda: utc(NOON),
    )


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_borrower_reads_a_reminder_and_marks_it_read(
    app: FastAPI, server: str, browser: Any, lang: str
) -> None:
    serial = 700 if lang == "zh" else 800
    context = browser.new_context(
        viewport={"width": 360, "height": 740}, locale="zh-CN" if lang == "zh" else "en-GB"
    )
    page = context.new_page()
    application_id = _applies_as_a_new_borrower(page, server, serial, months_in_city=24)
    _a_reminder_delivered(app, application_id, lang)
    page.goto(f"{server}/sign-in")
    page.fill("#f-email", f"driver{serial}@example.com")
    page.fill("#f-password", PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url("**/home")
    page.click("nav a[href='/messages']")
    page.wait_for_url("**/messages")
    message = page.locator("#messages li.message")
    assert message.count() == 1
    assert message.locator("h2").inner_text() == SUBJECT[lang]
    assert "512.30" in message.inner_text() and "2030-01-18" in message.inner_text()
    assert "1" in page.locator("#unread").inner_text()
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 360
    _shot(page, f"{lang}-messages")
    with page.expect_navigation():
        message.locator("button[type=submit]").click()
    assert page.locator("#messages li.message.unread").count() == 0
    assert "0" in page.locator("#unread").inner_text()
    page.goto(f"{server}/messages/preferences")
    page.fill("#time_zone", "Mars/Olympus")
    with page.expect_navigation():
        page.click("main button[type=submit]")
    assert page.locator("#error-summary").count() == 1
    context.close()


def test_staff_read_delivery_status_in_the_console(app: FastAPI, server: str, browser: Any):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    page = context.new_page()
    application_id = _applies_as_a_new_borrower(page, server, 900, months_in_city=24)
    _a_reminder_delivered(app, application_id, "en")
    _signs_in_as_the_underwriter(page, server)
    page.goto(f"{server}/console/notifications")
    rows = page.locator("#deliveries tbody tr")
    assert rows.count() == 1  # in-app only: the borrower chose it
    assert "due_soon" in rows.first.inner_text() and "Delivered" in rows.first.inner_text()
    _shot(page, "en-console-notifications")
    context.close()
