"""The ``thinfile`` command: one Typer app; each command group lives in its own module.

Errors never reach the user as tracebacks: a :class:`ThinfileError` or a usage mistake
prints one line on standard error and exits with code 2; a database that cannot be reached (or
drops the connection) prints one line and exits with code 3. A command that fails exits
non-zero: Click, run with ``standalone_mode=False``, *returns* the code of a ``typer.Exit``
instead of exiting with it, so :func:`main` exits with whatever code it returns.
"""

from __future__ import annotations

import logging
import sys

import typer
from sqlalchemy.exc import DBAPIError

from thinfile.cli import (
    checkout,
    decisions,
    demo,
    gateway,
    limits,
    merchants,
    model,
    notifications,
    payments,
    portfolio,
    quote,
    sales,
    serve,
    synth,
)
from thinfile.cli import servicing as servicing_cli
from thinfile.errors import ThinfileError

app = typer.Typer(
    name="thinfile",
    help="Credit for thin-file borrowers: score, decide, price, service.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


@app.callback()
def _root() -> None:
    """Credit for thin-file borrowers: score, decide, price, service."""


quote.register(app)
demo.register(app)
serve.register(app)
synth.register(app)
servicing_cli.register(app)
model.register(app)
decisions.register(app)
checkout.register(app)
portfolio.register(app)
gateway.register(app)
merchants.register(app)
limits.register(app)
payments.register(app)
sales.register(app)
notifications.register(app)

USAGE_ERROR = 2
DATABASE_UNAVAILABLE = 3


def _database_error(exc: DBAPIError) -> str:
    """One line about a database failure: never the statement or its parameters."""
    reason = str(exc.orig).strip().splitlines()[0] if exc.orig is not None else type(exc).__name__
    if exc.connection_invalidated or "connect" in reason.lower() or "closed" in reason.lower():
        return f"the database connection failed ({reason}); check that the database is up and retry"
    return f"the database refused the work ({reason})"


def quiet_driver_cleanup() -> None:
    """Keep the driver's clean-up warnings off standard error.

    When a connection drops in the middle of a batch, psycopg logs a warning about the pipeline
    it could not close *while* the real error propagates; that error is what the user is told, in
    one line. The warning would print a second, rawer account of the same failure.
    """
    logging.getLogger("psycopg").setLevel(logging.ERROR)


def main(argv: list[str] | None = None) -> None:
    """Entry point of the console script."""
    quiet_driver_cleanup()
    try:
        code = app(args=argv, standalone_mode=False)
    except ThinfileError as exc:
        print(f"error: {exc.one_line()}", file=sys.stderr)
        sys.exit(USAGE_ERROR)
    except DBAPIError as exc:
        print(f"error: {_database_error(exc)}", file=sys.stderr)
        sys.exit(DATABASE_UNAVAILABLE)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        print("error: aborted", file=sys.stderr)
        sys.exit(130)
    except typer.TyperException as exc:  # usage mistakes: unknown option, missing value
        context = getattr(exc, "ctx", None)
        if type(exc).__name__ == "NoArgsIsHelpError" and context is not None:
            print(context.get_help())
            sys.exit(0)
        formatter = getattr(exc, "format_message", None)
        print(f"error: {formatter() if formatter else exc}", file=sys.stderr)
        sys.exit(USAGE_ERROR)
    if isinstance(code, int) and code:  # a ``typer.Exit(n)``, returned rather than raised
        sys.exit(code)
