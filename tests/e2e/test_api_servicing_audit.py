"""Every servicing action over HTTP is audited in the posting's own transaction.

For each route: when the audit append fails after the posting, nothing is half-written — no
posting, no audit row, no stored idempotent response, the loan as it was — and the same key
then succeeds once, with one audit row naming the caller. Close of business audits each date
it closes in that date's own transaction. On SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from tests.e2e.api_harness import (
    Party,
    TestClient,
    accept,
    apply,
    context_of,
    is_replay_of,
    make_staff,
)
from tests.integration.servicing_helpers import terms
from thinfile.money import Money
from thinfile.security.roles import Role
from thinfile.services import cob
from thinfile.services.audit import AuditDraft
from thinfile.services.business_date import current_business_date
from thinfile.services.loans import open_and_disburse
from thinfile.services.payments import post_payment
from thinfile.servicing.product import ServicingProduct

LINE_OFFER = 2


class AuditStoreDown(RuntimeError):
    """The failure injected after the posting: the audit append raises."""


def _fail(*_args: object, **_kwargs: object) -> None:
    raise AuditStoreDown("the audit log is unavailable")


def _rows(api: TestClient, sql: str, **params: object) -> list[Any]:
    engine = context_of(api).engine
    with engine.connect() as conn:
        return list(conn.execute(sa.text(sql), params).all())


def _count(api: TestClient, sql: str, **params: object) -> int:
    return int(_rows(api, sql, **params)[0][0])


def _audits(api: TestClient, action: str) -> list[Any]:
    return _rows(
        api,
        "SELECT actor, subject, details FROM audit_log WHERE action = :a ORDER BY seq",
        a=action,
    )


@dataclass
class Book:
    """Alice's loan (offer 0) and her credit line's first loan, and a servicing agent."""

    api: TestClient
    alice: Party
    agent: Party
    loan_id: int
    line_id: int
    write_off_request: int = 0

    def post(self, party: Party, path: str, body: dict[str, Any], key: str) -> Any:
        return self.api.post(path, headers={**party.headers, "Idempotency-Key": key}, json=body)

    def loan(self, loan_id: int | None = None) -> dict[str, Any]:
        reply = self.api.get(f"/v1/loans/{loan_id or self.loan_id}", headers=self.agent.headers)
        assert reply.status_code == 200, reply.text
        body: dict[str, Any] = reply.json()
        return body


@pytest.fixture
def book(api: TestClient, world: Any) -> Book:
    alice = world.alice
    loan_id = accept(api, alice, apply(api, alice).json()["id"], 0).json()["loan_id"]
    line = accept(api, alice, apply(api, alice).json()["id"], LINE_OFFER).json()
    return Book(api, alice, make_staff(api, Role.SERVICING_AGENT), loan_id, line["credit_line_id"])


@dataclass(frozen=True)
class Case:
    """One audited route: who calls it, what it posts, and how to see that posting."""

    action: str
    borrower: bool
    path: Callable[[Book], str]
    body: dict[str, Any]
    postings: str
    prepare: Callable[[Book], None] = lambda _book: None


def _pay(book: Book, amount: str, key: str) -> dict[str, Any]:
    reply = book.post(book.alice, f"/v1/loans/{book.loan_id}/payments", {"amount": amount}, key)
    assert reply.status_code == 201, reply.text
    body: dict[str, Any] = reply.json()
    return body


def _shop_loan(book: Book) -> None:
    """The cases below act on a purchase loan booked with its merchant outside the checkout
    (the only loans staff record merchant refunds on)."""
    engine = context_of(book.api).engine
    start = current_business_date(engine)
    book.loan_id = open_and_disburse(
        engine, terms("6000", 12, start=start), merchant="shop-1"
    ).loan_id


def _overpay(book: Book) -> None:
    """The borrower's 10.00 is received, then the merchant refunds the whole price: the
    10.00 is now overpayment held for refund (a payment above the payoff is refused)."""
    _shop_loan(book)
    engine = context_of(book.api).engine
    post_payment(engine, book.loan_id, Money.of("10.00"), current_business_date(engine))
    principal = book.loan()["principal"]
    reply = book.post(
        book.agent,
        f"/v1/staff/loans/{book.loan_id}/merchant-refunds",
        {"amount": principal, "reason": "order returned in full"},
        "setup-overpay-2",
    )
    assert reply.status_code == 201 and reply.json()["overpayment"] == "10.00", reply.text


def _request_write_off(book: Book) -> None:
    """Another servicing agent asks to write the current loan off (below the threshold)."""
    maker = make_staff(book.api, Role.SERVICING_AGENT)
    reply = book.api.post(
        f"/v1/staff/loans/{book.loan_id}/write-off-requests",
        headers=maker.headers,
        json={"reason": "borrower deceased, estate empty"},
    )
    assert reply.status_code == 201, reply.text
    book.write_off_request = reply.json()["id"]


def _at_threshold(book: Book) -> None:
    """Close business until the loan's first installment has been unpaid for a day less than
    the charge-off days: on the business date after, one agent may charge it off."""
    first_due = date.fromisoformat(book.loan()["installments"][0]["due_date"])
    through = first_due + timedelta(days=ServicingProduct().charge_off_days - 1)
    reply = book.api.post(
        "/v1/staff/cob", headers=book.agent.headers, json={"through": through.isoformat()}
    )
    assert reply.status_code == 200, reply.text
    assert book.loan()["status"] == "active"


def _charge_off(book: Book) -> None:
    _at_threshold(book)
    reply = book.post(
        book.agent,
        f"/v1/staff/loans/{book.loan_id}/charge-off",
        {"reason": "fraud"},
        "setup-charge-off",
    )
    assert reply.status_code == 201, reply.text


def _late(book: Book) -> None:
    """Close business through the first due date: the month's installment fee is owed."""
    first_due = book.loan()["installments"][0]["due_date"]
    reply = book.api.post("/v1/staff/cob", headers=book.agent.headers, json={"through": first_due})
    assert reply.status_code == 200, reply.text
    assert float(book.loan()["balances"]["fee"]) > 5


