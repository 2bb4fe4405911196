"""``thinfile audit verify``: check that no audit-log row was edited or deleted."""

from __future__ import annotations

import sys

import typer

from thinfile.cli.service_settings import load_settings, open_database
from thinfile.services.audit import verify_audit_chain

__all__ = ["register"]

BROKEN = 1


def register(app: typer.Typer) -> None:
    group = typer.Typer(help="The hash-chained audit log.", no_args_is_help=True)
    group.command("verify")(verify)
    app.add_typer(group, name="audit")


def verify() -> None:
    """Walk the audit log's hash chain; exit 1 and list the problems if it was altered."""
    with open_database(load_settings()) as engine:
        report = verify_audit_chain(engine)
    if report.is_intact:
        typer.echo(f"audit log intact: {report.rows_checked} rows checked")
        return
    typer.echo(
        f"audit log ALTERED: {len(report.problems)} problem(s) in {report.rows_checked} rows",
        err=True,
    )
    for problem in report.problems:
        typer.echo(f"  {problem}", err=True)
    sys.exit(BROKEN)
