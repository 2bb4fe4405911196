"""Product management over HTTP, on SQLite and PostgreSQL: the merchant portal's products
page in Chinese and English (the list with each product's monthly price per term — checked
against arithmetic written here —, adding, re-pricing, off and on sale, a refusal shown beside
its field) and the partner merchants' API under ``/v1/merchant/products`` with an API key.
Another shop's product is a 404 on both."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy.engine import Engine

from tests.e2e.mall_harness import interest_free, sign_in, yuan
from tests.e2e.products_harness import Shops, context_of, shops
from tests.e2e.test_web_pages import csrf
from tests.e2e.test_web_words_and_roles import english_words
from thinfile.services import mall_products

_serial = itertools.count(1)


@pytest.fixture
def world(tmp_path: Path, database_url: str) -> Iterator[Shops]:
    yield from shops(tmp_path, database_url)


def _post(world: Shops, url: str, data: dict[str, str], lang: str = "en") -> httpx.Response:
    page = world.client.get("/merchant/products", headers={"Accept-Language": lang}).text
    key = re.search(r'name="idempotency_key" value="(mp-[0-9a-f]{32})"', page)
    assert key is not None
    body = {"csrf_token": csrf(page), "idempotency_key": key.group(1), **data}
    reply: httpx.Response = world.client.post(
        url, data=body, headers={"Accept-Language": lang}, follow_redirects=False
    )
    return reply


def engine_of(world: Shops) -> Engine:
    return context_of(world.client).engine


def _idem() -> dict[str, str]:
    return {"Idempotency-Key": f"products-test-{next(_serial):06d}"}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_shop_adds_reprices_and_takes_off_sale_on_its_page(world: Shops, lang: str) -> None:
    sign_in(world.client, world.bikes.email)
    form = {"name": "折叠电动车", "category": "e-bikes", "price": "2400.00"}
    added = _post(world, "/merchant/products", form, lang)
    assert added.status_code == 303 and added.headers["location"].endswith("done=add")
    page = world.client.get("/merchant/products", headers={"Accept-Language": lang}).text
    row = page[page.index("折叠电动车") :].split("</tr>")[0]
    each = interest_free(240_000, 12)[0]  # 2400 yuan in 12 interest-free installments
    assert each == 20_000 and yuan(each) in row and "12" in row
    assert ("在售" if lang == "zh" else "On sale") in row
    if lang == "zh":
        names = {
            w
            for p in mall_products.mine(engine_of(world), world.bikes.actor)
            for w in p.name.split()
        }
        assert english_words(page) <= names, english_words(page) - names
    product_id = re.search(r'id="product-([0-9a-z]+)"[^<]*<th scope="row">折叠电动车', page)
    assert product_id is not None
    pid = product_id.group(1)
    repriced = _post(world, f"/merchant/products/{pid}/price", {"price": "3600"}, lang)
    assert repriced.status_code == 303
    refused = _post(world, f"/merchant/products/{pid}/price", {"price": "0"}, lang)
    assert refused.status_code == 422
    beside = re.search(rf'id="e-price-{pid}">([^<]+)<', refused.text)
    assert beside is not None
    assert ("0.01" in beside.group(1)) and (
        ("元" in beside.group(1)) if lang == "zh" else ("yuan" in beside.group(1))
    )
    off = _post(world, f"/merchant/products/{pid}/sale", {"on_sale": "false"}, lang)
    assert off.status_code == 303
    assert world.client.get(f"/mall/{pid}").status_code == 404
    page = world.client.get("/merchant/products", headers={"Accept-Language": lang}).text
    row = page[page.index("折叠电动车") :].split("</tr>")[0]
    assert yuan(360_000) in row and ("已下架" if lang == "zh" else "Off sale") in row
    assert _post(world, f"/merchant/products/{pid}/sale", {"on_sale": "true"}).status_code == 303
    assert world.client.get(f"/mall/{pid}").status_code == 200


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_bad_name_is_refused_beside_its_field_and_kept(world: Shops, lang: str) -> None:
    sign_in(world.client, world.bikes.email)
    form = {"name": "   ", "category": "e-bikes", "price": "199.00"}
    refused = _post(world, "/merchant/products", form, lang)
    assert refused.status_code == 422
    said = re.search(r'id="e-name">([^<]+)<', refused.text)
    assert said is not None
    assert said.group(1) == ("此项必填。" if lang == "zh" else "This is required.")
    assert 'value="199.00"' in refused.text


def test_another_shops_product_is_not_found_on_the_page(world: Shops) -> None:
    sign_in(world.client, world.phones.email)
    theirs = world.bikes.seeded.product_ids[0]
    assert _post(world, f"/merchant/products/{theirs}/price", {"price": "1"}).status_code == 404
    reply = _post(world, f"/merchant/products/{theirs}/sale", {"on_sale": "false"})
    assert reply.status_code == 404
    assert world.client.get(f"/mall/{theirs}").status_code == 200
    page = world.client.get("/merchant/products").text
    assert f'id="product-{theirs}"' not in page


def test_the_api_lists_adds_and_changes_only_the_callers_products(world: Shops) -> None:
    api = world.client
    bikes = {"X-API-Key": world.bikes.api_key}
    phones = {"X-API-Key": world.phones.api_key}
    listed = api.get("/v1/merchant/products", headers=bikes)
    assert listed.status_code == 200
    assert {p["id"] for p in listed.json()} == set(world.bikes.seeded.product_ids)
    body = {"name": "Cargo bike", "category": "e-bikes", "price": "5999.50"}
    headers = {**bikes, **_idem()}
    made = api.post("/v1/merchant/products", headers=headers, json=body)
    assert made.status_code == 201, made.text
    product = made.json()
    assert (product["price"], product["on_sale"]) == ("5999.50", True)
    again = api.post("/v1/merchant/products", headers=headers, json=body)
    assert again.json()["id"] == product["id"]
    assert len(api.get("/v1/merchant/products", headers=bikes).json()) == len(listed.json()) + 1
    one = f"/v1/merchant/products/{product['id']}"
    theirs = api.patch(one, headers={**phones, **_idem()}, json={"on_sale": False})
    assert theirs.status_code == 404
    assert product["id"] not in {
        p["id"] for p in api.get("/v1/merchant/products", headers=phones).json()
    }
    changed = api.patch(one, headers={**bikes, **_idem()}, json={"price": "5000", "on_sale": False})
    assert changed.status_code == 200, changed.text
    assert (changed.json()["price"], changed.json()["on_sale"]) == ("5000.00", False)
    assert api.get(f"/mall/{product['id']}").status_code == 404
    bad = api.patch(one, headers={**bikes, **_idem()}, json={"price": "1000000.01"})
    assert bad.status_code == 422 and "price" in bad.text
    wrong = api.post(
        "/v1/merchant/products", headers={**bikes, **_idem()}, json={**body, "category": "rockets"}
    )
    assert wrong.status_code == 422 and "category" in wrong.text
    assert api.get("/v1/merchant/products").status_code == 401


@pytest.mark.parametrize("name", ["\u200b\x00", "电动车\u202e84V", "Cargo\u200dbike", "bike\x07"])
def test_a_product_name_with_hidden_or_control_characters_is_refused(
    world: Shops, name: str
) -> None:
    """A zero-width, direction-override, NUL or bell character would be stored and shown to
    borrowers as a name that reads otherwise than it is: refused naming ``name``, nothing
    added; ``on_sale`` takes a JSON boolean only."""
    api = world.client
    bikes = {"X-API-Key": world.bikes.api_key}
    before = len(api.get("/v1/merchant/products", headers=bikes).json())
    body = {"name": name, "category": "e-bikes", "price": "3999.00"}
    refused = api.post("/v1/merchant/products", headers={**bikes, **_idem()}, json=body)
    assert refused.status_code == 422, refused.text
    assert refused.json()["details"]["field"] == "name"
    assert len(api.get("/v1/merchant/products", headers=bikes).json()) == before
    product = world.bikes.seeded.product_ids[0]
    flag = api.patch(
        f"/v1/merchant/products/{product}", headers={**bikes, **_idem()}, json={"on_sale": "0"}
    )
    assert flag.status_code == 422 and "on_sale" in flag.text
