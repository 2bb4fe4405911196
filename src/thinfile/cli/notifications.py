"""``thinfile notifications deliver``: send borrowers' due notifications (in-app, e-mail over
SMTP, SMS) under the contact rules; ``thinfile notifications mailbox``: run the local mail
server that keeps what it receives in a folder (development and the demo).

``deliver`` without ``--once`` runs rounds until interrupted (Ctrl-C). Any number may run
beside each other (PostgreSQL hands each delivery to one worker at a time); a worker killed
mid-batch leaves its claimed rows to the next one once their lease ends. Settings from
``THINFILE_*`` (the database, the personal-data keys that open phone numbers,
``THINFILE_SMTP_HOST``/``THINFILE_SMTP_PORT``/``THINFILE_MAIL_FROM``).
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Annotated, Any

import typer

from thinfile.adapters.local_mailbox import LocalMailbox
from thinfile.adapters.providers import notification_channels
from thinfile.cli.options import path_text
from thinfile.cli.service_settings import load_settings, open_database
from thinfile.comms import DailyCaps
from thinfile.security.crypto import pii_cipher
from thinfile.services.notification_delivery import (
    MAX_BATCH,
    DeliveryReport,
    RetryRules,
    deliver_due_notifications,
    run_notification_worker,
)
from thinfile.web.i18n import translations

__all__ = ["PageCatalog", "deliver", "mailbox", "register", "report_line"]

_CAPS = DailyCaps()


class PageCatalog:
    """The pages' zh/en catalog as the notifications' :class:`Catalog`."""

    def gettext(self, language: str, message: str) -> str:
        return str(translations(language).gettext(message))


def register(app: typer.Typer) -> None:
    group = typer.Typer(
        help="Borrower notifications: delivery, local mailbox.", no_args_is_help=True
    )
    group.command("deliver")(deliver)
    group.command("mailbox")(mailbox)
    app.add_typer(group, name="notifications")


def _cap_option(default: int, flag: str, messages: str) -> Any:
    """A channel's daily cap per borrower (0 to 1000, as :class:`DailyCaps` takes it)."""
    return typer.Option(
        default,
        flag,
        min=0,
        max=1000,
        help=f"Most {messages} a borrower gets a day; the rest wait for the next morning",
    )


def report_line(report: DeliveryReport) -> str:
    why = [
        f"{reason} {n}"
        for reason, n in (("quiet hours", report.quiet_hours), ("daily cap", report.daily_cap))
        if n
    ]
    return (
        f"claimed {report.claimed}: delivered {report.delivered}, retrying {report.retrying},"
        f" failed {report.failed}, skipped {report.skipped}, deferred {report.deferred}"
        + (f" ({', '.join(why)})" if why else "")
    )


def deliver(
    once: bool = typer.Option(False, "--once", help="One round, then exit"),
    batch: int = typer.Option(50, "--batch", min=1, max=MAX_BATCH, help="Deliveries per round"),
    idle_seconds: float = typer.Option(
        1.0, "--idle-seconds", min=0.05, max=60, help="Wait when a round finds nothing"
    ),
    lease_seconds: float = typer.Option(
        120.0, "--lease-seconds", min=0.1, max=86_400, help="How long a claim holds its rows"
    ),
    in_app_cap: int = _cap_option(_CAPS.in_app, "--in-app-cap", "in-app messages"),
    email_cap: int = _cap_option(_CAPS.email, "--email-cap", "e-mails"),
    sms_cap: int = _cap_option(_CAPS.sms, "--sms-cap", "text messages"),
) -> None:
    """Send due notifications by their channels; retry failures with backoff."""
    settings = load_settings()
    cipher = pii_cipher(settings)
    rules = RetryRules(lease_seconds=lease_seconds)
    caps = DailyCaps(in_app=in_app_cap, email=email_cap, sms=sms_cap)
    with open_database(settings) as engine:
        channels = notification_channels(settings, engine, cipher)
        if once:
            report = deliver_due_notifications(
                engine, channels, PageCatalog(), cipher, caps=caps, rules=rules, batch=batch
            )
            typer.echo(report_line(report))
            return
        stop = threading.Event()
        try:
            report = run_notification_worker(
                engine,
                channels,
                PageCatalog(),
                cipher,
                stop=stop,
                caps=caps,
                rules=rules,
                batch=batch,
                idle_seconds=idle_seconds,
            )
        except KeyboardInterrupt:
            stop.set()
            typer.echo("stopped")
            return
    typer.echo(report_line(report))


def mailbox(
    folder: Annotated[
        Path, typer.Option("--dir", help="Where received messages are kept", parser=path_text)
    ],
    host: str = typer.Option("127.0.0.1", "--host"),
    port: int = typer.Option(8025, "--port", min=1, max=65_535),
) -> None:
    """Run the local SMTP server (aiosmtpd) until interrupted; one file per Message-ID."""
    box = LocalMailbox(folder, host=host, port=port).start()
    typer.echo(f"mailbox on {host}:{port}, keeping messages in {folder}")
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        typer.echo("stopped")
    finally:
        box.stop()
