"""Short-lived signed access tokens (itsdangerous, HMAC-SHA256 with a timestamp)."""

from __future__ import annotations

from dataclasses import dataclass

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from thinfile.errors import AuthenticationError
from thinfile.security.roles import Role

__all__ = ["TokenClaims", "TokenSigner"]

_SALT = "thinfile.access-token.v1"


@dataclass(frozen=True, slots=True)
class TokenClaims:
    """Who a token speaks for."""

    user_id: str
    role: Role


class TokenSigner:
    """Issues and checks bearer tokens that expire after ``ttl_seconds``."""

    def __init__(self, secret: str, *, ttl_seconds: int) -> None:
        self._serializer = URLSafeTimedSerializer(secret, salt=_SALT)
        self.ttl_seconds = ttl_seconds

    def issue(self, claims: TokenClaims) -> str:
        return str(self._serializer.dumps({"sub": claims.user_id, "role": claims.role.value}))

    def verify(self, token: str) -> TokenClaims:
        """The claims of a valid, unexpired token; :class:`AuthenticationError` otherwise."""
        try:
            data = self._serializer.loads(token, max_age=self.ttl_seconds)
        except SignatureExpired:
            raise AuthenticationError(
                "the access token has expired", remedy="sign in again"
            ) from None
        except BadSignature:
            raise AuthenticationError("the access token is not valid", remedy="sign in") from None
        try:
            return TokenClaims(user_id=str(data["sub"]), role=Role(data["role"]))
        except (KeyError, TypeError, ValueError):
            raise AuthenticationError("the access token is not valid", remedy="sign in") from None
