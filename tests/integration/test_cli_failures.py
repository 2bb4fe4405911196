"""Every ``thinfile`` command that fails exits non-zero with one clear line, never a traceback
(run as the real program, in a subprocess)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from datetime import date
from pathlib import Path

import sqlalchemy as sa

from tests.integration.servicing_helpers import open_book
from tests.support.databases import POSTGRES_URL, fresh_database_url
from tests.support.environment import REPO
from thinfile.money import Money
from thinfile.services.audit import record_audit
from thinfile.services.cob import run_cob
from thinfile.services.payments import post_payment
from thinfile.services.uow import UnitOfWork
from thinfile.store import make_engine, upgrade


def _thinfile(database_url: str, home: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "THINFILE_DATABASE_URL": database_url,
        "THINFILE_HOME": str(home),
        "PYTHONPATH": str(REPO / "src"),
    }
    return subprocess.run(
        [sys.executable, "-m", "thinfile", *argv],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def _one_clear_line(done: subprocess.CompletedProcess[str]) -> str:
    assert "Traceback" not in done.stderr + done.stdout
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), done.stderr
    return lines[0]


def test_ledger_verify_exits_1_when_the_ledger_was_tampered_with(
    database_url: str, tmp_path: Path
) -> None:
    engine = make_engine(database_url)
    upgrade(engine)
    ids = open_book(engine, 2)
    run_cob(engine, date(2025, 2, 3))
    post_payment(engine, ids[0], Money.of("900"), date(2025, 2, 4))
    assert _thinfile(database_url, tmp_path, "ledger", "verify").returncode == 0
    with engine.begin() as conn:  # an entry that no longer balances: found before, too
        conn.execute(
            sa.text(
                "UPDATE servicing_journal_lines SET amount = amount + 1 "
                "WHERE id = (SELECT MIN(id) FROM servicing_journal_lines)"
            )
        )
    unbalanced = _thinfile(database_url, tmp_path, "ledger", "verify")
    assert unbalanced.returncode == 1
    assert "problem: entries_balance" in unbalanced.stdout
    assert "Traceback" not in unbalanced.stderr
    with engine.begin() as conn:  # a repayment raised after it was booked
        conn.execute(
            sa.text(
                "UPDATE servicing_journal_lines SET amount = amount - 1 "
                "WHERE id = (SELECT MIN(id) FROM servicing_journal_lines)"
            )
        )
        conn.execute(
            sa.text(
                "UPDATE servicing_transactions SET amount = amount + 100 WHERE kind = 'repayment'"
            )
        )
    engine.dispose()
    done = _thinfile(database_url, tmp_path, "ledger", "verify")
    assert done.returncode == 1
    assert "problem: journal_matches_postings" in done.stdout
    assert "Traceback" not in done.stderr


def test_audit_verify_against_saved_heads_exits_1_after_the_chain_was_cut_back(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'audit.sqlite'}"
    engine = make_engine(url)
    upgrade(engine)
    with UnitOfWork(engine) as uow:
        for n in range(2):
            record_audit(uow, "staff:1", "payment.post", "loan:3", {"amount_fen": n})
        uow.commit()
    saved = tmp_path / "heads.json"
    head = _thinfile(url, tmp_path, "audit", "head")
    assert head.returncode == 0
    saved.write_text(head.stdout)
    with engine.begin() as conn:
        conn.execute(sa.text("DROP TRIGGER audit_log_no_delete"))
        newest = conn.execute(sa.text("SELECT * FROM audit_log ORDER BY seq DESC LIMIT 1")).one()
        before = conn.execute(
            sa.text("SELECT row_hash FROM audit_log WHERE chain = :c AND chain_seq = :n"),
            {"c": newest.chain, "n": newest.chain_seq - 1},
        ).scalar_one()
        conn.execute(sa.text("DELETE FROM audit_log WHERE seq = :s"), {"s": newest.seq})
        conn.execute(
            sa.text("UPDATE audit_head SET last_seq = last_seq - 1, last_hash = :h WHERE id = :c"),
            {"h": before, "c": newest.chain},
        )
    engine.dispose()
    assert _thinfile(url, tmp_path, "audit", "verify").returncode == 0
    done = _thinfile(url, tmp_path, "audit", "verify", "--against", str(saved))
    assert done.returncode == 1
    assert f"chain {newest.chain} was cut back" in done.stderr
    assert "Traceback" not in done.stderr
    missing = _thinfile(url, tmp_path, "audit", "verify", "--against", str(tmp_path / "none"))
    assert missing.returncode == 2
    assert "does not exist" in _one_clear_line(missing)


def test_close_of_business_without_its_database_prints_one_line_and_exits_3(
    tmp_path: Path,
) -> None:
    nowhere = "postgresql+psycopg://postgres@127.0.0.1:9/thinfile?connect_timeout=3"
    done = _thinfile(nowhere, tmp_path, "cob", "run", "--date", "2025-02-01")
    assert done.returncode == 3
    assert "the database connection failed" in _one_clear_line(done)


def test_a_date_that_has_not_begun_is_neither_closed_nor_reconciled(tmp_path: Path) -> None:
    """A slip of the year (9999 for 2025) would close millions of empty dates; a future day
    has no gateway file. Both are refused before the database is touched."""
    url = f"sqlite:///{tmp_path / 'never.db'}"
    for argv, why in (
        (("cob", "run"), "has not begun yet"),
        (("payments", "reconcile"), "is not over yet"),
    ):
        done = _thinfile(url, tmp_path, *argv, "--date", "9999-12-31")
        assert done.returncode == 2, done.stderr
        assert f"--date: 9999-12-31 {why}" in _one_clear_line(done)
    assert not (tmp_path / "never.db").exists()


def test_close_of_business_that_loses_its_connection_says_so_and_resumes(
    tmp_path: Path,
) -> None:
    for url in fresh_database_url("postgresql", tmp_path):
        name = f"thinfile-cob-{uuid.uuid4().hex[:12]}"
        tagged = f"{url}&application_name={name}"
        engine = make_engine(url)
        upgrade(engine)
        open_book(engine, 6)
        engine.dispose()
        env = {
            **os.environ,
            "THINFILE_DATABASE_URL": tagged,
            "THINFILE_HOME": str(tmp_path),
            "PYTHONPATH": str(REPO / "src"),
        }
        argv = [sys.executable, "-m", "thinfile", "cob", "run", "--date", "2025-04-30"]
        run = subprocess.Popen(
            argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        admin = sa.create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
        watcher = make_engine(url)
        try:
            with admin.connect() as conn:
                closing = sa.text("SELECT count(*) FROM servicing_cob_runs WHERE status = 'done'")
                with watcher.connect() as book:
                    while run.poll() is None and not book.execute(closing).scalar():
                        time.sleep(0.05)
                conn.execute(
                    sa.text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE application_name = :n"
                    ),
                    {"n": name},
                )
        finally:
            watcher.dispose()  # its pooled connection would otherwise outlive the test
            admin.dispose()
        out, err = run.communicate(timeout=300)
        done = subprocess.CompletedProcess(argv, run.returncode, out, err)
        assert done.returncode == 3, (out, err)
        assert "the database connection failed" in _one_clear_line(done)
        again = _thinfile(tagged, tmp_path, "cob", "run", "--date", "2025-04-30")
        assert again.returncode == 0, again.stderr
        assert _thinfile(url, tmp_path, "ledger", "verify").returncode == 0


def test_serve_with_workers_on_a_taken_port_exits_2_with_one_line(
    database_url: str, tmp_path: Path
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = _thinfile(database_url, tmp_path, "serve", "--workers", "2", "--port", str(port))
    assert done.returncode == 2
    assert "cannot listen on" in _one_clear_line(done) and "--port" in done.stderr


def test_serve_with_workers_and_an_unreachable_database_exits_3_with_one_line(
    tmp_path: Path,
) -> None:
    unreachable = "postgresql+psycopg://postgres@127.0.0.1:1/thinfile"
    done = _thinfile(unreachable, tmp_path, "serve", "--workers", "2", "--port", "1")
    assert done.returncode == 3
    assert "database connection failed" in _one_clear_line(done)


def test_demo_smoke_with_a_home_that_cannot_be_written_exits_2_with_one_line(
    tmp_path: Path,
) -> None:
    a_file = tmp_path / "not-a-folder"
    a_file.write_text("")
    done = _thinfile(
        f"sqlite:///{tmp_path / 'unused.sqlite'}",
        tmp_path,
        "demo",
        "--smoke",
        "--home",
        str(a_file / "home"),
    )
    assert done.returncode == 2
    assert "cannot write in" in _one_clear_line(done)
