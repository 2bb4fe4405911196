"""The console's collection pages over HTTP on both databases: the queue, a case's page with
its schedule, payments, notes, promises and hardship plans, a term extension proposed by a
collector and approved by an agent (not by its proposer), assignment to an agent, and an
agency's collector who sees only the cases placed with the agency."""

from __future__ import annotations

import re
import warnings
from collections.abc import Generator, Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from starlette.exceptions import StarletteDeprecationWarning

from tests.e2e.test_web_pages import PASSWORD, build_app, csrf, post, web_settings
from tests.integration.collections_helpers import at_local, call, delinquent_loans, with_parties
from tests.support.databases import fresh_database_url, require_postgres
from thinfile.errors import ConductRuleBrokenError
from thinfile.http import AppContext
from thinfile.money import format_yuan
from thinfile.security.roles import Role
from thinfile.services import (
    applicants,
    business_date,
    collection_contacts,
    collection_views,
    collections,
    identity,
    loans,
)
from thinfile.services.cob import run_cob
from thinfile.services.identity_records import Actor
from thinfile.store import decisioning_tables
from thinfile.web.forms import UNKNOWN_PROBLEM
from thinfile.web.i18n import translations

with warnings.catch_warnings():
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from fastapi.testclient import TestClient

M1_DAY = date(2025, 1, 10)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def client(request, tmp_path: Path, monkeypatch) -> Iterator[TestClient]:
    monkeypatch.setattr(business_date, "now_utc", lambda: datetime(2025, 1, 1, tzinfo=UTC))
    settings = web_settings(tmp_path)
    url: Generator[str, None, None] | None = None
    if request.param == "postgresql":
        require_postgres()
        url = fresh_database_url("postgresql", tmp_path)  # the schema lives while url does
        settings = settings.model_copy(update={"database_url": next(url)})
    app = build_app(tmp_path, settings=settings)
    try:
        with TestClient(app, base_url="http://127.0.0.1") as test_client:
            yield test_client
    finally:
        if url is not None:
            url.close()


def staff(client: TestClient, name: str, role: Role) -> str:
    context: AppContext = client.app.state.context  # type: ignore[attr-defined]
    user = identity.create_user(
        context.engine, context.hasher, email=f"{name}@lender.example", password=PASSWORD,
        role=role,
    )  # fmt: skip
    return user.id


def sign_in(client: TestClient, name: str) -> None:
    client.cookies.clear()
    reply = post(client, "/sign-in", {"email": f"{name}@lender.example", "password": PASSWORD})
    assert reply.status_code == 303, reply.text


def act(client: TestClient, page_url: str, url: str, data: dict[str, str]):
    token = csrf(client.get(page_url).text)
    return client.post(url, data={"csrf_token": token, **data}, follow_redirects=False)


def schedule_rows(page: str) -> int:
    table = re.search(r'<table id="schedule">.*?</table>', page, re.S)
    assert table
    return len(re.findall(r"<tr><td>\d+</td>", table.group(0)))


@pytest.fixture
def book(client: TestClient):
    context: AppContext = client.app.state.context  # type: ignore[attr-defined]
    engine = context.engine
    ids = {
        "collector": staff(client, "collector", Role.COLLECTOR),
        "agent": staff(client, "agent", Role.SERVICING_AGENT),
        "admin": staff(client, "admin", Role.ADMIN),
        "acme": staff(client, "acme", Role.COLLECTOR),
    }
    loans = delinquent_loans(engine, M1_DAY, "3000", "4000")
    admin = Actor(ids["admin"], Role.ADMIN)
    collections.add_agency(engine, "acme", "Acme collections", actor=admin)
    collection_views.add_agency_user(engine, "acme", ids["acme"], actor=admin)
    cases = {c.loan_id: c.case_id for c in collections.worklist(engine)}
    return engine, ids, [cases[loan] for loan in loans]


