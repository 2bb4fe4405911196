"""A partner merchant's products in the installment mall: its API key (or a token of one of
its users) lists them, adds one and changes one's price or takes it off sale or back on sale
under ``/v1/merchant/products``. Another merchant's product is a 404."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Response

from thinfile.api.deps import require_roles
from thinfile.api.idempotency import Idempotent
from thinfile.api.models_products import ProductChange, ProductCreate, ProductPublic
from thinfile.commerce import MerchantCategory
from thinfile.http import Context
from thinfile.money import Money
from thinfile.security.roles import Role
from thinfile.services import mall_products
from thinfile.services.identity_records import Actor
from thinfile.store.products_repo import StoredProduct

router = APIRouter(tags=["merchant products"])

Merchant = Annotated[Actor, Depends(require_roles(Role.MERCHANT))]
ProductId = Annotated[str, Path(min_length=1, max_length=32, description="A product's id")]
_PRODUCTS = "/merchant/products"


def product_public(p: StoredProduct) -> ProductPublic:
    return ProductPublic(
        id=p.id,
        merchant_id=p.merchant_id,
        name=p.name,
        category=MerchantCategory(p.category),
        price=str(Money(p.price, p.currency)),
        on_sale=p.active,
        created_at=p.created_at,
    )


@router.get(_PRODUCTS, response_model=list[ProductPublic], summary="My merchant's products")
def list_products(merchant: Merchant, context: Context) -> list[ProductPublic]:
    return [product_public(p) for p in mall_products.mine(context.engine, merchant)]


@router.post(
    _PRODUCTS, status_code=201, response_model=ProductPublic, summary="Add a product, on sale"
)
def add_product(body: ProductCreate, merchant: Merchant, idem: Idempotent) -> Response:
    price = Money.of(body.price, field="price")
    return idem.once(
        lambda uow: mall_products.add_mine_in_unit(uow, merchant, body.name, body.category, price),
        render=product_public,
        status_code=201,
    )


@router.patch(
    _PRODUCTS + "/{product_id}",
    response_model=ProductPublic,
    summary="Change a product's price, or take it off sale or back on sale",
)
def change_product(
    product_id: ProductId, body: ProductChange, merchant: Merchant, idem: Idempotent
) -> Response:
    price = None if body.price is None else Money.of(body.price, field="price")
    return idem.once(
        lambda uow: mall_products.change_mine_in_unit(
            uow, merchant, product_id, price=price, on_sale=body.on_sale
        ),
        render=product_public,
    )
