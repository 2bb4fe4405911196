"""Product management by a merchant's own users, on SQLite and PostgreSQL: a shop lists,
adds and re-prices only its own products (another shop's is not found), bad input is refused
naming its field with nothing written, a product taken off sale leaves the catalogue and its
page while an order made before stays as it was, and a repeat writes nothing."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.e2e.products_harness import Shops, context_of, shops
from thinfile.commerce import MerchantCategory
from thinfile.errors import InvalidInputError, NotFoundError
from thinfile.money import Money
from thinfile.services import checkout, mall, mall_products
from thinfile.services.identity_records import SYSTEM
from thinfile.services.uow import UnitOfWork


@pytest.fixture
def world(tmp_path: Path, database_url: str) -> Iterator[Shops]:
    yield from shops(tmp_path, database_url)


def _count(world: Shops, table: str) -> int:
    with context_of(world.client).engine.connect() as conn:
        return int(conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one())


def test_a_shop_sees_and_changes_only_its_own_products(world: Shops) -> None:
    engine = context_of(world.client).engine
    bikes, phones = world.bikes, world.phones
    assert {p.id for p in mall_products.mine(engine, bikes.actor)} == set(bikes.seeded.product_ids)
    added = mall_products.add_mine(
        engine, bikes.actor, "  折叠 电动车 ", MerchantCategory.E_BIKES, Money(240_000), key="k1"
    )
    assert (added.name, added.price, added.active) == ("折叠 电动车", 240_000, True)
    assert added.merchant_id == bikes.seeded.merchant_id
    assert added.id in {p.id for p in mall_products.mine(engine, bikes.actor)}
    assert added.id not in {p.id for p in mall_products.mine(engine, phones.actor)}
    before = mall_products.mine(engine, phones.actor)
    with pytest.raises(NotFoundError) as refused:
        mall_products.change_mine(engine, phones.actor, added.id, key="k2", price=Money(100))
    assert refused.value.field == "product_id"
    with pytest.raises(NotFoundError):
        mall_products.change_mine(engine, phones.actor, added.id, key="k3", on_sale=False)
    assert mall_products.mine(engine, phones.actor) == before
    with UnitOfWork(engine) as uow:
        stored = uow.products.get(added.id)
    assert stored is not None and (stored.price, stored.active) == (240_000, True)


@pytest.mark.parametrize(
    ("name", "category", "price", "field"),
    [
        ("", "e-bikes", Money(100), "name"),
        ("x" * 201, "e-bikes", Money(100), "name"),
        ("Bike", "e-bikes", Money(0), "price"),
        ("Bike", "e-bikes", Money(-5), "price"),
        ("Bike", "e-bikes", Money(100_000_001), "price"),
        ("Bike", "spaceships", Money(100), "category"),
    ],
)
def test_bad_input_is_refused_naming_its_field_and_writes_nothing(
    world: Shops, name: str, category: str, price: Money, field: str
) -> None:
    engine = context_of(world.client).engine
    products, audits = _count(world, "mall_products"), _count(world, "audit_log")
    with pytest.raises(InvalidInputError) as refused:
        chosen = mall_products.parse_category(category)
        mall_products.add_mine(engine, world.bikes.actor, name, chosen, price, key="bad")
    assert refused.value.field == field
    assert (_count(world, "mall_products"), _count(world, "audit_log")) == (products, audits)


def test_the_dearest_price_allowed_is_one_million_yuan(world: Shops) -> None:
    engine = context_of(world.client).engine
    made = mall_products.add_mine(
        engine, world.bikes.actor, "Cargo", MerchantCategory.E_BIKES, Money(100_000_000), key="m"
    )
    assert made.price == 100_000_000
    with pytest.raises(InvalidInputError) as refused:
        mall_products.change_mine(
            engine, world.bikes.actor, made.id, key="m2", price=Money(100_000_001)
        )
    assert refused.value.field == "price"


def test_off_sale_leaves_the_catalogue_and_its_page_and_comes_back(world: Shops) -> None:
    engine = context_of(world.client).engine
    product_id = world.bikes.seeded.product_ids[0]
    assert product_id in {i.product.id for i in mall.catalogue(engine)}
    orders = _count(world, "checkout_sessions")
    off = mall_products.change_mine(engine, world.bikes.actor, product_id, key="o", on_sale=False)
    assert off.active is False
    assert product_id not in {i.product.id for i in mall.catalogue(engine)}
    with pytest.raises(NotFoundError):
        mall.product_page(engine, product_id)
    assert product_id in {p.id for p in mall_products.mine(engine, world.bikes.actor)}
    assert _count(world, "checkout_sessions") == orders
    mall_products.change_mine(engine, world.bikes.actor, product_id, key="p", on_sale=True)
    assert mall.product_page(engine, product_id).product.active is True


def test_a_repeat_writes_nothing_more(world: Shops) -> None:
    engine = context_of(world.client).engine
    actor = world.bikes.actor
    products = _count(world, "mall_products")
    first = mall_products.add_mine(
        engine, actor, "Helmet", MerchantCategory.E_BIKES, Money(19_900), key="same"
    )
    again = mall_products.add_mine(
        engine, actor, "Helmet", MerchantCategory.E_BIKES, Money(19_900), key="same"
    )
    assert again.id == first.id and _count(world, "mall_products") == products + 1
    audits = _count(world, "audit_log")
    changed = mall_products.change_mine(engine, actor, first.id, key="c1", price=Money(17_900))
    assert changed.price == 17_900 and _count(world, "audit_log") == audits + 1
    mall_products.change_mine(engine, actor, first.id, key="c2", price=Money(17_900))
    mall_products.change_mine(engine, actor, first.id, key="c3", on_sale=True)
    assert _count(world, "audit_log") == audits + 1


def test_an_order_made_before_stays_as_it_was_after_off_sale(world: Shops) -> None:
    engine = context_of(world.client).engine
    product_id = world.bikes.seeded.product_ids[0]
    price = mall.product_page(engine, product_id).product.price
    session_id = mall.buy(
        engine, SYSTEM, product_id, site="https://mall.example/", expires_in=timedelta(hours=1)
    )
    before = checkout.get_for_merchant(engine, world.bikes.actor, session_id).row
    mall_products.change_mine(engine, world.bikes.actor, product_id, key="x", on_sale=False)
    mall_products.change_mine(engine, world.bikes.actor, product_id, key="y", price=Money(1))
    after = checkout.get_for_merchant(engine, world.bikes.actor, session_id).row
    assert (after.total, after.status) == (before.total, before.status) == (price, "open")
