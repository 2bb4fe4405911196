"""The borrower's offer page with interest coupons and programme budgets: the page shows the
offer at today's price, lets the borrower take a coupon off and confirm that price (the
reading receipt binds it), and once the programme's budget is spent shows the standard price
and accepts it."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from tests.e2e.test_web_loans import engine_of
from tests.e2e.test_web_pages import PASSWORD, apply, borrower, build_app, csrf, post, seed
from tests.support.pages import found
from thinfile.decisioning import load_policy
from thinfile.decisioning.interest_coupons import CouponKind, InterestCouponTerms
from thinfile.money import Money
from thinfile.security.roles import Role
from thinfile.services import interest_coupons as batches
from thinfile.services import promotions
from thinfile.services.identity_records import Actor

STAFF = Actor("staff-1", Role.ADMIN)


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    app = build_app(tmp_path)
    with TestClient(app, base_url="http://127.0.0.1") as test_client:
        seed(app, tmp_path)
        yield test_client


def _user_of(client: TestClient, location: str) -> str:
    application_id = location.rsplit("/", 1)[-1]
    with engine_of(client).connect() as conn:
        return str(
            conn.execute(
                sa.text("SELECT user_id FROM applications WHERE id = :i"), {"i": application_id}
            ).scalar_one()
        )


def _total_cost(page: str) -> int:
    text = found(r'<tfoot><tr><th scope="row" colspan="3">[^<]+</th><td class="key">([^<]+)<', page)
    return Money.of(text.replace("¥", "").replace(",", "")).fen


def _later(monkeypatch: pytest.MonkeyPatch) -> None:
    later = time.time_ns() + 11 * 1_000_000_000
    monkeypatch.setattr(time, "time_ns", lambda: later)


def test_the_borrower_takes_a_coupon_off_and_accepts_that_price(client, monkeypatch):
    borrower(client, 41)
    location = apply(client)
    offer_url = f"{location}/offers/0"
    batch = batches.create_coupon_batch(
        engine_of(client),
        STAFF,
        batches.CouponBatchDraft(
            name="利息八折券",
            terms=InterestCouponTerms(CouponKind.RATE_DISCOUNT, factor=Decimal("0.8"), periods=3),
            valid_from=date(2000, 1, 1),
            valid_to=date(2100, 1, 1),
            per_borrower_limit=1,
            budget=Money.of("1000"),
        ),
    )
    coupon = batches.issue_batch_coupon(
        engine_of(client), STAFF, batch.id, _user_of(client, location)
    )
    plain = client.get(offer_url).text
    assert f'<option value="{coupon.id}"' in plain and "前3期利息8折" in plain
    priced = client.get(offer_url, params={"coupon_id": coupon.id}).text
    assert 'id="coupon-value"' in priced
    saved = promotions.my_interest_coupons(
        engine_of(client), actor=Actor(coupon.borrower_id, Role.BORROWER)
    )
    assert saved[0].status == "issued"
    cut = _total_cost(plain) - _total_cost(priced)
    assert cut > 0

    # the receipt of the plain statement does not confirm the coupon's price
    _later(monkeypatch)
    plain_receipt = found(r'name="receipt" value="([^"]+)"', plain)
    mixed = client.post(
        f"{offer_url}/accept",
        data={
            "csrf_token": csrf(plain),
            "receipt": plain_receipt,
            "coupon_id": coupon.id,
            "confirm": "yes",
        },
        follow_redirects=False,
    )
    assert mixed.status_code == 422
    receipt = found(r'name="receipt" value="([^"]+)"', priced)
    assert found(r'name="coupon_id" value="([0-9a-f]+)"', priced) == coupon.id
    done = client.post(
        f"{offer_url}/accept",
        data={
            "csrf_token": csrf(priced),
            "receipt": receipt,
            "coupon_id": coupon.id,
            "confirm": "yes",
        },
        follow_redirects=False,
    )
    assert done.status_code == 303, done.text
    used = promotions.my_interest_coupons(
        engine_of(client), actor=Actor(coupon.borrower_id, Role.BORROWER)
    )[0]
    assert used.status == "redeemed" and used.value_fen == cut
    # staff read the offers as decided, and are sent to the loan for the price accepted
    post(client, "/sign-out", {}, form_page="/home")
    post(client, "/sign-in", {"email": "uw@lender.example", "password": PASSWORD})
    staff_page = client.get(f"/console/{location.removeprefix('/')}").text
    assert 'id="offers-as-decided"' in staff_page
    assert re.search(r'href="/console/loans/\d+"', staff_page)


def test_a_spent_programme_budget_shows_and_accepts_the_standard_price(client, monkeypatch):
    borrower(client, 42)
    location = apply(client)
    offer_url = f"{location}/offers/0"
    before = client.get(offer_url).text
    assert 'id="standard-price"' not in before
    for programme in load_policy().settings.programmes:
        promotions.set_programme_budget(engine_of(client), programme.code, Money(0), actor=STAFF)
    page = client.get(offer_url).text
    assert 'id="standard-price"' in page
    assert 'name="standard" value="yes"' in page
    assert _total_cost(page) > _total_cost(before)
    _later(monkeypatch)
    done = client.post(
        f"{offer_url}/accept",
        data={
            "csrf_token": csrf(page),
            "receipt": found(r'name="receipt" value="([^"]+)"', page),
            "standard": "yes",
            "confirm": "yes",
        },
        follow_redirects=False,
    )
    assert done.status_code == 303, done.text


def _listed_total_costs(page: str) -> list[int]:
    """Each offer's total cost as the decision page lists it."""
    return [
        Money.of(text.replace("¥", "").replace(",", "")).fen
        for text in re.findall(r"<dt>(?:Total cost|总息费)</dt><dd>([^<]+)</dd>", page)
    ]


def test_the_decision_page_lists_the_price_the_offer_page_gives_once_the_budget_is_spent(
    client,
):
    borrower(client, 43)
    location = apply(client)
    before = _listed_total_costs(client.get(location).text)
    assert before and before[0] == _total_cost(client.get(f"{location}/offers/0").text)
    for programme in load_policy().settings.programmes:
        promotions.set_programme_budget(engine_of(client), programme.code, Money(0), actor=STAFF)
    listed = _listed_total_costs(client.get(location).text)
    offered = [_total_cost(client.get(f"{location}/offers/{i}").text) for i in range(len(listed))]
    assert listed == offered
    assert listed[0] > before[0]
