"""Card payments over HTTP, on SQLite and PostgreSQL, with the sandbox gateway as a real local
service: ``/v1/me/loans/{id}/payment-intents`` (create with an Idempotency-Key, list, get; only
the borrower's own), and ``POST /v1/gateway/notifications`` (the signature is the only
credential: forged or stale 401, replayed 401, oversized 413, each with a typed body; unknown
transactions acknowledged; a success posted once)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.api_harness import Party, TestClient, accept, apply, context_of, quick_settings
from tests.support.gateway import GATEWAY_KEY, card_with_prefix, start_sandbox, stop
from thinfile.adapters.gateway_signature import SIGNATURE_HEADER, sign
from thinfile.adapters.sandbox_gateway_client import SandboxGatewayClient
from thinfile.services import ledger
from thinfile.settings import Settings

CARD = card_with_prefix("621700")
NOTIFY = "/v1/gateway/notifications"


@pytest.fixture(scope="module")
def gateway_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    process, url = start_sandbox(tmp_path_factory.mktemp("gateway"))  # notifications kept
    yield url
    stop(process)


@pytest.fixture
def api_settings(database_url: str, gateway_url: str) -> Settings:
    return quick_settings(
        database_url, payment_gateway_url=gateway_url, payment_gateway_key=GATEWAY_KEY.decode()
    )


def _bind(api: TestClient, party: Party) -> str:
    started = api.post(
        "/v1/me/cards", headers=party.headers, json={"card_number": CARD, "phone": "13912345678"}
    )
    assert started.status_code == 202, started.text
    body = started.json()
    done = api.post(
        f"/v1/me/cards/{body['card_id']}/confirm",
        headers=party.headers,
        json={"sms_code": body["sandbox_sms_code"]},
    )
    assert done.status_code == 200, done.text
    return str(body["card_id"])


def _intents(loan_id: int) -> str:
    return f"/v1/me/loans/{loan_id}/payment-intents"


def _signed(body: dict[str, Any], *, seconds_ago: int = 0) -> tuple[dict[str, str], bytes]:
    raw = json.dumps(body).encode()
    at = datetime.now(UTC) - timedelta(seconds=seconds_ago)
    return {SIGNATURE_HEADER: sign(GATEWAY_KEY, raw, at=at)}, raw


def _word(intent: dict[str, Any], txn: str, fen: int) -> dict[str, Any]:
    return {
        "gateway_txn_id": txn,
        "request_id": intent["id"],
        "kind": "debit",
        "status": "succeeded",
        "amount_fen": fen,
        "failure": None,
        "original_txn_id": None,
        "completed_at": datetime.now(UTC).isoformat(),
        "notification_id": f"ntf_{uuid.uuid4().hex}",
    }


def test_a_card_payment_over_http_is_pending_then_posted_once_by_a_signed_notification(
    api: TestClient, world: Any, gateway_url: str
) -> None:
    alice, bob = world.alice, world.bob
    loan_id = accept(api, alice, apply(api, alice).json()["id"], 0).json()["loan_id"]
    _bind(api, alice)
    url = _intents(loan_id)
    headers = {**alice.headers, "Idempotency-Key": f"pay-{uuid.uuid4().hex}"}
    created = api.post(url, headers=headers, json={"kind": "payment", "amount": "100.00"})
    assert created.status_code == 201, created.text
    intent = created.json()
    assert (intent["status"], intent["amount"], intent["txn_id"]) == ("pending", "100.00", None)
    again = api.post(url, headers=headers, json={"kind": "payment", "amount": "100.00"})
    assert again.status_code == 200 and again.json()["id"] == intent["id"]
    assert again.headers["Idempotent-Replayed"] == "true"
    other = api.post(url, headers=headers, json={"kind": "payment", "amount": "200.00"})
    assert other.status_code == 409 and other.json()["code"] == "conflict"
    too_much = api.post(
        url,
        headers={**alice.headers, "Idempotency-Key": f"pay-{uuid.uuid4().hex}"},
        json={"kind": "payment", "amount": "99999.00"},
    )
    assert too_much.status_code == 422 and too_much.json()["details"]["field"] == "amount"
    for path in (url, f"{url}/{intent['id']}"):  # another borrower: as if it did not exist
        assert api.get(path, headers=bob.headers).status_code == 404
    report = SandboxGatewayClient(gateway_url, GATEWAY_KEY).debit_status(intent["id"])
    assert report is not None
    posted = api.post(NOTIFY, content=_signed(_word(intent, report.gateway_txn_id, 10_000))[1])
    assert posted.status_code == 401  # unsigned
    headers_, raw = _signed(_word(intent, report.gateway_txn_id, 10_000))
    done = api.post(NOTIFY, headers=headers_, content=raw)
    assert done.status_code == 200 and done.json() == {"received": True, "outcome": "posted"}
    replay = api.post(NOTIFY, headers=headers_, content=raw)
    assert replay.status_code == 401 and replay.json()["code"] == "notification_replayed"
    view = api.get(f"{url}/{intent['id']}", headers=alice.headers).json()
    assert view["status"] == "succeeded" and view["txn_id"] is not None
    listed = api.get(url, headers=alice.headers).json()
    assert [i["id"] for i in listed] == [intent["id"]]
    loan = api.get(f"/v1/loans/{loan_id}", headers=alice.headers).json()
    paid = [t for t in loan["transactions"] if t["kind"] == "repayment"]
    assert [t["amount"] for t in paid] == ["100.00"]
    assert ledger.verify_ledger(context_of(api).engine).ok


def test_the_notification_endpoint_refuses_forged_stale_and_oversized_bodies(
    api: TestClient,
) -> None:
    word = _word({"id": uuid.uuid4().hex}, "txn_nobody", 10_000)
    headers, raw = _signed(word)
    forged = api.post(NOTIFY, headers=headers, content=raw.replace(b"10000", b"99999"))
    assert forged.status_code == 401
    assert forged.json()["code"] == "notification_rejected"
    assert forged.json()["details"]["field"] == SIGNATURE_HEADER
    stale = api.post(NOTIFY, **_request(*_signed(word, seconds_ago=600)))
    assert stale.status_code == 401 and stale.json()["code"] == "notification_rejected"
    big = {**word, "padding": "x" * 20_000}
    oversized = api.post(NOTIFY, **_request(*_signed(big)))
    assert oversized.status_code == 413 and oversized.json()["code"] == "payload_too_large"
    unknown = api.post(NOTIFY, headers=headers, content=raw)
    assert unknown.status_code == 200 and unknown.json()["outcome"] == "unknown"
    garbage = api.post(NOTIFY, **_request(*_signed({"hello": "world"})))
    assert garbage.status_code == 401 and garbage.json()["code"] == "notification_rejected"


def _request(headers: dict[str, str], raw: bytes) -> dict[str, Any]:
    return {"headers": headers, "content": raw}


def test_a_payoff_from_the_card_takes_the_quote_and_nothing_else_is_owed_after(
    api: TestClient, world: Any, gateway_url: str, tmp_path: Path
) -> None:
    alice = world.alice
    loan_id = accept(api, alice, apply(api, alice).json()["id"], 0).json()["loan_id"]
    card_id = _bind(api, alice)
    quote = api.get(f"/v1/loans/{loan_id}/payoff", headers=alice.headers).json()["amount"]
    url = _intents(loan_id)
    for kind in ("payoff", "payment"):  # a mode re-plans a prepayment only
        body = {"kind": kind, "amount": "1.00", "mode": "shorten-term", "card_id": card_id}
        if kind == "payoff":
            del body["amount"]
        moded = api.post(
            url, headers={**alice.headers, "Idempotency-Key": uuid.uuid4().hex}, json=body
        )
        assert moded.status_code == 422 and moded.json()["details"]["field"] == "mode", moded.text
    headers = {**alice.headers, "Idempotency-Key": f"payoff-{uuid.uuid4().hex}"}
    created = api.post(url, headers=headers, json={"kind": "payoff", "card_id": card_id})
    assert created.status_code == 201, created.text
    intent = created.json()
    assert intent["amount"] == quote and intent["kind"] == "payoff"
    report = SandboxGatewayClient(gateway_url, GATEWAY_KEY).debit_status(intent["id"])
    assert report is not None
    fen = int(Decimal(quote.replace(",", "")) * 100)
    done = api.post(NOTIFY, **_request(*_signed(_word(intent, report.gateway_txn_id, fen))))
    assert done.json()["outcome"] == "posted"
    loan = api.get(f"/v1/loans/{loan_id}", headers=alice.headers).json()
    assert loan["status"] == "closed"
    assert ledger.verify_ledger(context_of(api).engine).ok
