"""The app factory: ``create_app(settings)`` builds the whole HTTP service.

Nothing connects at import time. ``create_app`` validates the settings (refusing development
secrets in production), builds the engine lazily, and on start-up applies the migrations.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio.to_thread
from fastapi import APIRouter, FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool

from thinfile.api.context import build_context
from thinfile.api.deps import API_KEY, BEARER, requires_sign_in
from thinfile.api.docs_ui import install_docs
from thinfile.api.errors import ERROR_RESPONSES, install_error_handlers
from thinfile.api.limits import BodySizeLimitMiddleware
from thinfile.api.metrics import MetricsMiddleware
from thinfile.api.routers import (
    applicants,
    applications,
    auth,
    health,
    loans,
    staff,
    staff_decisions,
    staff_servicing,
)
from thinfile.api.runtime import register_models, scoring_model_loader
from thinfile.services.policies import ModelLoader
from thinfile.settings import Settings
from thinfile.store.migrate import upgrade

__all__ = ["API_PREFIX", "V1_ROUTERS", "create_app", "document_security"]

API_PREFIX = "/v1"

# Every router here is mounted under /v1 with the shared error responses documented.
# To add one: write thinfile/api/routers/<noun>.py with `router = APIRouter(...)` and add it.
V1_ROUTERS: tuple[APIRouter, ...] = (
    auth.router, applicants.router, applications.router, loans.router, staff.router,
    staff_decisions.router, staff_servicing.router,
)

_DESCRIPTION = """\
thinfile's HTTP API: accounts, applicant profiles and consent, applications and decisions,
offers with their all-in cost statements, loans, credit lines and payments, and the staff's
queue, servicing, close of business, policies, models and simulations. Errors are always
`{"code", "message", "details"}`.

Borrowers and staff sign in at `POST /v1/auth/sign-in` and send `Authorization: Bearer
<token>`; merchants and systems send `X-API-Key: <key>`. Money-moving POSTs take an
`Idempotency-Key` header.
"""


def create_app(settings: Settings | None = None, *,
               extra_routers: tuple[APIRouter, ...] = (), load_model: ModelLoader | None = None,
               model_dir: Path | None = None) -> FastAPI:
    """The service for ``settings`` (default: read from ``THINFILE_*``).

    Decisions load models with ``load_model`` (default :mod:`thinfile.scoring`); ``model_dir``
    (default ``THINFILE_MODEL_DIR``) is registered with the shipped policy at start-up.
    """
    settings = (settings or Settings.from_environment()).check_secrets()
    context = build_context(settings)
    model_dir = model_dir or settings.model_dir
    threads = settings.threads

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        anyio.to_thread.current_default_thread_limiter().total_tokens = threads
        if settings.migrate_on_start:
            await run_in_threadpool(upgrade, context.engine)
        await run_in_threadpool(register_models, app, context, model_dir)
        yield
        context.engine.dispose()

    app = FastAPI(title="thinfile", version="1", description=_DESCRIPTION, lifespan=lifespan,
                  docs_url=None, redoc_url=None)
    install_docs(app)
    app.state.context = context
    app.state.model_loader = load_model or scoring_model_loader
    install_error_handlers(app)
    app.include_router(health.router)
    for router in (*V1_ROUTERS, *extra_routers):
        app.include_router(router, prefix=API_PREFIX, responses=ERROR_RESPONSES)
    from thinfile.web import install_web  # the pages import the API's dependencies

    install_web(app)
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=settings.max_body_bytes)
    app.add_middleware(MetricsMiddleware)
    document_security(app, (health.router, *V1_ROUTERS, *extra_routers))
    return app


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
            spec.setdefault("components", {})["securitySchemes"] = {
                name: scheme.model.model_dump(mode="json", by_alias=True, exclude_none=True)
                for name, scheme in schemes.items()}
            app.openapi_schema = spec
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
