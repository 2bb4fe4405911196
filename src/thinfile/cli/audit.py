"""``thinfile audit verify`` and ``thinfile audit head``: check that no audit-log row was edited
or deleted, and save the chains' heads outside the database to check against later."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from thinfile.cli.options import path_text
from thinfile.cli.service_settings import load_settings, open_database
from thinfile.errors import InvalidInputError
from thinfile.services.audit import Heads, audit_heads, verify_audit_chain

__all__ = ["register"]

BROKEN = 1
HEADS_FORMAT = "thinfile-audit-heads/1"


def register(app: typer.Typer) -> None:
    group = typer.Typer(help="The hash-chained audit log.", no_args_is_help=True)
    group.command("verify")(verify)
    group.command("head")(head)
    app.add_typer(group, name="audit")


def head() -> None:
    """Print each chain's head as JSON: save it outside the database (another machine, a
    ticket, a printout) and check later with ``thinfile audit verify --against FILE``."""
    with open_database(load_settings()) as engine:
        heads = audit_heads(engine)
    saved = {str(chain): [position, digest] for chain, (position, digest) in sorted(heads.items())}
    typer.echo(json.dumps({"format": HEADS_FORMAT, "heads": saved}, indent=1))


def _saved_heads(path: Path) -> Heads:
    """The heads in a file ``thinfile audit head`` wrote."""
    problem = InvalidInputError(
        f"{path} is not a file `thinfile audit head` wrote",
        field="--against",
        value=str(path),
        remedy="pass the JSON that `thinfile audit head` printed",
    )
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("format") != HEADS_FORMAT:
            raise problem
        return {int(c): (int(p), str(h)) for c, (p, h) in data["heads"].items()}
    except FileNotFoundError:
        raise InvalidInputError(
            f"{path} does not exist", field="--against", value=str(path)
        ) from None
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        raise problem from None


def verify(
    against: Annotated[
        Path | None,
        typer.Option(
            "--against",
            help="Heads saved earlier by `thinfile audit head`: fail if one is no longer in "
            "its chain or a chain was cut back.",
            parser=path_text,
        ),
    ] = None,
) -> None:
    """Walk the audit log's hash chains; exit 1 and list the problems if it was altered."""
    saved = _saved_heads(against) if against is not None else None
    with open_database(load_settings()) as engine:
        report = verify_audit_chain(engine, against=saved)
    if report.is_intact:
        unkeyed = f" ({report.unkeyed} unkeyed, from before keyed chains)" if report.unkeyed else ""
        versus = f"; every head saved in {against} is still in its chain" if against else ""
        typer.echo(f"audit log intact: {report.rows_checked} rows checked{unkeyed}{versus}")
        return
    typer.echo(
        f"audit log ALTERED: {len(report.problems)} problem(s) in {report.rows_checked} rows",
        err=True,
    )
    for problem in report.problems:
        typer.echo(f"  {problem}", err=True)
    sys.exit(BROKEN)
