"""The reading pause before confirming, in a real browser: a screen reader is told when the
pause starts and when it ends, not once a second while the count runs.

Uses the server, browser and journey helpers of tests/e2e/test_web_browser.py.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI

from tests.e2e.test_web_browser import _applies_as_a_new_borrower, app, browser, server
from tests.e2e.test_web_pages import PASSWORD
from thinfile.services.acceptance import MIN_READING_SECONDS

pytestmark = [pytest.mark.browser, pytest.mark.slow]
__all__ = ["app", "browser", "server"]  # fixtures shared with the other browser tests

_LISTEN = """() => {
    window.announced = [];
    const live = '[aria-live]:not([aria-live="off"]), [role="status"], [role="alert"]';
    const spoken = region => [...region.childNodes].filter(n =>
        !(n.nodeType === 1 && n.closest('[aria-hidden="true"]'))).map(n => n.textContent)
        .join('').trim();
    new MutationObserver(changes => {
        for (const change of changes) {
            const node = change.target.nodeType === 1 ? change.target : change.target.parentElement;
            const region = node && node.closest(live);
            if (!region || node.closest('[aria-hidden="true"]')) continue;
            const text = spoken(region);
            if (text && window.announced[window.announced.length - 1] !== text) {
                window.announced.push(text);
            }
        }
    }).observe(document, {subtree: true, childList: true, characterData: true});
}"""


def test_the_reading_pause_is_announced_when_it_starts_and_when_it_ends(
    app: FastAPI, server: str, browser: Any
) -> None:
    context = browser.new_context(viewport={"width": 360, "height": 740}, locale="en-GB")
    page = context.new_page()
    application_id = _applies_as_a_new_borrower(page, server, 900, months_in_city=24)
    page.goto(f"{server}/sign-in")
    page.fill("#f-email", "driver900@example.com")
    page.fill("#f-password", PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url("**/home")
    page.add_init_script(f"({_LISTEN})()")
    page.goto(f"{server}/applications/{application_id}/offers/0")
    shown: list[str] = []
    for _ in range(MIN_READING_SECONDS + 3):
        shown.append(page.inner_text("#reading-note"))
        page.wait_for_timeout(1000)
    announced: list[str] = page.evaluate("window.announced")
    assert len(set(shown)) > 3  # the count runs on the screen
    assert announced == [
        f"Please read the statement. You can confirm in {MIN_READING_SECONDS} seconds.",
        "You can confirm now.",
    ]
    assert page.get_attribute("#reading-note", "aria-live") is None
    assert page.inner_text("#reading-note") == "You can confirm now."
    assert page.locator("#confirm-button").is_enabled()
    context.close()
