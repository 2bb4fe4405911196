"""My loans and the console's loan pages over HTTP: accepting opens the loan, paying lowers the
balance once per form, nobody sees another borrower's loan, staff see balanced journal entries
and their servicing actions are audited, and the portfolio charts the loan book."""

from __future__ import annotations

import re
import time
import warnings
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa
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
from tests.integration.servicing_helpers import terms
from tests.support.databases import fresh_database_url, require_postgres
from tests.support.pages import found
from thinfile.http import AppContext
from thinfile.security.roles import Role
from thinfile.services import cob, identity, loan_receipts, loans
from thinfile.services.audit import AuditDraft
from thinfile.store.identity_tables import audit_log
from thinfile.store.servicing_tables import transactions
from thinfile.web import loan_views, servicing_actions
from thinfile.web.forms import UNKNOWN_PROBLEM
from thinfile.web.i18n import translations
from thinfile.web.routes import servicing as servicing_routes

with warnings.catch_warnings():
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from fastapi.testclient import TestClient


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    app = build_app(tmp_path)
    with TestClient(app, base_url="http://127.0.0.1") as test_client:
        seed(app, tmp_path)
        yield test_client


def accept_offer(client, monkeypatch) -> int:
    """Accept offer 0 after the reading pause; the loan id from My loans."""
    offer_url = f"{apply(client)}/offers/0"
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
    mine = client.get("/loans").text
    return int(found(r'href="/loans/(\d+)"', mine))


def balance(page: str) -> str:
    return found(r'class="balance">([^<]+)<', page)


def pay_form(page: str, form: str = "payments") -> dict[str, str]:
    action = re.search(rf'<form method="post" action="(/loans/\d+/{form})".*?</form>', page, re.S)
    assert action, f"no {form} form"
    inputs = re.findall(r"<input[^>]*>", action.group(0))  # buttons are sent only when clicked
    fields = dict(re.findall(r'name="(\w+)"[^>]*?value="([^"]*)"', " ".join(inputs)))
    return {"url": action.group(1), **fields}


def console_form(page: str, action: str, txn: int | str | None = None) -> dict[str, str]:
    """The hidden fields (CSRF token, one-time key, …) of the console's loan form posting to
    ``action`` (``merchant-refunds``, ``charge-off``, …; a reversal's by its ``txn``)."""
    forms = re.findall(
        rf'<form method="post"[^>]*action="/console/loans/\d+/{action}"[^>]*>(.*?)</form>',
        page,
        re.S,
    )
    for form in forms:
        hidden = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', form))
        if txn is None or hidden.get("txn_id") == str(txn):
            return hidden
    raise AssertionError(f"no {action} form")


def engine_of(client) -> sa.Engine:
    context: AppContext = client.app.state.context
    return context.engine


def to_charge_off_threshold(client, loan_id: int) -> None:
    """Close business until the loan's first installment has been unpaid for a day less than
    its product's charge-off days: on the business date after, one agent may charge it off."""
    account = loans.get_loan(engine_of(client), loan_id).account
    days = account.product.charge_off_days - 1
    cob.run_cob(engine_of(client), account.installments[0].due + timedelta(days=days))
    assert loans.get_loan(engine_of(client), loan_id).account.status.value == "active"


def staff_user(client, email: str, role: Role) -> None:
    context: AppContext = client.app.state.context
    identity.create_user(context.engine, context.hasher, email=email, password=PASSWORD, role=role)
    post(client, "/sign-out", {}, form_page="/sign-in")
    reply = post(client, "/sign-in", {"email": email, "password": PASSWORD})
    assert reply.status_code == 303


def test_accepting_an_offer_opens_the_loan_shown_under_my_loans(client, monkeypatch):
    borrower(client, 21)
    loan_id = accept_offer(client, monkeypatch)
    page = client.get(f"/loans/{loan_id}").text
    assert balance(page) == "¥6,000.00"
    assert page.count('<tr class="row-') == 12
    assert "Loan paid out" in page or "放款" in page
    # paying early is explained: interest only for the days used (民法典 art. 677)
    assert "only for the days you have used" in page or "实际用款的天数" in page


def test_offers_decided_more_than_thirty_days_ago_have_lapsed_and_say_apply_again(client):
    borrower(client, 23)
    decision_url = apply(client)
    at = datetime.now(UTC) - timedelta(days=31)
    with client.app.state.context.engine.begin() as conn:
        conn.execute(
            sa.text("UPDATE applications SET submitted_at = :t WHERE id = :i"),
            {"t": at, "i": decision_url.rsplit("/", 1)[-1]},
        )
    page = client.get(decision_url)
    assert page.status_code == 200
    assert 'id="lapsed"' in page.text and "See details and cost statement" not in page.text
    assert "/offers/0" not in page.text


def test_paying_one_installment_lowers_the_balance_and_a_double_submit_posts_once(
    client, monkeypatch
):
    borrower(client, 22)
    loan_id = accept_offer(client, monkeypatch)
    page = client.get(f"/loans/{loan_id}").text
    form = pay_form(page)
    data = {
        "csrf_token": form["csrf_token"],
        "amount": form["amount"],
        "idempotency_key": form["idempotency_key"],
    }
    first = client.post(form["url"], data=data, follow_redirects=False)
    again = client.post(form["url"], data=data, follow_redirects=False)
    assert first.status_code == again.status_code == 303
    assert first.headers["location"] == again.headers["location"]
    with engine_of(client).connect() as conn:
        posted = conn.execute(
            sa.select(sa.func.count())
            .select_from(transactions)
            .where(transactions.c.loan_id == loan_id, transactions.c.kind == "repayment")
        ).scalar()
    assert posted == 1
    assert audited(client, "payment.post", loan_id) == ["borrower"]  # once, naming the payer
    after = loans.get_loan(engine_of(client), loan_id)
    assert after.outstanding.principal < 600_000
    assert balance(client.get(first.headers["location"]).text) != "¥6,000.00"