def test_a_collector_works_a_case_and_an_agent_approves_the_extension(client, book):
    engine, ids, (case_id, other) = book
    sign_in(client, "collector")
    queue = client.get("/console/collections")
    assert queue.status_code == 200
    assert f'href="/console/collections/{case_id}"' in queue.text
    assert f'href="/console/collections/{other}"' in queue.text
    url = f"/console/collections/{case_id}"
    page = client.get(url)
    assert page.status_code == 200 and 'id="schedule"' in page.text
    before = schedule_rows(page.text)
    assert before == 6
    noted = act(client, url, f"{url}/notes", {"text": "borrower said wages come on the 20th"})
    assert noted.status_code == 303
    assert "wages come on the 20th" in client.get(url).text
    empty = act(client, url, f"{url}/notes", {"text": "   "})
    assert empty.status_code == 422 and 'id="error-summary"' in empty.text
    proposed = act(
        client, url, f"{url}/hardship-plans",
        {"kind": "term_extension", "months": "3", "reason": "shifts cut to half"},
    )  # fmt: skip
    assert proposed.status_code == 303, proposed.text
    page = client.get(url).text
    assert "shifts cut to half" in page and 'id="approve-' not in page  # a collector cannot
    assert schedule_rows(page) == before  # nothing moves before approval
    plan_id = _plan_id(engine)
    refused = act(client, url, f"{url}/hardship-plans/{plan_id}/approval", {})
    assert refused.status_code == 403

    sign_in(client, "agent")
    page = client.get(url).text
    assert f'id="approve-{plan_id}"' in page
    approved = act(client, url, f"{url}/hardship-plans/{plan_id}/approval", {})
    assert approved.status_code == 303, approved.text
    page = client.get(url).text
    assert schedule_rows(page) == before + 3
    assigned = act(client, url, f"{url}/assignee", {"assignee": ids["collector"]})
    assert assigned.status_code == 303, assigned.text
    page = client.get(url).text
    assert '<dd id="assignee">collector@lender.example</dd>' in page, re.findall(
        r"(?:assignee|proposed-by|approved-by)\W+[^<]*", page
    )  # people, not user ids
    assert '<td class="proposed-by">collector@lender.example</td>' in page
    assert '<span class="approved-by">agent@lender.example</span>' in page
    assert "· collector@lender.example</span> borrower said wages" in page
    assert ids["agent"] not in page and page.count(ids["collector"]) == 1  # the form's value
    queue = client.get("/console/collections").text
    assert "collector@lender.example" in queue and ids["collector"] not in queue
    chinese = client.get(url, headers={"Accept-Language": "zh-CN"}).text
    english = client.get(url, headers={"Accept-Language": "en"}).text
    assert f"催收案件 {case_id}" in chinese and "延长期限" in chinese
    assert f"Collection case {case_id}" in english and "Term extension" in english


def _plan_id(engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(sa.text("SELECT MAX(id) FROM collection_hardship_plans")).scalar())


def test_an_agency_collector_sees_only_the_agencys_cases(client, book):
    engine, ids, (placed, kept) = book
    collections.assign_agency(
        engine, placed, "acme", actor=Actor(ids["agent"], Role.SERVICING_AGENT)
    )
    sign_in(client, "acme")
    queue = client.get("/console/collections").text
    assert f'href="/console/collections/{placed}"' in queue
    assert f'href="/console/collections/{kept}"' not in queue
    assert client.get(f"/console/collections/{kept}").status_code == 404
    own = client.get(f"/console/collections/{placed}")
    assert own.status_code == 200
    assert 'id="plan-form"' not in own.text and 'id="payments"' not in own.text
    note = act(
        client, f"/console/collections/{placed}", f"/console/collections/{kept}/notes",
        {"text": "trying a foreign case"},
    )  # fmt: skip
    assert note.status_code == 404


def test_an_unknown_case_is_not_found_and_a_borrower_cannot_open_the_queue(client, book):
    sign_in(client, "collector")
    assert client.get("/console/collections/999999").status_code == 404
    # a number past what any row holds (past 64 bits: SQLite cannot bind it) names nothing
    huge = "99999999999999999999"
    assert client.get(f"/console/collections/{huge}").status_code == 404
    assert client.get(f"/console/collections/{2**63}").status_code == 404
    for action in ("notes", "promises", f"hardship-plans/{huge}/decline"):
        form = {"text": "x", "amount": "1", "due": "2025-01-05"}
        sent = post(client, f"/console/collections/{huge}/{action}", form, form_page="/console")
        assert sent.status_code == 404, action
    staff(client, "someone", Role.BORROWER)
    sign_in(client, "someone")
    assert client.get("/console/collections").status_code == 403


