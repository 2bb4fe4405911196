"""The borrower's coupons (我的优惠券): checkout and interest coupons with their window and
status — usable, used, void or expired (``services.coupon_wallet``)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from thinfile.http import Context
from thinfile.services.coupon_wallet import my_wallet
from thinfile.web.access import Borrower
from thinfile.web.i18n import language
from thinfile.web.pages import render

router = APIRouter(prefix="/coupons", include_in_schema=False)


@router.get("")
def coupons_page(request: Request, actor: Borrower, context: Context) -> Response:
    zh = language(request).code == "zh"
    rows = my_wallet(context.engine, actor)
    words = {c.id: (c.terms.describe_zh() if zh else c.terms.describe()) for c in rows if c.terms}
    return render(request, "borrower/coupons.html", {"rows": rows, "words": words}, actor=actor)
