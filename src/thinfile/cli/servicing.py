"""``thinfile cob run``, ``thinfile ledger verify`` and ``thinfile loan show``."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer
from rich.table import Table
from sqlalchemy.engine import Engine

from thinfile.cli.options import make_console, not_after_today, option_date
from thinfile.money import format_yuan
from thinfile.services.cob import run_cob
from thinfile.services.identity_records import SYSTEM
from thinfile.services.ledger import verify_ledger
from thinfile.services.loans import get_loan
from thinfile.servicing.account import InstallmentState
from thinfile.settings import load_settings
from thinfile.store import make_engine, upgrade

cob_app = typer.Typer(help="Close of business (日终批处理).", no_args_is_help=True)
ledger_app = typer.Typer(help="The double-entry ledger.", no_args_is_help=True)
loan_app = typer.Typer(help="Loan accounts.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(cob_app, name="cob")
    app.add_typer(ledger_app, name="ledger")
    app.add_typer(loan_app, name="loan")


@contextmanager
def _engine() -> Iterator[Engine]:
    """The configured database at the newest schema, its connections closed at the end."""
    engine = make_engine()
    try:
        upgrade(engine)
        yield engine
    finally:
        engine.dispose()


@cob_app.command("run")
def cob_run(
    date_text: Annotated[
        str, typer.Option("--date", help="Close every open date up to this one (YYYY-MM-DD).")
    ],
) -> None:
    """Close business dates up to --date: accrual, due and overdue, penalty, buckets, charge-off."""
    settings = load_settings()
    through = not_after_today(option_date(date_text, "--date"), "--date", settings.display_timezone)
    retry_days = settings.auto_debit_retry_days
    with _engine() as engine:
        report = run_cob(engine, through, actor=SYSTEM.label, retry_days=retry_days)
    console = make_console()
    for day, step, rows, seconds in report.steps:
        console.print(f"{day} {step:<12} {rows:>10} rows {seconds:8.3f} s")
    console.print(f"closed {len(report.days)} business date(s) through {through}")


@ledger_app.command("verify")
def ledger_verify() -> None:
    """Check that every entry balances and the ledger equals the loan accounts (the deferred
    merchant subsidy equals what the loans have not recognised); exit 1 naming each problem."""
    with _engine() as engine:
        report = verify_ledger(engine)
    console = make_console()
    for (account, currency), balance in sorted(report.balances.items()):
        console.print(f"{account:<26} {currency} {format_yuan(balance):>18}")
    for problem in report.problems:
        console.print(f"problem: {problem}")
    if not report.ok:
        raise typer.Exit(1)
    console.print(
        "ledger verified: every entry balances and matches the loan accounts, "
        "the deferred subsidy included"
    )


@loan_app.command("show")
def loan_show(
    loan_id: Annotated[int, typer.Argument(help="The loan number.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """A loan's installments and balances."""
    with _engine() as engine:
        view = get_loan(engine, loan_id)
    loan = view.account
    owed = view.outstanding
    if as_json:
        print(
            json.dumps(
                {
                    "loan_id": loan.loan_id,
                    "status": loan.status.value,
                    "bucket": loan.bucket,
                    "outstanding": {
                        "principal": format_yuan(owed.principal),
                        "interest": format_yuan(owed.interest),
                        "fee": format_yuan(owed.fee),
                        "penalty": format_yuan(owed.penalty),
                    },
                    "overpayment": format_yuan(loan.credit),
                    "transactions": len(view.transactions),
                    "installments": [
                        {
                            "n": i.n,
                            "due_date": i.due.isoformat(),
                            "principal": format_yuan(i.principal_due),
                            "interest": format_yuan(i.interest_due),
                            "fee": format_yuan(i.fee_due),
                            "penalty": format_yuan(i.penalty_due),
                            "paid": format_yuan(_paid(i)),
                        }
                        for i in loan.installments
                    ],
                }
            )
        )
        return
    table = Table(title=f"Loan {loan.loan_id} — {loan.status}, bucket {loan.bucket}")
    for col in ("#", "due", "principal", "interest", "fee", "penalty", "paid"):
        table.add_column(col, justify="right")
    for i in loan.installments:
        table.add_row(
            str(i.n),
            i.due.isoformat(),
            *(
                format_yuan(v)
                for v in (i.principal_due, i.interest_due, i.fee_due, i.penalty_due, _paid(i))
            ),
        )
    console = make_console()
    console.print(table)
    console.print(
        f"outstanding: principal {format_yuan(owed.principal)}, interest "
        f"{format_yuan(owed.interest)}, fee {format_yuan(owed.fee)}, penalty "
        f"{format_yuan(owed.penalty)}; overpayment held {format_yuan(loan.credit)}"
    )


def _paid(row: InstallmentState) -> int:
    return row.principal_paid + row.interest_paid + row.fee_paid + row.penalty_paid
