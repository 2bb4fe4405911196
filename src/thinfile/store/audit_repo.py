"""The audit log's rows and chain heads: append one row, walk the chains, read the heads.

The row format is fixed here, beside the SQL that writes it. A row is sealed with a key the
database never sees: its hash is HMAC-SHA256, under the audit key its ``key_id`` names, of
``[2, chain, chain_seq, occurred_at, actor, action, subject, details, prev_hash, key_id]`` as
compact JSON (:func:`sealed_hash`; keys: :mod:`thinfile.security.audit_keys`). Rows written
before keys were used have no ``key_id``; their hash is the original unkeyed SHA-256 of
``[chain_seq, occurred_at, actor, action, subject, details, prev_hash]`` (:func:`row_hash`),
and they stay protected by the keyed rows after them, which seal their hash as ``prev_hash``.
Which chain a row goes to, and what a broken chain means, is ``thinfile.services.audit``'s.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from thinfile.security.audit_keys import AuditKeys
from thinfile.store.audit_keys import keys_of
from thinfile.store.hot import Hot, HotRow
from thinfile.store.identity_tables import audit_head, audit_log

__all__ = [
    "TAKE_HEAD_PG",
    "AppendedRow",
    "AuditRepository",
    "TakenHead",
    "UnkeyedEnd",
    "canonical_tail",
    "row_hash",
    "sealed_hash",
    "taken_head",
    "unkeyed_seal",
]


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


def sealed_hash(
    keys: AuditKeys,
    key_id: str,
    chain: int,
    chain_seq: int,
    occurred_at: str,
    actor: str,
    action: str,
    subject: str,
    details: str,
    prev_hash: str,
) -> str:
    """A keyed row's hash: HMAC-SHA256 under audit key ``key_id`` of ``[2, chain, chain_seq,
    occurred_at, actor, action, subject, details, prev_hash, key_id]`` as compact JSON."""
    canonical = json.dumps(
        [2, chain, chain_seq, occurred_at, actor, action, subject, details, prev_hash, key_id],
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return keys.seal(key_id, canonical)


def unkeyed_seal(keys: AuditKeys, key_id: str, chain: int, position: int, digest: str) -> str:
    """The seal on where a chain's unkeyed rows end: HMAC-SHA256 under audit key ``key_id``
    of ``["unkeyed-through", chain, position, digest]`` as compact JSON."""
    return keys.seal(key_id, json.dumps(["unkeyed-through", chain, position, digest]))


@dataclass(frozen=True, slots=True)
class UnkeyedEnd:
    """Where a chain's unkeyed rows end (``position``, the ``digest`` there) and whether the
    record of it carries a valid seal (``sealed``)."""

    position: int
    digest: str
    sealed: bool


TAKE_HEAD_PG = "UPDATE audit_head SET last_seq = last_seq + 1 WHERE id = %(audit_chain)s::int"
"""PostgreSQL: lock a chain's head and take its next position, as a common table expression
of another statement (``WITH head AS (… RETURNING last_seq, last_hash)``; the parameter
``audit_chain`` names the chain; the caller may add ``AND …`` conditions before the
``RETURNING``), so the last write of a transaction can take the head in its own round trip;
the caller passes the :class:`TakenHead` to :meth:`AuditRepository.append`."""
_ADVANCE = Hot(
    sa.text(
        "UPDATE audit_head SET last_seq = last_seq + 1 WHERE id = :chain "
        "RETURNING last_seq, last_hash"
    )
)
"""Lock the chain's head and take the next position: from here to the commit, other appends
to the chain wait."""


@dataclass(frozen=True, slots=True)
class TakenHead:
    """A chain's head taken by another statement of this transaction (:data:`TAKE_HEAD_PG`):
    the position the next row of ``chain`` gets and the hash it links to."""

    chain: int
    position: int
    prev_hash: str


def taken_head(
    chain: int, written: bool, position: object, prev_hash: object
) -> tuple[bool, TakenHead | None]:
    """What a write that took ``chain``'s head on condition of its own row returned: whether
    its row was ``written`` and, if so, the head (which the migrations create for every
    chain, so a written row without one is a broken database)."""
    if not written:
        return False, None
    if position is None or prev_hash is None:
        raise LookupError(f"audit chain {chain} has no head row")
    return True, TakenHead(chain, int(str(position)), str(prev_hash))


_COLUMNS = (
    "chain, chain_seq, occurred_at, actor, action, subject, details, prev_hash, row_hash, key_id"
)
_VALUES = ", ".join(f":{name.strip()}" for name in _COLUMNS.split(","))
_APPEND_PG = Hot(
    sa.text(f"""
WITH appended AS (
    INSERT INTO audit_log ({_COLUMNS}) VALUES ({_VALUES}) RETURNING seq
)
UPDATE audit_head SET last_hash = :row_hash FROM appended WHERE audit_head.id = :chain
RETURNING appended.seq
""")
)
"""PostgreSQL: insert the sealed row and advance the head's hash in one round trip."""
_APPEND = Hot(sa.text(f"INSERT INTO audit_log ({_COLUMNS}) VALUES ({_VALUES}) RETURNING seq"))
_LINK = Hot(sa.text("UPDATE audit_head SET last_hash = :row_hash WHERE id = :chain"))


