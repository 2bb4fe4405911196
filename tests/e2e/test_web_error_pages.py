"""Errors on pages read as pages, in the reader's language, inside the site's layout; the
API's errors stay JSON."""

from __future__ import annotations

import pytest

from tests.e2e.test_web_collections import client, sign_in, staff
from thinfile.security.roles import Role

__all__ = ["client"]  # the fixture, on both databases

HTML = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
LAYOUT = '<nav aria-label="'


@pytest.fixture
def borrower(client):
    staff(client, "someone", Role.BORROWER)
    sign_in(client, "someone")
    return client


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("/loans/999999", 404),
        ("/applications/no-such-application", 404),
        ("/working-capital/not-a-number", 404),  # a malformed id names nothing
        ("/no-such-page", 404),  # a browser astray, outside every page's prefix
        ("/loans/1/payments", 405),  # a form's address opened as a page
    ],
)
def test_an_unknown_page_is_a_page_in_the_readers_language(borrower, url, status) -> None:
    zh = borrower.get(url, headers={**HTML, "Accept-Language": "zh-CN"})
    assert zh.status_code == status and zh.headers["content-type"].startswith("text/html")
    assert LAYOUT in zh.text and '<html lang="zh-Hans">' in zh.text
    en = borrower.get(url, headers={**HTML, "Accept-Language": "en"})
    assert en.status_code == status and '<html lang="en">' in en.text and LAYOUT in en.text
    assert "{" not in en.text.split("<main", 1)[1].split("</main>")[0]  # no JSON inside
    if status == 405:
        assert "POST" in en.headers["allow"]


def test_the_api_keeps_its_json_errors(borrower) -> None:
    for url in ("/v1/no-such-endpoint", "/v1/loans/999999"):
        reply = borrower.get(url, headers=HTML)
        assert reply.headers["content-type"].startswith("application/json"), url
        assert "code" in reply.json()
    astray = borrower.get("/no-such-page", headers={"Accept": "application/json"})
    assert astray.status_code == 404 and astray.json()["code"] == "not_found"
    wrong = borrower.delete("/v1/loans/1")
    assert wrong.status_code == 405 and wrong.json()["code"] == "method_not_allowed"
