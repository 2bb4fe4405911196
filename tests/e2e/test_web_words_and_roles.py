"""What the pages say and to whom: every word in the reader's language (codes and statuses
included), times in the display zone, each console form only for the roles that may use it,
error pages with the reader's own menu, and a client that leaves mid-form left in peace."""

from __future__ import annotations

import asyncio
import re
import warnings
from collections.abc import Iterator, MutableMapping
from datetime import date
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi import FastAPI
from starlette.exceptions import StarletteDeprecationWarning

from tests.e2e.test_web_pages import (
    PASSWORD,
    apply,
    borrower,
    build_app,
    csrf,
    post,
    seed,
    web_settings,
)
from thinfile.http import AppContext
from thinfile.security.roles import Role
from thinfile.services import applicants, consent, identity
from thinfile.services.applications import MIN_READING_SECONDS, accept_offer
from thinfile.services.consent import DataCategory, Purpose
from thinfile.services.identity_records import Actor
from thinfile.services.policies import list_policies

with warnings.catch_warnings():
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from fastapi.testclient import TestClient

ADMIN, AGENT = "admin@lender.example", "agent@lender.example"
SHANGHAI = ZoneInfo("Asia/Shanghai")
ALLOWED = {"APR", "CSV", "UTF", "IRR", "CNY", "thinfile"}  # names both languages keep


class _VisibleText(HTMLParser):
    """The text a reader sees, without machine codes (``.mono``) and addresses."""

    HIDDEN = frozenset({"script", "style", "title", "code"})

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[bool] = []
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        classes = (dict(attrs).get("class") or "").split()
        named = dict(attrs)
        other_language = not (named.get("lang") or "zh").startswith("zh")
        data = named.get("translate") == "no"  # a name the lender wrote, as written
        written = bool({"mono", "review-note"} & set(classes))  # codes; a note as written
        hidden = tag in self.HIDDEN or other_language or data or written
        if tag not in {"br", "input", "img", "meta", "link", "hr"}:
            self.stack.append(hidden or (bool(self.stack) and self.stack[-1]))

    def handle_endtag(self, tag: str) -> None:
        if tag not in {"br", "input", "img", "meta", "link", "hr"} and self.stack:
            self.stack.pop()

    def handle_data(self, data: str) -> None:
        if not (self.stack and self.stack[-1]):
            self.parts.append(data)


def english_words(page: str) -> set[str]:
    reader = _VisibleText()
    reader.feed(page)
    text = " ".join(reader.parts)
    text = re.sub(r"[\w.+-]+@[\w.-]+", " ", text)  # e-mail addresses are names
    return {w for w in re.findall(r"[A-Za-z]{3,}", text)} - ALLOWED


def sign_in(client: TestClient, email: str) -> None:
    post(client, "/sign-out", {}, form_page="/sign-in")
    client.cookies.clear()
    reply = post(client, "/sign-in", {"email": email, "password": PASSWORD})
    assert reply.status_code == 303, reply.text


def _staff(app: FastAPI) -> None:
    context: AppContext = app.state.context
    for email, role in ((ADMIN, Role.ADMIN), (AGENT, Role.SERVICING_AGENT)):
        identity.create_user(
            context.engine, context.hasher, email=email, password=PASSWORD, role=role
        )


@pytest.fixture
def app(tmp_path: Path) -> FastAPI:
    built: FastAPI = build_app(tmp_path)
    return built


@pytest.fixture
def client(app: FastAPI, tmp_path: Path) -> Iterator[TestClient]:
    with TestClient(app, base_url="http://127.0.0.1") as test_client:
        seed(app, tmp_path)
        _staff(app)
        yield test_client


def _a_reviewed_referral_and_a_loan(client: TestClient) -> tuple[str, str, str]:
    """A referral the underwriter approved with a note, a declined application, and an
    accepted offer with its loan; the ids of the three applications."""
    borrower(client, 31)
    referred = apply(client, months_in_city="7").rsplit("/", 1)[1]
    declined = apply(client, months_in_city="1").rsplit("/", 1)[1]
    approved = apply(client).rsplit("/", 1)[1]
    context: AppContext = client.app.state.context  # type: ignore[attr-defined]
    user = identity.sign_in(
        context.engine, context.hasher, email="b31@example.com", password=PASSWORD, client="t"
    )
    accept_offer(
        context.engine,
        approved,
        actor=Actor(user.id, Role.BORROWER),
        offer=0,
        seconds_read=MIN_READING_SECONDS,
        confirmed=True,
        on=date.today(),
    )
    sign_in(client, "uw@lender.example")
    detail = client.get(f"/console/applications/{referred}").text
    reply = client.post(
        f"/console/applications/{referred}/review",
        data={"csrf_token": csrf(detail), "decision": "approve", "note": "checked"},
        follow_redirects=False,
    )
    assert reply.status_code == 303
    return referred, declined, approved


