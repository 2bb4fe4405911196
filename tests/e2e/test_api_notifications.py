"""Borrower notifications over the API, on SQLite and PostgreSQL: the message centre
(``/v1/me/messages``, mark read — one's own only), the borrower's choices, and delivery status
for staff only."""

from __future__ import annotations

from typing import Any

from tests.e2e.api_harness import TestClient, apply, context_of
from tests.integration.notification_helpers import CATALOG, NOON, channels, utc
from thinfile.services.notification_delivery import deliver_due_notifications


def _loan(api: TestClient, party: Any) -> int:
    application = apply(api, party).json()
    accepted = api.post(
        f"/v1/applications/{application['id']}/acceptance",
        headers={**party.headers, "Idempotency-Key": "accept-note-1"},
        json={"offer": 0, "confirm": True, "seconds_read": 15.0, "language": "zh"},
    )
    assert accepted.status_code == 201, accepted.text
    return int(accepted.json()["loan_id"])


def _deliver(api: TestClient) -> None:
    context = context_of(api)
    deliver_due_notifications(
        context.engine,
        channels(context.engine, context.cipher, None),
        CATALOG,
        context.cipher,
        clock=lambda: utc(NOON),
    )


def test_the_borrower_reads_their_messages_and_marks_one_read(api, world):
    loan_id = _loan(api, world.alice)
    empty = api.get("/v1/me/messages", headers=world.alice.headers)
    assert empty.status_code == 200 and empty.json() == {"unread": 0, "messages": []}
    _deliver(api)
    centre = api.get("/v1/me/messages", headers=world.alice.headers).json()
    assert centre["unread"] == 1
    (message,) = centre["messages"]
    assert (message["kind"], message["loan_id"], message["language"]) == (
        "contract_ready",
        loan_id,
        "zh",
    )
    assert message["subject"] == "您的借款合同已生成" and message["read_at"] is None
    read = api.post(f"/v1/me/messages/{message['id']}/read", headers=world.alice.headers)
    assert read.status_code == 200 and read.json()["read_at"] is not None
    assert api.get("/v1/me/messages", headers=world.alice.headers).json()["unread"] == 0
    other = api.post(f"/v1/me/messages/{message['id']}/read", headers=world.bob.headers)
    assert other.status_code == 404
    assert api.get("/v1/me/messages", headers=world.bob.headers).json()["messages"] == []
    assert api.post("/v1/me/messages/0/read", headers=world.alice.headers).status_code == 422


def test_the_borrower_sets_language_zone_and_in_app_only(api, world):
    headers = world.alice.headers
    assert api.get("/v1/me/notification-preferences", headers=headers).json() == {
        "language": "zh",
        "time_zone": "Asia/Shanghai",
        "in_app_only": False,
    }
    choice = {"language": "en", "time_zone": "Asia/Hong_Kong", "in_app_only": True}
    assert api.put("/v1/me/notification-preferences", headers=headers, json=choice).json() == choice
    assert api.get("/v1/me/notification-preferences", headers=headers).json() == choice
    bad_zone = {**choice, "time_zone": "Mars/Olympus"}
    refused = api.put("/v1/me/notification-preferences", headers=headers, json=bad_zone)
    assert refused.status_code == 422 and "time_zone" in refused.text
    bad_language = {**choice, "language": "fr"}
    assert (
        api.put("/v1/me/notification-preferences", headers=headers, json=bad_language).status_code
        == 422
    )
    assert api.get("/v1/me/notification-preferences", headers=headers).json() == choice


def test_staff_see_delivery_status_and_borrowers_do_not(api, world):
    loan_id = _loan(api, world.alice)
    _deliver(api)
    listed = api.get(
        f"/v1/notifications/deliveries?loan_id={loan_id}", headers=world.underwriter.headers
    )
    assert listed.status_code == 200, listed.text
    assert {(d["channel"], d["status"]) for d in listed.json()} == {
        ("in_app", "delivered"),
        ("email", "pending"),  # this app has no mail server: it waits
    }
    summary = api.get("/v1/notifications/deliveries/summary", headers=world.admin.headers)
    assert summary.json()["in_app"]["delivered"] == 1
    assert api.get("/v1/notifications/deliveries", headers=world.alice.headers).status_code == 403
    bad = api.get("/v1/notifications/deliveries?status=lost", headers=world.admin.headers)
    assert bad.status_code == 422
