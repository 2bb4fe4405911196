"""Submissions and payments run in one transaction with their idempotency key: a repeat
replays the first response, concurrent duplicates post once, a refusal writes nothing."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import sqlalchemy as sa

from tests.e2e.api_harness import (
    FORM,
    Party,
    TestClient,
    accept,
    apply,
    context_of,
    id_number,
    is_replay_of,
    make_borrower,
    make_staff,
    phone_number,
)
from thinfile.security.roles import Role


def _count(api: TestClient, sql: str) -> int:
    engine = context_of(api).engine
    with engine.connect() as conn:
        return int(conn.execute(sa.text(sql)).scalar_one())


def _apply(api: TestClient, party: Party, applicant_id: str, key: str) -> Any:
    form = {**FORM, "birth_date": "1995-03-07"}
    return api.post(
        f"/v1/applicants/{applicant_id}/applications",
        headers={**party.headers, "Idempotency-Key": key},
        json=form,
    )


def test_a_repeated_application_key_replays_the_decision_and_stores_it_once(api, world):
    alice = world.alice
    first = _apply(api, alice, alice.applicant_id, "apply-once-0001")
    again = _apply(api, alice, alice.applicant_id, "apply-once-0001")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again.headers["Idempotent-Replayed"] == "true"
    assert _count(api, "SELECT count(*) FROM applications") == 1
    assert _count(api, "SELECT count(*) FROM audit_log WHERE action = 'application.decide'") == 1


def test_a_refused_application_writes_nothing_and_leaves_its_key_free(api):
    carol = make_borrower(api, with_profile=False)
    profile = api.post(
        "/v1/applicants",
        headers=carol.headers,
        json={"name": "测试", "id_number": id_number(900), "phone": phone_number(900)},
    )
    applicant_id = profile.json()["id"]
    refused = _apply(api, carol, applicant_id, "apply-refused-1")
    assert refused.status_code == 403 and refused.json()["code"] == "consent_required"
    assert _count(api, "SELECT count(*) FROM applications") == 0
    assert _count(api, "SELECT count(*) FROM idempotency_keys") == 0
    api.post(
        f"/v1/applicants/{applicant_id}/consents",
        headers=carol.headers,
        json={
            "data_category": "credit_report",
            "purpose": "credit_assessment",
            "notice_version": "v1",
        },
    )
    unverified = _apply(api, carol, applicant_id, "apply-refused-1")
    assert unverified.status_code == 403 and unverified.json()["code"] == "real_name_required"
    assert _count(api, "SELECT count(*) FROM idempotency_keys") == 0
    api.post(f"/v1/applicants/{applicant_id}/real-name", headers=carol.headers)
    assert _apply(api, carol, applicant_id, "apply-refused-1").status_code == 201


def test_concurrent_payments_with_one_key_post_once_and_answer_alike(api, world):
    alice = world.alice
    decided = apply(api, alice)
    loan_id = accept(api, alice, decided.json()["id"], 0).json()["loan_id"]
    headers = {**alice.headers, "Idempotency-Key": "pay-concurrent-01"}

    def pay(_: int) -> Any:
        return api.post(f"/v1/loans/{loan_id}/payments", headers=headers, json={"amount": "100.00"})

    with ThreadPoolExecutor(4) as pool:
        replies = list(pool.map(pay, range(4)))
    assert {r.status_code for r in replies} == {201}
    first = [r for r in replies if "Idempotent-Replayed" not in r.headers]
    assert len(first) == 1 and all(is_replay_of(r, first[0]) for r in replies if r is not first[0])
    assert (
        _count(
            api,
            "SELECT count(*) FROM servicing_transactions "
            f"WHERE loan_id = {int(loan_id)} AND kind = 'repayment'",
        )
        == 1
    )
    assert _count(api, "SELECT count(*) FROM audit_log WHERE action = 'payment.post'") == 1


def _decisions(api: TestClient, outcome: str) -> float:
    """The ``thinfile_decisions_total`` counter for ``outcome`` on /metrics."""
    text = api.get("/metrics", headers=make_staff(api, Role.ADMIN).headers).text
    label = f'thinfile_decisions_total{{outcome="{outcome}"}} '
    return sum(
        float(line.removeprefix(label)) for line in text.splitlines() if line.startswith(label)
    )


def test_a_replayed_decision_is_counted_once_in_the_metrics(api, world):
    alice = world.alice
    first = _apply(api, alice, alice.applicant_id, "apply-metric-001")
    outcome = first.json()["outcome"]
    before = _decisions(api, outcome)
    again = _apply(api, alice, alice.applicant_id, "apply-metric-001")
    assert again.headers["Idempotent-Replayed"] == "true"
    assert _decisions(api, outcome) == before
    _apply(api, alice, alice.applicant_id, "apply-metric-002")
    assert _decisions(api, outcome) == before + 1


def test_a_repeat_the_loan_would_now_refuse_replays_the_first_answer(api, world):
    """Paying a loan off and sending the same request again: the loan is closed and would
    refuse the payment, but the repeat is answered with the first receipt."""
    alice = world.alice
    loan_id = accept(api, alice, apply(api, alice).json()["id"], 0).json()["loan_id"]
    quote = api.get(f"/v1/loans/{loan_id}/payoff", headers=alice.headers).json()
    headers = {**alice.headers, "Idempotency-Key": "payoff-repeat-01"}
    paid = api.post(
        f"/v1/loans/{loan_id}/prepayments", headers=headers, json={"amount": quote["amount"]}
    )
    assert paid.status_code == 201 and paid.json()["loan_status"] == "closed"
    fresh = api.post(
        f"/v1/loans/{loan_id}/prepayments",
        headers={**alice.headers, "Idempotency-Key": "payoff-repeat-02"},
        json={"amount": quote["amount"]},
    )
    assert fresh.status_code >= 400  # the closed loan refuses a new payment
    again = api.post(
        f"/v1/loans/{loan_id}/prepayments", headers=headers, json={"amount": quote["amount"]}
    )
    assert again.status_code == 201 and is_replay_of(again, paid)
    assert _count(api, "SELECT count(*) FROM audit_log WHERE action = 'payment.prepay'") == 1


def test_a_key_used_for_another_payment_is_refused_and_posts_nothing(api, world):
    alice = world.alice
    loan_id = accept(api, alice, apply(api, alice).json()["id"], 0).json()["loan_id"]
    headers = {**alice.headers, "Idempotency-Key": "pay-other-body-1"}
    first = api.post(f"/v1/loans/{loan_id}/payments", headers=headers, json={"amount": "100.00"})
    other = api.post(f"/v1/loans/{loan_id}/payments", headers=headers, json={"amount": "50.00"})
    assert first.status_code == 201
    assert other.status_code == 409 and other.json()["details"]["field"] == "Idempotency-Key"
    assert (
        _count(
            api,
            "SELECT count(*) FROM servicing_transactions "
            f"WHERE loan_id = {int(loan_id)} AND kind = 'repayment'",
        )
        == 1
    )
    assert _count(api, "SELECT count(*) FROM audit_log WHERE action = 'payment.post'") == 1
