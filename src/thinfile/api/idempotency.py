"""Idempotency for money-moving POSTs: a repeated ``Idempotency-Key`` replays the first response.

Use it in a route like this (the key header is required; the response model documents the
body)::

    @router.post("/loans/{loan_id}/payments", status_code=201, response_model=PaymentPublic)
    def make_payment(loan_id: str, body: PaymentCreate, idem: Idempotent,
                     principal: Owner) -> Response:
        return idem.run(lambda: to_public(payments.pay(...)), status_code=201)

The scope of a key is the caller plus the route, so two borrowers never collide; a replay
carries the header ``Idempotent-Replayed: true``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Header, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel

from thinfile.api.context import AppContext, get_context
from thinfile.api.deps import current_principal
from thinfile.services.idempotency import (
    complete_idempotent,
    release_idempotent,
    reserve_idempotent,
)
from thinfile.services.identity_records import Actor

__all__ = ["Idempotent", "IdempotentRequest", "idempotent_request"]

KEY_PATTERN = r"^[A-Za-z0-9_\-:.]{8,100}$"


class IdempotentRequest:
    """One request holding an idempotency key; :meth:`run` executes it at most once."""

    def __init__(self, context: AppContext, *, scope: str, key: str, request_hash: str) -> None:
        self._context = context
        self.scope = scope
        self.key = key
        self.request_hash = request_hash

    def run(self, produce: Callable[[], BaseModel], *, status_code: int = 200) -> Response:
        """The stored response for a repeated key, else ``produce()`` stored and returned."""
        sessions = self._context.sessions
        stored = reserve_idempotent(sessions, scope=self.scope, key=self.key,
                                    request_hash=self.request_hash)
        if stored is not None:
            return Response(stored.body, status_code=stored.status_code,
                            media_type="application/json",
                            headers={"Idempotent-Replayed": "true"})
        try:
            result = produce()
        except BaseException:
            release_idempotent(sessions, scope=self.scope, key=self.key)
            raise
        body = result.model_dump(mode="json")
        complete_idempotent(sessions, scope=self.scope, key=self.key, status_code=status_code,
                            body=json.dumps(body, separators=(",", ":"), ensure_ascii=False))
        return JSONResponse(body, status_code=status_code)


async def idempotent_request(
    request: Request,
    idempotency_key: Annotated[str, Header(
        pattern=KEY_PATTERN,
        description="A unique key per intended operation; repeats replay the first response",
    )],
    principal: Annotated[Actor, Depends(current_principal)],
) -> IdempotentRequest:
    raw = await request.body()
    route = getattr(request.scope.get("route"), "path", request.url.path)
    scope = f"{principal.user_id}:{request.method}:{route}"
    fingerprint = hashlib.sha256(request.url.path.encode() + b"\n" + raw).hexdigest()
    return IdempotentRequest(get_context(request), scope=scope[:200], key=idempotency_key,
                             request_hash=fingerprint)


Idempotent = Annotated[IdempotentRequest, Depends(idempotent_request)]