def test_every_console_and_borrower_page_reads_in_chinese(client: TestClient) -> None:
    referred, declined, approved = _a_reviewed_referral_and_a_loan(client)
    sign_in(client, ADMIN)
    loan = re.search(r'href="/console/loans/(\d+)"', client.get("/console/loans").text)
    assert loan
    pages = [
        "/console?status=all",
        f"/console/applications/{referred}",
        f"/console/applications/{declined}",
        f"/console/applications/{approved}",
        "/console/policies",
        "/console/loans",
        f"/console/loans/{loan.group(1)}",
        "/console/portfolio",
        "/console/portfolio/monitoring",
        "/console/loans/999999",
    ]
    found = {page: english_words(client.get(page).text) for page in pages}
    context: AppContext = client.app.state.context  # type: ignore[attr-defined]
    policy_names = {w for p in list_policies(context.engine) for w in re.findall(r"\w+", p.name)}
    found["/console/policies"] -= policy_names  # the lender's own names, in its own words
    # the measures' names (as risk teams write them), the file format and the thresholds' version
    found["/console/portfolio/monitoring"] -= {
        "PSI", "AUC", "Gini", "KS", "Parquet", "YYYY", "portfolio", "alerts",
    }  # fmt: skip
    sign_in(client, "b31@example.com")
    for page in ("/home", "/consent", f"/applications/{declined}", "/loans", "/loans/999999"):
        found[page] = english_words(client.get(page).text)
    left = {page: sorted(words) for page, words in found.items() if words}
    assert left == {}, "\n".join(f"{p}: {w}" for p, w in left.items())


def test_the_reviewer_is_named_by_their_account_not_by_an_id(client: TestClient) -> None:
    referred, _declined, _approved = _a_reviewed_referral_and_a_loan(client)
    for page in ("/console?status=all", f"/console/applications/{referred}"):
        shown = client.get(page).text
        assert "uw@lender.example" in shown
        assert "underwriter:" not in shown


@pytest.mark.parametrize(
    ("email", "split", "simulate", "review"),
    [
        (ADMIN, True, True, True),
        ("uw@lender.example", False, True, True),
        (AGENT, False, False, False),
    ],
)
def test_each_console_form_is_shown_only_to_the_roles_that_may_use_it(
    client: TestClient, email: str, split: bool, simulate: bool, review: bool
) -> None:
    borrower(client, 32)
    referred = apply(client, months_in_city="7").rsplit("/", 1)[1]
    sign_in(client, email)
    policies = client.get("/console/policies").text
    assert ('action="/console/policies/challenger"' in policies) is split
    assert ('action="/console/policies/simulate"' in policies) is simulate
    detail = client.get(f"/console/applications/{referred}").text
    assert (f'action="/console/applications/{referred}/review"' in detail) is review
    assert (f'action="/console/applications/{referred}/replay"' in detail) is review


def test_an_error_page_keeps_the_signed_in_readers_menu(client: TestClient) -> None:
    borrower(client, 33)
    for page, status in (("/loans/999999", 404), ("/console", 403)):
        reply = client.get(page)
        assert reply.status_code == status
        assert 'href="/loans"' in reply.text and 'action="/sign-out"' in reply.text
        assert 'href="/sign-up"' not in reply.text
    sign_in(client, AGENT)
    reply = client.get("/applications/nothing-here")
    assert reply.status_code == 404
    assert 'href="/console/loans"' in reply.text and 'href="/sign-up"' not in reply.text


def test_a_phone_in_the_wrong_format_is_named_as_a_phone_in_chinese(client: TestClient) -> None:
    post(client, "/sign-up", {"email": "p34@example.com", "password": PASSWORD})
    post(client, "/sign-in", {"email": "p34@example.com", "password": PASSWORD})
    reply = post(
        client,
        "/profile",
        {"name": "\u200b", "id_number": "12345", "phone": "abc"},
        form_page="/profile",
    )
    assert reply.status_code == 422
    errors = re.findall(r'<p class="error" id="e-(\w+)">([^<]+)</p>', reply.text)
    said = dict(errors)
    assert set(said) == {"name", "id_number", "phone"}
    assert "手机号" in said["phone"] and "邮箱" not in said["phone"]
    assert "身份证" in said["id_number"]
    assert english_words(reply.text) == set()


