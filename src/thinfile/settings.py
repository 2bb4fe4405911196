"""The one typed settings object, read from ``THINFILE_*`` environment variables.

Every part of thinfile reads its configuration here: the HTTP service, the pages, the
commands and the engine factory. Settings are validated when they are built (at start-up),
never at import time, and nothing connects while they are read. :func:`load_settings` is the
start-up path: it turns a bad variable into one readable :class:`InvalidInputError` naming it,
and outside development mode (``THINFILE_ENV=production``) it refuses the built-in
development secrets: the token secret, the personal-data encryption keys and the lookup-hash
key must be set.

=================================  =================================================  =========
variable                           what it sets                                       default
=================================  =================================================  =========
``THINFILE_ENV``                   ``development`` or ``production``                  development
``THINFILE_HOME``                  folder for the default database, models, reports   ``var``
``THINFILE_DATABASE_URL``          SQLAlchemy URL; unset: SQLite under the home       unset
``THINFILE_MIGRATE_ON_START``      apply migrations when the service starts           true
``THINFILE_MODEL_DIR``             a model directory to register at start-up          unset
``THINFILE_THREADS``               threads of a process running routes                4
``THINFILE_TOKEN_SECRET``          signs access tokens                                dev value
``THINFILE_TOKEN_TTL_SECONDS``     life of an access token                            900
``THINFILE_PII_KEYS``              JSON map: key id → base64 AES-256 key              dev key
``THINFILE_PII_ACTIVE_KEY_ID``     the key that seals new personal data               dev
``THINFILE_LOOKUP_KEY``            HMAC key for ID-number and phone lookups           dev value
``THINFILE_ARGON2_TIME_COST``      password hashing passes                            3
``THINFILE_ARGON2_MEMORY_KIB``     password hashing memory                            65536
``THINFILE_MAX_BODY_BYTES``        largest request body                               65536
``THINFILE_RATE_LIMITS``           JSON map: limit name → ``COUNT/SECONDS``           see below
``THINFILE_DISPLAY_TIMEZONE``      the zone people read times in (stored in UTC)      Asia/Shanghai
``THINFILE_LENDER_NAME``           the lender named in contracts and certificates     demo name
``THINFILE_DOCUMENT_FONT``         CJK font file for PDF documents                    Noto CJK
``THINFILE_TRUSTED_PROXIES``       JSON list of proxy addresses/CIDRs whose            none
                                   ``X-Forwarded-For`` names the client
=================================  =================================================  =========

Phone sign-in and real-name verification (实名认证): ``THINFILE_SMS_PROVIDER`` and
``THINFILE_REAL_NAME_PROVIDER`` choose the adapters (``sandbox``, the default);
``THINFILE_SMS_CODE_TTL_SECONDS`` (300), ``_SMS_CODE_MAX_ATTEMPTS`` (5 wrong tries spend a
code), ``_SMS_CODE_RESEND_SECONDS`` (60), ``_SMS_CODES_PER_PHONE`` and
``_SMS_CODES_PER_CLIENT`` (codes per hour, 5 and 20) and ``_SMS_CODE_WRONG_TRIES_PER_DAY``
(10 wrong tries at one phone's codes within a day pause sign-in by code) set the one-time
code's rules.

Payment gateway: ``THINFILE_PAYMENT_GATEWAY_PROVIDER`` (``sandbox``), ``_URL`` (where it
listens), ``_KEY`` (the shared key signing requests and notifications; refused at its
development value in production) and ``THINFILE_PAYMENT_NOTIFICATION_TOLERANCE_SECONDS`` (300:
how old a notification's signed timestamp may be).

Example::

    THINFILE_ENV=production
    THINFILE_DATABASE_URL=postgresql+psycopg://thinfile@db/thinfile
    THINFILE_TOKEN_SECRET=<at least 32 random characters>
    THINFILE_PII_KEYS='{"2025-01": "<base64 of 32 random bytes>"}'
    THINFILE_PII_ACTIVE_KEY_ID=2025-01
    THINFILE_LOOKUP_KEY=<at least 32 random characters>
    THINFILE_RATE_LIMITS='{"sign_in": "10/60", "applications": "20/3600"}'
    THINFILE_TRUSTED_PROXIES='["10.0.0.0/8"]'

Rate limits (token buckets per process): ``sign_in`` per account and client address (one
address's failures never lock the owner out elsewhere), ``sign_in_address`` per address over
all accounts (against password spraying), ``sign_up`` per address, ``applications`` per
applicant and per account, ``applications_address`` a generous per-address ceiling (a lender
behind a carrier NAT or a load balancer sees many borrowers at one address).
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import re
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from thinfile.errors import FieldProblem, InvalidInputError

__all__ = [
    "DEFAULT_HOME",
    "DEFAULT_LENDER_NAME",
    "DEV_LOOKUP_KEY",
    "DEV_PII_KEY",
    "DEV_TOKEN_SECRET",
    "ENV_PREFIX",
    "RateSpec",
    "Settings",
    "load_settings",
]

ENV_PREFIX = "THINFILE_"
DEFAULT_HOME = Path("var")
"""Where the default SQLite database, models and reports live (``THINFILE_HOME``)."""

# Development-only secrets: public by definition, refused in production.
DEV_TOKEN_SECRET = "thinfile-development-token-secret-do-not-use"
DEV_GATEWAY_KEY = "thinfile-development-gateway-key-do-not-use"
MAX_AUTO_DEBIT_RETRIES = 10
DEV_LOOKUP_KEY = "thinfile-development-lookup-key-do-not-use"
DEV_PII_KEY = base64.b64encode(b"thinfile-dev-pii-key-32-bytes!!!").decode()
MIN_SECRET_LENGTH = 32
AES_KEY_BYTES = 32

DEFAULT_DISPLAY_TIMEZONE = "Asia/Shanghai"
DEFAULT_LENDER_NAME = "thinfile demo lender"
DEFAULT_RATE_LIMITS = {
    "sign_in": "10/60",
    "sign_in_address": "100/60",
    "sign_up": "20/3600",
    "applications": "20/3600",
    "applications_address": "1000/3600",
}


@dataclass(frozen=True, slots=True)
class RateSpec:
    """A token bucket: ``capacity`` requests, refilled evenly over ``period_seconds``."""

    capacity: int
    period_seconds: float

    @classmethod
    def parse(cls, text: str) -> RateSpec:
        """``"10/60"`` — ten requests per sixty seconds."""
        count, _, period = text.partition("/")
        try:
            spec = cls(int(count), float(period))  # float-ok: seconds
        except ValueError:
            raise ValueError(f"rate limit {text!r} is not 'COUNT/SECONDS'") from None
        if spec.capacity < 1 or spec.period_seconds <= 0:
            raise ValueError(f"rate limit {text!r} needs a positive count and period")
        return spec


_STORE_URL = re.compile(r"^(sqlite|postgresql)(\+[a-z0-9]+)?://", re.IGNORECASE)
"""The stores thinfile runs on: SQLite (embedded) and PostgreSQL (production)."""


class Settings(BaseSettings):
    """Everything thinfile needs to run; build it once at start-up (:func:`load_settings`).

    Each field is read from ``THINFILE_<FIELD>`` (``database_url`` from
    ``THINFILE_DATABASE_URL``); arguments given to the constructor win over the environment.
    """

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="ignore", frozen=True)

    env: Literal["development", "production"] = "development"
    home: Path = DEFAULT_HOME
    """Folder for the default SQLite database, trained models and reports."""
    database_url: str | None = None
    """SQLAlchemy URL; unset means a SQLite file in :attr:`home`
    (:meth:`effective_database_url`)."""
    migrate_on_start: bool = True
    model_dir: Path | None = None
    """A model directory (``thinfile model train --out``) registered, with the shipped policy,
    when the service starts."""
    threads: int = Field(default=4, ge=1, le=200)
    """Threads of a process running routes. They take turns holding Python's lock, so a few
    keep the cores busy and more only add hand-overs: run more processes
    (``thinfile serve --workers``) to use more cores."""

    token_secret: SecretStr = SecretStr(DEV_TOKEN_SECRET)
    token_ttl_seconds: int = Field(default=900, ge=30, le=86_400)
    pii_keys: dict[str, SecretStr] = Field(default_factory=lambda: {"dev": SecretStr(DEV_PII_KEY)})
    pii_active_key_id: str = "dev"
    lookup_key: SecretStr = SecretStr(DEV_LOOKUP_KEY)

    argon2_time_cost: int = Field(default=3, ge=1)
    argon2_memory_kib: int = Field(default=65_536, ge=8)
    max_body_bytes: int = Field(default=65_536, ge=1_024)
    rate_limits: dict[str, str] = Field(default_factory=lambda: dict(DEFAULT_RATE_LIMITS))
    display_timezone: str = DEFAULT_DISPLAY_TIMEZONE
    """The IANA zone in which pages and commands show times to people; storage stays UTC."""

    @field_validator("database_url")
    @classmethod
    def _a_store_url(cls, url: str | None) -> str | None:
        if url is not None and not _STORE_URL.match(url):
            raise ValueError(  # the URL itself is not repeated: it may hold a password
                "not a database URL thinfile can use: give sqlite:///path/to/file.db or "
                "postgresql+psycopg://user:password@host:5432/database"
            )
        return url

    @field_validator("display_timezone")
    @classmethod
    def _zone_exists(cls, name: str) -> str:
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{name!r} is not a time zone such as Asia/Shanghai") from None
        return name

    sms_provider: Literal["sandbox"] = "sandbox"
    """Who delivers SMS. ``sandbox`` keeps every message in a table; in development mode the
    pages show it (``/sandbox/sms``)."""
    sms_code_ttl_seconds: int = Field(default=300, ge=30, le=3_600)
    sms_code_max_attempts: int = Field(default=5, ge=1, le=20)
    sms_code_resend_seconds: int = Field(default=60, ge=0, le=3_600)
    sms_codes_per_phone: int = Field(default=5, ge=1, le=1_000)
    """One-time codes sent to one phone within an hour."""
    sms_codes_per_client: int = Field(default=20, ge=1, le=100_000)
    """One-time codes asked for from one client address within an hour."""
    sms_code_wrong_tries_per_day: int = Field(default=10, ge=1, le=100)
    """Wrong tries at one phone's codes within a day, counted across codes, before sign-in
    by code pauses for that phone (and no new code is sent) until the oldest leave the day."""
    checkout_session_minutes: int = Field(default=30, ge=1, le=10_080)
    """How long a merchant's checkout session stays open for the borrower to confirm."""
    real_name_provider: Literal["sandbox"] = "sandbox"
    """Who checks a name against an ID number (实名认证); ``sandbox`` follows fixed rules."""

    payment_gateway_provider: Literal["sandbox"] = "sandbox"
    payment_gateway_url: str = "http://127.0.0.1:8790"
    payment_gateway_key: SecretStr = SecretStr(DEV_GATEWAY_KEY)
    payment_notification_tolerance_seconds: int = Field(default=300, ge=5, le=3_600)
    record_borrower_payments: bool | None = None
    """Whether a borrower's own "pay now" with no bound card is recorded as money received
    (the sandbox's cash: demos and page tests). Unset: only in development. Outside it, a
    borrower's money comes through the card gateway (payment intents) and only staff record
    money received otherwise (a bank transfer): see :attr:`records_borrower_payments`."""
    auto_debit_retry_days: tuple[int, ...] = (1, 3, 7)
    """Days past due on which close of business asks the gateway again for what an auto-debit
    could not collect (``THINFILE_AUTO_DEBIT_RETRY_DAYS='[1, 3, 7]'``): increasing, 1–365, at
    most 10 (each failed debit costs the borrower a bank message; lenders keep retries few)."""

    smtp_host: str = "127.0.0.1"
    """The mail server borrower e-mails are handed to (the demo's local mailbox by default:
    ``thinfile notifications mailbox``)."""
    smtp_port: int = Field(default=8025, ge=1, le=65_535)
    smtp_timeout_seconds: float = Field(default=10.0, gt=0, le=120)
    mail_from: str = Field(default="thinfile <no-reply@thinfile.local>", min_length=3)
    """The From of borrower e-mails; its domain ends every Message-ID."""
    notice_sms_provider: Literal["sandbox"] = "sandbox"
    """Who delivers notification SMS; ``sandbox`` keeps them in ``notification_sandbox_sms``."""

    lender_name: str = Field(default=DEFAULT_LENDER_NAME, min_length=1, max_length=120)
    """The lender (贷款人) named as a party in the loan contracts and on the certificates."""
    document_font: Path | None = None
    """A TrueType/OpenType font file with CJK glyphs for PDF documents; unset: Noto Sans CJK
    from Debian's ``fonts-noto-cjk`` (``thinfile.documents.FONT_CANDIDATES``)."""

    trusted_proxies: tuple[str, ...] = ()
    """Addresses or networks (``10.0.0.0/8``) of the proxies in front of the service: only a
    request arriving from one of them has its client read from ``X-Forwarded-For``."""

    @field_validator("auto_debit_retry_days")
    @classmethod
    def _retry_days_increase(cls, days: tuple[int, ...]) -> tuple[int, ...]:
        if len(days) > MAX_AUTO_DEBIT_RETRIES:
            raise ValueError(f"at most {MAX_AUTO_DEBIT_RETRIES} retry days")
        if any(not 1 <= d <= 365 for d in days):
            raise ValueError("each retry day is a number of days past due from 1 to 365")
        if any(b <= a for a, b in pairwise(days)):
            raise ValueError("retry days must increase, each once, e.g. [1, 3, 7]")
        return days

    @field_validator("pii_keys")
    @classmethod
    def _keys_are_aes256(cls, keys: dict[str, SecretStr]) -> dict[str, SecretStr]:
        if not keys:
            raise ValueError("at least one personal-data key is needed")
        for key_id, key in keys.items():
            if not key_id or ":" in key_id:
                raise ValueError(f"key id {key_id!r} must be non-empty and contain no ':'")
            if len(_decode_key(key.get_secret_value())) != AES_KEY_BYTES:
                raise ValueError(f"key {key_id!r} must be base64 of {AES_KEY_BYTES} bytes")
        return keys

    @field_validator("rate_limits")
    @classmethod
    def _limits_parse(cls, limits: dict[str, str]) -> dict[str, str]:
        for text in limits.values():
            RateSpec.parse(text)
        return {**DEFAULT_RATE_LIMITS, **limits}

    @field_validator("trusted_proxies")
    @classmethod
    def _proxies_parse(cls, proxies: tuple[str, ...]) -> tuple[str, ...]:
        for text in proxies:
            try:
                ipaddress.ip_network(text.strip(), strict=False)
            except ValueError:
                raise ValueError(f"{text!r} is not an address or network") from None
        return tuple(text.strip() for text in proxies)

    @model_validator(mode="after")
    def _active_key_exists(self) -> Settings:
        if self.pii_active_key_id not in self.pii_keys:
            raise ValueError(f"pii_active_key_id {self.pii_active_key_id!r} is not in pii_keys")
        return self

    @classmethod
    def from_environment(cls) -> Settings:
        """The settings the environment gives, validated; a bad variable is one readable
        :class:`InvalidInputError` naming every ``THINFILE_*`` variable that is wrong.
        Development secrets are not refused here: that is :meth:`check_secrets`."""
        try:
            return cls()
        except ValidationError as exc:
            problems = [
                FieldProblem(ENV_PREFIX + ".".join(map(str, e["loc"])).upper(), e["msg"])
                for e in exc.errors()
            ]
            raise InvalidInputError(
                f"the {ENV_PREFIX}* settings are not valid",
                problems=problems,
                remedy="correct the variables listed",
            ) from None

    @property
    def is_development(self) -> bool:
        return self.env == "development"

    @property
    def records_borrower_payments(self) -> bool:
        """:attr:`record_borrower_payments`, by default true only in development."""
        if self.record_borrower_payments is None:
            return self.is_development
        return self.record_borrower_payments

    @property
    def sqlite_file(self) -> Path:
        """The SQLite database used when :attr:`database_url` is not set."""
        return self.home / "thinfile.sqlite"

    def effective_database_url(self) -> str:
        """:attr:`database_url`, or the URL of :attr:`sqlite_file` when it is not set."""
        return self.database_url or f"sqlite:///{self.sqlite_file}"

    def pii_key_bytes(self) -> dict[str, bytes]:
        return {kid: _decode_key(key.get_secret_value()) for kid, key in self.pii_keys.items()}

    @property
    def display_zone(self) -> ZoneInfo:
        """:attr:`display_timezone` as a zone."""
        return ZoneInfo(self.display_timezone)

    def rate_spec(self, name: str) -> RateSpec:
        return RateSpec.parse(self.rate_limits[name])

    def check_secrets(self) -> Settings:
        """Refuse development secrets, and short ones, outside development mode."""
        if self.is_development:
            return self
        problems = [
            *_weak_secret("token_secret", self.token_secret, DEV_TOKEN_SECRET),
            *_weak_secret("lookup_key", self.lookup_key, DEV_LOOKUP_KEY),
            *_weak_secret("payment_gateway_key", self.payment_gateway_key, DEV_GATEWAY_KEY),
        ]
        for key_id, key in self.pii_keys.items():
            if key.get_secret_value() == DEV_PII_KEY:
                problems.append(FieldProblem(f"pii_keys.{key_id}", "is the development key"))
        if problems:
            raise InvalidInputError(
                "default or weak secrets are refused outside development mode",
                problems=problems,
                remedy="set THINFILE_TOKEN_SECRET, THINFILE_LOOKUP_KEY, THINFILE_PII_KEYS and "
                "THINFILE_PAYMENT_GATEWAY_KEY "
                "to fresh random values, or THINFILE_ENV=development on a laptop",
            )
        return self


def load_settings() -> Settings:
    """The settings for a service or command starting now: read from the environment,
    validated, with development secrets refused outside development mode."""
    return Settings.from_environment().check_secrets()


def _decode_key(text: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("a key is not valid base64") from None


def _weak_secret(name: str, value: SecretStr, default: str) -> list[FieldProblem]:
    secret = value.get_secret_value()
    if secret == default:
        return [FieldProblem(name, "is the development default")]
    if len(secret) < MIN_SECRET_LENGTH:
        return [FieldProblem(name, f"is shorter than {MIN_SECRET_LENGTH} characters")]
    return []
