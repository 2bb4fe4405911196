"""The phone sign-in and real-name pages over HTTP (SQLite): number, sandbox code, signed in,
profile, the real-name step before a first application — and the refusals, in the reader's
language."""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import SecretStr

from tests.e2e.api_harness import TestClient
from tests.e2e.test_web_pages import (
    APPLICATION,
    build_app,
    csrf,
    id_number,
    post,
    seed,
    web_settings,
)


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    app = build_app(tmp_path)
    with TestClient(app, base_url="http://127.0.0.1") as test_client:
        seed(app, tmp_path)
        yield test_client


def _code_page(client: TestClient, phone: str) -> str:
    reply = post(client, "/sign-in/phone", {"phone": phone}, form_page="/sign-in/phone")
    assert reply.status_code == 200, reply.text
    return str(reply.text)


def _sandbox_code(page: str) -> str:
    found = re.search(r'id="sandbox-code">(\d{6})<', page)
    assert found, "the code page shows no sandbox code"
    return str(found.group(1))


def _signs_up_by_phone(client: TestClient, phone: str) -> None:
    code = _sandbox_code(_code_page(client, phone))
    reply = post(client, "/sign-in/phone/code", {"phone": phone, "code": code})
    assert reply.status_code == 303 and reply.headers["location"] == "/profile", reply.text


def _profile_and_consent(client: TestClient, name: str, serial: int) -> None:
    fields = {"name": name, "id_number": id_number(serial), "phone": f"1390000{serial:04d}"}
    assert post(client, "/profile", fields, form_page="/profile").status_code == 303
    consent = {"grant:identity:kyc": "yes", "grant:credit_report:credit_assessment": "yes"}
    assert post(client, "/consent", consent, form_page="/consent").status_code == 303


def test_the_sign_in_page_offers_the_phone(client: TestClient) -> None:
    page = client.get("/sign-in").text
    assert 'href="/sign-in/phone"' in page and "用手机号登录" in page
    english = client.get("/sign-in", headers={"Accept-Language": "en"}).text
    assert "Sign in with your phone" in english


def test_a_new_borrower_signs_up_by_phone_verifies_the_real_name_and_applies(
    client: TestClient,
) -> None:
    _signs_up_by_phone(client, "13902020001")
    _profile_and_consent(client, "赵六", 301)
    apply_page = client.get("/apply").text
    assert 'id="real-name-needed"' in apply_page and "首次申请前请先完成实名认证" in apply_page
    refused = post(client, "/apply", APPLICATION, form_page="/apply")
    assert refused.status_code == 403 and 'href="/real-name"' in refused.text

    real_name = client.get("/real-name").text
    assert "实名认证" in real_name and id_number(301)[:4] in real_name
    assert id_number(301) not in real_name  # the number is shown masked
    verified = post(client, "/real-name", {}, form_page="/real-name")
    assert verified.status_code == 303 and verified.headers["location"] == "/apply"
    assert 'id="real-name-needed"' not in client.get("/apply").text
    decided = post(client, "/apply", APPLICATION, form_page="/apply")
    assert decided.status_code == 303 and "/applications/" in decided.headers["location"]
    assert 'id="real-name-verified"' in client.get("/real-name").text


def test_a_mismatched_real_name_is_refused_with_what_to_do(client: TestClient) -> None:
    _signs_up_by_phone(client, "13902020002")
    _profile_and_consent(client, "王不符", 302)
    refused = post(client, "/real-name", {}, form_page="/real-name")
    assert refused.status_code == 422
    assert "姓名与身份证号码不一致" in refused.text
    english = client.post(
        "/real-name",
        data={"csrf_token": csrf(client.get("/real-name").text)},
        headers={"Accept-Language": "en"},
    )
    assert "do not match" in english.text


