"""``thinfile merchants deliver-webhooks``: send merchants' due webhook events;
``thinfile merchants settle --date D --out DIR``: make each merchant's settlement for D.

Without ``--once`` it runs rounds until interrupted (Ctrl-C); an attempt cut short is sent
again once its claim's lease ends (delivery is at least once). Any number may run beside
each other and beside the API (PostgreSQL hands each event to one worker at a time).
Settings from ``THINFILE_*`` (the database, and the personal-data keys that open the signing
secrets).
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Annotated

import typer

from thinfile.adapters.webhook_sender import HttpWebhookSender
from thinfile.cli.options import option_date, output_folder, path_text
from thinfile.cli.service_settings import load_settings, open_database
from thinfile.errors import InvalidInputError, ThinfileError
from thinfile.security.crypto import pii_cipher
from thinfile.services.settlements import (
    SettlementRecord,
    settle_merchants,
    write_settlement_files,
)
from thinfile.services.webhook_delivery import (
    MAX_BATCH,
    DeliveryReport,
    deliver_due_webhooks,
    run_webhook_worker,
)

__all__ = ["deliver_webhooks", "register", "settle"]


def register(app: typer.Typer) -> None:
    group = typer.Typer(help="Merchants: webhook delivery, settlement.", no_args_is_help=True)
    group.command("deliver-webhooks")(deliver_webhooks)
    group.command("settle")(settle)
    app.add_typer(group, name="merchants")


def _line(report: DeliveryReport) -> str:
    return (
        f"claimed {report.claimed}: delivered {report.delivered}, retrying {report.retrying},"
        f" failed {report.failed}, skipped {report.skipped}"
    )


def deliver_webhooks(
    once: bool = typer.Option(False, "--once", help="One round, then exit"),
    batch: int = typer.Option(50, "--batch", min=1, max=MAX_BATCH, help="Events claimed per round"),
    idle_seconds: float = typer.Option(
        1.0, "--idle-seconds", min=0.05, max=60, help="Wait when a round finds nothing"
    ),
) -> None:
    """POST due webhook events to merchants' endpoints, signed; retry failures with backoff."""
    settings = load_settings()
    cipher = pii_cipher(settings)
    with (
        open_database(settings) as engine,
        HttpWebhookSender(allow_local=settings.is_development) as sender,
    ):
        if once:
            typer.echo(_line(deliver_due_webhooks(engine, cipher, sender, batch=batch)))
            return
        stop = threading.Event()
        try:
            report = run_webhook_worker(
                engine, cipher, sender, stop=stop, batch=batch, idle_seconds=idle_seconds
            )
        except KeyboardInterrupt:
            stop.set()
            typer.echo("stopped")
            return
    typer.echo(_line(report))


def _settled(record: SettlementRecord, path: Path) -> str:
    s = record.settlement
    return (
        f"{s.merchant_id} {s.settlement_date}: captured {s.captured}, refunded {s.refunded},"
        f" subsidy {s.subsidy}, subsidy returned {s.subsidy_returned}, coupons {s.coupons},"
        f" net {s.net} {record.currency} ({len(s.lines)} lines) -> {path.name}"
    )


def settle(
    date_text: Annotated[str, typer.Option("--date", help="Settlement date, YYYY-MM-DD")],
    out: Annotated[
        Path, typer.Option("--out", help="Folder for the settlement files", parser=path_text)
    ],
) -> None:
    """Make each merchant's settlement for --date (once: again, it prints the same) and write
    one CSV file per merchant into --out."""
    on = option_date(date_text, "--date")
    out = output_folder(out, "--out")  # checked before anything is settled
    settings = load_settings()
    with open_database(settings) as engine:
        try:
            records = settle_merchants(engine, on)
        except ThinfileError as exc:
            if exc.field == "date":  # the service's name for what this command calls --date
                exc.field = "--date"
            raise
    try:
        paths = write_settlement_files(records, out)
    except OSError as exc:  # settled all the same: a second run writes the same files
        raise InvalidInputError(
            f"the settlement files cannot be written to {out} ({exc.strerror})",
            field="--out",
            value=str(out),
            remedy="name a folder you can write to and run it again: the settlements are made",
        ) from None
    for record, path in zip(records, paths, strict=True):
        typer.echo(_settled(record, path))
    typer.echo(f"{len(records)} merchant settlements for {on}")
