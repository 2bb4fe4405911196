"""``thinfile serve``: run the HTTP service with uvicorn (migrations are applied on start).

``register`` also adds the commands that look after the service's data: ``thinfile audit
verify`` (:mod:`thinfile.cli.audit`), ``thinfile keys reencrypt`` (:mod:`thinfile.cli.keys`) and
``thinfile users add`` (:mod:`thinfile.cli.users`).
"""

from __future__ import annotations

import typer

from thinfile.cli import audit, keys, users
from thinfile.cli.service_settings import load_settings

__all__ = ["register", "serve"]


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
    audit.register(app)
    keys.register(app)
    users.register(app)


def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on"),
    port: int = typer.Option(8000, "--port", min=1, max=65535, help="Port to listen on"),
) -> None:
    """Serve the HTTP API (settings from THINFILE_* environment variables)."""
    import uvicorn

    from thinfile.api import create_app

    uvicorn.run(create_app(load_settings()), host=host, port=port, log_level="info",
                server_header=False)
