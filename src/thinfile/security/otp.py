"""One-time SMS sign-in codes (短信验证码): how they are made, kept and checked (no I/O).

A code is six digits from :mod:`secrets`. It is never stored: the store keeps its keyed hash
(HMAC-SHA256 under the lookup key, bound to the phone's lookup hash), so a stolen table
does not reveal a code that still works. A code

* expires ``ttl_seconds`` after it was sent (five minutes by default);
* is spent by ``max_attempts`` wrong tries (five), and by its one successful use;
* is replaced by a newer code to the same phone (only the newest one counts);
* is sent at most ``per_phone`` times per phone and ``per_client`` times per client address
  within an hour, and not again to one phone within ``resend_seconds``;
* is refused, right or wrong, once the phone's codes took ``wrong_tries_per_day`` wrong tries
  (ten) within a day (:func:`ensure_may_try`), and no new code is sent to the phone until
  the pause lifts (a code that could not be used would only cost an SMS).

A device that signed in gets the account's **device token** (:func:`device_token`: a keyed
hash of the phone, the account and its token version; one per account, the same on every
device that signed in, changed by sign-out). Codes asked for with the token are the known
devices' own: only a try bringing the token is checked against them, and their sends and
wrong tries are counted apart from the number's other codes (:func:`device_tag`). So a
stranger who knows a borrower's number can spend the tries and the sends of its other codes,
and pause those, but not the borrower's own phone, which keeps signing in; the stranger
cannot guess at the known devices' codes either. A phone has two lanes at most (the known
devices' and everyone else's), so at most twice the sends and the wrong tries of one. A
token of another phone, of an older version or a forged one counts as none.

A refusal never tells whether a number has an account: no code sent, a code used and a code
expired all get the one answer "the code is wrong or has expired" (:func:`reject`); only the
audit log keeps which it was.

Every rule takes ``now`` from its caller, so tests move the clock instead of waiting.
"""

from __future__ import annotations

import hmac
import math
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
    "NO_LIVE_CODE",
    "TRY_WINDOW",
    "CodePolicy",
    "CodeVerdict",
    "IssuedCode",
    "check_code",
    "code_digest",
    "device_tag",
    "device_token",
    "ensure_may_send",
    "ensure_may_try",
    "new_code",
    "reject",
    "wrong_tries",
]

CODE_DIGITS = 6
WINDOW = timedelta(hours=1)
"""The window the per-phone and per-client counts look back over."""
TRY_WINDOW = timedelta(hours=24)
"""The window the per-phone budget of wrong tries looks back over."""
NO_LIVE_CODE = "no_live_code"
"""The one reason a try gets when the phone has no code that could still sign in."""


@dataclass(frozen=True, slots=True)
class CodePolicy:
    """The rules of one lender's codes (``THINFILE_SMS_CODE_*`` settings)."""

    ttl_seconds: int = 300
    max_attempts: int = 5
    resend_seconds: int = 60
    per_phone: int = 5
    per_client: int = 20
    wrong_tries_per_day: int = 10
    """Wrong tries at one phone's codes within :data:`TRY_WINDOW`, counted across codes.
    ``max_attempts`` alone spends one code, and a new code (``per_phone`` an hour) brings five
    fresh tries: about 600 guesses a day at one account. This budget caps them at ten
    (``THINFILE_SMS_CODE_WRONG_TRIES_PER_DAY``)."""


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
    """What a try did. The audit log keeps the verdict; a refused borrower is told less
    (:func:`reject`): ``EXPIRED``, ``USED`` and ``MISSING`` all read as :data:`NO_LIVE_CODE`."""

    ACCEPTED = "accepted"
    WRONG = "wrong"
    """Wrong, with tries left: the attempt is counted."""
    EXHAUSTED = "exhausted"
    """Wrong, and that was the last try (or no tries were left): the code is spent."""
    EXPIRED = "expired"
    USED = "used"
    """Used to sign in already: the phone has an account, which a stranger must not learn."""
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