def _owned_by_a_borrower(client: TestClient, loan_id: int) -> None:
    """Loan ``loan_id`` opened by an application of 王小明 (phone 13912345678)."""
    context: AppContext = client.app.state.context  # type: ignore[attr-defined]
    user = staff(client, "wang", Role.BORROWER)
    profile = applicants.register_applicant(
        context.engine, context.cipher, actor=Actor(user, Role.BORROWER), name="王小明",
        id_number="110101199003071233", phone="13912345678", on=date(2025, 1, 1),
    )  # fmt: skip
    with context.engine.begin() as conn:
        conn.execute(
            sa.insert(decisioning_tables.applications).values(
                id="app-of-wang", applicant_id=profile.id, user_id=user,
                submitted_at=datetime(2025, 1, 1, tzinfo=UTC), decided_on=date(2025, 1, 1),
                status="accepted", outcome="approve", purpose="phone", segment="gig",
                requested_amount=300000, grade="B", pd="0.05", score=600, model_version="m",
                policy_version="p", arm="champion", id_number_hash="x", phone_hash="y",
                decision_json="{}", pii_enc="", loan_id=str(loan_id), version=1,
            )
        )  # fmt: skip


def _audited_reads(client: TestClient) -> list[str]:
    context: AppContext = client.app.state.context  # type: ignore[attr-defined]
    with context.engine.connect() as conn:
        return [
            str(r.actor)
            for r in conn.execute(
                sa.text("SELECT actor FROM audit_log WHERE action = 'collection.view_borrower'")
            )
        ]


def test_an_in_house_collector_reads_the_borrowers_name_and_phone_to_call(client, book):
    engine, ids, (case_id, _other) = book
    _owned_by_a_borrower(client, _loan_of(engine, case_id))
    sign_in(client, "collector")
    page = client.get(f"/console/collections/{case_id}", headers={"Accept-Language": "en"})
    assert page.status_code == 200
    assert '<dd id="borrower-name">王小明</dd>' in page.text
    assert '<a href="tel:13912345678">13912345678</a>' in page.text
    assert _audited_reads(client) == [f"collector:{ids['collector']}"]
    sign_in(client, "agent")  # an agent approves plans; they do not dial: masked
    page = client.get(f"/console/collections/{case_id}", headers={"Accept-Language": "zh-CN"})
    assert '<dd id="borrower-name">王**</dd>' in page.text and "139****5678" in page.text
    assert "13912345678" not in page.text and "手机号" in page.text


def test_an_agency_collector_reads_the_borrower_masked(client, book):
    engine, ids, (case_id, _other) = book
    _owned_by_a_borrower(client, _loan_of(engine, case_id))
    collections.assign_agency(
        engine, case_id, "acme", actor=Actor(ids["agent"], Role.SERVICING_AGENT)
    )
    sign_in(client, "acme")
    page = client.get(f"/console/collections/{case_id}")
    assert page.status_code == 200
    assert '<dd id="borrower-name">王**</dd>' in page.text
    assert '<dd id="borrower-phone" class="mono">139****5678</dd>' in page.text
    assert "13912345678" not in page.text and "小明" not in page.text
    assert "110101" not in page.text  # never the ID number
    assert _audited_reads(client) == [f"collector:{ids['acme']}"]


def _loan_of(engine, case_id: int) -> int:
    with engine.connect() as conn:
        return int(
            conn.execute(
                sa.text("SELECT loan_id FROM collection_cases WHERE id = :c"), {"c": case_id}
            ).scalar()
        )


