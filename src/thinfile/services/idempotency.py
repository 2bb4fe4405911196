"""Idempotency keys for money-moving requests: the first response to a key is the only one.

A client sends ``Idempotency-Key: <unique string>`` with a payment or an application. The first
request with that key (within a scope, e.g. the caller and the route) *reserves* it, runs, and
*completes* it by storing its response; any repeat gets the stored response back, unchanged,
without running again. A repeat with a different body is a conflict; a repeat while the first is
still running is a conflict too (retry later). If the first request fails, the key is released
so the client can retry with it.

**Inside the use case's own transaction** (preferred: one transaction, nothing to release):
the work, then :func:`keep_in` with the response, then the audit row (last), then commit. A
repeat — at the same time or later — runs the work too, but its :func:`keep_in` finds the key
(waiting for the first to commit) and raises :class:`DuplicateRequest` with the first response:
the repeat rolls back, so the work takes effect once. A repeat the work refuses is answered from
:func:`stored_in`. A failure rolls the whole transaction back, key included.

``reserve_idempotent`` / ``complete_idempotent`` / ``release_idempotent`` are the older
three-transaction form, for work that commits on its own.

The HTTP layer wraps all this in ``thinfile.api.idempotency``; use these functions directly
only outside HTTP.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import cast

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from thinfile.errors import ConflictError
from thinfile.services.audit import Executor
from thinfile.services.identity_records import Sessions, now_utc
from thinfile.store.hot import Hot
from thinfile.store.identity_tables import idempotency_keys

__all__ = [
    "DuplicateRequest",
    "IdempotencyClaim",
    "StoredResponse",
    "complete_idempotent",
    "keep_in",
    "purge_idempotency_keys",
    "release_idempotent",
    "reserve_idempotent",
    "stored_in",
]


@dataclass(frozen=True, slots=True)
class StoredResponse:
    status_code: int
    body: str


@dataclass(frozen=True, slots=True)
class IdempotencyClaim:
    """A request's key: ``scope`` (caller and route), ``key``, and its body's fingerprint."""

    scope: str
    key: str
    request_hash: str


class DuplicateRequest(ConflictError):
    """A request with the same key committed first: roll back and answer with ``stored``."""

    code = "duplicate_request"

    def __init__(self, stored: StoredResponse) -> None:
        super().__init__("a request with this idempotency key finished first")
        self.stored = stored


def _where(scope: str, key: str) -> sa.ColumnElement[bool]:
    return sa.and_(idempotency_keys.c.scope == scope, idempotency_keys.c.key == key)


_LOOKUP = Hot(sa.select(idempotency_keys).where(
    idempotency_keys.c.scope == sa.bindparam("k_scope", type_=sa.String),
    idempotency_keys.c.key == sa.bindparam("k_key", type_=sa.String)))
_KEEP = {name: Hot(dialect.insert(idempotency_keys).on_conflict_do_nothing().returning(
    idempotency_keys.c.scope)) for name, dialect in (("postgresql", postgresql),
                                                     ("sqlite", sqlite))}


def _checked(row: sa.Row[tuple[object, ...]] | None, key: str,
             request_hash: str) -> StoredResponse:
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
    return StoredResponse(int(str(row.status_code)), str(row.response_body))


def _existing(sessions: Sessions, scope: str, key: str, request_hash: str) -> StoredResponse:
    with sessions.begin() as session:
        row = session.execute(sa.select(idempotency_keys).where(_where(scope, key))).first()
    return _checked(row, key, request_hash)


def stored_in(executor: Executor, claim: IdempotencyClaim) -> StoredResponse | None:
    """In the caller's transaction: the response stored for ``claim``'s key, or None if the key
    is new. A stored key with another request's fingerprint is a 409."""
    row = _LOOKUP.first(executor, {"k_scope": claim.scope, "k_key": claim.key})
    return None if row is None else _checked(row, claim.key, claim.request_hash)


def keep_in(executor: Executor, claim: IdempotencyClaim, *, status_code: int,
            body: str) -> None:
    """Store the response for ``claim`` in the caller's transaction. If a request with the same
    key committed meanwhile (this insert waits for it), raise :class:`DuplicateRequest` with
    its response: the caller rolls back and answers with that instead."""
    bind = executor.get_bind() if isinstance(executor, Session) else executor
    inserted = _KEEP[bind.dialect.name].first(executor, {
        "scope": claim.scope, "key": claim.key, "request_hash": claim.request_hash,
        "status_code": status_code, "response_body": body, "created_at": now_utc()})
    if inserted is None:
        row = _LOOKUP.first(executor, {"k_scope": claim.scope, "k_key": claim.key})
        raise DuplicateRequest(_checked(row, claim.key, claim.request_hash))


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