def device_token(cipher: PiiCipher, *, phone_hash: str, user_id: str, version: int) -> str:
    """The device token of the account ``user_id`` signing in with the phone whose lookup hash
    is given, at its token ``version``: a keyed hash (64 hex digits), so nothing is stored and
    no one without the key can make one. Every device that signed in holds the same token, so
    a phone has one known-device lane, not one per sign-in; it changes when the version does
    (sign-out, a new password), which ends it everywhere."""
    return cipher.lookup_hash("sms_device", f"{phone_hash}:{user_id}:{version}")


def device_tag(cipher: PiiCipher, token: str) -> str:
    """What a device token's codes are stored with: its own keyed hash, so a stolen table does
    not hand out the token."""
    return cipher.lookup_hash("sms_device_tag", token)


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


def wrong_tries(code: IssuedCode, policy: CodePolicy) -> int:
    """The wrong tries ``code`` took: its counted attempts less its one successful use, and
    no more than ``max_attempts`` (a try at a spent code is counted but guesses nothing)."""
    wrong = code.attempts - (0 if code.used_at is None else 1)
    return max(0, min(wrong, policy.max_attempts))


def ensure_may_try(tried: Sequence[IssuedCode], *, now: datetime, policy: CodePolicy) -> int:
    """The wrong tries the phone has left today, given its recent codes ``tried``; refused
    (:class:`~thinfile.errors.RateLimitedError`) when none are left.

    The wrong tries are counted across codes, from the stored codes' attempts, so a new code
    does not bring new guesses: ``wrong_tries_per_day`` (ten) guesses a day at one account,
    one chance in a hundred thousand, instead of five for every code the send quota allows.
    A code's tries are all made before it expires, so each counts until ``TRY_WINDOW`` after
    the code's expiry: never less than a day after the try itself.

    This trades a slower lockout for the guessing budget: a lockout that lifts only as the
    window moves on. Anyone who knows a borrower's number can ask for codes and spend its ten
    wrong tries, pausing sign-in by code for up to a day on every device the number never
    signed in on (a password still signs in); the device the borrower signed in on counts
    its own codes and tries (``tried`` holds only its codes, :func:`device_tag`), so it keeps
    signing in.
    """
    start = now - TRY_WINDOW
    counted = sorted(
        ((c.expires_at, wrong_tries(c, policy)) for c in tried if c.expires_at > start),
        key=lambda pair: pair[0],
    )
    spent = sum(n for _, n in counted)
    if spent < policy.wrong_tries_per_day:
        return policy.wrong_tries_per_day - spent
    retry_at = now + TRY_WINDOW
    for expired_at, n in counted:  # the oldest tries leave the window first
        spent -= n
        if spent < policy.wrong_tries_per_day:
            retry_at = expired_at + TRY_WINDOW
            break
    seconds = max(1, math.ceil((retry_at - now).total_seconds()))
    minutes = -(-seconds // 60)
    shown = retry_at.replace(second=0, microsecond=0)
    if shown < retry_at:  # to the minute after, never before
        shown += timedelta(minutes=1)
    raise RateLimitedError(
        "too many wrong codes were entered for this number; sign-in by code is paused",
        field="phone",
        remedy=(
            f"try again in {minutes} minutes (after {shown:%Y-%m-%d %H:%M} UTC), "
            "or sign in with a password"
        ),
        extra={"retry_after_seconds": seconds, "limit": "sms_wrong_tries"},
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


_NO_LIVE_CODE = frozenset({CodeVerdict.MISSING, CodeVerdict.USED, CodeVerdict.EXPIRED})

_MESSAGES = {
    CodeVerdict.WRONG: "the code is wrong",
    CodeVerdict.EXHAUSTED: "the code was tried too many times and no longer works",
}


def reject(verdict: CodeVerdict, *, tries_left: int) -> SmsCodeRejectedError:
    """The error a refused try gets: what happened, and what to do next.

    When the phone has no code that could still sign in — none was sent, the newest was used
    or has expired — every case gets the same message and reason (:data:`NO_LIVE_CODE`) and
    no tries: "used" would tell a stranger, without a code or an SMS, that the number signs in
    to an account, and "missing" that it does not. The caller audits the verdict itself."""
    if verdict in _NO_LIVE_CODE:
        return SmsCodeRejectedError(
            "the code is wrong or has expired",
            field="code",
            remedy="ask for a new code",
            extra={"reason": NO_LIVE_CODE, "tries_left": 0},
        )
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
