"""The ``thinfile`` entry point reports a dropped database in one line, whatever the driver logs."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from tests.support.environment import REPO

_DROPPED_MID_BATCH = textwrap.dedent(
    """
    import logging
    from sqlalchemy.exc import OperationalError
    from thinfile.cli import app as cli

    @cli.app.command("drop")
    def drop() -> None:
        # what psycopg does when the server goes away inside a pipeline: it logs the failed
        # clean-up, then the original error propagates
        logging.getLogger("psycopg").warning("error ignored terminating <Pipeline [BAD]>: closed")
        raise OperationalError("SELECT 1", {}, Exception("server closed the connection"))

    cli.main(["drop"])
    """
)


def test_a_dropped_connection_is_one_line_even_when_the_driver_logs_its_clean_up() -> None:
    done = subprocess.run(
        [sys.executable, "-c", _DROPPED_MID_BATCH],
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO,
        env={"PYTHONPATH": str(REPO / "src"), "PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 3, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("error: the database connection failed"), done.stderr


def _commands(command, trail=()):
    import click

    if isinstance(command, click.Group):
        for name, sub in command.commands.items():
            yield from _commands(sub, (*trail, name))
    else:
        yield trail, command


def test_every_file_or_folder_option_refuses_empty_text(capsys) -> None:
    """An empty ``--out ""`` would otherwise be the current folder: every path a command
    takes is read by ``path_text`` (no bare ``click.Path``), which refuses it naming it."""
    import click
    import typer

    from tests.support.cli import run
    from thinfile.cli.app import app

    bare = [
        (" ".join(trail), p.name)
        for trail, command in _commands(typer.main.get_command(app))
        for p in command.params
        if isinstance(p.type, click.Path)
    ]
    assert bare == []
    code, out, err = run(capsys, "model", "report", "", "--out", "report.html")
    assert code == 2 and "'DIR'" in err and "empty" in err and out == ""
