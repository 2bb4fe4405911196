"""The rules of one-time SMS sign-in codes, with the clock in the test's hands."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from thinfile.errors import RateLimitedError, SmsCodeRejectedError
from thinfile.security.crypto import PiiCipher
from thinfile.security.otp import (
    CodePolicy,
    CodeVerdict,
    IssuedCode,
    check_code,
    code_digest,
    ensure_may_send,
    new_code,
    reject,
)

SENT = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
POLICY = CodePolicy()
CIPHER = PiiCipher({"k": b"K" * 32}, active_key_id="k", lookup_key=b"L" * 32)
PHONE = CIPHER.lookup_hash("phone", "13800138000")


def _issued(code: str = "123456", *, attempts: int = 0, used: datetime | None = None) -> IssuedCode:
    return IssuedCode(
        id="c1",
        code_hash=code_digest(CIPHER, phone_hash=PHONE, code=code),
        sent_at=SENT,
        expires_at=SENT + timedelta(seconds=POLICY.ttl_seconds),
        attempts=attempts,
        used_at=used,
    )


def _try(code: str, issued: IssuedCode | None, *, after: timedelta) -> CodeVerdict:
    digest = code_digest(CIPHER, phone_hash=PHONE, code=code)
    return check_code(issued, digest, now=SENT + after, policy=POLICY)


def test_a_code_is_six_digits_and_codes_differ() -> None:
    codes = {new_code() for _ in range(200)}
    assert all(len(c) == 6 and c.isdigit() for c in codes)
    assert len(codes) > 150


def test_the_stored_hash_is_keyed_bound_to_the_phone_and_never_the_code() -> None:
    digest = code_digest(CIPHER, phone_hash=PHONE, code="123456")
    assert "123456" not in digest and len(digest) == 64
    other_key = PiiCipher({"k": b"K" * 32}, active_key_id="k", lookup_key=b"M" * 32)
    assert code_digest(other_key, phone_hash=PHONE, code="123456") != digest
    other_phone = CIPHER.lookup_hash("phone", "13900139000")
    assert code_digest(CIPHER, phone_hash=other_phone, code="123456") != digest


def test_the_right_code_within_five_minutes_is_accepted() -> None:
    assert _try("123456", _issued(), after=timedelta(minutes=4, seconds=59)) is CodeVerdict.ACCEPTED


def test_a_code_expires_after_five_minutes() -> None:
    assert _try("123456", _issued(), after=timedelta(minutes=5)) is CodeVerdict.EXPIRED


def test_a_code_signs_in_once() -> None:
    used = _issued(used=SENT + timedelta(seconds=30))
    assert _try("123456", used, after=timedelta(minutes=1)) is CodeVerdict.USED


def test_the_fifth_wrong_try_spends_the_code_and_then_even_the_right_one_fails() -> None:
    verdicts = [_try("000000", _issued(attempts=n), after=timedelta(seconds=10)) for n in range(5)]
    assert verdicts == [CodeVerdict.WRONG] * 4 + [CodeVerdict.EXHAUSTED]
    spent = _issued(attempts=5)
    assert _try("123456", spent, after=timedelta(seconds=10)) is CodeVerdict.EXHAUSTED


def test_no_code_sent_is_missing() -> None:
    assert _try("123456", None, after=timedelta(0)) is CodeVerdict.MISSING


def test_a_refusal_says_what_happened_and_what_to_do() -> None:
    wrong = reject(CodeVerdict.WRONG, tries_left=3)
    assert isinstance(wrong, SmsCodeRejectedError) and wrong.status == 401
    assert wrong.extra == {"reason": "wrong", "tries_left": 3} and "3 tries left" in str(
        wrong.remedy
    )
    assert reject(CodeVerdict.EXPIRED, tries_left=0).remedy == "ask for a new code"


def _send(to_phone: list[timedelta], from_client: list[timedelta], *, at: timedelta) -> None:
    ensure_may_send(
        to_phone=[SENT + t for t in to_phone],
        from_client=[SENT + t for t in from_client],
        now=SENT + at,
        policy=POLICY,
    )


def test_a_new_code_to_the_same_phone_waits_a_minute() -> None:
    with pytest.raises(RateLimitedError) as refused:
        _send([timedelta(0)], [timedelta(0)], at=timedelta(seconds=20))
    assert refused.value.extra["retry_after_seconds"] == 40
    _send([timedelta(0)], [timedelta(0)], at=timedelta(seconds=60))


def test_a_phone_gets_five_codes_an_hour() -> None:
    sent = [timedelta(minutes=m) for m in (0, 5, 10, 15, 20)]
    with pytest.raises(RateLimitedError) as refused:
        _send(sent, sent, at=timedelta(minutes=30))
    assert refused.value.extra["retry_after_seconds"] == 30 * 60
    _send(sent[1:], sent[1:], at=timedelta(minutes=60))  # the oldest left the hour


def test_a_client_address_gets_twenty_codes_an_hour_whatever_the_phones() -> None:
    many = [timedelta(minutes=m) for m in range(20)]
    with pytest.raises(RateLimitedError) as refused:
        _send([], many, at=timedelta(minutes=30))
    assert refused.value.field == "phone" and refused.value.extra["limit"] == "sms_codes"
    _send([], many[:19], at=timedelta(minutes=30))
