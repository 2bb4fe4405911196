"""Signed HTTP bodies: HMAC-SHA256 over a timestamp and the raw body.

One header shape serves the payment gateway's requests and notifications and thinfile's
webhooks to merchants::

    Thinfile-Signature: t=<unix seconds>,v1=<lowercase hex HMAC-SHA256(key, "<t>." + body)>

While a key is being replaced the sender signs with both keys, so the header carries two
``v1`` entries (``t=…,v1=<new>,v1=<old>``); a receiver accepts the body when any ``v1`` entry
matches its key. The receiver recomputes the HMAC over the raw body bytes, compares in constant
time, and refuses a timestamp more than the tolerance away from its own clock (a replay of an
old, validly signed body).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping, Sequence
from datetime import datetime

from thinfile.errors import NotificationRejectedError

__all__ = ["SIGNATURE_HEADER", "sign", "signature_digest", "signed_content", "verify_signature"]

SIGNATURE_HEADER = "Thinfile-Signature"
_MAX_HEADER = 1024


def signature_digest(key: bytes, timestamp: int, body: bytes) -> str:
    """Lowercase hex HMAC-SHA256 of ``"<timestamp>." + body`` under ``key``."""
    return hmac.new(key, f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def sign(key: bytes, body: bytes, *, at: datetime, more_keys: Sequence[bytes] = ()) -> str:
    """The :data:`SIGNATURE_HEADER` value for ``body`` sent at ``at``: one ``v1`` entry for
    ``key``, then one for each of ``more_keys`` (a key being retired)."""
    timestamp = int(at.timestamp())
    entries = [f"v1={signature_digest(k, timestamp, body)}" for k in (key, *more_keys)]
    return ",".join([f"t={timestamp}", *entries])


def _rejected(reason: str, remedy: str) -> NotificationRejectedError:
    return NotificationRejectedError(
        f"the signature is refused: {reason}", field=SIGNATURE_HEADER, remedy=remedy
    )


def _parsed(header: str) -> tuple[str, list[str]]:
    """The ``t`` entry and every ``v1`` entry of a header value."""
    stamp, given = "", []
    for item in header.split(","):
        name, _, value = item.strip().partition("=")
        if name == "t":
            stamp = value
        elif name == "v1" and value:
            given.append(value)
    return stamp, given


def signed_content(headers: Mapping[str, str], body: bytes) -> str:
    """A digest of what a signature signs — its timestamp and the body — however the header
    is spelt (spaces, the order or number of its ``v1`` entries): the same signed request
    sent again has the same digest, a sender's retry signed afresh another."""
    lowered = {name.lower(): value for name, value in headers.items()}
    stamp, _ = _parsed(lowered.get(SIGNATURE_HEADER.lower(), "")[:_MAX_HEADER])
    return hashlib.sha256(f"{stamp}.".encode() + body).hexdigest()


def verify_signature(
    key: bytes,
    headers: Mapping[str, str],
    body: bytes,
    *,
    now: datetime,
    tolerance_seconds: int,
    remedy: str = "send the body as signed, with a fresh timestamp and the shared gateway key",
) -> None:
    """Return quietly when ``body`` carries a valid, fresh signature under ``key`` (any of its
    ``v1`` entries); else :class:`~thinfile.errors.NotificationRejectedError`."""
    lowered = {name.lower(): value for name, value in headers.items()}
    header = lowered.get(SIGNATURE_HEADER.lower())
    if not header:
        raise _rejected("it is missing", remedy)
    if len(header) > _MAX_HEADER:
        raise _rejected("it is too long", remedy)
    stamp, given = _parsed(header)
    if not stamp.isascii() or not stamp.isdigit() or len(stamp) > 12 or not given:
        raise _rejected("it is malformed", remedy)
    timestamp = int(stamp)
    if stamp != str(timestamp):  # leading zeros: the same signature spelt anew, past replays
        raise _rejected("it is malformed", remedy)
    if abs(now.timestamp() - timestamp) > tolerance_seconds:
        raise _rejected("its timestamp is too old or in the future", remedy)
    expected = signature_digest(key, timestamp, body).encode()
    # every entry is compared (no early exit), each in constant time, as bytes (a str with
    # characters beyond ASCII would make compare_digest raise)
    matches = [hmac.compare_digest(expected, candidate.encode()) for candidate in given]
    if not any(matches):
        raise _rejected("it does not match the body", remedy)
