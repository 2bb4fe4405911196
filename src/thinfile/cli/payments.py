"""``thinfile payments send-debits``: send the auto-debits close of business queued;
``thinfile payments query-unsettled``: ask the gateway about card payments whose notification
is late or lost (掉单查询); ``thinfile payments reconcile``: the gateway's file of a date
against the books."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Annotated, NoReturn

import typer

from thinfile.adapters.providers import payment_gateway
from thinfile.cli.options import (
    make_console,
    option_date,
    over_before_today,
    path_text,
    read_input_file,
)
from thinfile.cli.service_settings import load_settings
from thinfile.errors import PaymentGatewayUnavailableError
from thinfile.money import format_yuan
from thinfile.services.auto_debit import MAX_BATCH, send_queued_debits
from thinfile.services.identity_records import SYSTEM
from thinfile.services.payment_status_queries import settle_stale_intents
from thinfile.services.reconciliation import BREAKS, reconcile_payments
from thinfile.store import make_engine, upgrade

__all__ = ["register"]

payments_app = typer.Typer(help="Card payments (协议支付).", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(payments_app, name="payments")


@payments_app.command("send-debits")
def send_debits(
    batch: Annotated[
        int, typer.Option(min=1, max=MAX_BATCH, help="The most queued debits to send.")
    ] = 500,
) -> None:
    """Send the auto-debits (代扣) close of business queued; results post on notification."""
    settings = load_settings()
    engine = make_engine()
    try:
        upgrade(engine)
        report = send_queued_debits(engine, payment_gateway(settings), batch=batch)
    finally:
        engine.dispose()
    console = make_console()
    for intent in report.sent:
        console.print(
            f"{intent.id} loan {intent.loan_id} {format_yuan(intent.amount.fen)} "
            f"{intent.status.value}"
        )
    console.print(
        f"sent {len(report.sent)}, closed without a debit {len(report.cancelled)}, "
        f"waiting for their due date {len(report.waiting)}, "
        f"asked again after an unanswered sending {len(report.recovered)}"
    )


@payments_app.command("query-unsettled")
def query_unsettled(
    older_than: Annotated[
        int,
        typer.Option(
            "--older-than-minutes",
            min=0,
            max=7 * 24 * 60,
            help="Ask about card payments still unsettled that were made (or, for an "
            "auto-debit, queued) longer ago than this many minutes.",
        ),
    ] = 30,
    limit: Annotated[
        int, typer.Option(min=1, max=MAX_BATCH, help="The most payments to ask about.")
    ] = 500,
) -> None:
    """Ask the gateway about card payments still pending (掉单查询: the notification is late
    or lost), the oldest first: each is settled with the gateway's answer, or sent again under
    the same request id when the gateway never had it. Run it every few minutes; a pending
    payment blocks the loan's next auto-debit. Exits 1 when the gateway does not answer."""
    settings = load_settings()
    engine = make_engine()
    try:
        upgrade(engine)
        asked = settle_stale_intents(
            engine,
            payment_gateway(settings),
            older_than=timedelta(minutes=older_than),
            limit=limit,
        )
    except PaymentGatewayUnavailableError as error:
        _unanswered(settings.payment_gateway_url, error, "the payments not asked about wait")
    finally:
        engine.dispose()
    console = make_console()
    for intent in asked:
        console.print(
            f"{intent.id} loan {intent.loan_id} {format_yuan(intent.amount.fen)} "
            f"{intent.status.value}",
            markup=False,
        )
    counts = Counter(i.status.value for i in asked)
    outcomes = ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
    console.print(f"asked about {len(asked)}" + (f": {outcomes}" if outcomes else ""))


@payments_app.command("reconcile")
def reconcile(
    date_text: Annotated[
        str, typer.Option("--date", help="The date to reconcile (YYYY-MM-DD), a day that is over.")
    ],
    file: Annotated[
        Path | None,
        typer.Option(
            "--file",
            help="The gateway's reconciliation file (CSV) of that date; without it, fetched "
            "from the gateway.",
            parser=path_text,
        ),
    ] = None,
) -> None:
    """Compare the gateway's file of a date with the books (对账): post what was paid but not
    posted, flag every other break; exit 1 while a break of the date is open."""
    settings = load_settings()
    day = over_before_today(option_date(date_text, "--date"), "--date", settings.display_timezone)
    data = read_input_file(file, "--file") if file is not None else None
    engine = make_engine()
    try:
        upgrade(engine)
        if data is None:
            data = payment_gateway(settings).reconciliation_file(day)
        done = reconcile_payments(engine, day, data, actor=SYSTEM.label)
    except PaymentGatewayUnavailableError as error:
        _unanswered(settings.payment_gateway_url, error, "nothing was reconciled")
    finally:
        engine.dispose()
    console = make_console()
    for item in done.run.items:
        if item.outcome in BREAKS:
            state = f"resolved: {item.resolution}" if item.resolved_at else "open"
            of_loan = "" if item.loan_id is None else f" loan {item.loan_id}"
            console.print(
                f"break {item.n} {item.outcome} txn {item.gateway_txn_id} request "
                f"{item.request_id}{of_loan} ({state})",
                markup=False,
            )
    counts = ", ".join(f"{k} {v}" for k, v in sorted(done.counts.items())) or "no transactions"
    again = "" if done.made else " (reconciled before: read back)"
    console.print(f"{day}: {counts}; open breaks {len(done.open_breaks)}{again}", markup=False)
    if done.open_breaks:
        raise typer.Exit(1)


def _unanswered(url: str, error: PaymentGatewayUnavailableError, left: str) -> NoReturn:
    """One line naming the gateway's address and its setting, then exit 1 (the gateway, not
    the command, failed: a scheduler retries)."""
    make_console(stderr=True).print(
        f"the payment gateway at {url} did not answer ({error.message}); {left} — check "
        "THINFILE_PAYMENT_GATEWAY_URL, or run it again once the gateway is up",
        markup=False,
    )
    raise typer.Exit(1)
