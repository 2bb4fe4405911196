"""``thinfile gateway serve``: run the sandbox payment gateway as its own local HTTP service.

It keeps its books in its own SQLite file (``--database``, by default ``gateway.sqlite`` under
``THINFILE_HOME``), signs with ``THINFILE_PAYMENT_GATEWAY_KEY``, and posts notifications to
``--notify-url`` — sometimes late (``--late-rate``), duplicated (``--duplicate-rate``) and so out
of order, drawn from ``--seed``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from thinfile.cli.options import path_text
from thinfile.cli.service_settings import load_settings

__all__ = ["register", "serve_gateway"]

gateway_app = typer.Typer(help="The sandbox payment gateway.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(gateway_app, name="gateway")


@gateway_app.command("serve")
def serve_gateway(
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8790,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    database: Annotated[
        Path | None, typer.Option(help="The gateway's own SQLite file.", parser=path_text)
    ] = None,
    notify_url: Annotated[
        str | None, typer.Option(help="Where to POST signed notifications (none: kept queued).")
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed of the delays and duplicates.")] = 0,
    duplicate_rate: Annotated[
        float, typer.Option(min=0.0, max=1.0, help="Share of notifications sent twice.")
    ] = 0.0,
    late_rate: Annotated[
        float, typer.Option(min=0.0, max=1.0, help="Share of notifications sent late.")
    ] = 0.0,
    late_seconds: Annotated[
        float, typer.Option(min=0.0, help="Longest delay of a late notification.")
    ] = 2.0,
) -> None:
    """Run the sandbox payment gateway (card binding, debits, refunds, notifications, files)."""
    import uvicorn

    from thinfile.adapters.sandbox_gateway import Delivery, GatewayConfig, create_gateway_app

    settings = load_settings()
    path = database or settings.home / "gateway.sqlite"
    path.parent.mkdir(parents=True, exist_ok=True)
    config = GatewayConfig(
        database=path,
        key=settings.payment_gateway_key.get_secret_value().encode(),
        delivery=Delivery(
            notify_url=notify_url,
            seed=seed,
            duplicate_rate=duplicate_rate,
            late_rate=late_rate,
            late_seconds=late_seconds,
        ),
        tolerance_seconds=settings.payment_notification_tolerance_seconds,
    )
    uvicorn.run(create_gateway_app(config), host=host, port=port, log_level="warning")