def _paid_once(book: Book) -> None:
    _pay(book, "100.00", "setup-payment-1")


def _txn(kind: str) -> str:
    return f"SELECT count(*) FROM servicing_transactions WHERE kind = '{kind}'"


CASES = {
    "payment": Case(
        "payment.post",
        True,
        lambda b: f"/v1/loans/{b.loan_id}/payments",
        {"amount": "100.00"},
        _txn("repayment"),
    ),
    "prepayment": Case(
        "payment.prepay",
        True,
        lambda b: f"/v1/loans/{b.loan_id}/prepayments",
        {"amount": "100.00"},
        _txn("prepayment"),
    ),
    "draw": Case(
        "credit_line.draw",
        True,
        lambda b: f"/v1/credit-lines/{b.line_id}/draws",
        {"amount": "300.00", "term_months": 3},
        "SELECT count(*) FROM servicing_loans WHERE credit_line_id IS NOT NULL",
    ),
    "reversal": Case(
        "payment.reverse",
        False,
        lambda b: (
            f"/v1/staff/payments/"
            f"{_rows(b.api, 'SELECT max(id) FROM servicing_transactions')[0][0]}/reversal"
        ),
        {"reason": "bounced"},
        _txn("reversal"),
        _paid_once,
    ),
    "merchant refund": Case(
        "loan.merchant_refund",
        False,
        lambda b: f"/v1/staff/loans/{b.loan_id}/merchant-refunds",
        {"amount": "100.00", "reason": "one item returned, RMA-0042"},
        _txn("merchant-refund"),
        _shop_loan,
    ),
    "overpayment refund": Case(
        "loan.overpayment_refund",
        False,
        lambda b: f"/v1/staff/loans/{b.loan_id}/overpayment-refunds",
        {"amount": "10.00"},
        _txn("overpayment-refund"),
        _overpay,
    ),
    "charge-off": Case(
        "loan.charge_off",
        False,
        lambda b: f"/v1/staff/loans/{b.loan_id}/charge-off",
        {"reason": "fraud confirmed"},
        _txn("charge-off"),
        _at_threshold,
    ),
    "write-off approval": Case(
        "loan.write_off",
        False,
        lambda b: f"/v1/staff/write-off-requests/{b.write_off_request}/approval",
        {},
        _txn("write-off"),
        _request_write_off,
    ),
    "recovery": Case(
        "loan.recovery",
        False,
        lambda b: f"/v1/staff/loans/{b.loan_id}/recoveries",
        {"amount": "50.00"},
        _txn("recovery"),
        _charge_off,
    ),
    "fee waiver": Case(
        "loan.fee_waiver",
        False,
        lambda b: f"/v1/staff/loans/{b.loan_id}/fee-waivers",
        {"amount": "5.00", "reason": "complaint upheld", "kind": "fee"},
        _txn("fee-waiver"),
        _late,
    ),
}


def _snapshot(book: Book, case: Case) -> tuple[int, int, Any]:
    state = (
        book.api.get(f"/v1/credit-lines/{book.line_id}", headers=book.alice.headers).json()
        if case.action == "credit_line.draw"
        else book.loan()
    )
    return _count(book.api, case.postings), len(_audits(book.api, case.action)), state


@pytest.mark.parametrize("name", list(CASES))
def test_a_failed_audit_append_leaves_nothing_half_written_and_a_retry_posts_once(
    book, monkeypatch, name
):
    case = CASES[name]
    case.prepare(book)
    caller = book.alice if case.borrower else book.agent
    path, key = case.path(book), f"audited-{name.replace(' ', '-')}-1"
    before = _snapshot(book, case)

    with monkeypatch.context() as broken:
        broken.setattr(AuditDraft, "append", _fail)
        with pytest.raises(AuditStoreDown):
            book.post(caller, path, case.body, key)
    assert _snapshot(book, case) == before
    assert _count(book.api, "SELECT count(*) FROM idempotency_keys WHERE key = :k", k=key) == 0

    done = book.post(caller, path, case.body, key)
    assert done.status_code == 201, done.text
    again = book.post(caller, path, case.body, key)
    assert is_replay_of(again, done)
    postings, audits, _state = _snapshot(book, case)
    assert postings == before[0] + 1 and audits == before[1] + 1
    actor, subject, details = _audits(book.api, case.action)[-1]
    assert actor == f"{caller_role(case)}:{caller.user_id}"
    reply = done.json()
    if case.action == "credit_line.draw":
        assert subject == f"credit_line:{book.line_id}"
        assert json.loads(details)["loan"] == reply["id"]
    else:
        assert subject == f"loan:{book.loan_id}"
        assert (
            json.loads(details)["reversal_txn" if name == "reversal" else "txn"] == reply["txn_id"]
        )
    verified = book.api.get("/v1/staff/audit/verify", headers=_admin(book).headers).json()
    assert verified["intact"] is True


