"""Idempotency keys for state-changing requests: the first response to a key is the only one.

A client sends ``Idempotency-Key: <unique string>`` with a payment, an application, an
acceptance… The first request with that key (within a scope: the caller and the route) runs and
stores its response under the key; any repeat gets the stored response back, unchanged, and
the work takes effect once. A repeat with a different body is a conflict (409).

:func:`run_once` is the one form, and it owns the transaction: one unit of work holds the
use case's work, the stored response and the audit row (appended last), committed once::

    answer = run_once(engine, claim, lambda uow: payments.pay_today(uow, …),
                      render=lambda receipt: receipt_public(receipt).model_dump_json(),
                      status_code=201)

The work runs first and the key is stored after it, so a first request (nearly every request)
pays for no look-up. A repeat — at the same time or later — does the work again, finds the key
taken when it stores it (:func:`keep_in` waits for the first to commit), rolls back and answers
with the first response; a repeat the work refuses (the offer it accepted is taken now, say) is
answered from the key the same way. A failure rolls everything back, key included, so the
client may retry with the same key. Work must therefore have no effect outside the
transaction: count, notify or log after :func:`run_once` returns (``Answer.replayed`` says
whether the work took effect now).

The HTTP layer passes the claim and the renderer (``thinfile.api.idempotency``); the pages and
the command line have no keys of this kind.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from thinfile.errors import ConflictError, ThinfileError
from thinfile.services.audit import AuditDraft
from thinfile.services.identity_records import now_utc
from thinfile.services.uow import UnitOfWork
from thinfile.store.audit_repo import TakenHead
from thinfile.store.idempotency_repo import StoredKey

__all__ = [
    "Answer",
    "Done",
    "DuplicateRequest",
    "IdempotencyClaim",
    "StoredResponse",
    "keep_in",
    "run_once",
    "stored_in",
]

T = TypeVar("T")

Done = tuple[T, AuditDraft | None]
"""What a use case's in-unit work returns: its result and the audit row to append last."""


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


@dataclass(frozen=True, slots=True)
class Answer(Generic[T]):
    """The response to a request with a key: the body stored under it, and ``result`` when
    the work took effect now (``replayed`` is False)."""

    status_code: int
    body: str
    replayed: bool
    result: T | None = None


class DuplicateRequest(ConflictError):
    """A request with the same key committed first: roll back and answer with ``stored``."""

    code = "duplicate_request"

    def __init__(self, stored: StoredResponse) -> None:
        super().__init__("a request with this idempotency key finished first")
        self.stored = stored


def _checked(row: StoredKey | None, key: str, request_hash: str) -> StoredResponse:
    if row is None:
        raise ConflictError(
            "the idempotency key was released while checking it; retry",
            field="Idempotency-Key",
            value=key,
        )
    if row.request_hash != request_hash:
        raise ConflictError(
            "this idempotency key was used for a different request",
            field="Idempotency-Key",
            value=key,
            remedy="use a new key for a new request",
        )
    if row.status_code is None or row.response_body is None:
        raise ConflictError(
            "a request with this idempotency key is still being processed",
            field="Idempotency-Key",
            value=key,
            remedy="retry in a moment",
        )
    return StoredResponse(row.status_code, row.response_body)


def stored_in(uow: UnitOfWork, claim: IdempotencyClaim) -> StoredResponse | None:
    """In ``uow``: the response stored for ``claim``'s key, or None if the key is new. A
    stored key with another request's fingerprint is a 409."""
    row = uow.idempotency.find(claim.scope, claim.key)
    return None if row is None else _checked(row, claim.key, claim.request_hash)


def keep_in(
    uow: UnitOfWork,
    claim: IdempotencyClaim,
    *,
    status_code: int,
    body: str,
    audit_chain: int | None = None,
) -> TakenHead | None:
    """Store the response for ``claim`` in ``uow``. If a request with the same key committed
    meanwhile (this insert waits for it), raise :class:`DuplicateRequest` with its response:
    the caller rolls back and answers with that instead. ``audit_chain``: the chain of the
    audit row appended next; on PostgreSQL the key's own statement takes its head, returned
    for :meth:`AuditDraft.append` (one round trip fewer for every audited keyed request)."""
    kept, taken = uow.idempotency.keep(
        scope=claim.scope,
        key=claim.key,
        request_hash=claim.request_hash,
        status_code=status_code,
        body=body,
        created_at=now_utc(),
        audit_chain=audit_chain,
    )
    if not kept:
        row = uow.idempotency.find(claim.scope, claim.key)
        raise DuplicateRequest(_checked(row, claim.key, claim.request_hash))
    return taken


def run_once(
    engine: Engine,
    claim: IdempotencyClaim,
    work: Callable[[UnitOfWork], Done[T]],
    *,
    render: Callable[[T], str],
    status_code: int = 200,
) -> Answer[T]:
    """Run ``work`` at most once per key, in one unit of work with the key, the response
    ``render`` makes of its result, and its audit row (appended last); commit once."""
    try:
        with UnitOfWork(engine) as uow:
            result, audit = work(uow)
            body = render(result)
            chain = None if audit is None else audit.chain  # None: rows for several chains
            taken = keep_in(uow, claim, status_code=status_code, body=body, audit_chain=chain)
            if audit is not None:
                audit.append(uow, taken=taken)  # last: the audit chain's lock is held briefly
            uow.commit()
    except DuplicateRequest as first:
        return _replayed(first.stored)
    except IntegrityError:  # e.g. the same key raced on another resource
        return _replayed(_after_race(engine, claim))
    except ThinfileError:
        stored = _stored(engine, claim)
        if stored is None:
            raise
        return _replayed(stored)
    return Answer(status_code, body, False, result)


def _replayed(stored: StoredResponse) -> Answer[T]:
    return Answer(stored.status_code, stored.body, True)


def _stored(engine: Engine, claim: IdempotencyClaim) -> StoredResponse | None:
    with UnitOfWork(engine) as uow:
        return stored_in(uow, claim)


def _after_race(engine: Engine, claim: IdempotencyClaim) -> StoredResponse:
    stored = _stored(engine, claim)
    if stored is None:
        raise ConflictError("the request could not be completed", remedy="retry")
    return stored