def test_a_bad_amount_is_named_beside_the_pay_field(client, monkeypatch):
    borrower(client, 23)
    loan_id = accept_offer(client, monkeypatch)
    form = pay_form(client.get(f"/loans/{loan_id}").text)
    reply = client.post(
        form["url"],
        data={
            "csrf_token": form["csrf_token"],
            "amount": "lots",
            "idempotency_key": form["idempotency_key"],
        },
    )
    assert reply.status_code == 422 and 'id="e-pay-amount"' in reply.text
    forged = client.post(
        form["url"],
        data={
            "csrf_token": form["csrf_token"],
            "amount": "10",
            "idempotency_key": "web-999-" + "0" * 32,
        },
    )
    assert forged.status_code == 422


def test_an_amount_typed_with_an_exponent_or_foreign_digits_is_refused_and_not_posted(
    client, monkeypatch
):
    borrower(client, 35)
    loan_id = accept_offer(client, monkeypatch)
    page = client.get(f"/loans/{loan_id}").text
    for name in ("payments", "prepayments"):
        form = pay_form(page, name)
        prefix = "pay" if name == "payments" else "prepay"
        for typed in ("1e12", "1E3", "１２３", "NaN", "Infinity", "12,34", "1_000", "+5"):
            reply = client.post(
                form["url"],
                data={
                    "csrf_token": form["csrf_token"],
                    "amount": typed,
                    "idempotency_key": form["idempotency_key"],
                },
            )
            assert reply.status_code == 422, typed
            shown = re.search(rf'id="e-{prefix}-amount">([^<]+)<', reply.text)
            assert shown and "0-9" in shown.group(1), typed
    with engine_of(client).connect() as conn:
        kinds = (
            conn.execute(sa.select(transactions.c.kind).where(transactions.c.loan_id == loan_id))
            .scalars()
            .all()
        )
    assert kinds == ["disbursement"]
    assert balance(client.get(f"/loans/{loan_id}").text) == "¥6,000.00"


def test_repaying_everything_pays_the_quote_and_closes_the_loan(client, monkeypatch):
    borrower(client, 24)
    loan_id = accept_offer(client, monkeypatch)
    form = pay_form(client.get(f"/loans/{loan_id}").text, "prepayments")
    assert form["whole"] == "all"
    reply = client.post(
        form["url"], data={k: v for k, v in form.items() if k != "url"}, follow_redirects=False
    )
    assert reply.status_code == 303, reply.text
    assert loans.get_loan(engine_of(client), loan_id).account.status.value == "closed"
    again = client.post(
        form["url"], data={k: v for k, v in form.items() if k != "url"}, follow_redirects=False
    )
    assert again.status_code == 303  # the same form again: found by its key, nothing posted
    assert audited(client, "payment.prepay", loan_id) == ["borrower"]


def test_repaying_part_early_cuts_the_principal_by_the_chosen_mode(client, monkeypatch):
    borrower(client, 32)
    loan_id = accept_offer(client, monkeypatch)
    page = client.get(f"/loans/{loan_id}").text
    part = re.findall(
        r'<form method="post" action="(/loans/\d+/prepayments)">.*?</form>', page, re.S
    )
    keys = re.findall(r'name="idempotency_key" value="([^"]+)"', page)
    key = keys[-1]
    assert len(set(keys[-2:])) == 2  # "everything" and "part": two payments, two keys
    reply = client.post(
        part[0],
        data={
            "csrf_token": csrf(page),
            "idempotency_key": key,
            "amount": "1,000",
            "mode": "shorten-term",
        },
        follow_redirects=False,
    )
    assert reply.status_code == 303, reply.text
    after = loans.get_loan(engine_of(client), loan_id)
    assert after.outstanding.principal <= 500_000
    assert len([i for i in after.account.installments if i.principal_due]) < 12


def _part_form(page: str) -> str:
    found_form = re.search(
        r'<form method="post" action="/loans/\d+/prepayments">.*?</form>', page, re.S
    )
    assert found_form, "no repay-part form"
    return found_form.group(0)


def test_a_stale_payoff_is_refused_on_the_repay_everything_form_with_the_new_payoff(
    client, monkeypatch
):
    """Tab A shows the payoff, tab B repays part, tab A repays everything: the refusal sits on
    the "Repay everything" form, which now offers the new payoff; "Repay part" stays shut and
    empty, so clicking again never makes a part payment by mistake."""
    borrower(client, 37)
    loan_id = accept_offer(client, monkeypatch)
    tab_a = client.get(f"/loans/{loan_id}").text
    stale = pay_form(tab_a, "prepayments")
    tab_b = client.get(f"/loans/{loan_id}").text
    part_key = re.findall(r'name="idempotency_key" value="([^"]+)"', _part_form(tab_b))[0]
    repaid = client.post(
        f"/loans/{loan_id}/prepayments",
        data={"csrf_token": csrf(tab_b), "idempotency_key": part_key, "amount": "10"},
        follow_redirects=False,
    )
    assert repaid.status_code == 303, repaid.text
    reply = client.post(stale["url"], data={k: v for k, v in stale.items() if k != "url"})
    assert reply.status_code == 422, reply.text
    fresh = pay_form(reply.text, "prepayments")
    everything = re.search(r'<form [^>]*id="payoff-form".*?</form>', reply.text, re.S)
    assert everything and 'id="e-payoff-amount"' in everything.group(0)
    assert fresh["whole"] == "all" and fresh["amount"] != stale["amount"]
    assert Decimal(fresh["amount"]) == Decimal(stale["amount"]) - 10
    part = _part_form(reply.text)
    assert 'id="e-prepay-amount"' not in reply.text
    assert re.search(r'id="f-prepay-amount"[^>]*value=""', part)
    assert "<details open>" not in reply.text and "<details>" in reply.text
    assert [t.kind for t in loans.get_loan(engine_of(client), loan_id).transactions] == [
        "disbursement",
        "prepayment",
    ]


