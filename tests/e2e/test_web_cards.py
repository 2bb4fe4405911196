"""The borrower's bank cards page, in Chinese and English, against the sandbox gateway running
as a subprocess: bind with the bank's code, refusals explained, default and unbind."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.api_harness import TestClient
from tests.e2e.test_web_pages import build_app, post, seed, web_settings
from tests.e2e.test_web_phone import _profile_and_consent, _signs_up_by_phone
from tests.support.gateway import GATEWAY_KEY, card_with_prefix, start_sandbox, stop

CARD = card_with_prefix("621661")
OTHER = card_with_prefix("622262")


@pytest.fixture(scope="module")
def gateway_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    process, url = start_sandbox(tmp_path_factory.mktemp("gateway"))
    yield url
    stop(process)


@pytest.fixture
def client(tmp_path: Path, gateway_url: str) -> Iterator[TestClient]:
    settings = web_settings(
        tmp_path, payment_gateway_url=gateway_url, payment_gateway_key=GATEWAY_KEY.decode()
    )
    app = build_app(tmp_path, settings=settings)
    with TestClient(app, base_url="http://127.0.0.1") as test_client:
        seed(app, tmp_path)
        yield test_client


_CARD_CONSENT = {
    "grant:bank_account:loan_servicing": "yes",
    "separate:bank_account:loan_servicing": "yes",
}


def _verified_borrower(client: TestClient, serial: int, *, card_consent: bool = True) -> str:
    phone = f"1390000{serial:04d}"
    _signs_up_by_phone(client, phone)
    _profile_and_consent(client, "钱七", serial)
    if card_consent:
        assert post(client, "/consent", _CARD_CONSENT, form_page="/consent").status_code == 303
    assert post(client, "/real-name", {}, form_page="/real-name").status_code == 303
    return phone


def test_a_card_needs_its_separate_consent_and_a_half_ticked_consent_saves_nothing(
    client: TestClient,
) -> None:
    phone = _verified_borrower(client, 409, card_consent=False)
    refused = post(client, "/cards", {"card_number": CARD, "phone": phone}, form_page="/cards")
    assert refused.status_code == 403 and "绑定银行卡前需要单独授权" in refused.text
    assert CARD[-4:] not in client.get("/cards").text
    half = {"grant:bank_account:loan_servicing": "yes"}  # the separate tick left out
    said = post(client, "/consent", half, form_page="/consent")
    assert said.status_code == 422 and "未保存任何内容" in said.text
    assert "我的授权" in said.text
    saved = post(client, "/consent", _CARD_CONSENT, form_page="/consent")
    assert saved.status_code == 303 and saved.headers["location"] == "/consent?saved=1"
    assert 'id="saved"' in client.get("/consent?saved=1").text
    _bind(client, CARD, phone)
    assert CARD[-4:] in client.get("/cards").text


def _bind(client: TestClient, card: str, phone: str) -> None:
    started = post(client, "/cards", {"card_number": card, "phone": phone}, form_page="/cards")
    assert started.status_code == 200, started.text
    code = re.search(r'id="sandbox-code">沙箱：验证码是 (\d{6})。<', started.text)
    assert code, started.text
    action = re.search(r'action="(/cards/[0-9a-f]{32}/confirm)"', started.text)
    assert action
    done = post(client, action.group(1), {"sms_code": code.group(1)}, form_page="/cards")
    assert done.status_code == 303 and done.headers["location"] == "/cards"


def test_a_borrower_binds_two_cards_moves_the_default_and_unbinds_one(
    client: TestClient,
) -> None:
    phone = _verified_borrower(client, 401)
    empty = client.get("/cards").text
    assert "尚未绑定银行卡" in empty and "银行预留手机号" in empty
    _bind(client, CARD, phone)
    _bind(client, OTHER, phone)
    page = client.get("/cards").text
    assert "中国银行" in page and "交通银行" in page and CARD[-4:] in page
    assert CARD not in page and page.count("默认还款卡") == 1
    other_id = re.findall(r'action="/cards/([0-9a-f]{32})/default"', page)
    assert len(other_id) == 1
    moved = post(client, f"/cards/{other_id[0]}/default", {}, form_page="/cards")
    assert moved.status_code == 303
    unbind = post(client, f"/cards/{other_id[0]}/unbind", {}, form_page="/cards")
    assert unbind.status_code == 303
    left = client.get("/cards").text
    assert "交通银行" not in left and "默认还款卡" in left
    english = client.get("/cards", headers={"Accept-Language": "en"}).text
    assert "Bank cards" in english and "Default card" in english


def test_a_card_the_bank_does_not_verify_is_refused_with_what_to_do(client: TestClient) -> None:
    _verified_borrower(client, 402)
    refused = post(
        client, "/cards", {"card_number": CARD, "phone": "13900000000"}, form_page="/cards"
    )
    assert refused.status_code == 422 and "银行预留的手机号" in refused.text
    bad_number = post(
        client,
        "/cards",
        {"card_number": CARD[:-1] + "x", "phone": "13900000402"},
        form_page="/cards",
    )
    assert bad_number.status_code == 422 and "请检查卡号和手机号" in bad_number.text


def test_binding_a_bound_card_again_is_refused_and_keeps_one_binding(client: TestClient) -> None:
    phone = _verified_borrower(client, 403)
    _bind(client, CARD, phone)
    spaced = f"{CARD[:4]} {CARD[4:8]} {CARD[8:]}"  # the same card, typed another way
    again = post(client, "/cards", {"card_number": spaced, "phone": phone}, form_page="/cards")
    assert again.status_code == 409 and "这张卡已绑定" in again.text
    assert 'id="sandbox-code"' not in again.text  # no code texted for it
    page = client.get("/cards", headers={"Accept-Language": "en"}).text
    assert page.count(CARD[-4:]) == 1 and "Default card" in page
