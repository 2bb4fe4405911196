"""Idempotency keys for money-moving requests: the first response to a key is the only one.

A client sends ``Idempotency-Key: <unique string>`` with a payment or an application. The first
request with that key (within a scope, e.g. the caller and the route) *reserves* it, runs, and
*completes* it by storing its response; any repeat gets the stored response back, unchanged,
without running again. A repeat with a different body is a conflict; a repeat while the first is
still running is a conflict too (retry later). If the first request fails, the key is released
so the client can retry with it.

The HTTP layer wraps all this in ``thinfile.api.idempotency``; use these functions directly
only outside HTTP.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import cast

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from thinfile.errors import ConflictError
from thinfile.services.identity_records import Sessions, now_utc
from thinfile.store.identity_tables import idempotency_keys

__all__ = [
    "StoredResponse",
    "complete_idempotent",
    "purge_idempotency_keys",
    "release_idempotent",
    "reserve_idempotent",
]


@dataclass(frozen=True, slots=True)
class StoredResponse:
    status_code: int
    body: str


def _where(scope: str, key: str) -> sa.ColumnElement[bool]:
    return sa.and_(idempotency_keys.c.scope == scope, idempotency_keys.c.key == key)


def _existing(sessions: Sessions, scope: str, key: str, request_hash: str) -> StoredResponse:
    with sessions.begin() as session:
        row = session.execute(sa.select(idempotency_keys).where(_where(scope, key))).first()
    if row is None:
        raise ConflictError("the idempotency key was released while checking it; retry",
                            field="Idempotency-Key", value=key)
    if row.request_hash != request_hash:
        raise ConflictError("this idempotency key was used for a different request",
                            field="Idempotency-Key", value=key,
                            remedy="use a new key for a new request")
    if row.status_code is None:
        raise ConflictError("a request with this idempotency key is still being processed",
                            field="Idempotency-Key", value=key, remedy="retry in a moment")
    return StoredResponse(int(row.status_code), str(row.response_body))


def reserve_idempotent(sessions: Sessions, *, scope: str, key: str,
                       request_hash: str) -> StoredResponse | None:
    """None when the key is new (now reserved); the stored response when it was used before."""
    try:
        with sessions.begin() as session:
            session.execute(sa.insert(idempotency_keys).values(
                scope=scope, key=key, request_hash=request_hash, status_code=None,
                response_body=None, created_at=now_utc()))
    except IntegrityError:
        return _existing(sessions, scope, key, request_hash)
    return None


def complete_idempotent(sessions: Sessions, *, scope: str, key: str, status_code: int,
                        body: str) -> None:
    with sessions.begin() as session:
        session.execute(sa.update(idempotency_keys).where(_where(scope, key))
                        .values(status_code=status_code, response_body=body))


def release_idempotent(sessions: Sessions, *, scope: str, key: str) -> None:
    with sessions.begin() as session:
        session.execute(sa.delete(idempotency_keys).where(
            _where(scope, key), idempotency_keys.c.status_code.is_(None)))


def purge_idempotency_keys(sessions: Sessions, *, before: datetime) -> int:
    """Forget keys created before ``before`` (clients retry within hours, not weeks)."""
    with sessions.begin() as session:
        result = session.execute(sa.delete(idempotency_keys).where(
            idempotency_keys.c.created_at < before))
        return int(cast("sa.CursorResult[tuple[()]]", result).rowcount)