def test_a_borrower_can_never_see_or_pay_another_borrowers_loan(client, monkeypatch):
    borrower(client, 25)
    theirs = accept_offer(client, monkeypatch)
    form = pay_form(client.get(f"/loans/{theirs}").text)
    post(client, "/sign-out", {}, form_page="/home")
    borrower(client, 26)
    assert client.get(f"/loans/{theirs}").status_code == 404
    assert client.get("/loans/999999").status_code == 404
    assert f"/loans/{theirs}" not in client.get("/loans").text
    mine = csrf(client.get("/loans").text)
    for url in (form["url"], f"/loans/{theirs}/prepayments"):
        reply = client.post(
            url,
            data={
                "csrf_token": mine,
                "amount": "100",
                "idempotency_key": f"web-{theirs}-" + "a" * 32,
            },
        )
        assert reply.status_code == 404
    with engine_of(client).connect() as conn:
        assert not conn.execute(
            sa.select(transactions.c.id).where(
                transactions.c.loan_id == theirs, transactions.c.kind == "repayment"
            )
        ).first()
    assert client.get(f"/console/loans/{theirs}").status_code == 403


def audited(client, action: str, loan_id: int) -> list[str]:
    """The roles of the actors of ``action`` rows about ``loan_id``."""
    with engine_of(client).connect() as conn:
        return [
            actor.split(":")[0]
            for actor in conn.execute(
                sa.select(audit_log.c.actor).where(
                    audit_log.c.action == action, audit_log.c.subject == f"loan:{loan_id}"
                )
            ).scalars()
        ]


def actions(client) -> list[str]:
    with engine_of(client).connect() as conn:
        return list(conn.execute(sa.select(audit_log.c.action).order_by(audit_log.c.seq)).scalars())


def test_staff_see_balanced_journal_entries_and_servicing_actions_are_audited(client, monkeypatch):
    borrower(client, 27)
    loan_id = accept_offer(client, monkeypatch)
    form = pay_form(client.get(f"/loans/{loan_id}").text)
    client.post(form["url"], data={k: v for k, v in form.items() if k != "url"})
    staff_user(client, "agent@lender.example", Role.SERVICING_AGENT)
    page = client.get(f"/console/loans/{loan_id}").text
    assert 'class="entry unbalanced"' not in page and page.count('class="entry"') >= 2
    assert "Every entry balances" in page or "每一笔分录借贷相等" in page
    txn = found(r'name="txn_id" value="(\d+)"', page)
    reply = client.post(
        f"/console/loans/{loan_id}/reversals",
        data={**console_form(page, "reversals", txn), "reason": "bounced"},
        follow_redirects=False,
    )
    assert reply.status_code == 303, reply.text
    assert "/merchant-refunds" not in page  # a cash loan has no merchant to refund it
    refund = client.post(
        f"/console/loans/{loan_id}/merchant-refunds",
        data={
            "csrf_token": csrf(page),
            "idempotency_key": servicing_actions.new_form_key(loan_id),
            "amount": "500",
            "reason": "goodwill gesture",
        },
        follow_redirects=False,
    )
    assert refund.status_code == 409, refund.text
    to_charge_off_threshold(client, loan_id)
    page = client.get(f"/console/loans/{loan_id}").text
    off = client.post(
        f"/console/loans/{loan_id}/charge-off",
        data={**console_form(page, "charge-off"), "reason": "fraud confirmed"},
        follow_redirects=False,
    )
    assert off.status_code == 303, off.text
    assert {"payment.reverse", "loan.charge_off"} <= set(actions(client))
    assert "loan.merchant_refund" not in actions(client)
    after = client.get(f"/console/loans/{loan_id}").text
    assert 'class="entry unbalanced"' not in after and "status-charged-off" in after
    book = client.get("/console/portfolio", headers={"Accept-Language": "en"}).text
    row = re.search(r"<tr><td><a href=\"/console/loans\?status=charged-off\">.*?</tr>", book)
    assert row and "¥0.00</td></tr>" not in row.group(0)  # charged-off principal shown


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_one_agent_may_not_charge_off_a_loan_before_the_charge_off_days(client, monkeypatch, lang):
    """A current loan's page offers a write-off request (a second person approves it), not a
    charge-off; a charge-off sent anyway is refused with what to do, and nothing is posted."""
    borrower(client, 48)
    loan_id = accept_offer(client, monkeypatch)
    staff_user(client, f"agent-early-{lang}@lender.example", Role.SERVICING_AGENT)
    headers = {"Accept-Language": lang}
    page = client.get(f"/console/loans/{loan_id}", headers=headers).text
    assert f"/console/loans/{loan_id}/charge-off" not in page
    assert f"/console/loans/{loan_id}/write-off-requests" in page
    refused = client.post(
        f"/console/loans/{loan_id}/charge-off",
        headers=headers,
        data={
            "csrf_token": csrf(page),
            "idempotency_key": servicing_actions.new_form_key(loan_id),
            "reason": "fraud suspected",
        },
    )
    assert refused.status_code == 403
    said = translations(lang).gettext(servicing_routes.LOSS_NEEDS_APPROVAL)
    assert said in refused.text and (lang == "zh") == ("核销" in said)
    assert loans.get_loan(engine_of(client), loan_id).account.status.value == "active"
    assert "loan.charge_off" not in actions(client)


