"""Short-lived signed access tokens (itsdangerous, HMAC-SHA256 with a timestamp).

A token carries its account's *token version* (``ver``): deactivating the account or changing
its password raises the stored version, and every request compares the two
(:func:`thinfile.services.identity.holder_of_token`), so a revoked token is refused at once
rather than when it expires. Tokens signed before HMAC-SHA256 (HMAC-SHA1, salt ``v1``) are
simply not valid.

A process remembers the tokens whose signatures it has checked with their expiry, so a
client's every request after its first costs a dictionary look-up and a clock reading instead
of decoding and an HMAC; the signature says nothing about revocation, which is checked anew on
every request.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from thinfile.errors import AuthenticationError
from thinfile.security.roles import Role

__all__ = ["TokenClaims", "TokenSigner"]

_SALT = "thinfile.access-token.v2"
_DIGEST = hashlib.sha256


@dataclass(frozen=True, slots=True)
class TokenClaims:
    """Who a token speaks for."""

    user_id: str
    role: Role
    version: int = 0
    """The account's token version when the token was issued."""


class TokenSigner:
    """Issues and checks bearer tokens that expire after ``ttl_seconds``."""

    def __init__(self, secret: str, *, ttl_seconds: int, remember: int = 100_000) -> None:
        self._serializer = URLSafeTimedSerializer(
            secret, salt=_SALT, signer_kwargs={"digest_method": _DIGEST}
        )
        self.ttl_seconds = ttl_seconds
        self._verified: dict[str, tuple[TokenClaims, float]] = {}
        self._remember = remember

    def issue(self, claims: TokenClaims) -> str:
        return str(
            self._serializer.dumps(
                {"sub": claims.user_id, "role": claims.role.value, "ver": claims.version}
            )
        )

    def verify(self, token: str) -> TokenClaims:
        """The claims of a validly signed, unexpired token; :class:`AuthenticationError`
        otherwise. Whether the account still honours the token is the caller's check."""
        known = self._verified.get(token)
        if known is not None:
            claims, expires = known
            if time.time() <= expires:
                return claims
            self._verified.pop(token, None)
            raise _expired()
        try:
            data, signed_at = self._serializer.loads(
                token, max_age=self.ttl_seconds, return_timestamp=True
            )
        except SignatureExpired:
            raise _expired() from None
        except BadSignature:
            raise AuthenticationError("the access token is not valid", remedy="sign in") from None
        try:
            claims = TokenClaims(
                user_id=str(data["sub"]), role=Role(data["role"]), version=int(data["ver"])
            )
        except (KeyError, TypeError, ValueError):
            raise AuthenticationError("the access token is not valid", remedy="sign in") from None
        if len(self._verified) >= self._remember:
            self._verified.clear()
        self._verified[token] = (claims, signed_at.timestamp() + self.ttl_seconds)
        return claims


def _expired() -> AuthenticationError:
    return AuthenticationError("the access token has expired", remedy="sign in again")
