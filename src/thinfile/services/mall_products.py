"""A merchant's own products in the installment mall: its users list them, add one, change a
price and take one off sale or back on sale. A merchant user acts only for its own merchant
(:meth:`MerchantRepository.merchant_of_user`): another merchant's product is not found.

An off-sale product leaves the catalogue and its mall page (both show only ``active``
products); orders already made for it are checkout sessions of their own and do not change.
A change to the state a product already has (the same price, on sale twice) writes nothing and
no audit row, so a repeated request is harmless; the web forms also run once per form key.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.engine import Engine

from thinfile.commerce import MerchantCategory
from thinfile.errors import InvalidInputError, NotFoundError, PermissionDeniedError
from thinfile.money import Money
from thinfile.services.audit import AuditDraft
from thinfile.services.idempotency import IdempotencyClaim, run_once
from thinfile.services.identity_records import Actor
from thinfile.services.mall import MallItem, ProductDraft, add_product_in_unit, plans_in_unit
from thinfile.services.uow import UnitOfWork
from thinfile.store.products_repo import StoredProduct
from thinfile.text import has_hidden

__all__ = [
    "MAX_PRICE",
    "add_mine",
    "add_mine_in_unit",
    "change_mine",
    "change_mine_in_unit",
    "mine",
    "mine_with_plans",
    "parse_category",
]

MAX_PRICE = Money.of("1000000")
"""The dearest product the mall lists (¥1,000,000): a larger price is a typing mistake."""
_NAME = 200
T = TypeVar("T")


def _merchant_id(uow: UnitOfWork, actor: Actor) -> str:
    merchant_id = uow.merchants.merchant_of_user(actor.user_id)
    if merchant_id is None:
        raise PermissionDeniedError(
            "this account acts for no merchant", remedy="ask staff to add it to a merchant"
        )
    return merchant_id


def _own(uow: UnitOfWork, actor: Actor, product_id: str) -> StoredProduct:
    product = uow.products.get(product_id)
    if product is None or product.merchant_id != _merchant_id(uow, actor):
        raise NotFoundError("no such product", field="product_id", value=product_id)
    return product


def parse_category(text: str) -> MerchantCategory:
    try:
        return MerchantCategory(text.strip())
    except ValueError:
        choices = ", ".join(c.value for c in MerchantCategory)
        raise InvalidInputError(
            f"must be one of {choices}", field="category", value=text, remedy="choose a category"
        ) from None


def _check_price(price: Money) -> Money:
    if price.currency != MAX_PRICE.currency:
        raise InvalidInputError("the mall sells in yuan", field="price", value=str(price))
    if not 0 < price.fen <= MAX_PRICE.fen:
        raise InvalidInputError(
            f"must be from 0.01 to {MAX_PRICE} yuan",
            field="price",
            value=str(price),
            remedy="type a price above zero and at most the mall's dearest",
        )
    return price


def mine(engine: Engine, actor: Actor) -> list[StoredProduct]:
    """The caller's merchant's products, on sale or not, by name."""
    with UnitOfWork(engine) as uow:
        return uow.products.of_merchant(_merchant_id(uow, actor))


def mine_with_plans(engine: Engine, actor: Actor) -> list[MallItem]:
    """:func:`mine`, each with what it costs a month per term of the contract today."""
    with UnitOfWork(engine) as uow:
        found = uow.products.of_merchant(_merchant_id(uow, actor))
        return [plans_in_unit(uow, p) for p in found]


def add_mine_in_unit(
    uow: UnitOfWork, actor: Actor, name: str, category: MerchantCategory, price: Money
) -> tuple[StoredProduct, AuditDraft]:
    """Add a product on sale for the caller's merchant."""
    merchant_id = _merchant_id(uow, actor)
    length = len(" ".join(name.split()))
    if not length:
        raise InvalidInputError("is required", field="name", remedy="type the product's name")
    if length > _NAME:
        raise InvalidInputError(
            f"use at most {_NAME} characters", field="name", remedy="shorten the name"
        )
    if has_hidden(name):  # control, zero-width, direction
        raise InvalidInputError(
            "must be printable characters: no control, zero-width or direction marks",
            field="name",
            remedy="type the name as shoppers should read it",
        )
    _check_price(price)
    draft = ProductDraft(merchant_id, name, str(price), category)
    return add_product_in_unit(uow, actor, draft)


def change_mine_in_unit(
    uow: UnitOfWork,
    actor: Actor,
    product_id: str,
    *,
    price: Money | None = None,
    on_sale: bool | None = None,
) -> tuple[StoredProduct, AuditDraft | None]:
    """Change the price of, or take off sale / put back on sale, one of the caller's
    merchant's products; a change to what it already is writes nothing."""
    product = _own(uow, actor, product_id)
    values: dict[str, object] = {}
    if price is not None and _check_price(price).fen != product.price:
        values["price"] = price.fen
    if on_sale is not None and on_sale != product.active:
        values["active"] = on_sale
    if not values:
        return product, None
    uow.products.update(product_id, values)
    changed = uow.products.get(product_id)
    assert changed is not None
    details: dict[str, object] = {"merchant": product.merchant_id}
    if "price" in values:
        details |= {"from_fen": product.price, "price_fen": changed.price}
    if "active" in values:
        details["on_sale"] = changed.active
    audit = AuditDraft(actor.label, "mall.product.change", f"product:{product_id}", details)
    return changed, audit


def _once(
    engine: Engine,
    actor: Actor,
    key: str,
    what: str,
    work: Callable[[UnitOfWork], tuple[StoredProduct, AuditDraft | None]],
) -> StoredProduct:
    digest = hashlib.sha256(what.encode()).hexdigest()
    claim = IdempotencyClaim(f"web:{actor.user_id}:product", key, digest)
    answer = run_once(engine, claim, work, render=lambda p: p.id)
    with UnitOfWork(engine) as uow:
        return _own(uow, actor, answer.body)


def add_mine(
    engine: Engine, actor: Actor, name: str, category: MerchantCategory, price: Money, *, key: str
) -> StoredProduct:
    """:func:`add_mine_in_unit` once per form ``key`` (a double submit adds one product)."""
    return _once(
        engine,
        actor,
        key,
        f"add:{category.value}:{price.fen}:{name}",
        lambda uow: add_mine_in_unit(uow, actor, name, category, price),
    )


def change_mine(
    engine: Engine,
    actor: Actor,
    product_id: str,
    *,
    key: str,
    price: Money | None = None,
    on_sale: bool | None = None,
) -> StoredProduct:
    """:func:`change_mine_in_unit` once per form ``key``."""
    what = f"change:{product_id}:{None if price is None else price.fen}:{on_sale}"
    return _once(
        engine,
        actor,
        key,
        what,
        lambda uow: change_mine_in_unit(uow, actor, product_id, price=price, on_sale=on_sale),
    )