def test_a_console_action_whose_audit_row_fails_posts_nothing(client, monkeypatch):
    borrower(client, 33)
    loan_id = accept_offer(client, monkeypatch)
    to_charge_off_threshold(client, loan_id)
    staff_user(client, "agent4@lender.example", Role.SERVICING_AGENT)
    page = client.get(f"/console/loans/{loan_id}").text

    def unavailable(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("the audit log is unavailable")

    with monkeypatch.context() as broken:
        broken.setattr(AuditDraft, "append", unavailable)
        with pytest.raises(RuntimeError):
            client.post(
                f"/console/loans/{loan_id}/charge-off",
                data={**console_form(page, "charge-off"), "reason": "fraud confirmed"},
            )
    assert loans.get_loan(engine_of(client), loan_id).account.status.value == "active"
    assert "loan.charge_off" not in actions(client)


def test_staff_waive_fees_from_the_loan_page_and_the_waiver_is_audited(client, monkeypatch):
    borrower(client, 34)
    loan_id = accept_offer(client, monkeypatch)
    cob.run_cob(
        engine_of(client),
        loans.get_loan(engine_of(client), loan_id).account.disbursed_on + timedelta(days=5),
    )
    fee = loans.get_loan(engine_of(client), loan_id).outstanding.fee
    assert fee > 100
    staff_user(client, "agent5@lender.example", Role.SERVICING_AGENT)
    english = {"Accept-Language": "en"}
    page = client.get(f"/console/loans/{loan_id}", headers=english).text
    assert f"/console/loans/{loan_id}/fee-waivers" in page
    too_much = client.post(
        f"/console/loans/{loan_id}/fee-waivers",
        headers=english,
        data={
            **console_form(page, "fee-waivers"),
            "amount": "9999",
            "reason": "goodwill",
            "kind": "fee",
        },
    )
    assert too_much.status_code == 422 and 'id="e-waiver-amount"' in too_much.text
    done = client.post(
        f"/console/loans/{loan_id}/fee-waivers",
        data={
            **console_form(page, "fee-waivers"),
            "amount": "1.00",
            "reason": "first late fee forgiven",
            "kind": "fee",
        },
        follow_redirects=False,
    )
    assert done.status_code == 303, done.text
    assert loans.get_loan(engine_of(client), loan_id).outstanding.fee == fee - 100
    assert actions(client)[-1] == "loan.fee_waiver"
    after = client.get(f"/console/loans/{loan_id}", headers=english).text
    assert "Fees waived" in after and "Fees and penalty waived" in after
    assert 'class="entry unbalanced"' not in after
    waiver_txn = max(
        t.txn_id
        for t in loans.get_loan(engine_of(client), loan_id).transactions
        if t.kind == "fee-waiver"
    )
    assert f'name="txn_id" value="{waiver_txn}"' in after  # a waiver given in error ...
    undone = client.post(
        f"/console/loans/{loan_id}/reversals",
        data={**console_form(after, "reversals", waiver_txn), "reason": "not approved"},
        follow_redirects=False,
    )
    assert undone.status_code == 303, undone.text  # ... is reversed: the fee is owed again
    assert loans.get_loan(engine_of(client), loan_id).outstanding.fee == fee
    assert actions(client)[-1] == "loan.fee_waiver_reverse"


def test_an_underwriter_may_look_at_a_loan_but_not_change_it(client, monkeypatch):
    borrower(client, 28)
    loan_id = accept_offer(client, monkeypatch)
    to_charge_off_threshold(client, loan_id)  # where a servicing agent sees the form
    post(client, "/sign-out", {}, form_page="/home")
    post(client, "/sign-in", {"email": "uw@lender.example", "password": PASSWORD})
    page = client.get(f"/console/loans/{loan_id}").text
    assert "/charge-off" not in page
    reply = client.post(
        f"/console/loans/{loan_id}/charge-off",
        data={"csrf_token": csrf(page), "reason": "just because"},
    )
    assert reply.status_code == 403


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_portfolio_charts_the_loan_book_by_status_and_bucket(client, monkeypatch, lang):
    borrower(client, 29)
    accept_offer(client, monkeypatch)
    post(client, "/sign-out", {}, form_page="/home")
    post(client, "/sign-in", {"email": "uw@lender.example", "password": PASSWORD})
    page = client.get("/console/portfolio", headers={"Accept-Language": lang}).text
    assert page.count('<svg class="chart"') == 4
    assert ("正常还款中" if lang == "zh" else "Repaying") in page
    assert "¥6,000.00" in page


def test_a_late_borrower_sees_the_days_late_and_the_console_keeps_the_bucket_history(
    client, monkeypatch
):
    borrower(client, 30)
    loan_id = accept_offer(client, monkeypatch)
    later = date.today() + timedelta(days=45)
    monkeypatch.setattr(loan_views, "current_business_date", lambda _engine, **_: later)
    english = {"Accept-Language": "en"}
    page = client.get(f"/loans/{loan_id}", headers=english).text
    assert "days late" in page and "Overdue (M" in page and 'class="row-overdue"' in page
    form = pay_form(page)
    reply = client.post(
        form["url"], data={k: v for k, v in form.items() if k != "url"}, follow_redirects=False
    )
    assert reply.status_code == 303, reply.text
    assert "days late" not in client.get(reply.headers["location"], headers=english).text
    staff_user(client, "agent2@lender.example", Role.SERVICING_AGENT)
    console = client.get(f"/console/loans/{loan_id}", headers=english).text
    history = console[console.index("Delinquency bucket history") :]
    assert history.count("Overdue (M") >= 2 and "Never late." not in history


@pytest.mark.postgres
def test_the_loan_pages_and_the_book_work_on_postgresql(tmp_path, monkeypatch):
    require_postgres()
    url = fresh_database_url("postgresql", tmp_path)
    settings = web_settings(tmp_path).model_copy(update={"database_url": next(url)})
    app = build_app(tmp_path, settings=settings)
    try:
        with TestClient(app, base_url="http://127.0.0.1") as pg_client:
            seed(app, tmp_path)
            borrower(pg_client, 31)
            loan_id = accept_offer(pg_client, monkeypatch)
            form = pay_form(pg_client.get(f"/loans/{loan_id}").text)
            reply = pg_client.post(
                form["url"],
                data={k: v for k, v in form.items() if k != "url"},
                follow_redirects=False,
            )
            assert reply.status_code == 303, reply.text
            staff_user(pg_client, "agent3@lender.example", Role.SERVICING_AGENT)
            page = pg_client.get(f"/console/loans/{loan_id}").text
            assert page.count('class="entry"') >= 2 and "unbalanced" not in page
            book = pg_client.get("/console/portfolio").text
            assert book.count('<svg class="chart"') == 4 and "¥5," in book
        app.state.context.engine.dispose()
    finally:
        next(url, None)


def test_pay_now_with_the_payoff_amount_previews_then_closes_the_loan(client, monkeypatch):
    borrower(client, 41)
    loan_id = accept_offer(client, monkeypatch)
    cob.run_cob(
        engine_of(client),
        loans.get_loan(engine_of(client), loan_id).account.disbursed_on + timedelta(days=9),
    )
    page = client.get(f"/loans/{loan_id}").text
    payoff = pay_form(page, "prepayments")["amount"]
    form = pay_form(page)
    data = {
        "csrf_token": form["csrf_token"],
        "idempotency_key": form["idempotency_key"],
        "amount": payoff,
    }
    shown = client.post(form["url"], data={**data, "action": "preview"})
    assert shown.status_code == 200, shown.text
    assert 'id="pay-preview"' in shown.text
    assert "The loan is repaid in full." in shown.text or "贷款全部结清。" in shown.text
    assert loans.get_loan(engine_of(client), loan_id).account.status.value == "active"
    paid = client.post(form["url"], data=data, follow_redirects=False)
    assert paid.status_code == 303, paid.text
    after = loans.get_loan(engine_of(client), loan_id)
    assert after.account.status.value == "closed" and after.account.credit == 0


def test_pay_now_above_the_payoff_is_refused_beside_the_field_with_the_payoff(client, monkeypatch):
    borrower(client, 42)
    loan_id = accept_offer(client, monkeypatch)
    page = client.get(f"/loans/{loan_id}").text
    payoff = pay_form(page, "prepayments")["amount"]
    form = pay_form(page)
    reply = client.post(
        form["url"],
        data={
            "csrf_token": form["csrf_token"],
            "idempotency_key": form["idempotency_key"],
            "amount": "99999999",
        },
    )
    assert reply.status_code == 422
    assert payoff in reply.text
    assert [t.kind for t in loans.get_loan(engine_of(client), loan_id).transactions] == [
        "disbursement"
    ]


def _refusal_of(client, form: dict[str, str], amount: str) -> str:
    reply = client.post(
        form["url"],
        data={
            "csrf_token": form["csrf_token"],
            "idempotency_key": form["idempotency_key"],
            "amount": amount,
        },
        headers={"Accept-Language": "en"},
    )
    assert reply.status_code == 422, reply.text
    return found(r'id="e-pay-amount">([^<]+)<', reply.text)


def test_paying_more_than_owed_or_nothing_says_what_to_pay_instead(client, monkeypatch):
    """Cash beyond the payoff names the most that can be paid; zero or less asks for an
    amount above zero, not for "an amount in yuan" the borrower already typed."""
    borrower(client, 43)
    loan_id = accept_offer(client, monkeypatch)
    page = client.get(f"/loans/{loan_id}").text
    payoff = pay_form(page, "prepayments")["amount"]
    form = pay_form(page)
    assert _refusal_of(client, form, "99999999") == (
        f"That is more than you owe: pay at most {payoff} yuan."
    )
    for nothing in ("0", "-5", "0.00"):
        assert _refusal_of(client, form, nothing) == (
            "Enter an amount above zero, such as 100 or 99.50."
        ), nothing
    assert [t.kind for t in loans.get_loan(engine_of(client), loan_id).transactions] == [
        "disbursement"
    ]


def _language_form_next(page: str) -> str:
    form = re.search(r'<form method="post" action="/language".*?</form>', page, re.S)
    assert form, "no language switch"
    return found(r'name="next" value="([^"]*)"', form.group(0))


def test_switching_language_after_a_refused_payment_returns_to_the_loan_page(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The refused form is shown at its POST-only address; the language switch on it must
    come back to the loan's page, never to that address (a 405 in JSON)."""
    borrower(client, 36)
    loan_id = accept_offer(client, monkeypatch)
    form = pay_form(client.get(f"/loans/{loan_id}").text)
    refused = client.post(
        form["url"],
        data={"csrf_token": form["csrf_token"], "amount": "lots", "idempotency_key": "x"},
        headers={"Referer": f"http://127.0.0.1/loans/{loan_id}"},
    )
    assert refused.status_code == 422
    back = _language_form_next(refused.text)
    assert back == f"/loans/{loan_id}"
    switched = client.post(
        "/language",
        data={"csrf_token": form["csrf_token"], "lang": "en", "next": back},
        follow_redirects=True,
    )
    assert switched.status_code == 200 and '<html lang="en">' in switched.text
    assert str(switched.url).endswith(f"/loans/{loan_id}")


@pytest.mark.parametrize(
    ("asked", "referer", "lands"),
    [
        ("/loans/{id}/payments", "http://127.0.0.1/loans/{id}", "/loans/{id}"),
        ("/loans/{id}/payments", "", "/"),
        ("/sign-out", "https://evil.example/loans/{id}", "/"),
        ("//evil.example/", "http://127.0.0.1/loans/{id}/prepayments", "/"),
        ("/loans?x=1", "", "/loans?x=1"),
    ],
)
def test_the_language_switch_returns_only_to_a_page_served_with_get(
    client: TestClient, monkeypatch: pytest.MonkeyPatch, asked: str, referer: str, lands: str
) -> None:
    borrower(client, 37)
    loan_id = str(accept_offer(client, monkeypatch))
    headers = {"Referer": referer.format(id=loan_id)} if referer else {}
    token = csrf(client.get("/loans").text)
    reply = client.post(
        "/language",
        data={"csrf_token": token, "lang": "en", "next": asked.format(id=loan_id)},
        headers=headers,
        follow_redirects=False,
    )
    assert reply.status_code == 303
    assert reply.headers["location"] == lands.format(id=loan_id)


def test_each_payment_is_accounted_for_on_the_installments_it_went_to(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The receipts replayed from the loan's opening add up: every fen of each payment is
    paid on an installment, held or returned, and the payoff reaches every open one."""
    borrower(client, 38)
    loan_id = accept_offer(client, monkeypatch)
    page = client.get(f"/loans/{loan_id}").text
    form = pay_form(page)
    fields = {k: form[k] for k in ("csrf_token", "amount", "idempotency_key")}
    assert client.post(form["url"], data=fields, follow_redirects=False).status_code == 303
    payoff = pay_form(client.get(f"/loans/{loan_id}").text, "prepayments")
    fields = {k: payoff[k] for k in ("csrf_token", "amount", "idempotency_key", "whole")}
    assert client.post(payoff["url"], data=fields, follow_redirects=False).status_code == 303
    receipts = loan_receipts.payment_receipts(engine_of(client), loan_id)
    assert [r.kind for r in receipts] == ["repayment", "prepayment"]
    for receipt in receipts:
        assert receipt.paid.total + receipt.held + receipt.returned == receipt.amount
        assert sum(i.paid.total for i in receipt.installments) == receipt.paid.total
    assert [i.n for i in receipts[1].installments] == list(range(1, 13))
    assert receipts[1].closed and not receipts[0].closed
    # paid on the day the loan opened, before its first period ran: all of it principal
    # ahead of schedule, which the page says rather than only "went to installment 1"
    first = receipts[0]
    assert first.paid.interest == 0 and first.ahead == first.paid.principal == first.amount
    assert receipts[1].ahead > 0  # the payoff's principal not yet due
    shown = client.get(f"/loans/{loan_id}", headers={"Accept-Language": "en"}).text
    assert f'id="receipt-{first.txn_id}"' in shown
    assert shown.count('class="ahead"') == 1  # the first; the payoff says the loan is repaid
    assert loans.get_loan(engine_of(client), loan_id).outstanding.total == 0


def test_a_console_write_off_needs_a_second_servicing_agent(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The console holds the API's rule: one agent requests the write-off of a current loan,
    cannot approve it themselves, and another agent's approval posts it."""
    borrower(client, 39)
    loan_id = accept_offer(client, monkeypatch)
    staff_user(client, "maker@lender.example", Role.SERVICING_AGENT)
    page = client.get(f"/console/loans/{loan_id}").text
    asked = client.post(
        f"/console/loans/{loan_id}/write-off-requests",
        data={"csrf_token": csrf(page), "reason": "borrower deceased"},
        follow_redirects=False,
    )
    assert asked.status_code == 303, asked.text
    again = client.post(  # a double click: answered as the first, no second request
        f"/console/loans/{loan_id}/write-off-requests",
        data={"csrf_token": csrf(page), "reason": "borrower deceased"},
        follow_redirects=False,
    )
    assert again.status_code == 303 and again.headers["location"] == asked.headers["location"]
    assert len(audited(client, "loan.write_off_request", loan_id)) == 1
    page = client.get(f"/console/loans/{loan_id}").text
    assert 'id="approve-write-off"' not in page  # not for the one who asked
    assert 'id="write-off-request"' in page
    with engine_of(client).connect() as conn:
        request_id = conn.execute(
            sa.text("SELECT id FROM servicing_write_off_requests WHERE loan_id = :l"),
            {"l": loan_id},
        ).scalar_one()
    own = client.post(
        f"/console/loans/{loan_id}/write-off-requests/{request_id}/approval",
        data={"csrf_token": csrf(page), "idempotency_key": servicing_actions.new_form_key(loan_id)},
        follow_redirects=False,
    )
    assert own.status_code == 403
    assert loans.get_loan(engine_of(client), loan_id).account.status.value == "active"
    staff_user(client, "checker@lender.example", Role.SERVICING_AGENT)
    page = client.get(f"/console/loans/{loan_id}").text
    assert 'id="approve-write-off"' in page
    approval = console_form(page, rf"write-off-requests/{request_id}/approval")
    url = f"/console/loans/{loan_id}/write-off-requests/{request_id}/approval"
    rows = twice(client, url, approval)  # the approval sent twice writes off once
    assert [r[1] for r in rows].count("write-off") == 1
    assert len(audited(client, "loan.write_off", loan_id)) == 1
    assert loans.get_loan(engine_of(client), loan_id).account.status.value == "written-off"
    assert {"loan.write_off_request", "loan.write_off"} <= set(actions(client))


def test_the_loan_page_tells_owed_so_far_from_the_payoff_and_fees_from_penalty(client, monkeypatch):
    """The balance and the payoff differ and the page says why; a preview puts the product's
    fee under fees — a loan paid on time owes no penalty."""
    borrower(client, 43)
    loan_id = accept_offer(client, monkeypatch)
    engine = engine_of(client)
    cob.run_cob(engine, loans.get_loan(engine, loan_id).account.disbursed_on + timedelta(days=5))
    english = {"Accept-Language": "en"}
    page = client.get(f"/loans/{loan_id}", headers=english).text
    payoff = pay_form(page, "prepayments")["amount"]
    hint = found(r'<p class="hint" id="balance-vs-payoff">([^<]+)</p>', page)
    assert "Owed so far" in page and "installments still to come is not in it" in hint
    assert f"¥{int(payoff.split('.')[0]):,}.{payoff.split('.')[1]}" in hint  # the payoff, named
    chinese = client.get(f"/loans/{loan_id}", headers={"Accept-Language": "zh-CN"}).text
    assert "目前欠款" in chinese and "提前结清金额" in chinese
    form = pay_form(page)
    data = {"csrf_token": form["csrf_token"], "idempotency_key": form["idempotency_key"]}
    shown = client.post(
        form["url"], data={**data, "amount": payoff, "action": "preview"}, headers=english
    )
    assert shown.status_code == 200, shown.text
    preview = shown.text[shown.text.index('id="pay-preview"') :].split("</div>")[0]
    assert "<dt>Fees</dt>" in preview and 'id="preview-fees"' in preview
    assert "Penalty" not in preview  # nothing late: no penalty, and the fee is not called one


def test_a_fee_priced_loan_says_what_repaying_early_does_to_its_fee_and_its_installment(
    client, monkeypatch
):
    """The monthly fee is on the amount borrowed: the page does not promise that repaying part
    lowers it. Before the first due date it says that money paid now repays principal and the
    installment's remainder stays due on its date; on that date the note is gone."""
    borrower(client, 44)
    loan_id = accept_offer(client, monkeypatch)
    engine = engine_of(client)
    account = loans.get_loan(engine, loan_id).account
    assert account.schedule.terms.method.value == "fee-installment"
    english = {"Accept-Language": "en"}
    page = client.get(f"/loans/{loan_id}", headers=english).text
    how = found(r'<p class="hint" id="pay-how">([^<]+)</p>', page)
    assert "charged on the amount you borrowed" in how and "does not lower it" in how
    assert "lowers the interest" not in page
    due = account.installments[0].due.isoformat()
    early = found(r'<p class="hint" id="pay-early-note">([^<]+)</p>', page)
    assert "repays principal now" in early and early.count(due) == 2
    assert page.index('id="pay-early-note"') < page.index(f'action="/loans/{loan_id}/payments"')
    chinese = client.get(f"/loans/{loan_id}", headers={"Accept-Language": "zh-CN"}).text
    assert "不会降低月手续费" in chinese and "立即偿还本金" in chinese
    cob.run_cob(engine, account.installments[0].due)
    on_the_day = client.get(f"/loans/{loan_id}", headers=english).text
    assert 'id="pay-early-note"' not in on_the_day


def test_without_a_card_a_borrower_is_sent_to_bind_one_where_the_server_records_no_cash(
    tmp_path, monkeypatch
):
    """Outside development a borrower's own "Pay now" never records money that did not come
    through the card gateway: with no card bound the page says to bind one, nothing posts."""
    settings = web_settings(tmp_path, record_borrower_payments=False)
    app = build_app(tmp_path, settings=settings)
    with TestClient(app, base_url="http://127.0.0.1") as client:
        seed(app, tmp_path)
        borrower(client, 36)
        loan_id = accept_offer(client, monkeypatch)
        page = client.get(f"/loans/{loan_id}").text
        for name in ("payments", "prepayments"):
            form = pay_form(page, name)
            reply = client.post(form["url"], data={k: v for k, v in form.items() if k != "url"})
            assert reply.status_code == 403, reply.text
            assert "请先在“银行卡”页面绑定银行卡" in reply.text  # the page is in Chinese
        with engine_of(client).connect() as conn:
            kinds = conn.execute(
                sa.select(transactions.c.kind).where(transactions.c.loan_id == loan_id)
            ).scalars()
            assert list(kinds) == ["disbursement"]


def merchant_loan(client) -> int:
    """A shop's loan of ¥6,000 over 12 months, paid out on the current business date."""
    engine = engine_of(client)
    start = loan_views.business_date(engine)
    return loans.open_and_disburse(
        engine, terms("6000", 12, start=start), merchant="shop-1"
    ).loan_id


def posted_rows(client, loan_id: int) -> list[tuple[int, str, int]]:
    with engine_of(client).connect() as conn:
        rows = conn.execute(
            sa.select(transactions.c.id, transactions.c.kind, transactions.c.amount)
            .where(transactions.c.loan_id == loan_id)
            .order_by(transactions.c.id)
        )
        return [(int(r.id), str(r.kind), int(r.amount)) for r in rows]


def twice(client, url: str, data: dict[str, str]) -> list[tuple[int, str, int]]:
    """Post the same rendered form twice: both are answered alike (see other, to the same
    page); the transactions the first posted, the second leaves as they are."""
    first = client.post(url, data=data, follow_redirects=False)
    assert first.status_code == 303, first.text
    loan_id = int(found(r"/console/loans/(\d+)", url))
    after_first = posted_rows(client, loan_id)
    again = client.post(url, data=data, follow_redirects=False)
    assert again.status_code == 303, again.text
    assert again.headers["location"] == first.headers["location"]
    assert posted_rows(client, loan_id) == after_first
    return after_first


def test_each_console_money_form_sent_twice_posts_once(client, monkeypatch):
    """A double click or a re-sent POST of a rendered console form (refund, waiver,
    reversal, charge-off) books once, audited once; the same key with other values or a form
    without its key posts nothing."""
    borrower(client, 45)
    loan_id = accept_offer(client, monkeypatch)
    engine = engine_of(client)
    cob.run_cob(engine, loans.get_loan(engine, loan_id).account.disbursed_on + timedelta(days=5))
    shop_loan = merchant_loan(client)
    staff_user(client, "agent9@lender.example", Role.SERVICING_AGENT)
    english = {"Accept-Language": "en"}

    url = f"/console/loans/{shop_loan}/merchant-refunds"
    page = client.get(f"/console/loans/{shop_loan}").text
    refund = {**console_form(page, "merchant-refunds"), "amount": "5.00", "reason": "item returned"}
    rows = twice(client, url, refund)
    assert [r for r in rows if r[1] == "merchant-refund"] == [(rows[-1][0], "merchant-refund", 500)]
    assert len(audited(client, "loan.merchant_refund", shop_loan)) == 1
    other = client.post(url, data={**refund, "amount": "6.00"}, headers=english)
    assert other.status_code == 409 and "Reload the page and check." in other.text
    keyless = {k: v for k, v in refund.items() if k != "idempotency_key"}
    refused = client.post(url, data=keyless, headers=english)
    assert refused.status_code == 422 and "Reload the page and try again." in refused.text
    assert posted_rows(client, shop_loan) == rows

    page = client.get(f"/console/loans/{loan_id}").text
    waiver = {
        **console_form(page, "fee-waivers"),
        "amount": "1.00",
        "kind": "fee",
        "reason": "first late fee forgiven",
    }
    rows = twice(client, f"/console/loans/{loan_id}/fee-waivers", waiver)
    waivers = [r for r in rows if r[1] == "fee-waiver"]
    assert len(waivers) == 1 and len(audited(client, "loan.fee_waiver", loan_id)) == 1

    page = client.get(f"/console/loans/{loan_id}").text
    reversal = {**console_form(page, "reversals", waivers[0][0]), "reason": "not approved"}
    twice(client, f"/console/loans/{loan_id}/reversals", reversal)
    assert len(audited(client, "loan.fee_waiver_reverse", loan_id)) == 1

    to_charge_off_threshold(client, loan_id)
    page = client.get(f"/console/loans/{loan_id}").text
    off = {**console_form(page, "charge-off"), "reason": "fraud confirmed"}
    rows = twice(client, f"/console/loans/{loan_id}/charge-off", off)
    assert [r[1] for r in rows].count("charge-off") == 1
    assert len(audited(client, "loan.charge_off", loan_id)) == 1


def test_the_console_loan_forms_are_sent_once_by_the_browser(client, monkeypatch):
    """Each money form is marked for app.js, which lets it be sent once per page."""
    loan_id = merchant_loan(client)
    to_charge_off_threshold(client, loan_id)
    staff_user(client, "agent10@lender.example", Role.SERVICING_AGENT)
    page = client.get(f"/console/loans/{loan_id}").text
    for action in ("merchant-refunds", "charge-off", "write-off-requests"):
        assert f'<form method="post" data-once action="/console/loans/{loan_id}/{action}"' in page
    assert page.count('name="idempotency_key"') == len(
        set(re.findall(r'value="(console-[^"]+)"', page))
    )
    script = (Path(loan_views.__file__).parent / "static" / "app.js").read_text()
    assert 'querySelectorAll("form[data-once]")' in script and "preventDefault" in script


WORDS = {
    "en": {
        "refund": "That is more than the loan still finances: refund at most 6000.00 yuan.",
        "fee": "Only {owed} yuan of fees is owed: waive at most that.",
        "penalty": "Only 0.00 yuan of penalty interest is owed: waive at most that.",
        "": "Only {owed} yuan of fees and penalty interest is owed: waive at most that.",
    },
    "zh": {
        "refund": "超过了这笔贷款尚未退还的融资金额：最多退款 6000.00 元。",
        "fee": "尚欠的费用只有 {owed} 元：减免金额不能超过这个数。",
        "penalty": "尚欠的罚息只有 0.00 元：减免金额不能超过这个数。",
        "": "尚欠的费用和罚息只有 {owed} 元：减免金额不能超过这个数。",
    },
}


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_refund_or_waiver_above_what_is_owed_says_how_much_may_be_given(
    client, monkeypatch, lang
):
    """The page says what the service refused, with its amount, in the page's language —
    not "Check this value and try again"; nothing is posted."""
    borrower(client, 46)
    loan_id = accept_offer(client, monkeypatch)
    engine = engine_of(client)
    cob.run_cob(engine, loans.get_loan(engine, loan_id).account.disbursed_on + timedelta(days=5))
    fee = loans.get_loan(engine, loan_id).outstanding.fee
    shop_loan = merchant_loan(client)
    staff_user(client, f"agent-{lang}@lender.example", Role.SERVICING_AGENT)
    headers = {"Accept-Language": lang}
    words = WORDS[lang]
    page = client.get(f"/console/loans/{shop_loan}", headers=headers).text
    for amount in ("99999", "1000000000"):
        said = client.post(
            f"/console/loans/{shop_loan}/merchant-refunds",
            data={
                **console_form(page, "merchant-refunds"),
                "amount": amount,
                "reason": "order returned",
            },
            headers=headers,
        )
        assert said.status_code == 422
        assert words["refund"] in said.text, amount
        assert translations(lang).gettext(UNKNOWN_PROBLEM) not in said.text
    page = client.get(f"/console/loans/{loan_id}", headers=headers).text
    for kind in ("fee", "penalty", ""):
        said = client.post(
            f"/console/loans/{loan_id}/fee-waivers",
            data={
                **console_form(page, "fee-waivers"),
                "amount": "99999",
                "kind": kind,
                "reason": "goodwill gesture",
            },
            headers=headers,
        )
        assert said.status_code == 422 and 'id="e-waiver-amount"' in said.text
        assert words[kind].format(owed=f"{fee // 100}.{fee % 100:02d}") in said.text, kind
    assert [r[1] for r in posted_rows(client, shop_loan)].count("merchant-refund") == 0
    assert [r[1] for r in posted_rows(client, loan_id)].count("fee-waiver") == 0


def test_a_charge_off_in_the_transactions_shows_what_it_wrote_off(client, monkeypatch):
    """A charge-off is posted with amount 0 (it takes no money); the list shows what it moved
    to loss, as the balances do."""
    borrower(client, 47)
    loan_id = accept_offer(client, monkeypatch)
    engine = engine_of(client)
    to_charge_off_threshold(client, loan_id)
    staff_user(client, "agent11@lender.example", Role.SERVICING_AGENT)
    english = {"Accept-Language": "en"}
    page = client.get(f"/console/loans/{loan_id}", headers=english).text
    off = client.post(
        f"/console/loans/{loan_id}/charge-off",
        data={**console_form(page, "charge-off"), "reason": "fraud confirmed"},
        follow_redirects=False,
    )
    assert off.status_code == 303, off.text
    view = loans.get_loan(engine, loan_id)
    lost = view.account.charged_off.total
    assert lost > 600_000  # principal, and the interest and fees accrued
    txn = next(t.txn_id for t in view.transactions if t.kind == "charge-off")
    page = client.get(f"/console/loans/{loan_id}", headers=english).text
    listed = page[page.index('id="txn-heading"') :].split("</table>")[0]
    row = found(rf"<tr><td>{txn}</td>(.*?)</tr>", listed, re.S)
    shown = f"¥{lost // 100:,}.{lost % 100:02d}"
    assert found(r"<dt>Charged off</dt><dd>([^<]+)</dd>", page) == shown
    assert f'<span class="written-off">{shown}</span>' in row and "¥0.00" not in row
