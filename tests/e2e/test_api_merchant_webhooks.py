"""Merchant webhooks over the API: a merchant's user sets the endpoint (the secret shown
once), reads its delivery log with every attempt and replays an event; another merchant's
users never reach it; staff read any merchant's log."""

from __future__ import annotations

import itertools
from typing import Any

from tests.e2e.api_harness import Party, TestClient, World, context_of
from tests.e2e.test_api_merchants import merchant_user, onboard
from tests.support.webhooks import Receiver, receiving
from thinfile.adapters.webhook_sender import HttpWebhookSender
from thinfile.commerce.webhooks import RetryPolicy, WebhookEventType
from thinfile.services import webhooks
from thinfile.services.uow import UnitOfWork
from thinfile.services.webhook_delivery import deliver_due_webhooks

QUICK = RetryPolicy(base_seconds=0, cap_seconds=0, max_attempts=4, jitter=0)
_serial = itertools.count(1)


def _key() -> dict[str, str]:
    return {"Idempotency-Key": f"webhook-test-{next(_serial):06d}"}


def _shop(api: TestClient, world: World) -> tuple[str, Party]:
    merchant_id = onboard(api, world.admin).json()["id"]
    return merchant_id, merchant_user(api, world.admin, merchant_id)


def _enqueue(api: TestClient, merchant_id: str) -> str:
    with UnitOfWork(context_of(api).engine) as uow:
        event_id = webhooks.enqueue_merchant_event_in_unit(
            uow, merchant_id, WebhookEventType.CHECKOUT_AUTHORIZED, {"order_id": "A-9"}
        )
        uow.commit()
    return event_id


def _deliver(api: TestClient) -> None:
    context = context_of(api)
    with HttpWebhookSender(allow_local=True) as sender:
        for _ in range(6):
            report = deliver_due_webhooks(context.engine, context.cipher, sender, policy=QUICK)
            if report.claimed == 0:
                return


def _put(api: TestClient, party: Party, merchant_id: str, **body: Any) -> Any:
    return api.put(
        f"/v1/merchants/{merchant_id}/webhook-endpoint", headers=party.headers, json=body
    )


def test_a_merchant_sets_its_endpoint_reads_the_log_and_replays(
    api: TestClient, world: World
) -> None:
    merchant_id, user = _shop(api, world)
    base = f"/v1/merchants/{merchant_id}"
    receiver = Receiver(fail_first=1)
    with receiving(receiver):
        made = _put(api, user, merchant_id, url=receiver.url)
        assert made.status_code == 200, made.text
        secret = made.json()["secret"]
        assert secret.startswith("whsec_") and len(secret) > 40
        assert set(made.json()["endpoint"]["event_types"]) == {t.value for t in WebhookEventType}
        receiver.secrets = [secret]
        shown = api.get(base + "/webhook-endpoint", headers=user.headers)
        assert shown.json()["secret_hint"] == "…" + secret[-4:] and secret not in shown.text
        again = _put(api, user, merchant_id, url=receiver.url, event_types=["checkout.authorized"])
        assert again.status_code == 200 and again.json()["secret"] is None
        event_id = _enqueue(api, merchant_id)
        _deliver(api)
        log = api.get(base + "/webhook-events", headers=user.headers)
        assert [(e["id"], e["status"], e["attempts"]) for e in log.json()] == [
            (event_id, "delivered", 2)
        ]
        one = api.get(f"{base}/webhook-events/{event_id}", headers=user.headers).json()
        assert [a["status_code"] for a in one["attempts"]] == [500, 200]
        assert one["payload"]["data"] == {"order_id": "A-9"}
        assert one["body"].encode() == receiver.received[-1].body
        key = {**user.headers, **_key()}
        first = api.post(f"{base}/webhook-events/{event_id}/replay", headers=key)
        repeat = api.post(f"{base}/webhook-events/{event_id}/replay", headers=key)
        assert first.status_code == repeat.status_code == 200, first.text
        assert first.json() == repeat.json() and first.json()["status"] == "pending"
        assert repeat.headers.get("Idempotent-Replayed") == "true"
        _deliver(api)
    assert [r.verdict for r in receiver.received] == ["new", "repeat", "repeat"]
    pending = api.get(base + "/webhook-events?status=pending", headers=user.headers)
    assert pending.json() == []


