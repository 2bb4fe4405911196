"""One-time SMS sign-in codes (短信验证码): how they are made, kept and checked (no I/O).

A code is six digits from :mod:`secrets`. It is never stored: the store keeps its keyed hash
(HMAC-SHA256 under the lookup key, bound to the phone's lookup hash), so a stolen table
does not reveal a code that still works. A code

* expires ``ttl_seconds`` after it was sent (five minutes by default);
* is spent by ``max_attempts`` wrong tries (five), and by its one successful use;
* is replaced by a newer code to the same phone (only the newest one counts);
* is sent at most ``per_phone`` times per phone and ``per_client`` times per client address
  within an hour, and not again to one phone within ``resend_seconds``.

Every rule takes ``now`` from its caller, so tests move the clock instead of waiting.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum

from thinfile.errors import RateLimitedError, SmsCodeRejectedError
from thinfile.security.crypto import PiiCipher
from thinfile.text import normalize

__all__ = [
    "CODE_DIGITS",
    "CodePolicy",
    "CodeVerdict",
    "IssuedCode",
    "check_code",
    "code_digest",
    "ensure_may_send",
    "new_code",
    "reject",
]

CODE_DIGITS = 6
WINDOW = timedelta(hours=1)
"""The window the per-phone and per-client counts look back over."""


@dataclass(frozen=True, slots=True)
class CodePolicy:
    """The rules of one lender's codes (``THINFILE_SMS_CODE_*`` settings)."""

    ttl_seconds: int = 300
    max_attempts: int = 5
    resend_seconds: int = 60
    per_phone: int = 5
    per_client: int = 20


@dataclass(frozen=True, slots=True)
class IssuedCode:
    """A code as stored: its hash, when it was sent and expires, and what became of it."""

    id: str
    code_hash: str
    sent_at: datetime
    expires_at: datetime
    attempts: int
    used_at: datetime | None


class CodeVerdict(Enum):
    ACCEPTED = "accepted"
    WRONG = "wrong"
    """Wrong, with tries left: the attempt is counted."""
    EXHAUSTED = "exhausted"
    """Wrong, and that was the last try (or no tries were left): the code is spent."""
    EXPIRED = "expired"
    USED = "used"
    MISSING = "missing"


def new_code(digits: int = CODE_DIGITS) -> str:
    """A uniformly random code of ``digits`` decimal digits, leading zeros kept."""
    return f"{secrets.randbelow(10**digits):0{digits}d}"


def code_digest(cipher: PiiCipher, *, phone_hash: str, code: str) -> str:
    """The keyed hash stored for ``code`` sent to the phone whose lookup hash is given:
    HMAC-SHA256 under the lookup key, kept apart from other lookups by its kind. The code is
    read in the one normal form (:func:`thinfile.text.normalize`), so the digits a phone's
    full-width keyboard types (１２３４５６) are the code they stand for, as in the phone
    number itself."""
    return cipher.lookup_hash("sms_code", f"{phone_hash}:{normalize(code)}")


def ensure_may_send(
    *,
    to_phone: Sequence[datetime],
    from_client: Sequence[datetime],
    now: datetime,
    policy: CodePolicy,
) -> None:
    """Refuse a new code when the phone or the client has had its share.

    ``to_phone`` and ``from_client`` are the moments codes were sent within the last hour.
    """
    waits = []
    if to_phone:
        resend_at = max(to_phone) + timedelta(seconds=policy.resend_seconds)
        if now < resend_at:
            waits.append(resend_at - now)
    for sent, limit in ((to_phone, policy.per_phone), (from_client, policy.per_client)):
        if len(sent) >= limit:
            waits.append(sorted(sent)[len(sent) - limit] + WINDOW - now)
    if waits:
        seconds = max(1, round(max(waits).total_seconds()))
        raise RateLimitedError(
            "too many codes were asked for; try again later",
            field="phone",
            remedy=f"wait {seconds} seconds, then ask for a new code",
            extra={"retry_after_seconds": seconds, "limit": "sms_codes"},
        )


def check_code(
    issued: IssuedCode | None, digest: str, *, now: datetime, policy: CodePolicy
) -> CodeVerdict:
    """What a try with the code whose digest is ``digest`` does to the newest code sent."""
    if issued is None:
        return CodeVerdict.MISSING
    if issued.used_at is not None:
        return CodeVerdict.USED
    if now >= issued.expires_at:
        return CodeVerdict.EXPIRED
    if issued.attempts >= policy.max_attempts:
        return CodeVerdict.EXHAUSTED
    if hmac.compare_digest(issued.code_hash, digest):
        return CodeVerdict.ACCEPTED
    if issued.attempts + 1 >= policy.max_attempts:
        return CodeVerdict.EXHAUSTED
    return CodeVerdict.WRONG


_MESSAGES = {
    CodeVerdict.WRONG: "the code is wrong",
    CodeVerdict.EXHAUSTED: "the code was tried too many times and no longer works",
    CodeVerdict.EXPIRED: "the code has expired",
    CodeVerdict.USED: "the code has already been used",
    CodeVerdict.MISSING: "no code was sent to this number",
}


def reject(verdict: CodeVerdict, *, tries_left: int) -> SmsCodeRejectedError:
    """The error a refused try gets: what happened, and what to do next."""
    remedy = (
        f"check the SMS and enter the code again ({tries_left} tries left)"
        if verdict is CodeVerdict.WRONG
        else "ask for a new code"
    )
    return SmsCodeRejectedError(
        _MESSAGES[verdict],
        field="code",
        remedy=remedy,
        extra={"reason": verdict.value, "tries_left": tries_left},
    )
