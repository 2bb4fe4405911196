"""The pages over HTTP: sign-up to accepted offer, CSRF, cookies, ownership, the reading pause."""

from __future__ import annotations

import dataclasses
import re
import warnings
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest
from fastapi import FastAPI
from starlette.exceptions import StarletteDeprecationWarning

from tests.support.decisioning import Reason, Score
from tests.support.pages import found
from thinfile.app import create_app
from thinfile.http import AppContext
from thinfile.resident_id import id_check_character
from thinfile.security.roles import Role
from thinfile.services import identity
from thinfile.services.identity_records import SYSTEM
from thinfile.services.policies import register_policy_and_model
from thinfile.settings import Settings
from thinfile.web.config import WebConfig

with warnings.catch_warnings():
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from fastapi.testclient import TestClient

PASSWORD = "correct horse battery staple"
REFER_MONTHS, DECLINE_MONTHS = 7, 1


@dataclasses.dataclass
class MonthsInCityScorer:
    """A deterministic model for page tests: months in city 7 refers, 1 declines."""

    version: str = "web-test-model:1"

    def score_one(self, record: Mapping[str, object], *, reasons: int = 4) -> Score:
        months = record.get("months_in_city")
        pd = {REFER_MONTHS: 0.10, DECLINE_MONTHS: 0.6}.get(months, 0.01)  # type: ignore[call-overload]
        return Score(
            pd,
            int(600 - 500 * pd),
            (
                Reason("R_INCOME", "declared_monthly_income", "income", 0.4),
                Reason("R_TENURE", "months_in_city", "tenure", 0.2),
            )[:reasons],
        )


def web_settings(tmp_path: Path, **overrides: object) -> Settings:
    return Settings.model_validate(
        {
            "database_url": f"sqlite:///{tmp_path / 'web.sqlite'}",
            "argon2_time_cost": 1,
            "argon2_memory_kib": 8,
            "rate_limits": {
                "sign_in": "1000/60",
                "sign_in_address": "1000/60",
                "sign_up": "1000/60",
                "applications": "1000/60",
            },
        }
        | overrides
    )


def build_app(tmp_path: Path, *, secure: bool = False, settings: Settings | None = None) -> FastAPI:
    app = create_app(settings or web_settings(tmp_path))
    web: WebConfig = app.state.web
    app.state.web = dataclasses.replace(
        web,
        load_model=lambda _path: MonthsInCityScorer(),
        cookies=dataclasses.replace(web.cookies, secure=secure),
    )
    return app


def seed(app, tmp_path: Path) -> None:
    """The shipped policy, the test model, and an underwriter."""
    context: AppContext = app.state.context
    register_policy_and_model(context.engine, "web-test-model:1", tmp_path, actor=SYSTEM)
    identity.create_user(
        context.engine,
        context.hasher,
        email="uw@lender.example",
        password=PASSWORD,
        role=Role.UNDERWRITER,
    )


def id_number(serial: int) -> str:
    first17 = f"440106199503{(serial % 28) + 1:02d}{serial % 1000:03d}"
    return first17 + id_check_character(first17)


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    app = build_app(tmp_path)
    with TestClient(app, base_url="http://127.0.0.1") as test_client:
        seed(app, tmp_path)
        yield test_client