def test_a_consent_without_its_own_notice_is_named_in_words(
    app: FastAPI, client: TestClient
) -> None:
    borrower(client, 35)
    context: AppContext = app.state.context
    user = identity.sign_in(
        context.engine, context.hasher, email="b35@example.com", password=PASSWORD, client="t"
    )
    applicant_id = applicants.applicant_id_of_user(context.engine, user.id)
    consent.grant_consent(
        context.engine,
        applicant_id=applicant_id,
        category=DataCategory.IDENTITY,
        purpose=Purpose.CREDIT_ASSESSMENT,
        notice_version="api-1",
        separate=False,
        actor=Actor(user.id, Role.BORROWER),
    )
    page = client.get("/consent").text
    assert "identity:credit_assessment" not in re.sub(r'(id|for|name)="[^"]*"', "", page)
    assert "用于审批您的申请" in page


def test_a_borrower_gives_and_takes_back_the_out_of_hours_contact_consent_on_the_page(
    app: FastAPI, client: TestClient
) -> None:
    borrower(client, 38)
    context: AppContext = app.state.context
    user = identity.sign_in(
        context.engine, context.hasher, email="b38@example.com", password=PASSWORD, client="t"
    )
    actor = Actor(user.id, Role.BORROWER)
    applicant_id = applicants.applicant_id_of_user(context.engine, user.id)
    key = "contact:collection_out_of_hours"

    def out_of_hours() -> list[tuple[str, bool]]:
        records = consent.list_consents(context.engine, applicant_id=applicant_id, actor=actor)
        return [(c.id, c.is_active) for c in records if f"{c.data_category}:{c.purpose}" == key]

    page = client.get("/consent").text
    assert f'name="grant:{key}"' in page and "您的手机号（用于夜间逾期还款联系）" in page
    assert english_words(page) == set()
    saved = post(client, "/consent", {f"grant:{key}": "yes"}, form_page="/consent")
    assert saved.status_code == 303
    [(consent_id, active)] = out_of_hours()
    assert active
    page = client.get("/consent").text
    assert f'name="grant:{key}"' not in page and f'action="/consent/{consent_id}/revoke"' in page
    taken = post(client, f"/consent/{consent_id}/revoke", {}, form_page="/consent")
    assert taken.status_code == 303 and out_of_hours() == [(consent_id, False)]
    assert f'name="grant:{key}"' in client.get("/consent").text


def test_times_are_shown_in_the_display_zone_and_stored_in_utc(
    app: FastAPI, client: TestClient
) -> None:
    borrower(client, 36)
    context: AppContext = app.state.context
    user = identity.sign_in(
        context.engine, context.hasher, email="b36@example.com", password=PASSWORD, client="t"
    )
    applicant_id = applicants.applicant_id_of_user(context.engine, user.id)
    records = consent.list_consents(
        context.engine, applicant_id=applicant_id, actor=Actor(user.id, Role.BORROWER)
    )
    granted = records[0].granted_at
    assert granted.utcoffset() is not None and granted.utcoffset().total_seconds() == 0  # type: ignore[union-attr]
    page = client.get("/consent").text
    assert granted.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M") in page
    assert "UTC" not in page


def test_the_display_zone_is_a_setting(tmp_path: Path) -> None:
    settings = web_settings(tmp_path).model_copy(update={"display_timezone": "America/New_York"})
    app = build_app(tmp_path, settings=settings)
    with TestClient(app, base_url="http://127.0.0.1") as client:
        seed(app, tmp_path)
        borrower(client, 37)
        context: AppContext = app.state.context
        user = identity.sign_in(
            context.engine, context.hasher, email="b37@example.com", password=PASSWORD, client="t"
        )
        applicant_id = applicants.applicant_id_of_user(context.engine, user.id)
        granted = consent.list_consents(
            context.engine, applicant_id=applicant_id, actor=Actor(user.id, Role.BORROWER)
        )[0].granted_at
        page = client.get("/consent").text
        new_york = granted.astimezone(ZoneInfo("America/New_York")).strftime("%Y-%m-%d %H:%M")
        assert new_york in page


async def _post_then_leave(app: FastAPI) -> list[dict[str, Any]]:
    """A form post whose client goes away before the body arrives (a double click)."""
    sent: list[dict[str, Any]] = []
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/sign-in",
        "raw_path": b"/sign-in",
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"host", b"127.0.0.1"),
            (b"content-type", b"application/x-www-form-urlencoded"),
            (b"content-length", b"100"),
        ],
        "client": ("127.0.0.1", 5000),
        "server": ("127.0.0.1", 80),
        "state": {},
        "app": app,
    }

    async def receive() -> MutableMapping[str, Any]:
        return {"type": "http.disconnect"}

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(dict(message))

    await app(scope, receive, send)
    return sent


def test_a_client_that_leaves_mid_form_is_not_an_error(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    app: FastAPI = client.app  # type: ignore[assignment]
    sent = asyncio.run(_post_then_leave(app))
    assert sent and sent[0]["type"] == "http.response.start"
    assert sent[0]["status"] < 500
    assert not [r for r in caplog.records if r.exc_info]
