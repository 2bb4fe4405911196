"""What every request can reach: settings, the engine and the security tools, built once per app."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.engine import Engine
from starlette.requests import HTTPConnection

from thinfile.security.crypto import PiiCipher, pii_cipher
from thinfile.security.passwords import PasswordHasher
from thinfile.security.ratelimit import RateLimiter
from thinfile.security.tokens import TokenSigner
from thinfile.settings import Settings
from thinfile.store.db import make_engine

__all__ = ["AppContext", "OwnerMemo", "build_context", "context_dependency", "get_context"]

POOL_SIZE = 20
"""Database connections each process keeps open (as many again may open under a burst): a
request holds one at a time, and opening one on PostgreSQL costs more than most requests."""


class OwnerMemo:
    """Owners of resources whose owner never changes, as this process has looked them up."""

    def __init__(self, capacity: int = 200_000) -> None:
        self._owners: dict[tuple[str, str], str] = {}
        self._capacity = capacity

    def get(self, resource: tuple[str, str]) -> str | None:
        return self._owners.get(resource)

    def remember(self, resource: tuple[str, str], owner: str) -> None:
        if len(self._owners) >= self._capacity:
            self._owners.clear()
        self._owners[resource] = owner


@dataclass(frozen=True, slots=True)
class AppContext:
    """Long-lived collaborators of one app; ``app.state.context`` holds it."""

    settings: Settings
    engine: Engine
    cipher: PiiCipher
    hasher: PasswordHasher
    tokens: TokenSigner
    limiter: RateLimiter
    owners: OwnerMemo = field(default_factory=OwnerMemo)


def build_context(settings: Settings) -> AppContext:
    """Make the engine (it connects lazily) and the security tools from ``settings``."""
    engine = make_engine(settings.database_url, pool_size=POOL_SIZE)
    return AppContext(
        settings=settings,
        engine=engine,
        cipher=pii_cipher(settings),
        hasher=PasswordHasher(time_cost=settings.argon2_time_cost,
                              memory_kib=settings.argon2_memory_kib),
        tokens=TokenSigner(settings.token_secret.get_secret_value(),
                           ttl_seconds=settings.token_ttl_seconds),
        limiter=RateLimiter({name: settings.rate_spec(name) for name in settings.rate_limits}),
    )


def get_context(connection: HTTPConnection) -> AppContext:
    """Dependency: the app's :class:`AppContext`."""
    context: AppContext = connection.app.state.context
    return context


async def context_dependency(connection: HTTPConnection) -> AppContext:
    """:func:`get_context` as a dependency (async: no trip through the thread pool)."""
    return get_context(connection)
