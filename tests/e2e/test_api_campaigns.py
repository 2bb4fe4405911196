"""Campaigns and coupons over the API: staff create them and see budget use and warnings;
a borrower lists their usable coupons and never another's; hostile input is refused with
the field named and nothing written."""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from typing import Any

from tests.e2e.api_harness import Party, TestClient, World, context_of
from tests.e2e.test_api_merchants import CONTRACT, onboard
from thinfile.money import Money
from thinfile.services import campaigns
from thinfile.services.uow import UnitOfWork

_serial = itertools.count(1)


def _key() -> dict[str, str]:
    return {"Idempotency-Key": f"campaign-test-{next(_serial):06d}"}


def _merchant(api: TestClient, staff: Party) -> str:
    merchant = onboard(api, staff).json()
    put = api.put(
        f"/v1/staff/merchants/{merchant['id']}/contract",
        headers={**staff.headers, **_key()},
        json=CONTRACT,
    )
    assert put.status_code == 200, put.text
    active = api.post(
        f"/v1/staff/merchants/{merchant['id']}/activation", headers={**staff.headers, **_key()}
    )
    assert active.status_code == 200, active.text
    return str(merchant["id"])


def _today() -> date:
    return date.today()


def _campaign(merchant_id: str, **overrides: Any) -> dict[str, Any]:
    today = _today()
    return {
        "name": "骑手电动车12期免息",
        "starts_on": str(today - timedelta(days=1)),
        "ends_on": str(today + timedelta(days=30)),
        "merchant_ids": [merchant_id],
        "terms": [3, 12],
        "min_order": "500",
        "max_order": "20000",
        "merchant_share": "100%",
        "budget": "1000",
        "warning_threshold": "800",
        **overrides,
    }


def _coupon(**overrides: Any) -> dict[str, Any]:
    today = _today()
    return {
        "name": "满1000减100",
        "amount_off": "100",
        "threshold": "1000",
        "valid_from": str(today - timedelta(days=1)),
        "valid_to": str(today + timedelta(days=30)),
        "per_borrower_limit": 1,
        "budget": "300",
        "funded_by": "lender",
        **overrides,
    }


def test_staff_create_a_campaign_and_see_its_budget_and_warning(
    api: TestClient, world: World
) -> None:
    merchant = _merchant(api, world.admin)
    made = api.post(
        "/v1/staff/campaigns", headers={**world.admin.headers, **_key()}, json=_campaign(merchant)
    )
    assert made.status_code == 201, made.text
    campaign = made.json()
    assert (campaign["budget"], campaign["spent"], campaign["budget_state"]) == (
        "1000.00",
        "0.00",
        "ok",
    )
    engine = context_of(api).engine
    with UnitOfWork(engine) as uow:  # a checkout confirming a 12-period purchase
        campaigns.reserve_campaign_budget_in_unit(uow, campaign["id"], Money.of("850"), "o-1")
        uow.commit()
    seen = api.get(f"/v1/staff/campaigns/{campaign['id']}", headers=world.underwriter.headers)
    assert seen.status_code == 200
    assert (seen.json()["spent"], seen.json()["remaining"]) == ("850.00", "150.00")
    assert seen.json()["budget_state"] == "warning" and seen.json()["warned_at"]
    warned = api.get("/v1/staff/campaigns?warning=true", headers=world.admin.headers).json()
    assert [c["id"] for c in warned] == [campaign["id"]]


def test_a_hostile_campaign_is_refused_naming_the_field(api: TestClient, world: World) -> None:
    merchant = _merchant(api, world.admin)
    for overrides, field in (
        ({"budget": "１０００"}, "budget"),
        ({"budget": "-1"}, "budget"),
        ({"budget": "1e9"}, "budget"),
        ({"warning_threshold": "1000.01"}, "warning_threshold"),
        ({"ends_on": str(_today() - timedelta(days=2))}, "ends_on"),
        ({"terms": [5]}, "terms"),
    ):
        reply = api.post(
            "/v1/staff/campaigns",
            headers={**world.admin.headers, **_key()},
            json=_campaign(merchant, **overrides),
        )
        assert reply.status_code == 422, (overrides, reply.text)
        assert field in reply.text, (field, reply.text)
    assert api.get("/v1/staff/campaigns", headers=world.admin.headers).json() == []