def test_a_wrong_code_says_how_many_tries_are_left(client: TestClient) -> None:
    phone = "13902020003"
    code = _sandbox_code(_code_page(client, phone))
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    reply = post(client, "/sign-in/phone/code", {"phone": phone, "code": wrong})
    assert reply.status_code == 401 and "验证码错误，还可以再试 4 次" in reply.text
    english = client.post(
        "/sign-in/phone/code",
        data={"csrf_token": csrf(reply.text), "phone": phone, "code": wrong},
        headers={"Accept-Language": "en"},
    )
    assert "The code is wrong. 3 tries left." in english.text


def test_the_page_never_tells_whether_a_number_has_an_account(client: TestClient) -> None:
    """A customer's number, whose last code signed in, and a number never seen read alike."""
    customer, unknown = "13902020011", "13902020012"
    _signs_up_by_phone(client, customer)
    client.cookies.clear()
    pages = [
        post(
            client,
            "/sign-in/phone/code",
            {"phone": phone, "code": "000000"},
            form_page="/sign-in/phone",
        )
        for phone in (customer, unknown)
    ]
    assert [p.status_code for p in pages] == [401, 401]
    # (in development the page also shows the sandbox's last SMS to the number: not compared)
    shown = [re.findall(r'class="[^"]*error[^"]*"[^>]*>([^<]+)<', p.text) for p in pages]
    assert shown[0] == shown[1] == ["验证码错误或已失效，请重新获取。"]
    english = [
        client.post(
            "/sign-in/phone/code",
            data={"csrf_token": csrf(pages[0].text), "phone": phone, "code": "000000"},
            headers={"Accept-Language": "en"},
        ).text
        for phone in (customer, unknown)
    ]
    for page in english:
        assert "The code is wrong or has expired. Ask for a new code." in page
        assert "already been used" not in page and "No code was sent" not in page


def test_the_page_counts_sign_in_tries_per_number_however_it_is_written(
    tmp_path: Path,
) -> None:
    settings = web_settings(tmp_path, rate_limits={"sign_in": "3/60"})
    with TestClient(build_app(tmp_path, settings=settings), base_url="http://127.0.0.1") as app:
        _code_page(app, "13902020021")
        spellings = ["+86 13902020021", "139-0202-0021", "8613902020021", "139 0202 0021"]
        statuses = [
            post(
                app,
                "/sign-in/phone/code",
                {"phone": s, "code": "000000"},
                form_page="/sign-in/phone",
            ).status_code
            for s in spellings
        ]
        assert statuses == [401, 401, 401, 429]


def test_a_paused_sign_in_page_says_when_to_retry_in_whole_seconds(tmp_path: Path) -> None:
    """HTTP's ``Retry-After`` is a whole number of seconds: never "59.0"."""
    settings = web_settings(tmp_path, rate_limits={"sign_in": "1/60"})
    with TestClient(build_app(tmp_path, settings=settings), base_url="http://127.0.0.1") as app:
        _code_page(app, "13902020041")
        replies = [
            post(
                app,
                "/sign-in/phone/code",
                {"phone": "13902020041", "code": "000000"},
                form_page="/sign-in/phone",
            )
            for _ in range(2)
        ]
        assert [r.status_code for r in replies] == [401, 429]
        assert re.fullmatch(r"[1-9][0-9]*", replies[1].headers["Retry-After"])
        assert 0 < int(replies[1].headers["Retry-After"]) <= 60


def test_ten_wrong_codes_pause_sign_in_by_code_and_the_page_says_until_when(
    tmp_path: Path,
) -> None:
    settings = web_settings(tmp_path, sms_code_resend_seconds=0)
    with TestClient(build_app(tmp_path, settings=settings), base_url="http://127.0.0.1") as app:
        phone = "13902020031"
        for _ in range(2):
            wrong = f"{(int(_sandbox_code(_code_page(app, phone))) + 1) % 1_000_000:06d}"
            for _ in range(5):
                reply = post(
                    app,
                    "/sign-in/phone/code",
                    {"phone": phone, "code": wrong},
                    form_page="/sign-in/phone",
                )
                assert reply.status_code == 401
        # no new code is sent while paused, and the page says until when, not "wait a minute"
        paused = post(app, "/sign-in/phone", {"phone": phone}, form_page="/sign-in/phone")
        assert paused.status_code == 429
        assert 'id="sandbox-code"' not in paused.text
        found = re.search(
            r"请于 (\d{4}-\d\d-\d\d \d\d:\d\d) 之后再试，或使用邮箱和密码登录", paused.text
        )
        assert found, paused.text
        english = app.post(
            "/sign-in/phone/code",
            data={"csrf_token": csrf(paused.text), "phone": phone, "code": wrong},
            headers={"Accept-Language": "en"},
        )
        assert english.status_code == 429
        assert re.search(r"Try again after \d{4}-\d\d-\d\d \d\d:\d\d, or sign in", english.text)
        assert "Traceback" not in english.text


