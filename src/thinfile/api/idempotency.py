"""Idempotency for state-changing POSTs: a repeated ``Idempotency-Key`` replays the first response.

The service owns the transaction (:func:`thinfile.services.idempotency.run_once`): the use
case's in-unit work, the response stored under the key and the audit row (appended last)
commit once, or roll back together. A route hands over the work and how to render its result::

    @router.post("/credit-lines/{line_id}/draws", status_code=201, ...)
    def draw(line_id: LineId, body: DrawCreate, owner: Owner, idem: Idempotent) -> Response:
        return idem.once(lambda uow: credit_lines.draw_today(uow, owner.label, line_id, ...),
                         render=lambda loan: loan_summary(...), status_code=201)

A repeat — at the same time or later — replays the first response with the header
``Idempotent-Replayed: true``; a repeat with another body is a 409. The scope of a key is the
caller plus the route, so two borrowers never collide.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Annotated, TypeVar

from fastapi import Depends, Header, Request
from fastapi.responses import Response
from pydantic import BaseModel

from thinfile.api.deps import authenticating, current_principal
from thinfile.http import AppContext, get_context
from thinfile.services.idempotency import Answer, Done, IdempotencyClaim, run_once
from thinfile.services.uow import UnitOfWork

__all__ = ["REPLAYED", "Done", "Idempotent", "IdempotentRequest", "idempotent_request"]

KEY_PATTERN = r"^[A-Za-z0-9_\-:.]{8,100}$"
_JSON = "application/json"
REPLAYED = "Idempotent-Replayed"
"""The header a replayed response carries (``true``)."""
T = TypeVar("T")


def answered(answer: Answer[T]) -> Response:
    """The HTTP response to an idempotent request's answer (a replay carries
    :data:`REPLAYED`)."""
    if not answer.replayed:
        return Response(answer.body, status_code=answer.status_code, media_type=_JSON)
    return Response(
        _marked_replayed(answer.body),
        status_code=answer.status_code,
        media_type=_JSON,
        headers={REPLAYED: "true"},
    )


def _marked_replayed(body: str) -> str:
    """The stored body with its ``replayed`` field (a receipt's) saying what the header says:
    the body was stored when the work took effect, so it says ``false``."""
    try:
        parsed = json.loads(body)
    except ValueError:
        return body
    if not isinstance(parsed, dict) or parsed.get("replayed") is not False:
        return body
    return json.dumps({**parsed, "replayed": True}, ensure_ascii=False, separators=(",", ":"))


class IdempotentRequest:
    """One request holding an idempotency key; it runs at most once per key."""

    def __init__(self, context: AppContext, *, scope: str, key: str, request_hash: str) -> None:
        self._context = context
        self.scope = scope
        self.key = key
        self.request_hash = request_hash

    @property
    def context(self) -> AppContext:
        """The app's collaborators (engine, cipher …), for the work this request runs."""
        return self._context

    @property
    def claim(self) -> IdempotencyClaim:
        return IdempotencyClaim(self.scope, self.key, self.request_hash)

    def answer(
        self,
        work: Callable[[UnitOfWork], Done[T]],
        *,
        render: Callable[[T], BaseModel],
        status_code: int = 200,
    ) -> Answer[T]:
        """Run ``work`` once per key (:func:`~thinfile.services.idempotency.run_once`), its
        result rendered as ``render`` says; the answer, to count or log after it."""
        return run_once(
            self._context.engine,
            self.claim,
            work,
            render=lambda result: render(result).model_dump_json(),
            status_code=status_code,
        )

    def once(
        self,
        work: Callable[[UnitOfWork], Done[T]],
        *,
        render: Callable[[T], BaseModel],
        status_code: int = 200,
    ) -> Response:
        """:meth:`answer` as the HTTP response."""
        return answered(self.answer(work, render=render, status_code=status_code))


def _canonical(raw: bytes) -> bytes:
    """The body as a request's fingerprint: a JSON body written one way (keys in order, no
    spaces), so a client that serialises the same request again — other spacing, other key
    order — gets its first answer back rather than a conflict; other bodies as sent."""
    try:
        parsed = json.loads(raw)
    except ValueError:  # not JSON (or not UTF-8): the bytes themselves
        return raw
    return json.dumps(parsed, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


@authenticating
async def idempotent_request(
    request: Request,
    idempotency_key: Annotated[
        str,
        Header(
            pattern=KEY_PATTERN,
            description="A unique key per intended operation; repeats replay the first response",
        ),
    ],
) -> IdempotentRequest:
    principal = await current_principal(request)
    raw = await request.body()
    route = getattr(request.scope.get("route"), "path", request.url.path)
    scope = f"{principal.user_id}:{request.method}:{route}"
    fingerprint = hashlib.sha256(request.url.path.encode() + b"\n" + _canonical(raw)).hexdigest()
    return IdempotentRequest(
        get_context(request), scope=scope[:200], key=idempotency_key, request_hash=fingerprint
    )


Idempotent = Annotated[IdempotentRequest, Depends(idempotent_request)]
