"""Typed identifiers through the pages' forms: the same one normaliser and rules as the API
(tests/e2e/test_api_identity_input.py), with the refusal shown beside the field in the
reader's language."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from httpx import Response

from tests.e2e.api_harness import TestClient
from tests.e2e.test_web_pages import (
    APPLICATION,
    PASSWORD,
    build_app,
    csrf,
    id_number,
    post,
    seed,
)
from thinfile.http import AppContext
from thinfile.resident_id import id_check_character
from thinfile.services import application_reviews
from thinfile.services.identity_records import SYSTEM

WIDE = str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")
ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


@pytest.fixture
def pages(tmp_path: Path) -> Iterator[TestClient]:
    app = build_app(tmp_path)
    with TestClient(app, base_url="http://127.0.0.1") as test_client:
        seed(app, tmp_path)
        yield test_client


def _context(client: TestClient) -> AppContext:
    context: AppContext = client.app.state.context  # type: ignore[attr-defined]
    return context


def _sign_up(client: TestClient, serial: int) -> None:
    """A new account, signed in."""
    email = f"p{serial}@example.com"
    reply = post(client, "/sign-up", {"email": email, "password": PASSWORD})
    assert reply.status_code == 303, reply.text
    reply = post(client, "/sign-in", {"email": email, "password": PASSWORD})
    assert reply.status_code == 303, reply.text


def _profile(client: TestClient, **fields: str) -> Response:
    data = {"name": "王小明", "id_number": id_number(700), "phone": "13912340700", **fields}
    reply: Response = post(client, "/profile", data, form_page="/profile")
    return reply


def _ready_to_apply(client: TestClient) -> None:
    """The consents an application reads, then the (sandbox) real-name check."""
    consent = post(
        client,
        "/consent",
        {"grant:identity:kyc": "yes", "grant:credit_report:credit_assessment": "yes"},
        form_page="/consent",
    )
    assert consent.status_code == 303
    verified = post(client, "/real-name", {}, form_page="/real-name")
    assert verified.status_code == 303, verified.text


def _shown(page: str, field: str) -> str:
    found = re.search(rf'id="e-{field}">([^<]+)<', page)
    assert found, f"no message beside {field}"
    return found.group(1)


def test_a_deny_listed_person_re_registering_in_full_width_digits_is_declined(
    pages: TestClient,
) -> None:
    listed = id_number(701)
    context = _context(pages)
    application_reviews.add_to_deny_list(
        context.engine, context.cipher, kind="id_number", value=listed, reason="fraud", actor=SYSTEM
    )
    _sign_up(pages, 701)
    reply = _profile(pages, id_number=listed.translate(WIDE), phone="13912340701")
    assert reply.status_code == 303, reply.text
    _ready_to_apply(pages)
    applied = post(pages, "/apply", APPLICATION, form_page="/apply")
    assert applied.status_code == 303, applied.text
    decision = pages.get(applied.headers["location"], headers={"Accept-Language": "en"}).text
    assert "We cannot offer credit to this applicant at present." in decision


@pytest.mark.parametrize(
    ("fields", "field", "zh", "en"),
    [
        (
            {"id_number": id_number(702).translate(ARABIC_INDIC)},
            "id_number",
            "身份证号码只能由数字 0-9 和 X 组成",
            "Write the ID number with the digits 0-9 and X only.",
        ),
        (
            {"phone": "12345678901"},
            "phone",
            "这不是中国大陆手机号码",
            "This is not a mainland mobile number.",
        ),
        (
            {"phone": "١٣٩١٢٣٤٠٧٠٠"},
            "phone",
            "手机号码只能由数字 0-9 组成",
            "Write the mobile number with the digits 0-9 only.",
        ),
        (
            {"name": "王\u202e小明"},
            "name",
            "请删除姓名中的不可见字符或控制字符",
            "Remove the invisible or control characters from the name.",
        ),
        (
            {"id_number": "44010620150601123" + id_check_character("44010620150601123")},
            "id_number",
            "借款人须年满 18 周岁",
            "You must be at least 18 to borrow.",
        ),
        (
            {"id_number": id_number(705)[:17] + ("0" if id_number(705)[17] != "0" else "1")},
            "id_number",
            "身份证号码的最后一位与前面的号码不符",
            "last character does not match the rest: check it on your card.",
        ),
        (
            {"name": ""},
            "name",
            "此项必填",
            "This is required.",
        ),
    ],
    ids=[
        "arabic-indic-id",
        "unassigned-segment",
        "arabic-indic-phone",
        "rtl-name",
        "age-11",
        "wrong-check-digit",
        "empty-name",
    ],
)
def test_a_refused_profile_field_is_named_beside_the_form_in_both_languages(
    pages: TestClient, fields: dict[str, str], field: str, zh: str, en: str
) -> None:
    _sign_up(pages, 703)
    chinese = _profile(pages, **fields)
    english = pages.post(
        "/profile",
        data={
            "csrf_token": csrf(pages.get("/profile").text),
            "name": "王小明",
            "id_number": id_number(700),
            "phone": "13912340700",
            **fields,
        },
        headers={"Accept-Language": "en"},
        follow_redirects=False,
    )
    for reply, message in ((chinese, zh), (english, en)):
        assert reply.status_code == 422
        assert message in _shown(reply.text, field)


def test_a_profile_phone_another_profile_gives_is_refused_beside_the_field(
    pages: TestClient,
) -> None:
    _sign_up(pages, 705)
    assert _profile(pages, id_number=id_number(705), phone="13912340705").status_code == 303
    pages.cookies.clear()
    _sign_up(pages, 706)
    chinese = _profile(pages, id_number=id_number(706), phone="139-1234-0705")
    english = pages.post(
        "/profile",
        data={
            "csrf_token": csrf(pages.get("/profile").text),
            "name": "王小明",
            "id_number": id_number(706),
            "phone": "13912340705",
        },
        headers={"Accept-Language": "en"},
        follow_redirects=False,
    )
    assert chinese.status_code == english.status_code == 409
    assert "该手机号码属于其他账户" in _shown(chinese.text, "phone")
    assert "belongs to another account" in _shown(english.text, "phone")
    assert _profile(pages, id_number=id_number(706), phone="13912340706").status_code == 303


@pytest.mark.parametrize("amount", ["１００", "١٠٠"])
def test_money_in_other_digits_is_refused_in_the_pages_as_in_the_api(
    pages: TestClient, amount: str
) -> None:
    _sign_up(pages, 704)
    assert _profile(pages, id_number=id_number(704)).status_code == 303
    _ready_to_apply(pages)
    reply = post(pages, "/apply", {**APPLICATION, "requested_amount": amount}, form_page="/apply")
    assert reply.status_code == 422
    assert "请只用数字 0-9" in _shown(reply.text, "requested_amount")  # the digits, named
