"""JSON request bodies of the API read strictly: a key given twice, or a body that is not
JSON, is refused before any route sees it.

A JSON object may name a key twice and the standard parser keeps the last value silently:
``{"amount": "1.00", "amount": "2000.00"}`` posted 2,000.00. :class:`JsonBodyCheck` parses
each ``/v1`` body sent as JSON once with a hook that refuses a repeated key (422
``invalid_input`` naming it), and turns a malformed body into a 422 naming ``body`` with the
line and column — instead of a field called after the character's position, or a bare 400
for a number too long to read. The route then parses the same bytes as before.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from thinfile.api.errors import render
from thinfile.errors import InvalidInputError, PayloadTooLargeError, ThinfileError

__all__ = ["JsonBodyCheck"]

_WRITES = {"POST", "PUT", "PATCH", "DELETE"}


class _Twice(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _once(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _Twice(key)
        out[key] = value
    return out


def _is_json(scope: Scope) -> bool:
    for name, value in scope.get("headers", ()):
        if name.lower() == b"content-type":
            kind: bytes = value.split(b";", 1)[0].strip().lower()
            return kind == b"application/json" or kind.endswith(b"+json")
    return False


def _unpaired(value: object, field: str = "body") -> str | None:
    """The field holding a string with an unpaired UTF-16 surrogate (``"\\ud800"`` escaped in
    JSON reads as one, and is no character: it cannot be stored or written back), if any."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return field
        return None
    if isinstance(value, dict):
        if any(_unpaired(k) for k in value):  # a key is no field to name
            return "body"
        return next((f for k, v in value.items() if (f := _unpaired(v, k)) is not None), None)
    if isinstance(value, list):
        return next((f for v in value if (f := _unpaired(v, field)) is not None), None)
    return None


def _problem(body: bytes) -> InvalidInputError | None:
    """What is wrong with a JSON ``body``, or None when it reads as JSON, each key once, and
    every string is text."""
    try:
        parsed = json.loads(body, object_pairs_hook=_once)
    except _Twice as twice:
        return InvalidInputError(
            f"{twice.key!r} is given more than once",
            field=twice.key,
            remedy="send each field once",
        )
    except json.JSONDecodeError as bad:
        return InvalidInputError(
            f"the body is not valid JSON: {bad.msg} (line {bad.lineno}, column {bad.colno})",
            field="body",
            remedy="send one JSON object",
        )
    except (ValueError, RecursionError):  # a number of thousands of digits, nesting too deep
        return InvalidInputError(
            "the body is not JSON thinfile can read: a number too long or nesting too deep",
            field="body",
            remedy="send amounts as decimal strings and one flat JSON object",
        )
    if b"\\u" in body and (field := _unpaired(parsed)) is not None:  # only escapes make one
        return InvalidInputError(
            "a string holds an unpaired surrogate escape (such as \\ud800), which is no character",
            field=field,
            remedy="send text as UTF-8, or escape a character outside the BMP as a surrogate pair",
        )
    return None


class JsonBodyCheck:
    """ASGI middleware: ``/v1`` writes with a JSON body are checked by :func:`_problem`."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] not in _WRITES
            or not scope["path"].startswith("/v1/")
            or not _is_json(scope)
        ):
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        try:
            while True:
                message = await receive()
                if message["type"] != "http.request":
                    break
                chunks.append(message.get("body", b""))
                if not message.get("more_body", False):
                    break
        except HTTPException as refused:  # the size limit, counting as the body arrives
            await _send_error(PayloadTooLargeError(str(refused.detail)), scope, receive, send)
            return
        body = b"".join(chunks)
        wrong = _problem(body) if body.strip() else None
        if wrong is not None:
            await _send_error(wrong, scope, receive, send)
            return
        given = False

        async def replay() -> Message:
            nonlocal given
            if given:
                return await receive()
            given = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)


async def _send_error(error: ThinfileError, scope: Scope, receive: Receive, send: Send) -> None:
    response = render(error.status, error.code, error.message, error.details())
    await response(scope, receive, send)
