"""The credit-limit pages over HTTP on both databases: the borrower's 额度 page (limit, used,
available, next review, history with reasons), a request answered at once with its reasons
and refused again within 30 days, an offered increase accepted or declined, a draw quoted with
its cost statement and opened once; nobody sees another borrower's line; staff see a line's
behaviour and decisions, change a limit (a large change waits for a second person) and list
the limit-policy versions."""

from __future__ import annotations

import json
import re
import shutil
import time
import warnings
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest
import sqlalchemy as sa
from starlette.exceptions import StarletteDeprecationWarning

from tests.e2e.test_web_pages import (
    apply,
    borrower,
    build_app,
    csrf,
    post,
    seed,
    web_settings,
)
from tests.support.pages import found
from thinfile.decisioning.limit_policy import DEFAULT_LIMIT_POLICY_DIR, load_limit_policy
from thinfile.decisioning.limit_reasons import explain_limit
from thinfile.http import AppContext
from thinfile.security.roles import Role
from thinfile.services import identity
from thinfile.services.identity_records import SYSTEM
from thinfile.services.limit_policies import activate_limit_policy, register_limit_policy

with warnings.catch_warnings():
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from fastapi.testclient import TestClient

PASSWORD = "correct horse battery staple"


@pytest.fixture
def client(tmp_path: Path, database_url: str) -> Iterator[TestClient]:
    app = build_app(tmp_path, settings=web_settings(tmp_path, database_url=database_url))
    with TestClient(app, base_url="http://127.0.0.1") as test_client:
        seed(app, tmp_path)
        yield test_client


def engine_of(client: TestClient) -> sa.Engine:
    context: AppContext = client.app.state.context  # type: ignore[attr-defined]
    return context.engine


def yuan(fen: int | Fraction | Decimal) -> str:
    """Fen as the pages write them (¥1,234.56), computed here, not by the page's filter."""
    value = Decimal(int(fen)) / 100
    return f"¥{value:,.2f}"


def open_line(client: TestClient, monkeypatch: pytest.MonkeyPatch, serial: int) -> int:
    """A new borrower accepts the revolving line offer; the line's number from My credit
    limit (linked from the home page)."""
    borrower(client, serial)
    post(client, "/language", {"lang": "en", "next": "/home"})
    decision_url = apply(client)
    products = re.findall(r'<h2 class="product">([^<]+)<', client.get(decision_url).text)
    index = products.index("Credit line you can draw on")
    offer_url = f"{decision_url}/offers/{index}"
    page = client.get(offer_url).text
    receipt = found(r'name="receipt" value="([^"]+)"', page)
    later = time.time_ns() + 11 * 1_000_000_000
    monkeypatch.setattr(time, "time_ns", lambda: later)
    done = client.post(
        f"{offer_url}/accept",
        data={"csrf_token": csrf(page), "receipt": receipt, "confirm": "yes"},
        follow_redirects=False,
    )
    assert done.status_code == 303, done.text
    assert 'href="/lines"' in client.get("/home").text
    return int(found(r'href="/lines/(\d+)"', client.get("/lines").text))


def line_row(client: TestClient, line_id: int) -> tuple[int, Decimal, str]:
    """The stored limit (fen), rate and status, read from the table."""
    with engine_of(client).connect() as conn:
        row = conn.execute(
            sa.text(
                "SELECT limit_amount, annual_rate, status FROM servicing_credit_lines WHERE id = :i"
            ),
            {"i": line_id},
        ).one()
    return int(row[0]), Decimal(row[1]), str(row[2])


def drawn(client: TestClient, line_id: int) -> list[int]:
    """The principal of each loan drawn from the line (fen), read from the table: nothing
    is repaid in these tests, so their sum is what the line has used."""
    with engine_of(client).connect() as conn:
        rows = conn.execute(
            sa.text("SELECT principal FROM servicing_loans WHERE credit_line_id = :i ORDER BY id"),
            {"i": line_id},
        ).all()
    return [int(r[0]) for r in rows]


def shown(page: str, element: str) -> str:
    return found(rf'id="{element}">([^<]+)<', page)


