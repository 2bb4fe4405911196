"""API keys for merchants and systems: random, shown once, stored only as a SHA-256 hash.

A key has 256 bits of randomness, so a fast hash is enough (no password stretching needed);
the prefix (``tfk_`` and the first characters) lets people recognise a key without revealing it.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

__all__ = ["KEY_PREFIX", "ApiKey", "hash_api_key", "new_api_key"]

KEY_PREFIX = "tfk_"
_VISIBLE = 8


@dataclass(frozen=True, slots=True)
class ApiKey:
    """A freshly made key: ``secret`` goes to its owner once, ``digest`` to the database."""

    secret: str
    prefix: str
    digest: str


def hash_api_key(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def new_api_key() -> ApiKey:
    secret = KEY_PREFIX + secrets.token_urlsafe(32)
    return ApiKey(
        secret=secret, prefix=secret[: len(KEY_PREFIX) + _VISIBLE], digest=hash_api_key(secret)
    )
