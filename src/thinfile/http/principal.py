"""Who is calling: the signed access token both interfaces carry, and where from.

The API reads the token from ``Authorization: Bearer …`` (or an API key, see
``thinfile.api.deps``), the pages from their session cookie; either way the token is checked
here and the caller is an :class:`~thinfile.services.identity_records.Actor`.
"""

from __future__ import annotations

from starlette.requests import HTTPConnection

from thinfile.http.context import AppContext
from thinfile.services.identity_records import Actor

__all__ = ["actor_of_token", "client_address"]


def actor_of_token(context: AppContext, token: str) -> Actor:
    """The caller a signed, unexpired access token speaks for (a signature check, no
    database); :class:`~thinfile.errors.AuthenticationError` otherwise."""
    claims = context.tokens.verify(token)
    return Actor(user_id=claims.user_id, role=claims.role)


def client_address(connection: HTTPConnection) -> str:
    """The client's address, as rate limits and sign-in records see it."""
    return connection.client.host if connection.client else "unknown"
