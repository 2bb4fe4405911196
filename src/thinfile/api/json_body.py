"""JSON request bodies of the API read strictly: a key given twice, or a body that is not
JSON, is refused before any route sees it.

A JSON object may name a key twice and the standard parser keeps the last value silently:
``{"amount": "1.00", "amount": "2000.00"}`` posted 2,000.00. :class:`JsonBodyCheck` parses
each ``/v1`` body sent as JSON once with a hook that refuses a repeated key (422
``invalid_input`` naming it), and turns a malformed body into a 422 naming ``body`` with the
line and column — instead of a field called after the character's position, or a bare 400
for a number too long to read. The route then parses the same bytes as before.

Every ``/v1`` body is JSON: a body sent without ``Content-Type: application/json`` (none,
``text/plain``, a form) is refused with 415 ``unsupported_media_type`` naming
``Content-Type``, rather than read as no object at all (and past the checks above). The
payment gateway's signed notifications are the exception: their route reads the raw bytes
and checks the signature first.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from thinfile.api.errors import render
from thinfile.errors import (
    InvalidInputError,
    PayloadTooLargeError,
    ThinfileError,
    UnsupportedMediaTypeError,
)

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


def _media_type(scope: Scope) -> str:
    """The request's ``Content-Type`` without its parameters, lower case ("" when none)."""
    for name, value in scope.get("headers", ()):
        if name.lower() == b"content-type":
            kind: bytes = value.split(b";", 1)[0].strip().lower()
            return kind.decode("latin-1")
    return ""


def _is_json(kind: str) -> bool:
    return kind == "application/json" or kind.endswith("+json")


def _not_json(kind: str) -> UnsupportedMediaTypeError:
    sent = f"as {kind}" if kind else "without a Content-Type"
    return UnsupportedMediaTypeError(
        f"the body is sent {sent}; the API reads JSON only",
        field="Content-Type",
        value=kind[:60] or None,
        remedy="send the body as JSON with the header Content-Type: application/json",
    )


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


_RAW_BODIES = frozenset({"/v1/gateway/notifications"})
"""Routes that read their body as the bytes a signature covers, whatever it is sent as (the
signature, not the media type, decides): checked as JSON only when sent as JSON."""


def _refusal(scope: Scope, body: bytes) -> ThinfileError | None:
    """Why a ``/v1`` write's ``body`` is refused, or None (no body, or JSON to read)."""
    if not body.strip():
        return None
    kind = _media_type(scope)
    if _is_json(kind):
        return _problem(body)
    return None if scope["path"] in _RAW_BODIES else _not_json(kind)


class JsonBodyCheck:
    """ASGI middleware: ``/v1`` writes with a body are checked by :func:`_problem`; a body
    that is not sent as JSON is refused (415)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] not in _WRITES
            or not scope["path"].startswith("/v1/")
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
        wrong = _refusal(scope, body)
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