class AuditRepository:
    """The audit log on one connection (append-only: triggers refuse updates and deletes)."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.keys = keys_of(conn.engine)

    def append(
        self,
        *,
        chain: int,
        occurred_at: str,
        actor: str,
        action: str,
        subject: str,
        details: str,
        taken: TakenHead | None = None,
    ) -> AppendedRow:
        """Append one row to ``chain``, sealed with the active audit key; from here to the
        commit the chain's head is locked.

        The key never reaches the database, so the row is sealed here, between taking the
        head (its position and the hash to link to) and writing the row: two round trips on
        PostgreSQL (take the head; insert and advance it), three on SQLite, which has one
        writer at a time anyway. ``taken``: the head, already taken by the transaction's
        previous statement (:data:`TAKE_HEAD_PG`), which saves the first round trip."""
        if taken is not None:
            if taken.chain != chain:
                raise ValueError(f"the head taken is chain {taken.chain}'s, not {chain}'s")
            position, prev_hash = taken.position, taken.prev_hash
        else:
            head = _ADVANCE.one(self.conn, {"chain": chain})
            position, prev_hash = int(head.last_seq), str(head.last_hash)
        key_id = self.keys.active_key_id
        new_hash = sealed_hash(
            self.keys,
            key_id,
            chain,
            position,
            occurred_at,
            actor,
            action,
            subject,
            details,
            prev_hash,
        )
        row = {
            "chain": chain,
            "chain_seq": position,
            "occurred_at": occurred_at,
            "actor": actor,
            "action": action,
            "subject": subject,
            "details": details,
            "prev_hash": prev_hash,
            "row_hash": new_hash,
            "key_id": key_id,
        }
        if self.conn.dialect.name == "postgresql":
            seq = _APPEND_PG.scalar(self.conn, row)
        else:
            seq = _APPEND.scalar(self.conn, row)
            _LINK.run(self.conn, {"chain": chain, "row_hash": new_hash})
        return AppendedRow(int(seq), position, prev_hash, new_hash)

    def expected_hash(self, row: HotRow) -> str | None:
        """What a stored row's hash must be: by the keyed rule for a row that names its key
        (``None`` when that key is not configured), else by the original unkeyed rule."""
        if row.key_id is None:
            return row_hash(
                row.chain_seq,
                row.occurred_at,
                row.actor,
                row.action,
                row.subject,
                row.details,
                row.prev_hash,
            )
        if not self.keys.has(row.key_id):
            return None
        return sealed_hash(
            self.keys,
            row.key_id,
            row.chain,
            row.chain_seq,
            row.occurred_at,
            row.actor,
            row.action,
            row.subject,
            row.details,
            row.prev_hash,
        )

    def rows_after(self, chain: int, chain_seq: int, *, limit: int) -> Sequence[HotRow]:
        """Up to ``limit`` rows after position ``chain_seq`` of ``chain``, chain by chain in
        chain order (the next chains follow)."""
        return self.conn.execute(
            sa.select(audit_log)
            .where(
                sa.tuple_(audit_log.c.chain, audit_log.c.chain_seq) > sa.tuple_(chain, chain_seq)
            )
            .order_by(audit_log.c.chain, audit_log.c.chain_seq)
            .limit(limit)
        ).all()

    def of_subject(self, subject: str, *, action: str) -> Sequence[HotRow]:
        """The rows of one ``action`` about ``subject``, oldest first: their ``occurred_at``
        and ``details`` (for a rule that counts what was done, such as the look-ups a
        real-name check has made)."""
        return self.conn.execute(
            sa.select(audit_log.c.occurred_at, audit_log.c.details)
            .where(audit_log.c.subject == subject, audit_log.c.action == action)
            .order_by(audit_log.c.seq)
        ).all()

    def unkeyed_ends(self) -> dict[int, UnkeyedEnd | None]:
        """Per chain, where its unkeyed rows end (``None`` when the head records nothing)."""
        out: dict[int, UnkeyedEnd | None] = {}
        for h in self.conn.execute(sa.select(audit_head)):
            if h.unkeyed_through is None or h.unkeyed_hash is None:
                out[int(h.id)] = None
                continue
            position, digest = int(h.unkeyed_through), str(h.unkeyed_hash)
            key_id = h.unkeyed_key_id
            sealed = (
                key_id is not None
                and self.keys.has(key_id)
                and unkeyed_seal(self.keys, key_id, int(h.id), position, digest) == h.unkeyed_seal
            )
            out[int(h.id)] = UnkeyedEnd(position, digest, sealed)
        return out

    def heads(self) -> dict[int, tuple[int, str]]:
        """Each chain's head: its newest position and hash."""
        return {
            int(h.id): (int(h.last_seq), str(h.last_hash))
            for h in self.conn.execute(
                sa.select(audit_head.c.id, audit_head.c.last_seq, audit_head.c.last_hash)
            )
        }
