"""The app factory: ``create_app(settings)`` builds the whole HTTP service.

Nothing connects at import time. ``create_app`` validates the settings (refusing development
secrets in production), builds the engine lazily, and on start-up applies the migrations.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI
from starlette.concurrency import run_in_threadpool

from thinfile.api.context import build_context
from thinfile.api.errors import ERROR_RESPONSES, install_error_handlers
from thinfile.api.limits import BodySizeLimitMiddleware
from thinfile.api.metrics import MetricsMiddleware
from thinfile.api.routers import applicants, auth, health, staff
from thinfile.settings import Settings
from thinfile.store.migrate import upgrade

__all__ = ["API_PREFIX", "V1_ROUTERS", "create_app"]

API_PREFIX = "/v1"

# Every router here is mounted under /v1 with the shared error responses documented.
# To add one: write thinfile/api/routers/<noun>.py with `router = APIRouter(...)` and add it.
V1_ROUTERS: tuple[APIRouter, ...] = (auth.router, applicants.router, staff.router)

_DESCRIPTION = """\
thinfile's HTTP API: accounts, applicant profiles and consent (and, soon, applications,
decisions, loans and payments). Errors are always `{"code", "message", "details"}`.

Borrowers and staff sign in at `POST /v1/auth/sign-in` and send `Authorization: Bearer
<token>`; merchants and systems send `X-API-Key: <key>`. Money-moving POSTs take an
`Idempotency-Key` header.
"""


def create_app(settings: Settings | None = None, *,
               extra_routers: tuple[APIRouter, ...] = ()) -> FastAPI:
    """The service for ``settings`` (default: read from ``THINFILE_*``)."""
    settings = (settings or Settings()).check_secrets()
    context = build_context(settings)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if settings.migrate_on_start:
            await run_in_threadpool(upgrade, context.engine)
        yield
        context.engine.dispose()

    app = FastAPI(title="thinfile", version="1", description=_DESCRIPTION, lifespan=lifespan)
    app.state.context = context
    install_error_handlers(app)
    app.include_router(health.router)
    for router in (*V1_ROUTERS, *extra_routers):
        app.include_router(router, prefix=API_PREFIX, responses=ERROR_RESPONSES)
    from thinfile.web import install_web  # the pages import the API's dependencies

    install_web(app)
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=settings.max_body_bytes)
    app.add_middleware(MetricsMiddleware)
    return app
