"""``thinfile serve``: run the HTTP service with uvicorn (migrations are applied on start).

With ``--workers N`` (N > 1) uvicorn runs N worker processes, each building the app from the
factory :func:`worker_app`; the migrations and the start-up model registration run once in the
parent first, so the workers never race on them.

``register`` also adds the commands that look after the service's data: ``thinfile audit
verify`` (:mod:`thinfile.cli.audit`), ``thinfile keys reencrypt`` (:mod:`thinfile.cli.keys`) and
``thinfile users add`` (:mod:`thinfile.cli.users`).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import typer

from thinfile.cli import audit, keys, users
from thinfile.cli.service_settings import load_settings

if TYPE_CHECKING:
    from fastapi import FastAPI

    from thinfile.settings import Settings

__all__ = ["register", "serve", "worker_app"]


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
    audit.register(app)
    keys.register(app)
    users.register(app)


def worker_app() -> FastAPI:
    """The app factory each worker process calls (settings from THINFILE_*)."""
    from thinfile.api import create_app

    return create_app(load_settings())


def _prepare_once(settings: Settings) -> None:
    """Migrate and register the shipped policy and model before the workers start."""
    from thinfile.api import create_app
    from thinfile.api.runtime import ModelSettings, register_models
    from thinfile.store.migrate import upgrade

    app = create_app(settings)
    context = app.state.context
    try:
        if settings.migrate_on_start:
            upgrade(context.engine)
        register_models(app, context, ModelSettings().model_dir)
    finally:
        context.engine.dispose()


def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on"),
    port: int = typer.Option(8000, "--port", min=1, max=65535, help="Port to listen on"),
    workers: int = typer.Option(1, "--workers", min=1, max=64,
                                help="Worker processes (about one per CPU core)"),
    access_log: bool = typer.Option(True, "--access-log/--no-access-log",
                                    help="Log every request"),
) -> None:
    """Serve the HTTP API (settings from THINFILE_* environment variables)."""
    import uvicorn

    settings = load_settings()
    if workers == 1:
        from thinfile.api import create_app

        uvicorn.run(create_app(settings), host=host, port=port, log_level="info",
                    server_header=False, access_log=access_log)
        return
    _prepare_once(settings)
    os.environ["THINFILE_MIGRATE_ON_START"] = "false"  # done above, once
    uvicorn.run("thinfile.cli.serve:worker_app", factory=True, workers=workers, host=host,
                port=port, log_level="info", server_header=False, access_log=access_log)