def caller_role(case: Case) -> str:
    return Role.BORROWER.value if case.borrower else Role.SERVICING_AGENT.value


def _admin(book: Book) -> Party:
    return make_staff(book.api, Role.ADMIN)


def test_close_of_business_audits_each_date_in_the_transaction_that_closes_it(book, monkeypatch):
    api, agent = book.api, book.agent
    today = date.fromisoformat(book.loan()["disbursed_on"])
    through = (today + timedelta(days=1)).isoformat()
    with monkeypatch.context() as broken:
        broken.setattr(cob, "record_audit", _fail)
        with pytest.raises(AuditStoreDown):
            api.post("/v1/staff/cob", headers=agent.headers, json={"through": through})
    assert _audits(api, "cob.close_day") == []
    assert _count(api, "SELECT count(*) FROM servicing_cob_runs WHERE status = 'done'") == 0
    refused = _pay_refused(book)
    # the unfinished date refuses postings until resumed, saying when to retry
    assert refused.status_code == 503 and refused.headers["Retry-After"] == "60"
    assert refused.json()["code"] == "close_of_business_running"

    closed = api.post("/v1/staff/cob", headers=agent.headers, json={"through": through})
    assert closed.status_code == 200, closed.text
    days = closed.json()["days"]
    assert days == [today.isoformat(), through]
    rows = _audits(api, "cob.close_day")
    assert [r.subject for r in rows] == [f"cob:{d}" for d in days]
    assert {r.actor for r in rows} == {f"servicing_agent:{agent.user_id}"}
    assert json.loads(rows[0].details)["rows"]["advance"] >= 0
    again = api.post("/v1/staff/cob", headers=agent.headers, json={"through": through})
    assert again.json()["days"] == [] and len(_audits(api, "cob.close_day")) == 2


def _pay_refused(book: Book) -> Any:
    return book.post(
        book.alice, f"/v1/loans/{book.loan_id}/payments", {"amount": "1.00"}, "pay-during-cob"
    )


def test_one_agent_alone_may_not_write_off_a_current_loan(book: Book) -> None:
    """Below the charge-off days past due a write-off or a charge-off needs a second staff
    member: the direct routes refuse, the requester may not approve their own request, nor
    may an underwriter; another servicing agent's approval posts it, and both are audited."""
    api, agent = book.api, book.agent
    early = book.post(
        agent,
        f"/v1/staff/loans/{book.loan_id}/charge-off",
        {"reason": "fraud suspected"},
        "charge-off-alone",
    )
    assert early.status_code == 403, early.text
    refusal = early.json()["details"]
    assert refusal["field"] == "loan_id" and "write-off-requests" in refusal["remedy"]
    alone = book.post(
        agent,
        f"/v1/staff/loans/{book.loan_id}/write-off",
        {"reason": "uncollectable"},
        "write-off-alone",
    )
    assert alone.status_code == 403, alone.text
    assert book.loan()["status"] == "active"
    asked = api.post(
        f"/v1/staff/loans/{book.loan_id}/write-off-requests",
        headers=agent.headers,
        json={"reason": "uncollectable"},
    )
    assert asked.status_code == 201 and asked.json()["status"] == "pending", asked.text
    again = api.post(
        f"/v1/staff/loans/{book.loan_id}/write-off-requests",
        headers=agent.headers,
        json={"reason": "uncollectable"},
    )
    assert again.status_code == 409
    approval = f"/v1/staff/write-off-requests/{asked.json()['id']}/approval"
    own = book.post(agent, approval, {}, "write-off-own")
    assert own.status_code == 403 and book.loan()["status"] == "active", own.text
    underwriter = make_staff(api, Role.UNDERWRITER)
    assert book.post(underwriter, approval, {}, "write-off-underwriter").status_code == 403
    checker = make_staff(api, Role.SERVICING_AGENT)
    approved = book.post(checker, approval, {}, "write-off-checker")
    assert approved.status_code == 201, approved.text
    assert book.loan()["status"] == "written-off"
    assert (
        book.post(make_staff(api, Role.ADMIN), approval, {}, "write-off-twice").status_code == 409
    )
    (requested,) = _audits(api, "loan.write_off_request")
    (written,) = _audits(api, "loan.write_off")
    assert requested.actor == f"servicing_agent:{agent.user_id}"
    assert written.actor == f"servicing_agent:{checker.user_id}"
    assert json.loads(written.details)["request"] == asked.json()["id"]
