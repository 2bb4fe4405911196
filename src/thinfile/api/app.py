"""The API's part of the app: ``install_api(app)`` mounts the routers under ``/v1``, the
error handlers, the docs page and the security schemes of the OpenAPI spec.

The app itself — context, start-up, middleware, the API beside the pages — is put together by
:func:`thinfile.app.create_app`.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from thinfile.api.deps import API_KEY, BEARER, requires_sign_in
from thinfile.api.docs_ui import install_docs
from thinfile.api.errors import ERROR_RESPONSES, install_error_handlers
from thinfile.api.routers import (
    applicants,
    applications,
    auth,
    campaigns,
    cards,
    checkout,
    disputes,
    documents,
    health,
    interest_coupons,
    limits,
    loans,
    merchant_products,
    merchant_settlements,
    merchant_webhooks,
    merchants,
    notifications,
    payment_intents,
    phone,
    reconciliations,
    sales,
    staff,
    staff_collections,
    staff_decisions,
    staff_journal,
    staff_limit_policies,
    staff_servicing,
    working_capital,
)
from thinfile.api.rules import describe_operations

__all__ = ["API_DESCRIPTION", "API_PREFIX", "V1_ROUTERS", "document_security", "install_api"]

API_PREFIX = "/v1"

# Every router here is mounted under /v1 with the shared error responses documented.
# To add one: write thinfile/api/routers/<noun>.py with `router = APIRouter(...)` and add it.
V1_ROUTERS: tuple[APIRouter, ...] = (
    auth.router,
    phone.router,
    applicants.router,
    applications.router,
    loans.router,
    documents.router,
    limits.router,
    cards.router,
    payment_intents.router,
    staff.router,
    staff_decisions.router,
    staff_limit_policies.router,
    staff_servicing.router,
    staff_collections.router,
    staff_journal.router,
    merchants.router,
    merchant_webhooks.router,
    merchant_products.router,
    merchant_settlements.router,
    checkout.router,
    campaigns.router,
    interest_coupons.router,
    disputes.router,
    reconciliations.router,
    sales.router,
    notifications.router,
    working_capital.router,
)

API_DESCRIPTION = """\
thinfile's HTTP API: accounts, applicant profiles and consent, applications and decisions,
offers with their all-in cost statements, loans, credit lines and payments, and the staff's
queue, servicing, close of business, policies, models and simulations; merchants and
their checkout sessions (authorize, capture, void, refund). Errors are always
`{"code", "message", "details"}`.

Borrowers and staff sign in at `POST /v1/auth/sign-in` and send `Authorization: Bearer
<token>`; merchants and systems send `X-API-Key: <key>`. Money-moving POSTs take an
`Idempotency-Key` header.
"""


def install_api(app: FastAPI, *, extra_routers: tuple[APIRouter, ...] = ()) -> None:
    """Serve the API from ``app``: the docs page, the error handlers, ``/healthz``,
    ``/readyz``, ``/metrics``, and :data:`V1_ROUTERS` (then ``extra_routers``) under
    :data:`API_PREFIX`."""
    install_docs(app)
    install_error_handlers(app)
    app.include_router(health.router)
    for router in (*V1_ROUTERS, *extra_routers):
        app.include_router(router, prefix=API_PREFIX, responses=ERROR_RESPONSES)
    document_security(app, (health.router, *V1_ROUTERS, *extra_routers))


def _signs_in(dependant: Dependant) -> bool:
    return requires_sign_in(dependant.call) or any(_signs_in(d) for d in dependant.dependencies)


def document_security(app: FastAPI, routers: tuple[APIRouter, ...]) -> None:
    """Declare the bearer token and the API key in the OpenAPI spec, on every operation of
    ``routers`` whose dependencies authenticate the caller (they read the headers themselves,
    see :mod:`thinfile.api.deps`)."""
    schemes = {type(scheme).__name__: scheme for scheme in (BEARER, API_KEY)}
    requirement: list[dict[str, list[str]]] = [{name: []} for name in schemes]
    for router in routers:
        for route in router.routes:
            if isinstance(route, APIRoute) and _signs_in(route.dependant):
                route.openapi_extra = {**(route.openapi_extra or {}), "security": requirement}
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            spec = generate()
            describe_operations(spec, routers, prefix=API_PREFIX)
            declared = spec.setdefault("components", {}).setdefault("securitySchemes", {})
            declared.update(  # beside schemes routes declare themselves (a gateway signature)
                {
                    name: scheme.model.model_dump(mode="json", by_alias=True, exclude_none=True)
                    for name, scheme in schemes.items()
                }
            )
            app.openapi_schema = spec
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
