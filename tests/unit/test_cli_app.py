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