def test_the_browser_a_borrower_signed_in_on_keeps_signing_in_while_strangers_are_paused(
    tmp_path: Path,
) -> None:
    settings = web_settings(tmp_path, sms_code_resend_seconds=0)
    with TestClient(build_app(tmp_path, settings=settings), base_url="http://127.0.0.1") as app:
        phone = "13902020041"
        _signs_up_by_phone(app, phone)
        device = app.cookies.get("thinfile_device")
        assert device and len(device) == 64
        app.cookies.delete("thinfile_device")  # a stranger's browser from here
        for _ in range(2):
            _code_page(app, phone)
            for _ in range(5):
                wrong = {"phone": phone, "code": "999999"}
                assert post(app, "/sign-in/phone/code", wrong).status_code == 401
        paused = post(app, "/sign-in/phone", {"phone": phone}, form_page="/sign-in/phone")
        assert paused.status_code == 429
        app.cookies.set("thinfile_device", device)  # the borrower's own browser
        code = _sandbox_code(_code_page(app, phone))
        mine = post(app, "/sign-in/phone/code", {"phone": phone, "code": code})
        assert mine.status_code == 303 and mine.headers["location"] == "/home", mine.text


def test_a_number_that_is_not_a_mobile_number_is_refused_on_the_page(client: TestClient) -> None:
    reply = post(client, "/sign-in/phone", {"phone": "12345"}, form_page="/sign-in/phone")
    assert reply.status_code == 422 and "请输入 11 位中国大陆手机号码" in reply.text


def test_a_number_typed_in_full_width_digits_signs_in_as_the_number_it_stands_for(
    client: TestClient,
) -> None:
    """A phone keyboard may type full-width digits (１３９…): the number is read as the digits
    they stand for, on the number form and on the code form alike."""
    full_width = "１３９０２０２００３１"
    page = _code_page(client, full_width)
    code = "".join(chr(ord(d) - ord("0") + ord("０")) for d in _sandbox_code(page))
    assert 'value="13902020031"' in page  # the number the code form sends back, in ASCII
    reply = post(client, "/sign-in/phone/code", {"phone": full_width, "code": code})
    assert reply.status_code == 303 and reply.headers["location"] == "/profile", reply.text


def test_the_sandbox_inbox_lists_what_was_sent(client: TestClient) -> None:
    code = _sandbox_code(_code_page(client, "13902020004"))
    inbox = client.get("/sandbox/sms").text
    assert "139****0004" in inbox and code in inbox


def test_outside_development_there_is_no_sandbox_inbox_nor_code_on_the_page(
    tmp_path: Path,
) -> None:
    secret = SecretStr("a production secret of thirty-two characters or more")
    key = SecretStr(base64.b64encode(bytes(range(32))).decode())
    settings = web_settings(tmp_path).model_copy(
        update={
            "env": "production",
            "token_secret": secret,
            "lookup_key": secret,
            "payment_gateway_key": secret,
            "pii_keys": {"k1": key},
            "pii_active_key_id": "k1",
        }
    )
    with TestClient(build_app(tmp_path, settings=settings), base_url="http://127.0.0.1") as app:
        assert app.get("/sandbox/sms").status_code == 404
        page = post(app, "/sign-in/phone", {"phone": "13902020005"}, form_page="/sign-in/phone")
        assert page.status_code == 200 and 'id="sandbox-code"' not in page.text