def csrf(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([0-9a-f]+)"', page)
    assert found, "the page has no CSRF field"
    return found.group(1)


def post(client: TestClient, url: str, data: dict[str, str], *, form_page: str = "/sign-in"):
    token = csrf(client.get(form_page).text)
    return client.post(url, data={"csrf_token": token, **data}, follow_redirects=False)


def borrower(client: TestClient, serial: int) -> None:
    """Sign up, sign in, register the profile, give the consents and verify the real name
    (the sandbox identity provider): all a first application needs."""
    email = f"b{serial}@example.com"
    reply = post(client, "/sign-up", {"email": email, "password": PASSWORD})
    assert reply.status_code == 303, reply.text
    reply = post(client, "/sign-in", {"email": email, "password": PASSWORD})
    assert reply.status_code == 303, reply.text
    reply = post(
        client,
        "/profile",
        {"name": f"测试{serial}", "id_number": id_number(serial), "phone": f"1390000{serial:04d}"},
        form_page="/profile",
    )
    assert reply.status_code == 303, reply.text
    reply = post(
        client,
        "/consent",
        {
            "grant:identity:kyc": "yes",
            "grant:credit_report:credit_assessment": "yes",
            "grant:bank_account:loan_servicing": "yes",  # sensitive: its separate tick too
            "separate:bank_account:loan_servicing": "yes",
        },
        form_page="/consent",
    )
    assert reply.status_code == 303
    reply = post(client, "/real-name", {}, form_page="/real-name")
    assert reply.status_code == 303 and reply.headers["location"] == "/apply"


APPLICATION = {
    "purpose": "phone_purchase",
    "requested_amount": "6000",
    "requested_term_months": "12",
    "segment": "delivery_rider",
    "declared_monthly_income": "7000",
    "existing_debt_payment_monthly": "0",
    "months_in_city": "24",
    "platform_tenure_months": "18",
}


def apply(client: TestClient, **changes: str) -> str:
    reply = post(client, "/apply", {**APPLICATION, **changes}, form_page="/apply")
    assert reply.status_code == 303, reply.text
    return str(reply.headers["location"])


def test_a_borrower_applies_and_sees_the_offer_with_the_annualized_rate_first(client):
    borrower(client, 1)
    decision = client.get(apply(client)).text
    assert "Approved" in decision or "已批准" in decision
    names = re.findall(r'<h2 class="product">([^<]+)</h2>', decision)
    known = {
        "消费分期贷款",
        "个体工商户经营贷款",
        "购物分期付款",
        "循环授信额度",
        "Consumer installment loan",
        "Installments on your purchase",
        "Working-capital loan for your shop",
        "Credit line you can draw on",
    }
    assert names and set(names) <= known
    offer = client.get(found(r'href="(/applications/\w+/offers/0)"', decision))
    page = offer.text
    apr = page.index('class="apr"')
    assert apr < page.index('class="small"'), "the annualized rate comes before any monthly rate"
    assert "综合融资成本明示表" in page and page.count('<tr><td class="n">') >= 12


def test_the_cost_statement_reads_in_the_readers_language(client):
    borrower(client, 8)
    offer_url = f"{apply(client)}/offers/0"
    chinese = client.get(offer_url).text
    english = client.get(offer_url, headers={"Accept-Language": "en"}).text
    assert "of the original principal" in english and "grace days" in english
    assert "of the original principal" not in chinese and "grace days" not in chinese
    assert "原始本金" in chinese and "宽限期" in chinese


def test_an_early_confirmation_is_refused_and_a_later_one_recorded(client, monkeypatch):
    borrower(client, 2)
    location = apply(client)
    offer_url = f"{location}/offers/0"
    page = client.get(offer_url).text
    receipt = found(r'name="receipt" value="([^"]+)"', page)
    early = client.post(
        f"{offer_url}/accept",
        data={"csrf_token": csrf(page), "receipt": receipt, "confirm": "yes"},
        follow_redirects=False,
    )
    assert early.status_code == 422
    import time

    later = time.time_ns() + 11 * 1_000_000_000
    monkeypatch.setattr(time, "time_ns", lambda: later)
    done = client.post(
        f"{offer_url}/accept",
        data={"csrf_token": csrf(page), "receipt": receipt, "confirm": "yes"},
        follow_redirects=False,
    )
    assert done.status_code == 303, done.text
    back = client.get(offer_url, follow_redirects=False)  # the browser's Back after signing
    assert back.status_code == 303 and back.headers["location"] == location
    decision = client.get(back.headers["location"], headers={"Accept-Language": "en"}).text
    assert "<h1>You accepted an offer</h1>" in decision


def test_a_form_without_its_csrf_token_is_refused(client):
    client.get("/sign-up")
    reply = client.post(
        "/sign-up", data={"email": "x@example.com", "password": PASSWORD}, follow_redirects=False
    )
    assert reply.status_code == 403
    forged = client.post(
        "/sign-up",
        data={"email": "x@example.com", "password": PASSWORD, "csrf_token": "0" * 64},
        follow_redirects=False,
    )
    assert forged.status_code == 403


def test_a_borrower_never_sees_another_borrowers_application(client, tmp_path):
    borrower(client, 3)
    theirs = apply(client)
    post(client, "/sign-out", {}, form_page="/home")
    borrower(client, 4)
    for url in (theirs, f"{theirs}/offers/0"):
        reply = client.get(url)
        assert reply.status_code == 404 and "测试3" not in reply.text


def test_bad_fields_are_named_beside_the_form(client):
    borrower(client, 5)
    reply = post(
        client,
        "/apply",
        {**APPLICATION, "requested_amount": "lots", "months_in_city": "many"},
        form_page="/apply",
    )
    assert reply.status_code == 422
    assert 'id="e-requested_amount"' in reply.text and 'id="e-months_in_city"' in reply.text
    assert 'aria-invalid="true"' in reply.text


@pytest.mark.parametrize(
    ("field", "typed", "zh", "en"),
    [
        ("requested_amount", "0", "0.01 到 1,000,000 元", "from 0.01 to 1,000,000 yuan"),
        ("requested_amount", "1000001", "0.01 到 1,000,000 元", "from 0.01 to 1,000,000 yuan"),
        ("requested_amount", "1e12", "只用数字 0-9", "in digits 0-9 only"),
        ("requested_amount", "１２３", "只用数字 0-9", "in digits 0-9 only"),
        ("requested_amount", "１２３４５", "只用数字 0-9", "in digits 0-9 only"),
        ("requested_amount", "６０００．５", "只用数字 0-9", "in digits 0-9 only"),
        ("requested_amount", "6000.123", "最多两位小数", "at most two decimals"),
        ("declared_monthly_income", "1e30", "只用数字 0-9", "in digits 0-9 only"),
        ("declared_monthly_income", "6000.123", "最多两位小数", "at most two decimals"),
        ("declared_monthly_income", "lots", "以元为单位的金额", "Enter an amount in yuan"),
        (
            "declared_monthly_income",
            "10000000.01",
            "0 到 10,000,000 元",
            "from 0 to 10,000,000 yuan",
        ),
        ("existing_debt_payment_monthly", "12,34", "只用数字 0-9", "in digits 0-9 only"),
        ("months_in_city", "-100", "0 到 900", "from 0 to 900"),
        ("platform_tenure_months", "-1", "0 到 900", "from 0 to 900"),
    ],
)
def test_an_amount_outside_its_range_or_not_in_digits_is_named_beside_the_form(
    client, field, typed, zh, en
):
    borrower(client, 9)
    data = {**APPLICATION, field: typed}
    chinese = post(client, "/apply", data, form_page="/apply")
    english = client.post(
        "/apply",
        data={"csrf_token": csrf(client.get("/apply").text), **data},
        headers={"Accept-Language": "en"},
        follow_redirects=False,
    )
    for reply, message in ((chinese, zh), (english, en)):
        assert reply.status_code == 422
        shown = re.search(rf'id="e-{field}">([^<]+)<', reply.text)
        assert shown and message in shown.group(1)
    assert "/applications/" not in client.get("/home").text  # nothing was decided


def test_the_income_field_is_marked_optional_as_the_server_takes_it(client):
    """A blank monthly income is decided (the model reads other evidence), so the form does not
    claim it is required."""
    borrower(client, 11)
    form = client.get("/apply").text
    income = re.search(r'<input id="f-declared_monthly_income"[^>]*>', form)
    assert income and " required" not in income.group(0)
    assert re.search(r'<input id="f-months_in_city"[^>]*\brequired\b', form)  # others still are
    assert "/applications/" in apply(client, declared_monthly_income="")


def test_output_is_escaped(client):
    reply = client.get("/sign-in?next=%22%3E%3Cscript%3Ealert(1)%3C/script%3E")
    assert "<script>alert(1)" not in reply.text and "&lt;script&gt;" in reply.text


def test_session_cookies_are_httponly_samesite_and_secure_when_configured(tmp_path):
    app = build_app(tmp_path, secure=True)
    with TestClient(app, base_url="https://127.0.0.1") as secure_client:
        seed(app, tmp_path)
        reply = post(
            secure_client, "/sign-in", {"email": "uw@lender.example", "password": PASSWORD}
        )
    cookie = next(v for k, v in reply.headers.multi_items() if k == "set-cookie" and "session" in v)
    assert cookie.startswith("__Host-thinfile_session=")
    assert "HttpOnly" in cookie and "Secure" in cookie and "SameSite=lax" in cookie


def test_pages_switch_between_chinese_and_english(client):
    assert '<html lang="zh-Hans">' in client.get("/sign-in").text
    english = client.get("/sign-in", headers={"Accept-Language": "en-GB,en;q=0.9"}).text
    assert '<html lang="en">' in english and "Sign in" in english
    post(client, "/language", {"lang": "zh", "next": "/sign-in"})
    assert "登录" in client.get("/sign-in", headers={"Accept-Language": "en"}).text


def test_the_underwriter_approves_a_referral_from_the_queue(client):
    borrower(client, 6)
    location = apply(client, months_in_city=str(7))
    application_id = location.rsplit("/", 1)[1]
    post(client, "/sign-out", {}, form_page="/home")
    post(client, "/sign-in", {"email": "uw@lender.example", "password": PASSWORD})
    assert application_id[:8] in client.get("/console?status=referred").text
    detail = client.get(f"/console/applications/{application_id}").text
    reply = client.post(
        f"/console/applications/{application_id}/review",
        data={"csrf_token": csrf(detail), "decision": "approve", "note": "ok"},
        follow_redirects=False,
    )
    assert reply.status_code == 303
    replay = client.post(
        f"/console/applications/{application_id}/replay", data={"csrf_token": csrf(detail)}
    )
    assert replay.status_code == 200
    for page in ("/console/policies", "/console/portfolio"):
        assert client.get(page).status_code == 200


def test_staff_see_the_price_build_up_and_the_borrower_does_not(client):
    borrower(client, 9)
    location = apply(client, months_in_city="24")
    mine = client.get(location).text
    assert "build-up" not in mine and "Cost of funds" not in mine and "资金成本" not in mine
    offer = client.get(found(r'href="(/applications/\w+/offers/0)"', mine)).text
    assert "价格构成" not in offer and "资金成本" not in offer
    said = found(r'<p class="programme">([^<]+)</p>', offer)
    assert said.startswith("新市民首贷优惠：年化利率为 ") and "优惠前为" in said
    application_id = location.rsplit("/", 1)[1]
    post(client, "/sign-out", {}, form_page="/home")
    post(client, "/sign-in", {"email": "uw@lender.example", "password": PASSWORD})
    zh = client.get(f"/console/applications/{application_id}").text
    assert "价格构成" in zh and "资金成本" in zh and "预期损失" in zh and "目标利润" in zh
    sections = re.findall(r'<section class="build-up" data-product="(\w+)">', zh)
    assert sections and len(sections) == len(set(sections))
    points = re.findall(r'<td class="points">([0-9.]+)</td>', zh)
    assert len(points) == 7 * len(sections)  # six parts and the required return
    first = [float(p) for p in points[:7]]
    assert abs(sum(first[:6]) - first[6]) < 0.011  # the parts add up to the return shown
    en = client.get(
        f"/console/applications/{application_id}", headers={"Accept-Language": "en"}
    ).text
    assert "Price build-up" in en and "Operating cost per loan" in en
    assert "A preferential programme discounted the offer&#39;s price." in en


def test_a_borrower_cannot_open_the_console(client):
    borrower(client, 7)
    assert client.get("/console").status_code == 403


def test_the_simulation_report_shows_each_occupations_share_and_the_flag_rule(
    client: TestClient,
) -> None:
    post(client, "/sign-in", {"email": "uw@lender.example", "password": PASSWORD})
    token = csrf(client.get("/console/policies").text)
    reply = client.post("/console/policies/simulate", data={"csrf_token": token, "rows": "120"})
    assert reply.status_code == 200
    page = reply.text
    assert "某职业的批准率低于总体批准率的80%" in page and "坏账率高于8.00%" in page
    assert "占总体批准率的比例" in page and '<th scope="col">标记</th>' in page
    assert '<th scope="row">外卖骑手 <span class="small mono" translate="no">delivery_rider' in page
    rider = page[page.index("delivery_rider") :].split("</tr>")[0]
    assert re.search(r"<td>\d+%</td>", rider)  # the rider's share of the overall approval rate
    assert "平均复利年化利率" in page and "处于利率上限的占比" in page and "预期利润（元）" in page
    assert re.search(r'<td class="margin">-?[0-9]+\.[0-9]{2}</td>', rider)  # its expected margin


def test_a_simulation_csv_with_ids_and_phones_of_digits_only_is_simulated(
    client: TestClient,
) -> None:
    """ID numbers and phones written as digits only are text, not numbers: each row passes
    the same validation as a real application."""
    ids = [n for n in (id_number(s) for s in range(40)) if n.isdigit()][:3]
    rows = "".join(
        f"1995-03-{int(n[12:14]):02d},delivery_rider,24,phone_purchase,600000,12,{n},1390000{i:04d},0\n"
        for i, n in enumerate(ids)
    )
    header = "birth_date,segment,months_in_city,purpose,requested_amount,requested_term_months,"
    data = (header + "id_number,phone,bad_12m\n" + rows).encode()
    post(client, "/sign-in", {"email": "uw@lender.example", "password": PASSWORD})
    token = csrf(client.get("/console/policies").text)
    reply = client.post(
        "/console/policies/simulate",
        data={"csrf_token": token},
        files={"file": ("past.csv", data, "text/csv")},
    )
    assert reply.status_code == 200, reply.text
    assert "delivery_rider" in reply.text


@pytest.mark.parametrize("note", ["", "   \n  "])
def test_a_review_without_a_note_is_refused_beside_the_note_field(
    client: TestClient, note: str
) -> None:
    """The refusal is said beside the note field in the reader's language, with what was
    typed kept, and nothing is reviewed."""
    borrower(client, 8)
    application_id = apply(client, months_in_city=str(REFER_MONTHS)).rsplit("/", 1)[1]
    post(client, "/sign-out", {}, form_page="/home")
    post(client, "/sign-in", {"email": "uw@lender.example", "password": PASSWORD})
    detail = client.get(f"/console/applications/{application_id}").text
    reply = client.post(
        f"/console/applications/{application_id}/review",
        data={"csrf_token": csrf(detail), "decision": "approve", "note": note},
        follow_redirects=False,
    )
    assert reply.status_code == 422
    error = re.search(r'<p class="error" id="e-note">([^<]*)</p>', reply.text)
    assert error and error.group(1) == "请为档案写一条备注：用几句话说明审核发现了什么。"
    textarea = re.search(r'<textarea id="f-note"[^>]*>([^<]*)</textarea>', reply.text)
    assert textarea and textarea.group(1) == note
    assert 'aria-describedby="e-note"' in reply.text
    assert "give a note" not in reply.text
    assert f'action="/console/applications/{application_id}/review"' in reply.text  # still referred


INPUT_VALUE = r'<span[^>]*>([a-z_0-9]+)</span></th><td class="mono">([^<]*)</td>'


def test_the_staff_application_page_names_its_inputs_in_the_readers_language(
    client: TestClient,
) -> None:
    borrower(client, 9)
    application_id = apply(client).rsplit("/", 1)[1]
    post(client, "/sign-out", {}, form_page="/home")
    post(client, "/sign-in", {"email": "uw@lender.example", "password": PASSWORD})
    page = client.get(f"/console/applications/{application_id}").text
    inputs = page[page.index('id="inputs-heading"') :].split("</table>")[0]
    rows = dict(re.findall(r'<th scope="row">([^<]*?) ?<span[^>]*>([a-z_0-9]+)</span>', inputs))
    assert rows["月收入（元）"] == "declared_monthly_income"  # the form's own label
    assert rows["在本市居住的月数"] == "months_in_city"
    assert rows["身份证号"] == "id_number"
    values = dict(re.findall(INPUT_VALUE, inputs))
    assert values["segment"] == "外卖骑手" and values["purpose"] == "买手机"  # codes in words
    policies = client.get("/console/policies").text
    assert "新市民默认策略" in policies and "new-citizen default" not in policies
    post(client, "/language", {"lang": "en", "next": "/console"}, form_page="/console")
    english = client.get(f"/console/applications/{application_id}").text
    assert "Monthly income (yuan) <span" in english
    values = dict(re.findall(INPUT_VALUE, english))
    assert values["segment"] == "Delivery rider" and values["purpose"] == "A phone"
    assert "New-citizen default policy" in client.get("/console/policies").text
