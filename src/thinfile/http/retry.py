"""Run an idempotent request once more when the database connection was lost under it.

A pooled connection in steady use is not pinged before it is handed out (that would cost a
round trip on every request; see :data:`thinfile.store.db.PING_AFTER_IDLE_SECONDS`), so a
server restart or a killed backend surfaces as an error in the first statement of some
request. SQLAlchemy then invalidates the pool, so the next checkout gets a fresh connection.
:class:`RetryOnDisconnect` runs such a request once more — only when running it twice cannot
do twice what it does: a read (``GET``, ``HEAD``, ``OPTIONS``) or a request carrying an
``Idempotency-Key`` (a repeat returns the first result or posts once), and only while no
byte of the response was sent. Any other request, or a second loss, gets the error as before.
"""

from __future__ import annotations

import logging

from sqlalchemy.exc import DBAPIError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["RetryOnDisconnect"]

log = logging.getLogger("thinfile.http")

_READS = {"GET", "HEAD", "OPTIONS"}


def _is_idempotent(scope: Scope) -> bool:
    if scope["method"] in _READS:
        return True
    return any(name.lower() == b"idempotency-key" for name, _ in scope.get("headers", ()))


async def _body(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b"".join(chunks)
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


class RetryOnDisconnect:
    """ASGI middleware: an idempotent request that lost its database connection runs again,
    once."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not _is_idempotent(scope):
            await self.app(scope, receive, send)
            return
        body = await _body(receive)
        started = False

        async def sending(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        def replaying() -> Receive:
            given = False

            async def receive_again() -> Message:
                nonlocal given
                if given:
                    return await receive()  # a disconnect, when the client goes away
                given = True
                return {"type": "http.request", "body": body, "more_body": False}

            return receive_again

        try:
            await self.app(scope, replaying(), sending)
        except DBAPIError as error:
            if started or not error.connection_invalidated:
                raise
            log.warning(
                "the database connection was lost under %s %s; running it once more",
                scope["method"],
                scope["path"],
            )
            await self.app(scope, replaying(), sending)
