"""Idempotency for money-moving POSTs: a repeated ``Idempotency-Key`` replays the first response.

Preferred: the use case runs in **one transaction** with the key — do the work, store the
response under the key, append the audit row last, commit::

    @router.post("/loans/{loan_id}/payments", status_code=201, response_model=ReceiptPublic)
    def make_payment(loan_id: int, body: PaymentCreate, idem: Idempotent, owner: Owner,
                     ) -> Response:
        def work(uow: UnitOfWork) -> Done:
            receipt = payments.pay_in_unit(uow, ...)
            return receipt_public(receipt), AuditDraft(owner.label, "payment.post", ...)
        return idem.in_unit_of_work(work, status_code=201)

(``in_transaction`` does the same on a plain connection.) A failure rolls everything back,
key included. A repeat — at the same time or later — does the work again, finds the key taken
when it stores the response (waiting for the first to commit), rolls back and replays the first
response; so does a repeat the work refuses. Work must therefore have no effect outside the
transaction: count, notify or log after it returns.
:meth:`IdempotentRequest.run` is the older form for work that commits on its own: the key is
reserved, completed and released in transactions of their own.

The scope of a key is the caller plus the route, so two borrowers never collide; a replay
carries the header ``Idempotent-Replayed: true``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Annotated, TypeVar

from fastapi import Depends, Header, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from thinfile.api.context import AppContext, get_context
from thinfile.api.deps import authenticating, current_principal
from thinfile.errors import ConflictError, ThinfileError
from thinfile.services.audit import AuditDraft, Executor
from thinfile.services.idempotency import (
    DuplicateRequest,
    IdempotencyClaim,
    StoredResponse,
    complete_idempotent,
    keep_in,
    release_idempotent,
    reserve_idempotent,
    stored_in,
)
from thinfile.services.uow import UnitOfWork

__all__ = ["REPLAYED", "Done", "Idempotent", "IdempotentRequest", "idempotent_request"]

KEY_PATTERN = r"^[A-Za-z0-9_\-:.]{8,100}$"
_JSON = "application/json"
REPLAYED = "Idempotent-Replayed"
"""The header a replayed response carries (``true``)."""

Done = tuple[BaseModel, AuditDraft | None]
"""What transactional work returns: the response model and the audit row to append last."""
U = TypeVar("U")


@contextmanager
def _committed(engine_unit: UnitOfWork) -> Iterator[UnitOfWork]:
    with engine_unit as uow:
        yield uow
        uow.commit()


def _replayed(stored: StoredResponse) -> Response:
    return Response(stored.body, status_code=stored.status_code, media_type=_JSON,
                    headers={REPLAYED: "true"})


class IdempotentRequest:
    """One request holding an idempotency key; it runs at most once per key."""

    def __init__(self, context: AppContext, *, scope: str, key: str, request_hash: str) -> None:
        self._context = context
        self.scope = scope
        self.key = key
        self.request_hash = request_hash

    @property
    def context(self) -> AppContext:
        """The app's collaborators (sessions, cipher …), for the work this request runs."""
        return self._context

    @property
    def claim(self) -> IdempotencyClaim:
        return IdempotencyClaim(self.scope, self.key, self.request_hash)

    def in_transaction(self, work: Callable[[Connection], Done], *,
                       status_code: int = 200) -> Response:
        """Run ``work`` once per key, in one transaction with the key."""
        return self._once(self._context.engine.begin(), lambda c: c, work, status_code)

    def in_unit_of_work(self, work: Callable[[UnitOfWork], Done], *,
                        status_code: int = 200) -> Response:
        """Run ``work`` once per key, in one servicing unit of work with the key."""
        return self._once(_committed(UnitOfWork(self._context.engine)), lambda u: u.conn, work,
                          status_code)

    def _once(self, unit: AbstractContextManager[U], executor_of: Callable[[U], Executor],
              work: Callable[[U], Done], status_code: int) -> Response:
        """The work first, then the key: a first request (nearly every request) pays for no
        look-up. A repeat does the work again, finds the key taken when it stores it, rolls
        back and answers with the first response; a repeat the work refuses (the loan it paid
        is settled now, say) is answered from the key the same way."""
        claim = self.claim
        try:
            with unit as opened:
                executor = executor_of(opened)
                model, audit = work(opened)
                body = model.model_dump_json()
                keep_in(executor, claim, status_code=status_code, body=body)
                if audit is not None:
                    audit.append(executor)  # last: the audit chain's lock is held briefly
        except DuplicateRequest as first:
            return _replayed(first.stored)
        except IntegrityError:  # e.g. the same key raced on another resource
            return _replayed(self._after_race())
        except ThinfileError:
            stored = self._stored()
            if stored is None:
                raise
            return _replayed(stored)
        return Response(body, status_code=status_code, media_type=_JSON)

    def _stored(self) -> StoredResponse | None:
        with self._context.sessions.begin() as session:
            return stored_in(session, self.claim)

    def _after_race(self) -> StoredResponse:
        stored = self._stored()
        if stored is None:
            raise ConflictError("the request could not be completed", remedy="retry")
        return stored

    def run(self, produce: Callable[[], BaseModel], *, status_code: int = 200) -> Response:
        """The stored response for a repeated key, else ``produce()`` stored and returned
        (for work that commits on its own; prefer :meth:`in_transaction`)."""
        sessions = self._context.sessions
        stored = reserve_idempotent(sessions, scope=self.scope, key=self.key,
                                    request_hash=self.request_hash)
        if stored is not None:
            return _replayed(stored)
        try:
            result = produce()
        except BaseException:
            release_idempotent(sessions, scope=self.scope, key=self.key)
            raise
        body = result.model_dump(mode="json")
        complete_idempotent(sessions, scope=self.scope, key=self.key, status_code=status_code,
                            body=json.dumps(body, separators=(",", ":"), ensure_ascii=False))
        return JSONResponse(body, status_code=status_code)


@authenticating
async def idempotent_request(
    request: Request,
    idempotency_key: Annotated[str, Header(
        pattern=KEY_PATTERN,
        description="A unique key per intended operation; repeats replay the first response",
    )],
) -> IdempotentRequest:
    principal = await current_principal(request)
    raw = await request.body()
    route = getattr(request.scope.get("route"), "path", request.url.path)
    scope = f"{principal.user_id}:{request.method}:{route}"
    fingerprint = hashlib.sha256(request.url.path.encode() + b"\n" + raw).hexdigest()
    return IdempotentRequest(get_context(request), scope=scope[:200], key=idempotency_key,
                             request_hash=fingerprint)


Idempotent = Annotated[IdempotentRequest, Depends(idempotent_request)]
