"""Interest coupons over the API, on both databases: staff define a batch and a campaign
issues it to a segment; the borrower prices an offer with the coupon — the value checked
against an independent calculation — and accepts with it; a spent programme budget shows
the standard price with its reason, and only an acceptance asking for it goes through."""

from __future__ import annotations

import itertools
from datetime import date
from typing import Any

from tests.e2e.api_harness import Party, TestClient, World, apply, context_of
from thinfile.money import Money
from thinfile.security.roles import Role
from thinfile.services import promotions
from thinfile.services.identity_records import Actor

_serial = itertools.count(1)


def _key() -> dict[str, str]:
    return {"Idempotency-Key": f"interest-coupon-test-{next(_serial):06d}"}


def _batch(**overrides: Any) -> dict[str, Any]:
    return {
        "name": "新市民首贷30天免息券",
        "terms": {"kind": "free_days", "days": 30},
        "valid_from": "2000-01-01",
        "valid_to": "2100-12-31",
        "per_borrower_limit": 1,
        "budget": "20000.00",
        **overrides,
    }


def _fen(text: str) -> int:
    return Money.of(text).fen


def _free_days_value(price: dict[str, Any], days: int) -> int:
    """What ``days`` interest-free take off, worked out here from the plain schedule: each
    installment's interest and fee × the free days of its period ÷ the period's days, cut
    down to the fen."""
    start = date.fromisoformat(price["start"])
    opens, total = start, 0
    for inst in price["schedule"]:
        due = date.fromisoformat(inst["due_date"])
        period = (due - opens).days
        free = max(0, min((start - opens).days + days, period))
        charge = _fen(inst["interest"]) + _fen(inst["fee"])
        total += charge if free >= period else charge * free // period
        opens = due
    return total


def _accept(api: TestClient, party: Party, application_id: str, **extra: Any) -> Any:
    return api.post(
        f"/v1/applications/{application_id}/acceptance",
        headers={**party.headers, **_key()},
        json={"offer": 0, "confirm": True, "seconds_read": 15.0, **extra},
    )


def test_a_campaign_coupon_is_priced_and_accepted_and_spends_its_batch(
    api: TestClient, world: World
) -> None:
    alice, bob, admin = world.alice, world.bob, world.admin
    bad = api.post(
        "/v1/staff/interest-coupon-batches",
        headers={**admin.headers, **_key()},
        json=_batch(terms={"kind": "rate_discount", "periods": 3}),
    )
    assert bad.status_code == 422 and bad.json()["details"]["field"] == "factor", bad.text
    made = api.post(
        "/v1/staff/interest-coupon-batches", headers={**admin.headers, **_key()}, json=_batch()
    )
    assert made.status_code == 201, made.text
    batch = made.json()
    assert (batch["status"], batch["spent"], batch["issued"]) == ("active", "0.00", 0)
    denied = api.post(
        "/v1/staff/interest-coupon-batches", headers={**alice.headers, **_key()}, json=_batch()
    )
    assert denied.status_code == 403

    application = apply(api, alice).json()
    assert application["status"] == "approved", application
    campaign = api.post(
        f"/v1/staff/interest-coupon-batches/{batch['id']}/segment-issues",
        headers={**admin.headers, **_key()},
        json={"segment": "delivery_rider", "reference": "2026 新市民", "first_loan_only": True},
    )
    assert campaign.status_code == 200, campaign.text
    assert (campaign.json()["issued"], campaign.json()["at_limit"]) == (1, 0)
    assert api.get("/v1/me/interest-coupons", headers=bob.headers).json() == []
    held = api.get("/v1/me/interest-coupons", headers=alice.headers).json()
    assert [(c["status"], c["batch_id"]) for c in held] == [("issued", batch["id"])]
    coupon = held[0]["id"]

    price_url = f"/v1/applications/{application['id']}/price"
    plain = api.get(price_url, headers=alice.headers)
    assert plain.status_code == 200, plain.text
    with_coupon = api.get(price_url, params={"coupon_id": coupon}, headers=alice.headers).json()
    value = _free_days_value(plain.json(), 30)
    assert _fen(with_coupon["coupon_value"]) == value > 0
    assert _fen(with_coupon["total_cost"]) == _fen(plain.json()["total_cost"]) - value
    assert _fen(with_coupon["statement"]["total_cost"]) == _fen(with_coupon["total_cost"])
    assert with_coupon["annualized_rate"]["nominal"] < plain.json()["annualized_rate"]["nominal"]
    assert api.get(price_url, headers=bob.headers).status_code == 404

    accepted = _accept(api, alice, application["id"], coupon_id=coupon)
    assert accepted.status_code == 201, accepted.text
    after = api.get("/v1/me/interest-coupons", headers=alice.headers).json()[0]
    assert (after["status"], after["loan_id"]) == ("redeemed", accepted.json()["loan_id"])
    assert _fen(after["value"]) == value
    seen = api.get(f"/v1/staff/interest-coupon-batches/{batch['id']}", headers=admin.headers)
    assert _fen(seen.json()["spent"]) == value and seen.json()["issued"] == 1
    loan = api.get(f"/v1/loans/{accepted.json()['loan_id']}", headers=alice.headers).json()
    # the loan books the schedule the price showed, the coupon's cut taken off
    assert [i["due"]["total"] for i in loan["installments"]] == [
        i["total"] for i in with_coupon["schedule"]
    ]


def test_a_spent_programme_budget_shows_the_standard_price_and_needs_it_asked(
    api: TestClient, world: World
) -> None:
    alice = world.alice
    application = apply(api, alice).json()
    price_url = f"/v1/applications/{application['id']}/price"
    offered = api.get(price_url, headers=alice.headers).json()
    assert offered["programme"] is not None and offered["standard_price"] is False
    code = offered["programme"]["code"]
    engine = context_of(api).engine
    promotions.set_programme_budget(engine, code, Money(0), actor=Actor("staff", Role.ADMIN))

    fallback = api.get(price_url, headers=alice.headers).json()
    assert fallback["reasons"] == ["PROGRAMME_BUDGET_EXHAUSTED"]
    assert fallback["standard_price"] is True and fallback["programme"] is None
    before = offered["programme"]["price_before"]
    kind = "monthly_fee_rate" if offered["monthly_fee_rate"] != "0" else "annual_rate"
    assert fallback[kind] == before
    assert _fen(fallback["total_cost"]) == _fen(offered["total_cost"]) + _fen(
        offered["programme_discount"]
    )
    refused = _accept(api, alice, application["id"])
    assert refused.status_code == 409, refused.text
    assert refused.json()["code"] == "programme_budget_exhausted"
    accepted = _accept(api, alice, application["id"], standard_price=True)
    assert accepted.status_code == 201, accepted.text
