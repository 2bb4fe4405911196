"""The merchant portal's products page: a merchant user lists its merchant's products with
each one's status and monthly price per term, adds one, changes a price and takes one off
sale or back on sale. Another merchant's product looks like none."""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable

from fastapi import APIRouter, Request
from starlette.responses import Response

from thinfile.commerce import MerchantCategory
from thinfile.errors import InvalidInputError
from thinfile.http import AppContext, Context
from thinfile.money import Money
from thinfile.services import mall_products
from thinfile.services.identity_records import Actor
from thinfile.web.access import Form, MerchantUser
from thinfile.web.forms import field_messages
from thinfile.web.i18n import language, translations
from thinfile.web.pages import render, submit

router = APIRouter(prefix="/merchant", include_in_schema=False)


def _yuan(text: str) -> Money:
    return Money.of(text.strip().removeprefix("¥").removeprefix("￥"), field="price")


def _page(
    request: Request,
    actor: Actor,
    context: AppContext,
    *,
    errors: dict[str, str] | None = None,
    form: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    values = {
        "items": mall_products.mine_with_plans(context.engine, actor),
        "categories": list(MerchantCategory),
        "errors": errors or {},
        "form": form or {},
        "key": f"mp-{secrets.token_hex(16)}",
        "done": request.query_params.get("done", ""),
    }
    return render(request, "merchant/products.html", values, actor=actor, status=status)


@router.get("/products")
def products(request: Request, actor: MerchantUser, context: Context) -> Response:
    return _page(request, actor, context)


def _key(form: dict[str, str], field: str) -> str:
    key = form.get("idempotency_key", "")
    if not re.fullmatch(r"mp-[0-9a-f]{32}", key):
        raise InvalidInputError("reload the page and try again", field=field)
    return key


def _refused(
    request: Request, actor: Actor, context: AppContext, form: dict[str, str], prefix: str
) -> Callable[[InvalidInputError], Response]:
    def refused(error: InvalidInputError) -> Response:
        gettext = translations(language(request).code).gettext
        errors = {f"{prefix}{k}": v for k, v in field_messages(error, gettext).items()}
        kept = form if prefix == "add-" else None
        return _page(request, actor, context, errors=errors, form=kept, status=error.status)

    return refused


@router.post("/products")
def add(request: Request, actor: MerchantUser, form: Form, context: Context) -> Response:
    def work() -> object:
        key = _key(form, "name")
        category = mall_products.parse_category(form.get("category", ""))
        price = _yuan(form.get("price", ""))
        name = form.get("name", "")
        return mall_products.add_mine(context.engine, actor, name, category, price, key=key)

    return submit(
        work,
        done="/merchant/products?done=add",
        refused=_refused(request, actor, context, form, "add-"),
        catch=(InvalidInputError,),
    )


@router.post("/products/{product_id}/price")
def price(
    request: Request, product_id: str, actor: MerchantUser, form: Form, context: Context
) -> Response:
    def work() -> object:
        key = _key(form, "price")
        amount = _yuan(form.get("price", ""))
        return mall_products.change_mine(context.engine, actor, product_id, key=key, price=amount)

    return submit(
        work,
        done="/merchant/products?done=price",
        refused=_refused(request, actor, context, form, f"{product_id}-"),
        catch=(InvalidInputError,),
    )


@router.post("/products/{product_id}/sale")
def sale(
    request: Request, product_id: str, actor: MerchantUser, form: Form, context: Context
) -> Response:
    on_sale = form.get("on_sale") == "true"

    def work() -> object:
        key = _key(form, "on_sale")
        return mall_products.change_mine(
            context.engine, actor, product_id, key=key, on_sale=on_sale
        )

    return submit(
        work,
        done="/merchant/products?done=" + ("on" if on_sale else "off"),
        refused=_refused(request, actor, context, form, f"{product_id}-"),
        catch=(InvalidInputError,),
    )
