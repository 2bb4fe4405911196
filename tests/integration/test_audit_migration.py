"""Upgrading a one-chain audit log to sixteen chains keeps every old row verifiable."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import command

from thinfile.services.audit import CHAINS, record_audit, verify_audit_chain
from thinfile.services.uow import UnitOfWork
from thinfile.store import make_engine, upgrade
from thinfile.store.audit_repo import row_hash
from thinfile.store.migrate import alembic_config


def _old_style_rows(conn: sa.Connection, n: int) -> None:
    """Rows as the one-chain log wrote them: position = seq, linked from the zero genesis."""
    prev = "0" * 64
    for seq in range(1, n + 1):
        row: dict[str, Any] = {
            "seq": seq,
            "occurred_at": f"2026-01-0{seq}T00:00:00.000000+00:00",
            "actor": "system",
            "action": "consent.grant",
            "subject": f"applicant:{seq}",
            "details": '{"n":1}',
            "prev_hash": prev,
        }
        row["row_hash"] = row_hash(
            seq,
            row["occurred_at"],
            row["actor"],
            row["action"],
            row["subject"],
            row["details"],
            prev,
        )
        conn.execute(
            sa.text(
                "INSERT INTO audit_log (seq, occurred_at, actor, action, subject, "
                "details, prev_hash, row_hash) VALUES (:seq, :occurred_at, :actor, "
                ":action, :subject, :details, :prev_hash, :row_hash)"
            ),
            row,
        )
        prev = row["row_hash"]
    conn.execute(
        sa.text("UPDATE audit_head SET last_seq = :n, last_hash = :h WHERE id = 1"),
        {"n": n, "h": prev},
    )


def test_old_rows_become_chain_one_and_new_rows_follow_them(empty_database_url):
    engine = make_engine(empty_database_url)
    try:
        command.upgrade(alembic_config(engine), "identity_0001")
        with engine.begin() as conn:
            _old_style_rows(conn, 3)
        upgrade(engine)
        with engine.begin() as conn:
            assert conn.execute(sa.text("SELECT count(*) FROM audit_head")).scalar() == CHAINS
            assert list(
                conn.execute(sa.text("SELECT chain, chain_seq FROM audit_log ORDER BY seq"))
            ) == [(1, 1), (1, 2), (1, 3)]
        with UnitOfWork(engine) as uow:
            entries = [record_audit(uow, "system", "loan.note", f"loan:{n}", {}) for n in range(20)]
            uow.commit()
        assert [e.seq for e in entries] == list(range(4, 24))  # numbering carries on
        report = verify_audit_chain(engine)
        assert report.is_intact and report.rows_checked == 23
        with engine.begin() as conn:  # the append-only guard is back after the migration
            try:
                conn.execute(sa.text("DELETE FROM audit_log WHERE seq = 1"))
            except sa.exc.DBAPIError:
                pass
            else:
                raise AssertionError("audit_log accepted a DELETE after the migration")
    finally:
        engine.dispose()