def test_only_staff_reach_campaigns_and_coupons(api: TestClient, world: World) -> None:
    for method, path in (
        ("GET", "/v1/staff/campaigns"),
        ("POST", "/v1/staff/campaigns"),
        ("GET", "/v1/staff/coupons"),
        ("POST", "/v1/staff/coupons"),
    ):
        reply = api.request(method, path, headers={**world.alice.headers, **_key()}, json={})
        assert reply.status_code == 403, (method, path, reply.text)


def test_a_borrower_lists_their_usable_coupons_and_never_anothers(
    api: TestClient, world: World
) -> None:
    made = api.post("/v1/staff/coupons", headers={**world.admin.headers, **_key()}, json=_coupon())
    assert made.status_code == 201, made.text
    coupon = made.json()
    issue = {**world.admin.headers, **_key()}
    given = api.post(
        f"/v1/staff/coupons/{coupon['id']}/issues",
        headers=issue,
        json={"borrower_id": world.alice.user_id},
    )
    assert given.status_code == 201, given.text
    again = api.post(
        f"/v1/staff/coupons/{coupon['id']}/issues",
        headers=issue,
        json={"borrower_id": world.alice.user_id},
    )
    assert again.json()["id"] == given.json()["id"]  # the same key replays
    mine = api.get("/v1/me/coupons", headers=world.alice.headers)
    assert [c["id"] for c in mine.json()] == [given.json()["id"]]
    assert mine.json()[0]["amount_off"] == "100.00"
    small = api.get("/v1/me/coupons?order_amount=999.99", headers=world.alice.headers)
    assert small.json() == []
    assert api.get("/v1/me/coupons", headers=world.bob.headers).json() == []
    bad = api.get("/v1/me/coupons?order_amount=１０００", headers=world.alice.headers)
    assert bad.status_code == 422
    limit = api.post(
        f"/v1/staff/coupons/{coupon['id']}/issues",
        headers={**world.admin.headers, **_key()},
        json={"borrower_id": world.alice.user_id},
    )
    assert limit.status_code == 409 and limit.json()["code"] == "coupon_unavailable"
    listed = api.get(f"/v1/staff/coupons/{coupon['id']}", headers=world.admin.headers).json()
    assert (listed["issued"], listed["remaining"]) == ("100.00", "200.00")


def test_a_coupon_threshold_not_above_its_amount_is_refused(api: TestClient, world: World) -> None:
    reply = api.post(
        "/v1/staff/coupons",
        headers={**world.admin.headers, **_key()},
        json=_coupon(threshold="100"),
    )
    assert reply.status_code == 422 and reply.json()["code"] == "invalid_coupon"
    assert reply.json()["details"]["field"] == "threshold"


def test_an_ended_coupon_is_not_issued_but_stays_usable(api: TestClient, world: World) -> None:
    coupon = api.post(
        "/v1/staff/coupons", headers={**world.admin.headers, **_key()}, json=_coupon()
    ).json()
    given = api.post(
        f"/v1/staff/coupons/{coupon['id']}/issues",
        headers={**world.admin.headers, **_key()},
        json={"borrower_id": world.alice.user_id},
    )
    assert given.status_code == 201, given.text
    ended = api.put(
        f"/v1/staff/coupons/{coupon['id']}/status",
        headers={**world.admin.headers, **_key()},
        json={"status": "ended"},
    )
    assert ended.status_code == 200 and ended.json()["status"] == "ended"
    refused = api.post(
        f"/v1/staff/coupons/{coupon['id']}/issues",
        headers={**world.admin.headers, **_key()},
        json={"borrower_id": world.bob.user_id},
    )
    assert refused.status_code == 409 and refused.json()["code"] == "coupon_unavailable"
    again = api.put(
        f"/v1/staff/coupons/{coupon['id']}/status",
        headers={**world.admin.headers, **_key()},
        json={"status": "active"},
    )
    assert again.status_code == 409
    mine = api.get("/v1/me/coupons", headers=world.alice.headers).json()
    assert [c["id"] for c in mine] == [given.json()["id"]]
