"""The ``thinfile`` command: one Typer app; each command group lives in its own module.

Errors never reach the user as tracebacks: a :class:`ThinfileError` or a usage mistake
prints one line on standard error and exits with code 2.
"""

from __future__ import annotations

import sys

import typer

from thinfile.cli import checkout, decisions, demo, model, quote, serve, synth
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

USAGE_ERROR = 2


def main(argv: list[str] | None = None) -> None:
    """Entry point of the console script."""
    try:
        app(args=argv, standalone_mode=False)
    except ThinfileError as exc:
        print(f"error: {exc.one_line()}", file=sys.stderr)
        sys.exit(USAGE_ERROR)
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
