"""What every request can reach: settings, the engine, the security tools and the ownership
check, built once per app by ``thinfile.app.create_app`` and kept at ``app.state.context``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends
from sqlalchemy.engine import Engine
from starlette.requests import HTTPConnection

from thinfile.adapters import payment_gateway, real_name_verifier, sms_sender
from thinfile.http.ownership import Ownership
from thinfile.security.crypto import PiiCipher, pii_cipher
from thinfile.security.otp import CodePolicy
from thinfile.security.passwords import PasswordHasher
from thinfile.security.ratelimit import RateLimiter
from thinfile.security.tokens import TokenSigner
from thinfile.services.ports import PaymentGateway, RealNameVerifier, SmsSender
from thinfile.settings import Settings
from thinfile.store.db import make_engine

__all__ = [
    "POOL_SIZE",
    "AppContext",
    "Context",
    "build_context",
    "context_dependency",
    "get_context",
]

POOL_SIZE = 20
"""Database connections each process keeps open (as many again may open under a burst): a
request holds one at a time, and opening one on PostgreSQL costs more than most requests."""


@dataclass(frozen=True, slots=True)
class AppContext:
    """Long-lived collaborators of one app; ``app.state.context`` holds it. It opens no
    transaction of its own: routes and pages hand ``engine`` to a service, which does.

    ``ownership`` is the app's table of owned resources (and the owners it has looked up);
    a context built without one knows no owned resource, so every ownership check on it
    fails closed.
    """

    settings: Settings
    engine: Engine
    cipher: PiiCipher
    hasher: PasswordHasher
    tokens: TokenSigner
    limiter: RateLimiter
    sms: SmsSender
    real_name: RealNameVerifier
    codes: CodePolicy
    """The rules of one-time SMS sign-in codes (``THINFILE_SMS_CODE*``)."""
    gateway: PaymentGateway
    ownership: Ownership = field(default_factory=lambda: Ownership({}))


def build_context(settings: Settings, *, ownership: Ownership | None = None) -> AppContext:
    """Make the engine (it connects lazily) and the security tools from ``settings``."""
    engine = make_engine(settings.database_url, pool_size=POOL_SIZE, settings=settings)
    cipher = pii_cipher(settings)
    return AppContext(
        settings=settings,
        engine=engine,
        cipher=cipher,
        hasher=PasswordHasher(
            time_cost=settings.argon2_time_cost, memory_kib=settings.argon2_memory_kib
        ),
        tokens=TokenSigner(
            settings.token_secret.get_secret_value(), ttl_seconds=settings.token_ttl_seconds
        ),
        limiter=RateLimiter({name: settings.rate_spec(name) for name in settings.rate_limits}),
        sms=sms_sender(settings, engine, cipher),
        real_name=real_name_verifier(settings),
        codes=CodePolicy(
            ttl_seconds=settings.sms_code_ttl_seconds,
            max_attempts=settings.sms_code_max_attempts,
            resend_seconds=settings.sms_code_resend_seconds,
            per_phone=settings.sms_codes_per_phone,
            per_client=settings.sms_codes_per_client,
            wrong_tries_per_day=settings.sms_code_wrong_tries_per_day,
        ),
        gateway=payment_gateway(settings),
        ownership=ownership or Ownership({}),
    )


def get_context(connection: HTTPConnection) -> AppContext:
    """The app's :class:`AppContext`."""
    context: AppContext = connection.app.state.context
    return context


async def context_dependency(connection: HTTPConnection) -> AppContext:
    """:func:`get_context` as a dependency (async: no trip through the thread pool)."""
    return get_context(connection)


Context = Annotated[AppContext, Depends(context_dependency)]
"""A route's or page's parameter of type :class:`AppContext`."""
