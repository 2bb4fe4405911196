"""The console's merchant pages: staff onboard a merchant from the form (bad fields named
beside it, the account number never echoed), see it in the list and on its page masked, and
activate or suspend it; a borrower cannot open them; both languages read."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from starlette.exceptions import StarletteDeprecationWarning

from tests.e2e.test_api_merchants import ACCOUNT, ACCOUNT_DIGITS, CONTRACT, credit_code
from tests.e2e.test_web_pages import PASSWORD, borrower, build_app, post, seed
from tests.e2e.test_web_words_and_roles import english_words
from tests.support.pages import found
from thinfile.commerce import UnearnedSubsidy
from thinfile.http import AppContext
from thinfile.services import merchants
from thinfile.services.idempotency import IdempotencyClaim, run_once
from thinfile.services.identity_records import SYSTEM
from thinfile.services.merchant_records import TermDraft

with warnings.catch_warnings():
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from fastapi.testclient import TestClient

FORM = {
    "legal_name": "深圳市骑手电动车有限公司",
    "category": "e-bikes",
    "settlement_bank": "招商银行深圳分行",
    "settlement_account": ACCOUNT,
    "contact_name": "王芳",
    "contact_phone": "13812345678",
}


@pytest.fixture
def staff(tmp_path: Path) -> Iterator[TestClient]:
    """A client signed in as the seeded underwriter."""
    app = build_app(tmp_path)
    with TestClient(app, base_url="http://127.0.0.1") as client:
        seed(app, tmp_path)
        signed = post(client, "/sign-in", {"email": "uw@lender.example", "password": PASSWORD})
        assert signed.status_code == 303, signed.text
        yield client


def _onboard(client: TestClient, **changes: str) -> Any:
    data = {**FORM, "credit_code": credit_code(7), **changes}
    return post(client, "/console/merchants", data, form_page="/console/merchants/new")


def test_staff_onboard_from_the_form_and_see_the_merchant_masked(staff: TestClient) -> None:
    done = _onboard(staff)
    assert done.status_code == 303, done.text
    location = str(done.headers["location"])
    page = staff.get(location, headers={"Accept-Language": "en"}).text
    assert "6222***********1234" in page and ACCOUNT_DIGITS not in page
    assert "138****5678" in page and "Pending" in page
    listed = staff.get("/console/merchants").text
    assert "深圳市骑手电动车有限公司" in listed and "待启用" in listed


def test_a_bad_credit_code_is_named_beside_the_form_and_the_account_not_echoed(
    staff: TestClient,
) -> None:
    refused = _onboard(staff, credit_code="91440300708461136X")
    assert refused.status_code == 422
    page = refused.text
    assert 'id="e-credit_code"' in page
    assert ACCOUNT_DIGITS not in page and ACCOUNT not in page
    assert "深圳市骑手电动车有限公司" in page  # what was typed is kept


def test_staff_activate_a_merchant_with_a_contract_and_suspend_it(staff: TestClient) -> None:
    location = str(_onboard(staff).headers["location"])
    merchant_id = found(r"/console/merchants/(\w+)", location)
    context: AppContext = staff.app.state.context  # type: ignore[attr-defined]
    terms = [TermDraft(t["periods"], t["subsidy_rate"]) for t in CONTRACT["terms"]]
    run_once(
        context.engine,
        IdempotencyClaim("test", "contract-1", "x"),
        lambda uow: merchants.set_contract_in_unit(
            uow,
            SYSTEM,
            merchant_id,
            terms,
            unearned_subsidy=UnearnedSubsidy.KEEP,
            settlement_days=1,
            effective_from=date(2026, 1, 1),
        ),
        render=lambda _c: "{}",
    )
    page_url = f"/console/merchants/{merchant_id}"
    activated = post(staff, f"{page_url}/activation", {}, form_page=page_url)
    assert activated.status_code == 303
    assert merchants.get_merchant(context.engine, merchant_id).status.value == "active"
    suspended = post(staff, f"{page_url}/suspension", {}, form_page=page_url)
    assert suspended.status_code == 303
    page = staff.get(page_url, headers={"Accept-Language": "en"}).text
    assert "Suspended" in page and "Version 1" in page


def test_a_borrower_cannot_open_the_merchant_pages(tmp_path: Path) -> None:
    app = build_app(tmp_path)
    with TestClient(app, base_url="http://127.0.0.1") as client:
        seed(app, tmp_path)
        borrower(client, 41)
        for path in ("/console/merchants", "/console/merchants/new"):
            assert client.get(path, follow_redirects=False).status_code == 403


def test_the_merchant_pages_read_in_chinese(staff: TestClient) -> None:
    location = str(_onboard(staff).headers["location"])
    refused = _onboard(staff, credit_code="91440300708461136X").text
    pages = {
        page: english_words(staff.get(page).text)
        for page in ("/console/merchants", "/console/merchants/new", location)
    }
    pages["refused form"] = english_words(refused)
    left = {page: sorted(words) for page, words in pages.items() if words}
    assert left == {}
