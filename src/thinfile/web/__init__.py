"""thinfile.web: the borrower's pages and the staff console, beside the API on one app.

``install_web(app)`` adds the page routers, ``/static`` (every asset ships in this package:
no CDN, no build step) and the page error handlers; :func:`thinfile.app.create_app` calls it.
The pages read the request context, the caller and the ownership check from
:mod:`thinfile.http`, as the API does. See ``docs.md`` beside this file.
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from thinfile.http import AppContext
from thinfile.services.policies import ModelLoader, scoring_model_loader
from thinfile.web.config import WebConfig, derive_key
from thinfile.web.errors import install_page_errors
from thinfile.web.pages import TEMPLATES
from thinfile.web.routes import (
    account,
    borrower,
    cards,
    checkout,
    collections,
    coupon_batches,
    documents,
    insight,
    limits,
    loans,
    mall,
    merchant_portal,
    merchant_products,
    merchants,
    messages,
    monitoring,
    phone,
    reconciliations,
    servicing,
    staff,
    staff_limits,
    wallet,
    working_capital,
)
from thinfile.web.security import CookiePolicy, ReadingReceipts

__all__ = ["PAGE_PREFIXES", "WebConfig", "install_web"]

STATIC = TEMPLATES.parent / "static"
PAGE_PREFIXES = (
    "/collection-agencies",
    "/sign-in",
    "/sign-up",
    "/sign-out",
    "/language",
    "/profile",
    "/home",
    "/consent",
    "/apply",
    "/applications",
    "/loans",
    "/lines",
    "/console",
    "/real-name",
    "/cards",
    "/messages",
    "/sandbox",
    "/mall",
    "/checkout",
    "/merchant",
    "/working-capital",
    "/coupons",
)


def install_web(
    app: FastAPI, *, cookie_secure: bool | None = None, load_model: ModelLoader | None = None
) -> WebConfig:
    """Serve the pages from ``app``. Cookies are ``Secure`` unless ``cookie_secure`` is False
    or, when it is None, the service runs in development mode (plain http://localhost)."""
    context: AppContext = app.state.context
    settings = context.settings
    secret = settings.token_secret.get_secret_value()
    secure = (not settings.is_development) if cookie_secure is None else cookie_secure
    config = WebConfig(
        cookies=CookiePolicy(secure=secure, session_ttl_seconds=context.tokens.ttl_seconds),
        csrf_key=derive_key(secret, "csrf"),
        receipts=ReadingReceipts(secret),
        load_model=load_model or scoring_model_loader,
        display_zone=settings.display_zone,
    )
    app.state.web = config
    for router in (
        account.router,
        phone.router,
        cards.router,
        borrower.router,
        loans.router,
        limits.router,
        documents.router,
        staff.router,
        servicing.router,
        staff_limits.router,
        insight.router,
        monitoring.router,
        merchants.router,
        coupon_batches.router,
        mall.router,
        checkout.router,
        merchant_products.router,
        merchant_portal.router,
        reconciliations.router,
        messages.router,
        working_capital.router,
        collections.router,
        collections.public,
        wallet.router,
    ):
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    install_page_errors(app, PAGE_PREFIXES)
    return config