def month_end(on: date) -> date:
    """The last day of ``on``'s month (the next review)."""
    first = date(on.year + on.month // 12, on.month % 12 + 1, 1)
    return date.fromordinal(first.toordinal() - 1)


def permissive_policy(engine: sa.Engine, tmp_path: Path) -> str:
    """A limit policy that lets a young line ask for more any day: the default without its
    months-on-book rule and request interval; registered and made active."""
    folder = tmp_path / "young-lines"
    shutil.copytree(DEFAULT_LIMIT_POLICY_DIR, folder)
    graph = json.loads((folder / "decision.json").read_text())
    for node in graph["nodes"]:
        if node["id"] == "blockers":
            rules = node["content"]["rules"]
            node["content"]["rules"] = [r for r in rules if r.get("c") != '"MOB_UNDER_3"']
    (folder / "decision.json").write_text(json.dumps(graph))
    settings = json.loads((folder / "policy.json").read_text())
    settings |= {"name": "young lines", "request_interval_days": 0}
    (folder / "policy.json").write_text(json.dumps(settings))
    version = register_limit_policy(engine, folder, actor=SYSTEM)
    activate_limit_policy(engine, version, actor=SYSTEM)
    return version


def test_the_limit_page_shows_the_line_and_a_request_is_answered_with_reasons(client, monkeypatch):
    line_id = open_line(client, monkeypatch, 41)
    limit, _rate, status = line_row(client, line_id)
    page = client.get(f"/lines/{line_id}")
    assert page.status_code == 200
    assert status == "active"
    used = sum(drawn(client, line_id))
    assert (shown(page.text, "limit"), shown(page.text, "used")) == (yuan(limit), yuan(used))
    assert shown(page.text, "available") == yuan(limit - used)
    business_day = date.fromisoformat(shown(page.text, "next-review")).replace(day=1)
    assert shown(page.text, "next-review") == month_end(business_day).isoformat()

    asked = post(client, f"/lines/{line_id}/limit-requests", {}, form_page=f"/lines/{line_id}")
    assert asked.status_code == 200
    # a line opened today is too young: the answer says so in plain words, no offer
    assert "We cannot raise your limit now" in asked.text
    assert explain_limit("MOB_UNDER_3").en in asked.text
    assert f'action="/lines/{line_id}/limit-offers/' not in asked.text
    again = post(client, f"/lines/{line_id}/limit-requests", {}, form_page=f"/lines/{line_id}")
    assert again.status_code == 409
    assert "You can ask again from" in again.text
    assert line_row(client, line_id)[0] == limit

    # in Chinese, the same reasons in Chinese
    post(client, "/language", {"lang": "zh", "next": f"/lines/{line_id}"})
    zh = client.get(f"/lines/{line_id}").text
    assert "我的额度" in zh and explain_limit("MOB_UNDER_3").zh not in zh  # answers are not kept
    post(client, "/language", {"lang": "en", "next": f"/lines/{line_id}"})

    # another borrower sees nothing of it and cannot act on it
    post(client, "/sign-out", {})
    borrower(client, 42)
    assert client.get(f"/lines/{line_id}").status_code == 404
    other = post(client, f"/lines/{line_id}/limit-requests", {}, form_page="/home")
    assert other.status_code == 404
    assert client.get(f"/lines/{line_id}/draw?amount=100&term_months=3").status_code == 404


def test_an_offered_increase_is_accepted_and_another_declined(client, monkeypatch, tmp_path):
    line_id = open_line(client, monkeypatch, 43)
    limit, _rate, _status = line_row(client, line_id)
    permissive_policy(engine_of(client), tmp_path)
    asked = post(client, f"/lines/{line_id}/limit-requests", {}, form_page=f"/lines/{line_id}")
    assert asked.status_code == 200, asked.text
    offered = int(found(r"limit-offers/(\d+)/acceptance", asked.text))
    new_limit = Decimal(found(r"You can have a limit of ¥([0-9,.]+)", asked.text).replace(",", ""))
    assert new_limit * 100 > limit
    assert explain_limit("INCREASE_GOOD_REPAYMENT").en in asked.text
    assert line_row(client, line_id)[0] == limit  # only an offer until accepted
    huge = "99999999999999999999"  # past 64 bits: names no offer (SQLite cannot bind it)
    for what in ("acceptance", "refusal"):
        sent = post(
            client,
            f"/lines/{line_id}/limit-offers/{huge}/{what}",
            {},
            form_page=f"/lines/{line_id}",
        )
        assert sent.status_code == 404, what

    url = f"/lines/{line_id}/limit-offers/{offered}/acceptance"
    accepted = post(client, url, {}, form_page=f"/lines/{line_id}")
    assert accepted.status_code == 303
    assert line_row(client, line_id)[0] == int(new_limit * 100)
    page = client.get(accepted.headers["location"]).text
    assert shown(page, "limit") == yuan(new_limit * 100)
    assert shown(page, "available") == yuan(new_limit * 100 - sum(drawn(client, line_id)))
    assert explain_limit("OFFER_ACCEPTED").en in page
    assert f"{yuan(limit)} → {yuan(new_limit * 100)}" in page
    twice = post(client, url, {}, form_page=f"/lines/{line_id}")
    assert twice.status_code == 409 and "no longer open" in twice.text

    # the next offer is declined: the limit stays
    asked = post(client, f"/lines/{line_id}/limit-requests", {}, form_page=f"/lines/{line_id}")
    offers = re.findall(r"limit-offers/(\d+)/refusal", asked.text)
    if offers:  # a larger limit may still be affordable
        url = f"/lines/{line_id}/limit-offers/{offers[0]}/refusal"
        declined = post(client, url, {}, form_page=f"/lines/{line_id}")
        assert declined.status_code == 303
        assert "You declined the offer" in client.get(declined.headers["location"]).text
    assert line_row(client, line_id)[0] == int(new_limit * 100)


def _installment(principal: int, annual: Decimal, months: int) -> int:
    """Equal installments, exactly: P·r / (1 − (1 + r)^−n), rounded to the fen."""
    r = Fraction(annual) / 12
    exact = Fraction(principal) * r / (1 - (1 + r) ** -months)
    return int(exact + Fraction(1, 2))


def test_a_draw_shows_its_cost_and_opens_one_loan(client, monkeypatch):
    line_id = open_line(client, monkeypatch, 44)
    limit, rate, _status = line_row(client, line_id)
    before = drawn(client, line_id)
    available = limit - sum(before)
    quote = client.get(f"/lines/{line_id}/draw?amount=1000&term_months=6")
    assert quote.status_code == 200, quote.text
    first = _installment(100_000, rate, 6)
    assert yuan(first) in quote.text
    assert "All-in cost statement" in quote.text and "Annualized rate" in quote.text
    assert quote.text.count('<td class="n">') == 6

    too_much = client.get(f"/lines/{line_id}/draw?amount={available // 100 + 1}&term_months=6")
    assert too_much.status_code == 409
    assert f"Draw at most {yuan(available)}" in too_much.text
    odd_term = client.get(f"/lines/{line_id}/draw?amount=1000&term_months=7")
    assert odd_term.status_code == 422

    form = {
        "amount": "1000.00",
        "term_months": "6",
        "available": found(r'name="available" value="([^"]+)"', quote.text),
        "receipt": found(r'name="receipt" value="([^"]+)"', quote.text),
    }
    assert 'id="reading-note"' in quote.text
    hasty = post(
        client, f"/lines/{line_id}/draws", form | {"confirm": "yes"}, form_page=f"/lines/{line_id}"
    )  # at once: the statement was not read for the pause
    assert hasty.status_code == 422 and "at least 10 seconds" in hasty.text
    other = client.get(f"/lines/{line_id}/draw?amount=900&term_months=6").text
    later = time.time_ns() + 11 * 1_000_000_000
    monkeypatch.setattr(time, "time_ns", lambda: later)
    swapped = form | {"receipt": found(r'name="receipt" value="([^"]+)"', other)}
    mismatched = post(  # a receipt of another amount does not confirm this one
        client,
        f"/lines/{line_id}/draws",
        swapped | {"confirm": "yes"},
        form_page=f"/lines/{line_id}",
    )
    assert mismatched.status_code == 422 and "at least 10 seconds" in mismatched.text
    unconfirmed = post(client, f"/lines/{line_id}/draws", form, form_page=f"/lines/{line_id}")
    assert unconfirmed.status_code == 422 and "Tick the box" in unconfirmed.text
    assert drawn(client, line_id) == before
    done = post(
        client, f"/lines/{line_id}/draws", form | {"confirm": "yes"}, form_page=f"/lines/{line_id}"
    )
    assert done.status_code == 303, done.text
    loan_url = done.headers["location"]
    assert re.fullmatch(r"/loans/\d+", loan_url)
    again = post(
        client, f"/lines/{line_id}/draws", form | {"confirm": "yes"}, form_page=f"/lines/{line_id}"
    )
    assert again.status_code == 409 and "changed since you saw this draw" in again.text
    assert drawn(client, line_id) == [*before, 100_000]
    page = client.get(f"/lines/{line_id}").text
    used = sum(before) + 100_000
    assert (shown(page, "used"), shown(page, "available")) == (yuan(used), yuan(limit - used))
    drawn_page = client.get(loan_url)
    assert drawn_page.status_code == 200
    # a draw is under the line's agreement: no loan contract is linked that would not open
    assert "documents/contract.pdf" not in drawn_page.text
    assert "documents/repayment-plan.pdf" in drawn_page.text


def _staff(client: TestClient, email: str, role: Role) -> None:
    context: AppContext = client.app.state.context  # type: ignore[attr-defined]
    identity.create_user(context.engine, context.hasher, email=email, password=PASSWORD, role=role)
    post(client, "/sign-out", {})
    assert post(client, "/sign-in", {"email": email, "password": PASSWORD}).status_code == 303


def test_staff_see_a_line_change_its_limit_with_a_second_person_above_the_threshold(
    client, monkeypatch
):
    line_id = open_line(client, monkeypatch, 45)
    limit, _rate, _status = line_row(client, line_id)
    assert client.get(f"/console/lines/{line_id}").status_code == 403
    _staff(client, "agent@lender.example", Role.SERVICING_AGENT)
    page = client.get(f"/console/lines/{line_id}")
    assert page.status_code == 200
    assert "Months on book" in page.text and shown(page.text, "limit") == yuan(limit)

    url = f"/console/lines/{line_id}/limit-changes"
    lower = limit - 50_000
    small = post(client, url, {"limit": f"{lower / 100:.2f}", "reason": "asked to lower it"})
    assert small.status_code == 303 and small.headers["location"].endswith("done=changed")
    assert line_row(client, line_id)[0] == lower
    page = client.get(f"/console/lines/{line_id}").text
    assert "asked to lower it" in page and shown(page, "limit") == yuan(lower)

    higher = lower + 600_000  # above the default policy's 5,000 yuan
    change = {"limit": f"{higher / 100:.2f}", "reason": "income checked again"}
    unaffordable = post(client, url, change)  # more than the application's income repays
    assert unaffordable.status_code == 422 and "repays a limit of at most ¥" in unaffordable.text
    assert line_row(client, line_id)[0] == lower
    large = post(client, url, {**change, "verified_income": "20000"})
    assert large.headers["location"].endswith("done=requested")
    assert line_row(client, line_id)[0] == lower
    page = client.get(f"/console/lines/{line_id}").text
    approval = found(r'action="(/console/lines/\d+/limit-change-requests/\d+/approval)"', page)
    same = post(client, approval, {}, form_page=f"/console/lines/{line_id}")
    assert same.status_code == 403
    assert line_row(client, line_id)[0] == lower
    meanwhile = post(client, url, {"limit": f"{limit / 100:.2f}", "reason": "back as it was"})
    assert meanwhile.status_code == 409  # a change is already waiting

    _staff(client, "admin@lender.example", Role.ADMIN)
    done = post(client, approval, {}, form_page=f"/console/lines/{line_id}")
    # an increase is offered: the limit moves only when the borrower accepts it
    assert done.status_code == 303 and done.headers["location"].endswith("done=offered")
    assert line_row(client, line_id)[0] == lower
    page = client.get(done.headers["location"]).text
    assert "The increase is offered to the borrower" in page
    assert f"Offered, waiting for the borrower</dt><dd>{yuan(higher)}" in page
    above = post(client, url, {"limit": "30000.01", "reason": "beyond the ceiling"})
    assert above.status_code == 422

    policies = client.get("/console/limit-policies")
    assert policies.status_code == 200
    assert load_limit_policy().version[:24] in policies.text
    assert "Active (champion)" in policies.text

    # the borrower takes the offer
    post(client, "/sign-out", {})
    signed_in = post(client, "/sign-in", {"email": "b45@example.com", "password": PASSWORD})
    assert signed_in.status_code == 303
    mine = client.get(f"/lines/{line_id}").text
    assert explain_limit("STAFF_OFFER").en in mine
    offered = int(found(r"limit-offers/(\d+)/acceptance", mine))
    accept = f"/lines/{line_id}/limit-offers/{offered}/acceptance"
    assert post(client, accept, {}, form_page=f"/lines/{line_id}").status_code == 303
    assert line_row(client, line_id)[0] == higher


def test_staff_read_a_lines_decisions_in_words_in_both_languages(client, monkeypatch):
    line_id = open_line(client, monkeypatch, 46)
    asked = post(client, f"/lines/{line_id}/limit-requests", {}, form_page=f"/lines/{line_id}")
    assert asked.status_code == 200
    _staff(client, "agent@lender.example", Role.SERVICING_AGENT)
    page = client.get(f"/console/lines/{line_id}").text
    words = r"<td>Borrower(?:'|&#39;)s request</td><td>(Champion|Challenger|Control group)</td>"
    assert re.search(words, page)
    assert "<td>request</td>" not in page
    post(client, "/language", {"lang": "zh", "next": f"/console/lines/{line_id}"})
    zh = client.get(f"/console/lines/{line_id}").text
    assert re.search(r"<td>借款人申请</td><td>(冠军策略|挑战者策略|对照组)</td>", zh)
    assert "<td>request</td>" not in zh


def test_underwriters_simulate_a_limit_policy_from_the_console(client):
    url, page = "/console/limit-policies/simulations", "/console/limit-policies"
    _staff(client, "agent-sim@lender.example", Role.SERVICING_AGENT)
    assert 'id="simulate-form"' not in client.get(page).text  # looking is for any staff
    assert post(client, url, {"applicants": "200"}, form_page=page).status_code == 403
    _staff(client, "underwriter-sim@lender.example", Role.UNDERWRITER)
    shown_page = client.get(page).text
    assert 'id="simulate-form"' in shown_page
    version = load_limit_policy().version
    report = post(
        client,
        url,
        {"applicants": "200", "seed": "5", "policy_version": "", "baseline_version": version},
        form_page=page,
    )
    assert report.status_code == 200, report.text[:300]
    assert "Limit policy simulation" in report.text and "Baseline" in report.text
    assert "200 lines" in report.text or " lines over 18 months" in report.text
    # what to change, on the same page, in the reader's words; nothing run
    tiny = post(client, url, {"applicants": "20", "seed": "5"}, form_page=page)
    assert tiny.status_code == 422 and 'id="error-summary"' in tiny.text
    assert 'value="20"' in tiny.text
    words = post(client, url, {"applicants": "many"}, form_page=page)
    assert words.status_code == 422 and 'id="simulate-form"' in words.text
    unknown = post(client, url, {"applicants": "200", "policy_version": "nope"}, form_page=page)
    assert unknown.status_code == 404 and 'id="error-summary"' in unknown.text


def test_a_borrower_closes_a_repaid_line_after_ticking_that_it_is_for_good(client, monkeypatch):
    from thinfile.money import Money
    from thinfile.services import loans, payments
    from thinfile.services.business_date import current_business_date

    line_id = open_line(client, monkeypatch, 47)
    page = f"/lines/{line_id}"
    assert f'action="/lines/{line_id}/closure"' in client.get(page).text
    unticked = post(client, f"{page}/closure", {}, form_page=page)
    assert unticked.status_code == 422 and "Tick the box to confirm" in unticked.text
    owed = post(client, f"{page}/closure", {"confirm": "yes"}, form_page=page)
    assert owed.status_code == 409
    assert f"You still owe {yuan(sum(drawn(client, line_id)))} of principal" in owed.text
    assert line_row(client, line_id)[2] == "active"
    engine = engine_of(client)
    on = current_business_date(engine)
    with engine.connect() as conn:
        ids = list(
            conn.execute(
                sa.text("SELECT id FROM servicing_loans WHERE credit_line_id = :i"),
                {"i": line_id},
            ).scalars()
        )
    for loan_id in ids:
        payoff = loans.quote_payoff(engine, loan_id, on)
        payments.post_payment(engine, loan_id, Money(payoff.fen), on)
    closed = post(client, f"{page}/closure", {"confirm": "yes"}, form_page=page)
    assert closed.status_code == 303, closed.text
    shown_page = client.get(closed.headers["location"]).text
    assert "Your line is closed. It can no longer be drawn." in shown_page
    assert "Closed" in shown_page and 'id="draw-button"' not in shown_page
    assert f'action="/lines/{line_id}/closure"' not in shown_page
    assert line_row(client, line_id)[2] == "closed"
    post(client, "/language", {"lang": "zh", "next": page})
    assert "注销" in client.get(page).text or "已关闭" in client.get(page).text
