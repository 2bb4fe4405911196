"""Webhooks to merchants: the event types, the event body, the endpoint URL rule and the
retry schedule (no I/O).

An event is one JSON object, built once when the business change is made and sent byte for
byte on every attempt::

    {"created": "2026-12-03T12:00:00Z", "data": {…}, "id": "evt_…",
     "merchant_id": "…", "type": "checkout.captured", "version": 1}

Keys are sorted and the text is compact UTF-8, so the body a merchant verifies is the body
stored in the delivery log. Amounts in ``data`` are integer fen or decimal strings: a float
is refused (money never passes through one).

Retries (:class:`RetryPolicy`): after the n-th failed try of a round the event waits
``min(cap, base × 2^(n−1))`` seconds, spread by ±``jitter`` so that many events failing
together do not return together; after ``max_attempts`` tries it is ``failed``. A replay
starts a new round.
"""

from __future__ import annotations

import ipaddress
import json
import math
import socket
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from urllib.parse import urlsplit

from thinfile.errors import InvalidInputError, PayloadTooLargeError

__all__ = [
    "EVENT_VERSION",
    "LOCAL_HOSTS",
    "MAX_BODY_BYTES",
    "MAX_URL_LENGTH",
    "RetryPolicy",
    "WebhookEventStatus",
    "WebhookEventType",
    "event_body",
    "is_internal",
    "subscribed_types",
    "webhook_url",
]

EVENT_VERSION = 1
"""The version of the event body's shape; a change that could break a receiver raises it."""
MAX_BODY_BYTES = 65_536
"""The largest event body (UTF-8 bytes) thinfile sends."""
MAX_URL_LENGTH = 2_000
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
"""Hosts reachable over plain ``http://`` where local endpoints are allowed (development:
tests and the demo); everything else needs https."""
_MAX_DEPTH = 32


class WebhookEventType(StrEnum):
    """What a merchant can be told about (商户事件通知)."""

    CHECKOUT_AUTHORIZED = "checkout.authorized"
    CHECKOUT_CAPTURED = "checkout.captured"
    CHECKOUT_VOIDED = "checkout.voided"
    CHECKOUT_REFUNDED = "checkout.refunded"
    CHECKOUT_REFUND_REVERSED = "checkout.refund_reversed"
    CHECKOUT_EXPIRED = "checkout.expired"
    DISPUTE_OPENED = "dispute.opened"
    DISPUTE_RESOLVED = "dispute.resolved"
    SETTLEMENT_READY = "settlement.ready"


class WebhookEventStatus(StrEnum):
    """Where an event is in its delivery."""

    PENDING = "pending"
    """Waiting for its next try (or being tried now)."""
    DELIVERED = "delivered"
    """The merchant's endpoint answered 2xx."""
    FAILED = "failed"
    """Every try of the round failed; a replay sends it again."""
    SKIPPED = "skipped"
    """No enabled endpoint subscribed to its type when it was due; a replay sends it."""


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How hard delivery tries: ``max_attempts`` tries a round, backing off from
    ``base_seconds`` up to ``cap_seconds`` (±``jitter``); each POST waits ``timeout_seconds``."""

    base_seconds: float = 30.0
    cap_seconds: float = 6 * 3600.0
    max_attempts: int = 12
    jitter: float = 0.2
    timeout_seconds: float = 10.0

    def __post_init__(self) -> None:
        problems = [
            name
            for name, ok in (
                ("base_seconds", 0 <= self.base_seconds <= self.cap_seconds),
                ("cap_seconds", math.isfinite(self.cap_seconds)),
                ("max_attempts", 1 <= self.max_attempts <= 100),
                ("jitter", 0 <= self.jitter < 1),
                ("timeout_seconds", 0 < self.timeout_seconds <= 60),
            )
            if not ok
        ]
        if problems:
            raise InvalidInputError(
                f"the retry policy is out of range: {', '.join(problems)}", field=problems[0]
            )

    @property
    def lease_seconds(self) -> float:
        """How long a claimed event stays with its worker before another may take it: the
        POST's timeout with a wide margin (a worker that died releases it after this)."""
        return 2 * self.timeout_seconds + 60.0

    def nominal_delay(self, tries: int) -> float:
        """Seconds to wait after the ``tries``-th failed try of a round, before jitter."""
        if tries < 1:
            raise InvalidInputError("tries count from 1", field="tries", value=tries)
        return min(self.cap_seconds, self.base_seconds * 2.0 ** min(tries - 1, 62))

    def delay(self, tries: int, draw: float) -> float:
        """:meth:`nominal_delay` spread by the jitter: ``draw`` in [0, 1) maps onto
        [1 − jitter, 1 + jitter) of it."""
        if not 0 <= draw < 1:
            raise InvalidInputError("the draw must be in [0, 1)", field="draw", value=draw)
        return self.nominal_delay(tries) * (1 - self.jitter + 2 * self.jitter * draw)

    def is_last(self, tries: int) -> bool:
        """Whether the ``tries``-th try of a round is its last."""
        return tries >= self.max_attempts


