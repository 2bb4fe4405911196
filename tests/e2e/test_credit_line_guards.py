"""What a revolving line may lend, over the API on SQLite and PostgreSQL: a purchase
authorized on the line holds its room (no cash draw takes it, the capture then succeeds,
also after staff cut the limit below it); a
first-loan programme's discount is not the line's rate for later draws; a borrower's draw is
one of the offered terms and at least the minimum (``tests/integration/
test_credit_line_stops.py``: lost draws and stale offers)."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
import sqlalchemy as sa

from tests.e2e.api_harness import TestClient, World, accept, apply, context_of
from tests.e2e.test_api_checkout import authorized, key, post, shop
from thinfile.money import Money
from thinfile.services.business_date import current_business_date
from thinfile.services.credit_lines import change_line_limit

LINE_OFFER = 2  # the revolving line among alice's offers


def _line_of(api: TestClient, session: str) -> int:
    with context_of(api).engine.connect() as conn:
        return int(
            conn.execute(
                sa.text("SELECT credit_line_id FROM checkout_sessions WHERE id = :i"),
                {"i": session},
            ).scalar_one()
        )


def test_a_purchase_authorized_on_a_line_holds_its_room_from_cash_draws(
    api: TestClient, world: World
) -> None:
    merchant = shop(api, world.admin)
    phone = [{"name": "手机", "sku": "P1", "quantity": 1, "unit_price": "3000"}]
    session = authorized(api, world, merchant, total="3000.00", lines=phone)
    line_id = _line_of(api, session)
    line = api.get(f"/v1/credit-lines/{line_id}", headers=world.alice.headers).json()
    limit = Decimal(line["limit"])
    assert Decimal(line["available"]) == limit - Decimal("3000.00")
    room = str(max(limit - Decimal("3000.00") + Decimal("0.01"), Decimal("100.00")))
    quote = api.get(
        f"/v1/credit-lines/{line_id}/draw-quote",
        params={"amount": room, "term_months": 3},
        headers=world.alice.headers,
    )
    assert quote.status_code == 409, quote.text
    cash = api.post(
        f"/v1/credit-lines/{line_id}/draws",
        headers={**world.alice.headers, **key()},
        json={"amount": room, "term_months": 3},
    )
    assert cash.status_code == 409 and cash.json()["details"]["field"] == "amount", cash.text
    captured = post(api, merchant, session, "captures", amount="3000.00")
    assert captured.status_code == 201, captured.text


def test_a_limit_cut_after_an_authorization_does_not_take_back_its_room(
    api: TestClient, world: World
) -> None:
    """Staff lower the line below the purchase the merchant was promised: the capture within
    the authorization is still honoured (and the line then lends no cash)."""
    merchant = shop(api, world.admin)
    phone = [{"name": "手机", "sku": "P1", "quantity": 1, "unit_price": "3000"}]
    session = authorized(api, world, merchant, total="3000.00", lines=phone)
    line_id = _line_of(api, session)
    engine = context_of(api).engine
    on = current_business_date(engine)
    change_line_limit(engine, line_id, Money.of("1000"), "fraud signal, cut the limit", on)
    captured = post(api, merchant, session, "captures", amount="3000.00")
    assert captured.status_code == 201, captured.text
    line = api.get(f"/v1/credit-lines/{line_id}", headers=world.alice.headers).json()
    assert (Decimal(line["limit"]), Decimal(line["available"])) == (Decimal("1000.00"), Decimal(0))


def test_a_first_loan_programme_prices_the_first_draw_only(api: TestClient, world: World) -> None:
    application = apply(api, world.alice).json()
    offer = application["offers"][LINE_OFFER]
    assert offer["product"] == "revolving_line"
    accepted = accept(api, world.alice, application["id"], LINE_OFFER).json()
    line_id = int(accepted["credit_line_id"])
    with context_of(api).engine.connect() as conn:
        stored = json.loads(
            conn.execute(
                sa.text("SELECT decision_json FROM applications WHERE id = :i"),
                {"i": application["id"]},
            ).scalar_one()
        )
    programme = stored["offers"][LINE_OFFER]["programme"]
    assert programme is not None, "alice's line offer is the new citizens' first loan"
    before, after = Decimal(programme["price_before"]), Decimal(programme["price_after"])
    assert after < before and Decimal(offer["annual_rate"]) == after  # the first loan's price
    quote = api.get(
        f"/v1/credit-lines/{line_id}/draw-quote",
        params={"amount": "1000.00", "term_months": 12},
        headers=world.alice.headers,
    )
    assert quote.status_code == 200, quote.text
    assert Decimal(quote.json()["offer"]["annual_rate"]) == before


@pytest.mark.parametrize(
    ("amount", "term", "field"),
    [
        ("99.99", 12, "amount"),
        ("0.01", 3, "amount"),
        ("500.00", 1, "term_months"),
        ("500.00", 7, "term_months"),
        ("500.00", 36, "term_months"),
    ],
)
def test_a_draw_is_one_of_the_offered_terms_and_at_least_the_minimum(
    api: TestClient, world: World, amount: str, term: int, field: str
) -> None:
    application = apply(api, world.alice).json()
    accepted = accept(api, world.alice, application["id"], LINE_OFFER).json()
    line_id = int(accepted["credit_line_id"])
    before = api.get(f"/v1/credit-lines/{line_id}", headers=world.alice.headers).json()
    refused = api.post(
        f"/v1/credit-lines/{line_id}/draws",
        headers={**world.alice.headers, **key()},
        json={"amount": amount, "term_months": term},
    )
    assert refused.status_code == 422 and refused.json()["details"]["field"] == field
    after = api.get(f"/v1/credit-lines/{line_id}", headers=world.alice.headers).json()
    assert after == before  # nothing drawn
