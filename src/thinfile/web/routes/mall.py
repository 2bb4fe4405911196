"""The installment mall (分期商城): partner merchants' products with the monthly price per
term and the campaigns' badges, one product's plans compared, and buying it — which opens a
checkout session for the merchant and continues in the borrower's checkout
(:mod:`thinfile.web.routes.checkout`). Anyone may look; only a borrower buys."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Request
from starlette.responses import Response

from thinfile.commerce import MerchantCategory
from thinfile.http import Context
from thinfile.services import mall
from thinfile.web.access import Borrower, Form, MaybeSignedIn
from thinfile.web.pages import redirect, render

router = APIRouter(prefix="/mall", include_in_schema=False)


@router.get("")
def mall_page(
    request: Request, actor: MaybeSignedIn, context: Context, category: str = ""
) -> Response:
    chosen = MerchantCategory(category) if category in tuple(MerchantCategory) else None
    items = mall.catalogue(context.engine, category=chosen)
    return render(
        request,
        "mall/mall.html",
        {"items": items, "category": chosen, "categories": tuple(MerchantCategory)},
        actor=actor,
    )


@router.get("/{product_id}")
def product(request: Request, product_id: str, actor: MaybeSignedIn, context: Context) -> Response:
    item = mall.product_page(context.engine, product_id)
    return render(request, "mall/product.html", {"item": item}, actor=actor)


@router.post("/{product_id}/purchase")
def buy(
    request: Request, product_id: str, actor: Borrower, _form: Form, context: Context
) -> Response:
    minutes = timedelta(minutes=context.settings.checkout_session_minutes)
    site = str(request.base_url)
    session_id = mall.buy(context.engine, actor, product_id, site=site, expires_in=minutes)
    return redirect(f"/checkout/{session_id}")