def test_another_merchants_user_never_reaches_the_endpoint_or_the_log(
    api: TestClient, world: World
) -> None:
    mine, user = _shop(api, world)
    theirs, _their_user = _shop(api, world)
    assert _put(api, world.admin, theirs, url="https://their.example/e").status_code == 200
    their_event = _enqueue(api, theirs)
    my_event = _enqueue(api, mine)
    for path in (
        f"/v1/merchants/{theirs}/webhook-endpoint",
        f"/v1/merchants/{theirs}/webhook-events",
        f"/v1/merchants/{theirs}/webhook-events/{their_event}",
        f"/v1/merchants/{mine}/webhook-events/{their_event}",
    ):
        reply = api.get(path, headers=user.headers)
        assert reply.status_code == 404, (path, reply.text)
        assert reply.json()["code"] == "not_found"
        assert "their.example" not in reply.text and "A-9" not in reply.text
    stolen = api.post(
        f"/v1/merchants/{mine}/webhook-events/{their_event}/replay",
        headers={**user.headers, **_key()},
    )
    assert stolen.status_code == 404
    hijack = _put(api, user, theirs, url="https://evil.example/e")
    assert hijack.status_code == 404
    rotate = api.post(
        f"/v1/merchants/{theirs}/webhook-endpoint/secret-rotation", headers=user.headers, json={}
    )
    assert rotate.status_code == 404
    assert (
        api.get(f"/v1/merchants/{theirs}/webhook-events", headers=world.alice.headers).status_code
        == 404
    )
    mine_listed = api.get(f"/v1/merchants/{mine}/webhook-events", headers=user.headers).json()
    assert [e["id"] for e in mine_listed] == [my_event]
    staff = api.get(f"/v1/merchants/{theirs}/webhook-events", headers=world.underwriter.headers)
    assert [e["id"] for e in staff.json()] == [their_event]
    endpoint = api.get(f"/v1/merchants/{theirs}/webhook-endpoint", headers=world.admin.headers)
    assert endpoint.json()["url"] == "https://their.example/e"


def test_a_bad_url_is_refused_and_a_rotation_shows_the_new_secret_once(
    api: TestClient, world: World
) -> None:
    merchant_id, user = _shop(api, world)
    for url in ("http://shop.example/e", "https://a:b@shop.example/e", "javascript:alert(1)"):
        refused = _put(api, user, merchant_id, url=url)
        assert refused.status_code == 422, refused.text
        assert refused.json()["details"]["field"] == "url"
    unknown_type = _put(api, user, merchant_id, url="https://s.example/e", event_types=["x.y"])
    assert unknown_type.status_code == 422
    assert unknown_type.json()["details"]["field"] == "event_types"
    rotate_path = f"/v1/merchants/{merchant_id}/webhook-endpoint/secret-rotation"
    assert api.post(rotate_path, headers=user.headers, json={}).status_code == 404  # none yet
    first = _put(api, user, merchant_id, url="https://s.example/e").json()["secret"]
    rotated = api.post(rotate_path, headers=user.headers, json={"overlap_hours": 1})
    assert rotated.status_code == 200, rotated.text
    body = rotated.json()
    assert body["secret"] != first and body["endpoint"]["previous_secret_until"] is not None
    too_long = api.post(rotate_path, headers=user.headers, json={"overlap_hours": 169})
    assert too_long.status_code == 422


def test_a_merchant_system_reads_its_log_with_its_api_key(api: TestClient, world: World) -> None:
    merchant_id, user = _shop(api, world)
    other_id, _ = _shop(api, world)
    issued = api.post(
        f"/v1/staff/merchants/{merchant_id}/api-keys",
        headers=world.admin.headers,
        json={"user_id": user.user_id, "name": "shop server"},
    )
    assert issued.status_code == 201, issued.text
    key = {"X-API-Key": issued.json()["key"]}
    event_id = _enqueue(api, merchant_id)
    mine = api.get(f"/v1/merchants/{merchant_id}/webhook-events", headers=key)
    assert mine.status_code == 200 and [e["id"] for e in mine.json()] == [event_id]
    assert mine.json()[0]["status"] == "skipped"  # no endpoint yet
    theirs = api.get(f"/v1/merchants/{other_id}/webhook-events", headers=key)
    assert theirs.status_code == 404
