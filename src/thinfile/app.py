"""The app factory: ``create_app(settings)`` builds thinfile's one FastAPI app — the HTTP API
(:mod:`thinfile.api`) and the pages (:mod:`thinfile.web`) side by side, over the shared HTTP
layer (:mod:`thinfile.http`).

This module sits above both interfaces, and is the only one that imports both. Nothing connects
at import time: ``create_app`` validates the settings (refusing development secrets in
production), builds the engine lazily and fixes the owned resources of the ownership check;
start-up applies the migrations and registers ``THINFILE_MODEL_DIR``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from pathlib import Path

import anyio.to_thread
from fastapi import APIRouter, FastAPI
from starlette.concurrency import run_in_threadpool

from thinfile.api import API_DESCRIPTION, install_api
from thinfile.api.json_body import JsonBodyCheck
from thinfile.api.limits import BodySizeLimitMiddleware
from thinfile.api.metrics import MetricsMiddleware
from thinfile.api.runtime import register_models
from thinfile.http import (
    OWNED_RESOURCES,
    OwnedResource,
    Ownership,
    TokenCheckReset,
    build_context,
)
from thinfile.http.retry import RetryOnDisconnect
from thinfile.services.policies import ModelLoader, scoring_model_loader
from thinfile.settings import Settings
from thinfile.store.migrate import upgrade
from thinfile.web import install_web

__all__ = ["create_app"]


def create_app(
    settings: Settings | None = None,
    *,
    extra_routers: tuple[APIRouter, ...] = (),
    load_model: ModelLoader | None = None,
    model_dir: Path | None = None,
    owned_resources: Mapping[str, OwnedResource] = OWNED_RESOURCES,
) -> FastAPI:
    """The service for ``settings`` (default: read from ``THINFILE_*``).

    Decisions load models with ``load_model`` (default :mod:`thinfile.scoring`); ``model_dir``
    (default ``THINFILE_MODEL_DIR``) is registered with the shipped policy at start-up.
    ``extra_routers`` are mounted under ``/v1`` after the API's own; ``owned_resources`` is
    the table the ownership check of both interfaces reads.
    """
    settings = (settings or Settings.from_environment()).check_secrets()
    context = build_context(settings, ownership=Ownership(owned_resources))
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

    app = FastAPI(
        title="thinfile",
        version="1",
        description=API_DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    app.state.context = context
    app.state.model_loader = load_model or scoring_model_loader
    install_api(app, extra_routers=extra_routers)
    install_web(app, load_model=app.state.model_loader)
    app.add_middleware(JsonBodyCheck)  # innermost: the body it reads is bounded and replayed
    app.add_middleware(RetryOnDisconnect)  # inside the body limit: it buffers the body
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=settings.max_body_bytes)
    app.add_middleware(MetricsMiddleware)
    app.add_middleware(TokenCheckReset)
    return app
