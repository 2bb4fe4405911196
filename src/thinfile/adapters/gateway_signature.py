"""The signature on gateway requests and notifications: HMAC-SHA256 over timestamp and body.

Header (on every request to the gateway and every notification from it)::

    Thinfile-Signature: t=<unix seconds>,v1=<lowercase hex HMAC-SHA256(key, "<t>." + body)>

The key is the shared gateway key (``THINFILE_PAYMENT_GATEWAY_KEY``). The receiver recomputes
the HMAC over the raw body bytes, compares in constant time, and refuses a timestamp more than
the tolerance away from its own clock (a replay of an old, validly signed body).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from datetime import datetime

from thinfile.errors import NotificationRejectedError

__all__ = ["SIGNATURE_HEADER", "sign", "verify_signature"]

SIGNATURE_HEADER = "Thinfile-Signature"


def _digest(key: bytes, timestamp: int, body: bytes) -> str:
    return hmac.new(key, f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def sign(key: bytes, body: bytes, *, at: datetime) -> str:
    """The :data:`SIGNATURE_HEADER` value for ``body`` sent at ``at``."""
    timestamp = int(at.timestamp())
    return f"t={timestamp},v1={_digest(key, timestamp, body)}"


def _rejected(reason: str) -> NotificationRejectedError:
    return NotificationRejectedError(
        f"the signature is refused: {reason}",
        field=SIGNATURE_HEADER,
        remedy="send the body as signed, with a fresh timestamp and the shared gateway key",
    )


def verify_signature(
    key: bytes, headers: Mapping[str, str], body: bytes, *, now: datetime, tolerance_seconds: int
) -> None:
    """Return quietly when ``body`` carries a valid, fresh signature; else
    :class:`~thinfile.errors.NotificationRejectedError`."""
    lowered = {name.lower(): value for name, value in headers.items()}
    header = lowered.get(SIGNATURE_HEADER.lower())
    if not header:
        raise _rejected("it is missing")
    parts = dict(item.split("=", 1) for item in header.split(",") if "=" in item)
    stamp, given = parts.get("t", ""), parts.get("v1", "")
    if not stamp.isascii() or not stamp.isdigit() or not given:
        raise _rejected("it is malformed")
    timestamp = int(stamp)
    if abs(now.timestamp() - timestamp) > tolerance_seconds:
        raise _rejected("its timestamp is too old or in the future")
    if not hmac.compare_digest(_digest(key, timestamp, body), given):
        raise _rejected("it does not match the body")
