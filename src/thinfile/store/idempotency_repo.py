"""Idempotency keys: the first response stored under a (scope, key), looked up and kept."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from thinfile.store.audit_repo import TAKE_HEAD_PG, TakenHead, taken_head
from thinfile.store.hot import Hot, on_driver
from thinfile.store.identity_tables import idempotency_keys

__all__ = ["IdempotencyRepository", "StoredKey"]


@dataclass(frozen=True, slots=True)
class StoredKey:
    """What is stored under an idempotency key: the request's fingerprint and its response
    (``status_code`` None while the first request is still being processed)."""

    request_hash: str
    status_code: int | None
    response_body: str | None


_LOOKUP = Hot(
    sa.select(
        idempotency_keys.c.request_hash,
        idempotency_keys.c.status_code,
        idempotency_keys.c.response_body,
    ).where(
        idempotency_keys.c.scope == sa.bindparam("k_scope", type_=sa.String),
        idempotency_keys.c.key == sa.bindparam("k_key", type_=sa.String),
    )
)
_KEEP = {
    name: Hot(
        dialect.insert(idempotency_keys)
        .on_conflict_do_nothing()
        .returning(idempotency_keys.c.scope)
    )
    for name, dialect in (("postgresql", postgresql), ("sqlite", sqlite))
}


_KEEP_AND_TAKE_HEAD_PG = f"""
WITH kept AS (
  INSERT INTO idempotency_keys (scope, key, request_hash, status_code, response_body, created_at)
  VALUES (%(scope)s::text, %(key)s::text, %(request_hash)s::text, %(status_code)s::int,
    %(response_body)s::text, %(created_at)s::timestamptz)
  ON CONFLICT DO NOTHING RETURNING scope
), head AS ({TAKE_HEAD_PG} AND EXISTS (SELECT FROM kept) RETURNING last_seq, last_hash)
SELECT (SELECT scope FROM kept), (SELECT last_seq FROM head), (SELECT last_hash FROM head)"""
"""PostgreSQL: keep the response and take the audit chain's head for the row appended next,
in one round trip; the head only once the key is kept (its condition reads ``kept``), so an
insert that waits for a concurrent holder of the key holds no chain's lock meanwhile."""


class IdempotencyRepository:
    """Stored responses by (scope, key), on one connection."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def find(self, scope: str, key: str) -> StoredKey | None:
        """What is stored under ``key``, or None."""
        row = _LOOKUP.first(self.conn, {"k_scope": scope, "k_key": key})
        return None if row is None else StoredKey(*row)

    def keep(
        self,
        *,
        scope: str,
        key: str,
        request_hash: str,
        status_code: int,
        body: str,
        created_at: datetime,
        audit_chain: int | None = None,
    ) -> tuple[bool, TakenHead | None]:
        """Store a response under ``key``; False when the key is taken (the insert waits for a
        concurrent transaction holding it to finish). With ``audit_chain`` (the chain of the
        audit row the transaction appends next, and last), PostgreSQL also takes that chain's
        head in the same statement once the key is kept, and returns it; else None (SQLite's
        statements cost no round trip)."""
        values = {
            "scope": scope,
            "key": key,
            "request_hash": request_hash,
            "status_code": status_code,
            "response_body": body,
            "created_at": created_at,
        }
        if audit_chain is None or self.conn.dialect.name != "postgresql":
            return _KEEP[self.conn.dialect.name].first(self.conn, values) is not None, None
        ((kept, position, prev_hash),) = on_driver(
            self.conn, _KEEP_AND_TAKE_HEAD_PG, {**values, "audit_chain": audit_chain}
        )
        return taken_head(audit_chain, kept is not None, position, prev_hash)