def _ip_of(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The address a host names by itself, read as a resolver reads it: besides dotted quads
    and IPv6, the IPv4 forms ``inet_aton`` accepts (``2130706433``, ``0x7f000001``,
    ``127.1``, ``0177.0.0.1``), each of which an HTTP client connects to; None for a name."""
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    try:
        return ipaddress.IPv4Address(socket.inet_aton(host))
    except (OSError, ValueError):
        return None


def is_internal(host: str) -> bool:
    """A host naming this machine or a network that is not the internet: ``localhost`` (with
    or without the root's dot) or an address, in any form a resolver reads, that is not
    global (loopback, private, shared, link-local — cloud metadata — reserved, unspecified)
    or is multicast."""
    name = host.rstrip(".").lower()
    if name == "localhost" or name.endswith(".localhost"):
        return True
    address = _ip_of(name)
    if address is None:
        return False
    mapped = getattr(address, "ipv4_mapped", None)
    if mapped is not None:
        address = mapped
    return not address.is_global or address.is_multicast


def _host_problem(scheme: str, host: str, allow_local: bool) -> str | None:
    if scheme not in ("https", "http") or not host:
        return "it must be an https:// URL with a host"
    if allow_local and host in LOCAL_HOSTS:
        return None
    if scheme == "http":
        return "it must use https (plain http only to 127.0.0.1 or localhost in development)"
    if is_internal(host):
        return "it must not point at this machine or a private network"
    return None


def _url_problem(text: str, allow_local: bool) -> str | None:
    if not text or len(text) > MAX_URL_LENGTH:
        return f"it must be 1 to {MAX_URL_LENGTH} characters"
    if not text.isascii() or any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in text):
        return "it must be ASCII without spaces (punycode for a non-ASCII host)"
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        return "it is not a valid URL"
    host_problem = _host_problem(parts.scheme, (parts.hostname or "").lower(), allow_local)
    if host_problem is not None:
        return host_problem
    if parts.username is not None or parts.password is not None:
        return "it must not carry a user name or password"
    if parts.fragment:
        return "it must not have a #fragment"
    if port == 0:
        return "its port must be 1 to 65535"
    return None


def webhook_url(text: str, *, allow_local: bool = False) -> str:
    """The endpoint URL a merchant gave, checked: https to a host that is not this machine
    or a private network (no ``localhost``, loopback, private, link-local or reserved IP
    literal), no credentials, no fragment, at most 2,000 ASCII characters. With
    ``allow_local`` (development: tests and the demo) plain http to 127.0.0.1, ::1 or
    localhost is accepted too.

    A host *name* that resolves into a private network is not caught here (its address may
    change after the check): production sends webhooks through an egress proxy or firewall
    that refuses private ranges."""
    value = text.strip()
    problem = _url_problem(value, allow_local)
    if problem is not None:
        raise InvalidInputError(
            f"the webhook URL is refused: {problem}",
            field="url",
            value=text[:200],
            remedy="give the https:// address of the endpoint that receives the events",
        )
    return value


def subscribed_types(values: Iterable[str]) -> tuple[WebhookEventType, ...]:
    """The event types a merchant asks for, known and distinct, in the enum's order."""
    known = {t.value: t for t in WebhookEventType}
    given = [v.strip() for v in values]
    unknown = [v for v in given if v not in known]
    if unknown or not given:
        raise InvalidInputError(
            f"unknown event type {unknown[0]!r}" if unknown else "name at least one event type",
            field="event_types",
            value=unknown[0] if unknown else None,
            remedy="choose from: " + ", ".join(known),
        )
    chosen = set(given)
    return tuple(t for t in WebhookEventType if t.value in chosen)


def _is_utf8(text: str) -> bool:
    try:
        text.encode()
    except UnicodeEncodeError:  # a lone surrogate
        return False
    return True


def _check_scalar(value: object, where: str) -> bool:
    """True for a JSON scalar thinfile sends; raises for a float or an unsendable string."""
    if isinstance(value, str):
        if not _is_utf8(value):
            raise InvalidInputError(f"{where} is not valid Unicode text", field=where)
        return True
    if isinstance(value, float):
        raise InvalidInputError(
            f"{where} is a float",
            field=where,
            remedy="send amounts as integer fen or decimal strings",
        )
    return value is None or isinstance(value, (bool, int))


def _check_json(value: object, where: str, depth: int) -> None:
    if depth > _MAX_DEPTH:
        raise InvalidInputError(f"{where} is nested too deeply", field=where)
    if _check_scalar(value, where):
        return
    if isinstance(value, Mapping):
        for key, item in value.items():
            if not isinstance(key, str) or not _is_utf8(key):
                raise InvalidInputError(f"{where} has a key that is not text", field=where)
            _check_json(item, f"{where}.{key}", depth + 1)
        return
    if isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            _check_json(item, f"{where}[{i}]", depth + 1)
        return
    raise InvalidInputError(
        f"{where} is a {type(value).__name__}, not JSON",
        field=where,
        remedy="convert it to text, an integer, a list or a mapping first",
    )


def event_body(
    event_id: str,
    event_type: WebhookEventType,
    *,
    merchant_id: str,
    created: datetime,
    data: Mapping[str, object],
) -> str:
    """The event's JSON text (sorted keys, compact, UTF-8 at most :data:`MAX_BODY_BYTES`)."""
    _check_json(data, "data", 0)
    body = json.dumps(
        {
            "id": event_id,
            "type": event_type.value,
            "version": EVENT_VERSION,
            "created": created.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "merchant_id": merchant_id,
            "data": data,
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    size = len(body.encode())
    if size > MAX_BODY_BYTES:
        raise PayloadTooLargeError(
            f"the event body is {size} bytes, more than {MAX_BODY_BYTES}",
            field="data",
            remedy="send ids and amounts; the merchant reads details through the API",
        )
    return body
