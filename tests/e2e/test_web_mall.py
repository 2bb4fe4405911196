"""The installment mall, the borrower's checkout and the merchant portal over HTTP, on SQLite
and PostgreSQL: the mall's monthly prices and the plans compared (checked against arithmetic
written here), buying with 12 interest-free installments after the reading pause, the
merchant capturing and refunding — never more than captured — and nobody seeing another's
order or checkout."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import cast

import pytest
from fastapi import FastAPI

from tests.e2e.mall_harness import (
    TestClient,
    annual_rate,
    fee_plan,
    interest_free,
    mall_app,
    merchant_account,
    read_for,
    sign_in,
    stock,
    yuan,
)
from tests.e2e.test_web_pages import borrower, post
from tests.e2e.test_web_words_and_roles import english_words
from thinfile.commerce import CouponFunder, MerchantCategory
from thinfile.commerce.campaign import CampaignStatus
from thinfile.http import AppContext
from thinfile.loanmath import add_months
from thinfile.services import coupons
from thinfile.services.business_date import current_business_date
from thinfile.services.campaign_records import CampaignDraft, CouponDraft
from thinfile.services.campaigns import create_campaign, list_campaigns, set_campaign_status
from thinfile.services.cob import run_cob
from thinfile.services.identity_records import SYSTEM
from thinfile.services.ledger import verify_ledger
from thinfile.services.mall_seed import CAMPAIGN_NAME, SeededShop
from thinfile.services.settlements import settle_merchants
from thinfile.services.uow import UnitOfWork

EBIKE_FEN = 1_200_000
ABOUT_ME = {
    "segment": "delivery_rider",
    "declared_monthly_income": "9000",
    "existing_debt_payment_monthly": "0",
    "months_in_city": "24",
}


@pytest.fixture
def world(tmp_path: Path, database_url: str) -> Iterator[tuple[TestClient, list[SeededShop]]]:
    app = mall_app(tmp_path, database_url)
    with TestClient(app, base_url="http://127.0.0.1") as client:
        shops = stock(app, tmp_path)
        yield client, shops


def _bikes(shops: list[SeededShop]) -> SeededShop:
    return next(s for s in shops if s.category is MerchantCategory.E_BIKES)


def _row(page: str, periods: int) -> str:
    found = re.search(rf'<tr data-periods="{periods}">(.*?)</tr>', page, re.S)
    assert found, f"no {periods}-period row"
    return found.group(1)


def test_the_mall_shows_the_monthly_price_per_term_and_the_campaign(
    world: tuple[TestClient, list[SeededShop]],
) -> None:
    client, _shops = world
    page = client.get("/mall", headers={"Accept-Language": "zh"}).text
    for title in ("外卖骑手电动车 48V 长续航", "华为 nova 12 手机 256GB", "电工证培训课程"):
        assert title in page
    each = interest_free(EBIKE_FEN, 12)
    assert f"{yuan(each[0])} × 12期" in page and "免息" in page
    assert CAMPAIGN_NAME in page
    phones = client.get("/mall?category=phones-electronics").text
    assert "华为" in phones and "外卖骑手电动车" not in phones


def test_the_product_page_compares_the_plans_against_independent_arithmetic(
    world: tuple[TestClient, list[SeededShop]],
) -> None:
    client, shops = world
    product_id = _bikes(shops).product_ids[0]
    page = client.get(f"/mall/{product_id}", headers={"Accept-Language": "en"}).text
    twelve = _row(page, 12)
    assert yuan(interest_free(EBIKE_FEN, 12)[0]) in twelve and "0.00%" in twelve
    assert "The merchant pays the interest" in twelve and CAMPAIGN_NAME in twelve
    assert yuan(EBIKE_FEN) in twelve  # total to repay = the price
    three = _row(page, 3)
    assert yuan(interest_free(EBIKE_FEN, 3)[0]) in three and "0.00%" in three
    six = _row(page, 6)
    installments, fees = fee_plan(EBIKE_FEN, 6, Decimal("0.005"))
    assert yuan(installments[0]) in six and yuan(fees) in six
    assert yuan(EBIKE_FEN + fees) in six and "You pay the fees" in six
    rate = annual_rate(EBIKE_FEN, installments)
    assert f"{(rate * 100).quantize(Decimal('0.01'))}%" in six
    assert client.get("/mall/nosuchproduct").status_code == 404


def _buy(client: TestClient, product_id: str) -> str:
    bought = post(client, f"/mall/{product_id}/purchase", {}, form_page=f"/mall/{product_id}")
    assert bought.status_code == 303, bought.text
    return str(re.fullmatch(r"/checkout/(\w+)", bought.headers["location"]).group(1))  # type: ignore[union-attr]


def _confirm(
    client: TestClient,
    session_id: str,
    periods: int = 12,
    coupon: str = "",
    *,
    about_me: dict[str, str] = ABOUT_ME,
    ticked: bool = True,
):
    page = f"/checkout/{session_id}/plans/{periods}" + (f"?coupon={coupon}" if coupon else "")
    hidden = dict(re.findall(r'type="hidden" name="(\w+)" value="([^"]*)"', client.get(page).text))
    assert hidden["idempotency_key"] and hidden["periods"] == str(periods)
    hidden.pop("csrf_token", None)
    data = {**hidden, "confirm": "yes"} if ticked else hidden
    return post(
        client,
        f"/checkout/{session_id}/confirmation",
        {**data, **about_me},
        form_page=page,
    )


def test_a_borrower_buys_on_12_free_installments_and_the_merchant_captures_and_refunds(
    world: tuple[TestClient, list[SeededShop]],
) -> None:
    client, shops = world
    app = cast(FastAPI, client.app)
    context: AppContext = app.state.context
    bikes = _bikes(shops)
    borrower(client, 61)
    session_id = _buy(client, bikes.product_ids[0])
    plans = client.get(f"/checkout/{session_id}", headers={"Accept-Language": "en"}).text
    assert 'id="plan-12"' in plans and CAMPAIGN_NAME in plans
    statement = client.get(f"/checkout/{session_id}/plans/12").text
    assert "0.00%" in statement and yuan(EBIKE_FEN) in statement
    assert 'data-wait="10"' in statement
    hurried = _confirm(client, session_id)
    assert hurried.status_code == 422 and "e-" in hurried.text  # the reading pause holds
    read_for(app, session_id)
    done = _confirm(client, session_id)
    assert done.status_code == 303, done.text
    outcome = client.get(done.headers["location"]).text
    assert 'data-status="authorized"' in outcome
    assert 'href="http://127.0.0.1/loans"' in outcome  # a mall purchase returns to My loans

    merchant_account(app, bikes.merchant_id, "bikes@shop.example")
    assert sign_in(client, "bikes@shop.example") == "/merchant"
    orders = client.get("/merchant").text
    assert f'data-session="{session_id}"' in orders
    order = f"/merchant/orders/{session_id}"
    key = re.search(r'name="idempotency_key" value="([^"]+)"', client.get(order).text)
    assert key
    captured = post(
        client,
        order + "/captures",
        {"amount": "12000.00", "idempotency_key": key.group(1)},
        form_page=order,
    )
    assert captured.status_code == 303, captured.text
    again = post(
        client,
        order + "/captures",
        {"amount": "12000.00", "idempotency_key": key.group(1)},
        form_page=order,
    )
    assert again.status_code == 303  # the same form twice captures once
    page = client.get(order).text
    assert re.search(r'id="captured">' + re.escape(yuan(EBIKE_FEN)), page)
    key = re.search(r'name="idempotency_key" value="([^"]+)"', page)
    assert key
    refunded = post(
        client,
        order + "/refunds",
        {"amount": "2000", "idempotency_key": key.group(1)},
        form_page=order,
    )
    assert refunded.status_code == 303, refunded.text
    page = client.get(order).text
    assert re.search(r'id="refunded">¥2,000\.00', page)
    key = re.search(r'name="idempotency_key" value="([^"]+)"', page)
    assert key
    too_much = post(
        client,
        order + "/refunds",
        {"amount": "10000.01", "idempotency_key": key.group(1)},
        form_page=order,
    )
    assert too_much.status_code in (409, 422) and 'id="e-refund"' in too_much.text
    assert verify_ledger(context.engine).ok
    _settles_next_day_and_spends_the_campaign(client, context, session_id)


def _settles_next_day_and_spends_the_campaign(
    client: TestClient, context: AppContext, session_id: str
) -> None:
    """The merchant sees the T+1 settlement and its file, and the campaign's budget spent on
    the subsidy: 7.5% of ¥12,000 = ¥900 (the whole order's, paid by the merchant), less the
    ¥150 the refund of ¥2,000 unwound the day of the purchase (a sixth of it)."""
    subsidy = EBIKE_FEN * 75 // 1000
    spent = subsidy - subsidy * 200_000 // EBIKE_FEN
    booked = current_business_date(context.engine)
    run_cob(context.engine, booked, actor="test")
    settle_merchants(context.engine, booked + timedelta(days=1))
    page = client.get("/merchant/settlements", headers={"Accept-Language": "en"}).text
    for amount in (EBIKE_FEN, 200_000, subsidy):
        assert yuan(amount) in page
    day = (booked + timedelta(days=1)).isoformat()
    file = client.get(f"/merchant/settlements/{day}.csv")
    assert file.status_code == 200 and file.headers["content-type"].startswith("text/csv")
    assert session_id in file.text
    assert client.get("/merchant/settlements/2001-01-01.csv").status_code == 404
    budgets = client.get("/merchant/campaigns").text
    assert CAMPAIGN_NAME in budgets and yuan(spent) == "¥750.00" and yuan(spent) in budgets
    assert yuan(5_000_000 - spent) in budgets


def test_nobody_sees_another_merchants_order_or_another_borrowers_checkout(
    world: tuple[TestClient, list[SeededShop]],
) -> None:
    client, shops = world
    app = cast(FastAPI, client.app)
    bikes = _bikes(shops)
    phones = next(s for s in shops if s.category is MerchantCategory.PHONES_ELECTRONICS)
    borrower(client, 62)
    session_id = _buy(client, bikes.product_ids[0])
    assert client.get(f"/checkout/{session_id}").status_code == 200
    borrower(client, 63)
    assert client.get(f"/checkout/{session_id}").status_code == 404
    merchant_account(app, phones.merchant_id, "phones@shop.example")
    sign_in(client, "phones@shop.example")
    assert client.get(f"/merchant/orders/{session_id}").status_code == 404
    assert f'data-session="{session_id}"' not in client.get("/merchant").text
    assert client.get("/mall").status_code == 200
    assert client.get(f"/checkout/{session_id}").status_code == 403  # a merchant is no buyer


def test_the_pages_read_in_chinese(world: tuple[TestClient, list[SeededShop]]) -> None:
    client, shops = world
    bikes = _bikes(shops)
    borrower(client, 64)
    session_id = _buy(client, bikes.product_ids[0])
    pages = [
        "/mall",
        f"/mall/{bikes.product_ids[0]}",
        f"/checkout/{session_id}",
        f"/checkout/{session_id}/plans/12",
        f"/checkout/{session_id}/plans/6",
    ]
    found = {p: english_words(client.get(p).text) for p in pages}
    merchant_account(cast(FastAPI, client.app), bikes.merchant_id, "bikes2@shop.example")
    sign_in(client, "bikes2@shop.example")
    for p in (
        "/merchant",
        f"/merchant/orders/{session_id}",
        "/merchant/settlements",
        "/merchant/campaigns",
    ):
        found[p] = english_words(client.get(p).text)
    data = {"MALL", "Redmi", "Note", "nova"}  # product names and order ids, not the page's words
    left = {
        p: sorted(w for w in words if w not in data and not re.fullmatch("[a-f]+", w))
        for p, words in found.items()
    }
    assert {p: w for p, w in left.items() if w} == {}


def _summary_links(page: str) -> list[str]:
    summary = re.search(r'<div class="alert"[^>]*id="error-summary">.*?</div>', page, re.S)
    assert summary, "no error summary"
    return re.findall(r'href="#([^"]+)"', summary.group(0))


def test_confirming_too_soon_or_without_the_box_says_so_beside_the_box(
    world: tuple[TestClient, list[SeededShop]],
) -> None:
    """The reading pause and the box have their own words, as on the loan offer page, and
    the error summary links to the box, an element the page has."""
    client, shops = world
    borrower(client, 66)
    session_id = _buy(client, _bikes(shops).product_ids[0])
    client.cookies.set("thinfile_lang", "en")
    hurried = _confirm(client, session_id)
    assert hurried.status_code == 422
    assert found_text(hurried.text, "e-confirm") == (
        "Please read the cost statement for at least 10 seconds, then confirm."
    )
    read_for(cast(FastAPI, client.app), session_id)
    unticked = _confirm(client, session_id, ticked=False)
    assert unticked.status_code == 422
    assert found_text(unticked.text, "e-confirm") == (
        "Tick the box to confirm that you have read the statement."
    )
    for page in (hurried.text, unticked.text):
        assert _summary_links(page) == ["f-confirm"]
        assert 'id="f-confirm"' in page and 'aria-describedby="e-confirm"' in page


def found_text(page: str, element_id: str) -> str:
    shown = re.search(rf'id="{element_id}">([^<]+)<', page)
    assert shown, f"no #{element_id}"
    return shown.group(1)


def test_a_declined_checkout_says_why_in_words_with_advice_and_a_person_to_ask(
    world: tuple[TestClient, list[SeededShop]],
) -> None:
    client, shops = world
    borrower(client, 67)
    session_id = _buy(client, _bikes(shops).product_ids[0])
    client.get(f"/checkout/{session_id}")  # the first look starts the reading time
    read_for(cast(FastAPI, client.app), session_id)
    declined = _confirm(client, session_id, about_me={**ABOUT_ME, "months_in_city": "1"})
    assert declined.status_code == 303, declined.text
    chinese = client.get(declined.headers["location"], headers={"Accept-Language": "zh"}).text
    english = client.get(declined.headers["location"], headers={"Accept-Language": "en"}).text
    assert 'data-status="declined"' in chinese
    for page in (chinese, english):
        assert not re.search(r"\b[A-Z]+(?:_[A-Z]+)+\b", page), "a reason code is shown"
        assert re.search(r'<ul class="reasons">\s*<li><p>[^<]+</p><p class="advice">', page)
        assert 'id="human-review"' in page and "400-000-0000" in page
    assert "主要原因" in chinese and "人工复核" in chinese
    assert "The main reasons" in english and "review by a person" in english
    assert english_words(chinese) <= {"MALL"}


def test_the_statement_schedule_gives_each_installments_due_date_principal_and_fee(
    world: tuple[TestClient, list[SeededShop]],
) -> None:
    """The 6-period plan of the ¥12,000 e-bike, a 0.5% monthly fee: six rows, a month apart
    from today (the day the order would ship), each ¥2,000 of principal and ¥60 of fee."""
    client, shops = world
    context: AppContext = cast(FastAPI, client.app).state.context
    borrower(client, 68)
    session_id = _buy(client, _bikes(shops).product_ids[0])
    page = client.get(f"/checkout/{session_id}/plans/6", headers={"Accept-Language": "en"}).text
    table = page[page.index('<table class="schedule stack installments">') :]
    table = table[: table.index("</table>")]
    rows = re.findall(
        r'<td class="n">(\d+)</td><td class="date">([^<]+)</td>'
        r'<td class="detail principal"[^>]*>([^<]+)</td><td class="detail fee"[^>]*>([^<]+)</td>'
        r'<td class="key">([^<]+)</td>',
        table,
    )
    installments, fees = fee_plan(EBIKE_FEN, 6, Decimal("0.005"))
    today = current_business_date(context.engine)
    dues = [add_months(today, n) for n in range(1, 7)]
    assert rows == [
        (str(n), due.isoformat(), yuan(EBIKE_FEN // 6), yuan(fees // 6), yuan(each))
        for n, (due, each) in enumerate(zip(dues, installments, strict=True), start=1)
    ]
    assert "shipped today" in page


def test_a_coupon_lowers_what_the_borrower_finances_and_is_used_at_confirmation(
    world: tuple[TestClient, list[SeededShop]],
) -> None:
    """满减: ¥200 off orders from ¥1,000 on the ¥12,000 e-bike: ¥11,800 financed on 12
    interest-free installments (the last one taking the rounding), worked out here."""
    client, shops = world
    app = cast(FastAPI, client.app)
    context: AppContext = app.state.context
    bikes = _bikes(shops)
    on = current_business_date(context.engine)
    coupon = coupons.create_coupon(
        context.engine,
        SYSTEM,
        CouponDraft(
            name="新市民满千减百",
            amount_off="200",
            threshold="1000",
            valid_from=on,
            valid_to=on + timedelta(days=30),
            per_borrower_limit=1,
            budget="10000",
            funded_by=CouponFunder.MERCHANT,
            merchant_ids=(bikes.merchant_id,),
        ),
    )
    borrower(client, 65)
    with UnitOfWork(context.engine) as uow:
        user = uow.users.active_by_email("b65@example.com")
    assert user is not None
    held = coupons.issue_coupon(context.engine, SYSTEM, coupon.id, user.id)
    session_id = _buy(client, bikes.product_ids[0])
    page = client.get(f"/checkout/{session_id}/plans/12?coupon={held.id}").text
    financed = EBIKE_FEN - 20_000
    assert re.search(r'id="financed">' + re.escape(yuan(financed)), page)
    assert re.search(r'id="coupon-off">−¥200\.00', page)
    shown = re.findall(r'<td class="key">(¥[\d,.]+)</td>', page[page.find("installments") :])
    assert shown[:12] == [yuan(f) for f in interest_free(financed, 12)]
    read_for(app, session_id)
    done = _confirm(client, session_id, coupon=held.id)
    assert done.status_code == 303, done.text
    with UnitOfWork(context.engine) as uow:
        row = uow.checkouts.get(session_id)
    assert row is not None, row
    assert row.status == "authorized", row.decline_reasons
    assert row.authorized == financed


def test_the_statement_says_who_pays_the_subsidy(
    world: tuple[TestClient, list[SeededShop]],
) -> None:
    """The seeded campaign's merchant pays the whole ¥900.00 subsidy; a campaign that shares
    it with the lender says the merchant and the lender pay it between them."""
    client, shops = world
    engine = cast(FastAPI, client.app).state.context.engine
    bikes = _bikes(shops)
    borrower(client, 65)
    english = {"Accept-Language": "en"}
    session_id = _buy(client, bikes.product_ids[0])
    alone = client.get(f"/checkout/{session_id}/plans/12", headers=english).text
    assert "The merchant pays the lender ¥900.00 for this plan" in alone
    [seeded] = [
        c for c in list_campaigns(engine, limit=50, offset=0) if c.campaign.name == CAMPAIGN_NAME
    ]
    set_campaign_status(engine, SYSTEM, seeded.id, CampaignStatus.PAUSED)
    today = current_business_date(engine)
    create_campaign(
        engine,
        SYSTEM,
        CampaignDraft(
            name="骑手节 平台贴息",
            starts_on=today - timedelta(days=1),
            ends_on=today + timedelta(days=30),
            merchant_ids=(bikes.merchant_id,),
            terms=(12,),
            min_order="500",
            max_order="20000",
            merchant_share="40%",
            budget="5000",
            warning_threshold="4000",
        ),
    )
    shared = client.get(f"/checkout/{session_id}/plans/12", headers=english).text
    assert "The merchant and the lender pay ¥900.00 between them for this plan" in shared
    assert "The merchant pays the lender" not in shared
    chinese = client.get(f"/checkout/{session_id}/plans/12").text
    assert "由商家和贷款机构共同承担" in chinese
