"""Idempotency keys: the first response stored under a (scope, key), looked up and kept."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from thinfile.store.hot import Hot, HotRow
from thinfile.store.identity_tables import idempotency_keys

__all__ = ["IdempotencyRepository"]

_LOOKUP = Hot(
    sa.select(idempotency_keys).where(
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


class IdempotencyRepository:
    """Stored responses by (scope, key), on one connection."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def find(self, scope: str, key: str) -> HotRow | None:
        """The row stored under ``key`` (``request_hash``, ``status_code``,
        ``response_body``), or None."""
        return _LOOKUP.first(self.conn, {"k_scope": scope, "k_key": key})

    def keep(
        self,
        *,
        scope: str,
        key: str,
        request_hash: str,
        status_code: int,
        body: str,
        created_at: datetime,
    ) -> bool:
        """Store a response under ``key``; False when the key is taken (the insert waits for a
        concurrent transaction holding it to finish)."""
        inserted = _KEEP[self.conn.dialect.name].first(
            self.conn,
            {
                "scope": scope,
                "key": key,
                "request_hash": request_hash,
                "status_code": status_code,
                "response_body": body,
                "created_at": created_at,
            },
        )
        return inserted is not None
