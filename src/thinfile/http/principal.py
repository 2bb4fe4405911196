"""Who is calling: the signed access token both interfaces carry, and where from.

The API reads the token from ``Authorization: Bearer …`` (or an API key, see
``thinfile.api.deps``), the pages from their session cookie; either way the token is checked
here and the caller is an :class:`~thinfile.services.identity_records.Actor`.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Receive, Scope, Send

from thinfile.http.context import AppContext
from thinfile.services.identity import holder_of_token
from thinfile.services.identity_records import Actor
from thinfile.services.uow import token_check_scope

__all__ = ["TokenCheckReset", "actor_of_bearer", "actor_of_token", "client_address"]


def actor_of_token(context: AppContext, token: str) -> Actor:
    """The caller a signed, unexpired access token speaks for, provided its account is still
    active and has not revoked the token since (one indexed read of the account's token
    version); :class:`~thinfile.errors.AuthenticationError` otherwise."""
    return holder_of_token(context.engine, context.tokens.verify(token))


_Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def actor_of_bearer(context: AppContext, token: str) -> Actor:
    """:func:`actor_of_token` for the API, without a database trip of its own: the signature
    is checked now, and the account's token version in the first unit of work the request
    opens (:mod:`thinfile.services.uow`), before any row is read or written for it."""
    return holder_of_token(context.engine, context.tokens.verify(token), deferred=True)


class TokenCheckReset:
    """ASGI middleware: each request starts with no pending token check, even when a server
    runs several requests one after another in one task."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        pending = token_check_scope()
        reset = pending.set(None)
        try:
            await self.app(scope, receive, send)
        finally:
            pending.reset(reset)


def client_address(connection: HTTPConnection) -> str:
    """The client's address, as rate limits and sign-in records see it.

    The peer's address, unless the peer is one of ``settings.trusted_proxies``: then the
    nearest address in ``X-Forwarded-For`` that is not itself a trusted proxy (read from the
    right, since a client can write anything on the left). An unreadable entry ends the walk.
    """
    peer = connection.client.host if connection.client else "unknown"
    proxies = _networks(connection.app.state.context.settings.trusted_proxies)
    if not proxies or not _is_trusted(peer, proxies):
        return peer
    forwarded = ",".join(connection.headers.getlist("x-forwarded-for"))
    address = peer
    for entry in reversed([part.strip() for part in forwarded.split(",") if part.strip()]):
        if _parse(entry) is None:
            break
        address = entry
        if not _is_trusted(entry, proxies):
            break
    return address


@lru_cache(maxsize=8)
def _networks(proxies: tuple[str, ...]) -> tuple[_Network, ...]:
    return tuple(ipaddress.ip_network(text, strict=False) for text in proxies)


def _parse(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def _is_trusted(address: str, proxies: tuple[_Network, ...]) -> bool:
    parsed = _parse(address)
    return parsed is not None and any(parsed in network for network in proxies)
