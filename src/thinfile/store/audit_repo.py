"""The audit log's rows and chain heads: append one row, walk the chains, read the heads.

The row format is fixed here, beside the SQL that writes it: a row's hash is SHA-256 of
``[chain_seq, occurred_at, actor, action, subject, details, prev_hash]`` as compact JSON
(:func:`row_hash`); on PostgreSQL the database computes the same text in the append statement.
Which chain a row goes to, and what a broken chain means, is ``thinfile.services.audit``'s.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from thinfile.store.hot import Hot
from thinfile.store.identity_tables import audit_head, audit_log

__all__ = ["AppendedRow", "AuditRepository", "AuditRow", "canonical_tail", "row_hash"]


@dataclass(frozen=True, slots=True)
class AuditRow:
    """One row of the audit log: its number in the log, its chain and position there, what
    was done, by whom, to what (``details`` as compact JSON), its link and its own hash."""

    seq: int
    chain: int
    chain_seq: int
    occurred_at: str
    actor: str
    action: str
    subject: str
    details: str
    prev_hash: str
    row_hash: str


@dataclass(frozen=True, slots=True)
class AppendedRow:
    """Where an appended row went: its number in the log, its position in its chain, its link
    and its own hash."""

    seq: int
    chain_seq: int
    prev_hash: str
    row_hash: str


def canonical_tail(occurred_at: str, actor: str, action: str, subject: str, details: str) -> str:
    """The middle of a row's canonical JSON: everything but its position and its link."""
    return json.dumps(
        [occurred_at, actor, action, subject, details], ensure_ascii=False, separators=(",", ":")
    )[1:-1]


def row_hash(
    chain_seq: int,
    occurred_at: str,
    actor: str,
    action: str,
    subject: str,
    details: str,
    prev_hash: str,
) -> str:
    """SHA-256 of ``[chain_seq, occurred_at, actor, action, subject, details, prev_hash]`` as
    compact JSON (what :data:`_APPEND_PG` computes in the database, character for character)."""
    canonical = (
        f"[{chain_seq},{canonical_tail(occurred_at, actor, action, subject, details)}"
        f',"{prev_hash}"]'
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


_APPEND_PG = Hot(
    sa.text("""
WITH head AS (
    SELECT last_seq + 1 AS chain_seq, last_hash AS prev_hash
    FROM audit_head WHERE id = :chain FOR UPDATE
), hashed AS (
    SELECT chain_seq, prev_hash,
           encode(sha256(convert_to('[' || chain_seq || ',' || :tail || ',"' || prev_hash
                                    || '"]', 'UTF8')), 'hex') AS row_hash
    FROM head
), appended AS (
    INSERT INTO audit_log (chain, chain_seq, occurred_at, actor, action, subject, details,
                           prev_hash, row_hash)
    SELECT :chain, chain_seq, :occurred_at, :actor, :action, :subject, :details, prev_hash,
           row_hash
    FROM hashed
    RETURNING seq, chain_seq, prev_hash, row_hash
)
UPDATE audit_head SET last_seq = appended.chain_seq, last_hash = appended.row_hash
FROM appended WHERE audit_head.id = :chain
RETURNING appended.seq, appended.chain_seq, appended.prev_hash, appended.row_hash
""")
)
"""PostgreSQL: lock the chain's head, hash, insert and advance the head in one round trip, so
the head is held for one statement and the commit."""
_ADVANCE = (
    sa.update(audit_head)
    .where(audit_head.c.id == sa.bindparam("chain"))
    .values(last_seq=audit_head.c.last_seq + 1)
    .returning(audit_head.c.last_seq, audit_head.c.last_hash)
)
_APPEND = sa.insert(audit_log).returning(audit_log.c.seq)
_ROWS = sa.select(*(audit_log.c[name] for name in AuditRow.__dataclass_fields__))
_LINK = (
    sa.update(audit_head)
    .where(audit_head.c.id == sa.bindparam("chain"))
    .values(last_hash=sa.bindparam("new_hash", type_=sa.String))
)


class AuditRepository:
    """The audit log on one connection (append-only: triggers refuse updates and deletes)."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def append(
        self, *, chain: int, occurred_at: str, actor: str, action: str, subject: str, details: str
    ) -> AppendedRow:
        """Append one row to ``chain``; from here to the commit the chain's head is locked.

        On PostgreSQL one statement (lock the head, hash, insert, advance the head, all in the
        database); on SQLite, which has one writer at a time anyway, three."""
        if self.conn.dialect.name == "postgresql":
            done = _APPEND_PG.one(
                self.conn,
                {
                    "chain": chain,
                    "tail": canonical_tail(occurred_at, actor, action, subject, details),
                    "occurred_at": occurred_at,
                    "actor": actor,
                    "action": action,
                    "subject": subject,
                    "details": details,
                },
            )
            return AppendedRow(
                int(done.seq), int(done.chain_seq), str(done.prev_hash), str(done.row_hash)
            )
        head = self.conn.execute(_ADVANCE, {"chain": chain}).one()  # the head is locked here
        position, prev_hash = int(head.last_seq), str(head.last_hash)
        new_hash = row_hash(position, occurred_at, actor, action, subject, details, prev_hash)
        seq = self.conn.execute(
            _APPEND,
            {
                "chain": chain,
                "chain_seq": position,
                "occurred_at": occurred_at,
                "actor": actor,
                "action": action,
                "subject": subject,
                "details": details,
                "prev_hash": prev_hash,
                "row_hash": new_hash,
            },
        ).scalar_one()
        self.conn.execute(_LINK, {"chain": chain, "new_hash": new_hash})
        return AppendedRow(int(seq), position, prev_hash, new_hash)

    def rows_after(self, chain: int, chain_seq: int, *, limit: int) -> list[AuditRow]:
        """Up to ``limit`` rows after position ``chain_seq`` of ``chain``, chain by chain in
        chain order (the next chains follow)."""
        rows = self.conn.execute(
            _ROWS.where(
                sa.tuple_(audit_log.c.chain, audit_log.c.chain_seq) > sa.tuple_(chain, chain_seq)
            )
            .order_by(audit_log.c.chain, audit_log.c.chain_seq)
            .limit(limit)
        )
        return [AuditRow(*r) for r in rows]

    def heads(self) -> dict[int, tuple[int, str]]:
        """Each chain's head: its newest position and hash."""
        return {
            int(h.id): (int(h.last_seq), str(h.last_hash))
            for h in self.conn.execute(
                sa.select(audit_head.c.id, audit_head.c.last_seq, audit_head.c.last_hash)
            )
        }