def test_contacts_read_in_words_in_both_languages(client, book):
    engine, ids, (case_id, _other) = book
    context: AppContext = client.app.state.context
    collector = Actor(ids["collector"], Role.COLLECTOR)
    # the borrower's number on record
    with_parties(engine, _loan_of(engine, case_id), context.cipher)
    collection_contacts.log_contact(
        engine, case_id, call(at_local(M1_DAY, 10)), cipher=context.cipher, actor=collector
    )
    with pytest.raises(ConductRuleBrokenError):  # 23:00 local: refused, and kept as refused
        collection_contacts.log_contact(
            engine, case_id, call(at_local(M1_DAY, 23)), cipher=context.cipher, actor=collector
        )
    sign_in(client, "collector")
    url = f"/console/collections/{case_id}"
    zh = client.get(url, headers={"Accept-Language": "zh-CN"}).text
    contacts = zh[zh.index('id="contacts"') :].split("</table>")[0]
    assert '<td class="channel">电话</td><td class="outcome">未接听</td>' in contacts
    assert "不在允许联系的时段" in contacts
    assert "unanswered" not in contacts and "contact_window" not in contacts
    en = client.get(url, headers={"Accept-Language": "en"}).text
    assert '<td class="channel">Phone call</td><td class="outcome">Not answered</td>' in en
    assert "Outside the hours for contact" in en


def test_anyone_reads_the_published_list_of_collection_agencies(client: TestClient) -> None:
    """DOMAIN §5.6: the lender publishes the agencies that collect for it; no sign-in."""
    context: AppContext = client.app.state.context  # type: ignore[attr-defined]
    post(client, "/language", {"lang": "en", "next": "/collection-agencies"})
    empty = client.get("/collection-agencies")
    assert empty.status_code == 200 and "We work with no collection agency" in empty.text
    admin = Actor(staff(client, "admin", Role.ADMIN), Role.ADMIN)
    collections.add_agency(context.engine, "zeta", "Zeta 催收服务有限公司", actor=admin)
    collections.add_agency(context.engine, "acme", "Acme collections", actor=admin)
    page = client.get("/collection-agencies")
    listed = re.findall(r'<li data-code="([a-z]+)">([^<]+)</li>', page.text)
    assert listed == [("acme", "Acme collections"), ("zeta", "Zeta 催收服务有限公司")]
    assert 'href="/collection-agencies"' in client.get("/mall").text  # linked from every page
    post(client, "/language", {"lang": "zh", "next": "/collection-agencies"})
    assert "与我们合作的催收机构" in client.get("/collection-agencies").text


PLAN_WORDS = {
    "en": {
        "months": "Enter the months in digits, from 1 to 6.",
        "settle": "A settlement is for less than the {owed} yuan owed today; to pay all of it, "
        "take a payoff instead.",
        "nothing": "Nothing is left to fall due on this loan, so its schedule cannot be changed.",
    },
    "zh": {
        "months": "请用数字填写月数，从 1 到 6。",
        "settle": "折扣结清的金额须低于今天所欠的 {owed} 元；如要全部还清，请办理提前结清。",
        "nothing": "这笔贷款已没有尚未到期的还款，无法调整还款计划。",
    },
}


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_refused_hardship_plan_says_why_in_the_pages_language(client, book, lang):
    """Months out of range, blank or not in digits 0-9, a settlement of all that is owed or
    more, a holiday on a loan with nothing left to fall due: the page says what the service
    said (with the amount), never "Check this value and try again"; nothing is proposed."""
    engine, _ids, (case_id, _other) = book
    sign_in(client, "collector")
    url = f"/console/collections/{case_id}"
    headers = {"Accept-Language": lang}
    words = PLAN_WORDS[lang]
    unknown = translations(lang).gettext(UNKNOWN_PROBLEM)

    def propose(**fields: str) -> str:
        token = csrf(client.get(url).text)
        form = {"csrf_token": token, "reason": "lost job, hours cut", "months": "", **fields}
        said = client.post(f"{url}/hardship-plans", data=form, headers=headers)
        assert said.status_code == 422, said.text
        assert unknown not in said.text
        return str(said.text)

    for months in ("0", "7", "", "２"):
        assert words["months"] in propose(kind="payment_holiday", months=months), months
    loan_id = _loan_of(engine, case_id)
    owed = loans.quote_payoff(engine, loan_id, business_date.current_business_date(engine))
    settle = words["settle"].format(owed=format_yuan(owed.fen, grouped=True))
    assert settle in propose(kind="settlement", amount="999999")
    run_cob(engine, date(2025, 6, 8))  # past the last due date, not yet charged off
    assert words["nothing"] in propose(kind="payment_holiday", months="2")
    with engine.connect() as conn:
        plans = conn.execute(sa.text("SELECT COUNT(*) FROM collection_hardship_plans")).scalar()
    assert plans == 0
