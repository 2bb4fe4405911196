"""The rules of one-time SMS sign-in codes, with the clock in the test's hands."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from thinfile.errors import RateLimitedError, SmsCodeRejectedError
from thinfile.security.crypto import PiiCipher
from thinfile.security.otp import (
    NO_LIVE_CODE,
    TRY_WINDOW,
    CodePolicy,
    CodeVerdict,
    IssuedCode,
    check_code,
    code_digest,
    ensure_may_send,
    ensure_may_try,
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


def test_no_code_sent_a_used_code_and_an_expired_one_get_one_answer() -> None:
    """ "Used" would tell a stranger the number has an account, "missing" that it has none:
    the borrower is told only that there is no code to try, whichever it was."""
    answers = [
        reject(verdict, tries_left=0).as_dict()
        for verdict in (CodeVerdict.MISSING, CodeVerdict.USED, CodeVerdict.EXPIRED)
    ]
    assert answers[0] == answers[1] == answers[2]
    assert answers[0]["code"] == "sms_code_rejected"
    assert answers[0]["message"] == "the code is wrong or has expired"
    assert answers[0]["details"] == {
        "field": "code",
        "remedy": "ask for a new code",
        "reason": NO_LIVE_CODE,
        "tries_left": 0,
    }


def _tried(at: timedelta, *, attempts: int, used: bool = False) -> IssuedCode:
    sent = SENT + at
    return IssuedCode(
        id=f"c{at.total_seconds()}",
        code_hash="x",
        sent_at=sent,
        expires_at=sent + timedelta(seconds=POLICY.ttl_seconds),
        attempts=attempts,
        used_at=sent + timedelta(seconds=30) if used else None,
    )


def test_wrong_tries_are_counted_across_codes_and_a_new_code_brings_none() -> None:
    first, second = _tried(timedelta(0), attempts=5), _tried(timedelta(minutes=2), attempts=4)
    assert ensure_may_try([first, second], now=SENT + timedelta(minutes=3), policy=POLICY) == 1
    third = _tried(timedelta(minutes=3), attempts=1)
    with pytest.raises(RateLimitedError) as refused:
        ensure_may_try([first, second, third], now=SENT + timedelta(minutes=4), policy=POLICY)
    error = refused.value
    assert error.field == "phone" and error.extra["limit"] == "sms_wrong_tries"
    assert "sign in with a password" in str(error.remedy)
    # the first code's five tries leave the window a day after it expired, and then the
    # five left (4 + 1) are under the budget of ten
    back = first.expires_at + TRY_WINDOW
    assert f"after {back:%Y-%m-%d %H:%M} UTC" in str(error.remedy)
    wait = back - (SENT + timedelta(minutes=4))
    assert error.extra["retry_after_seconds"] == wait.total_seconds()
    assert ensure_may_try([first, second, third], now=back, policy=POLICY) == 5


def test_a_successful_use_is_no_wrong_try_and_tries_at_a_spent_code_guess_nothing() -> None:
    used = _tried(timedelta(0), attempts=3, used=True)  # two wrong, then the right code
    spent = _tried(timedelta(minutes=2), attempts=9)  # five guesses, four tries at nothing
    assert ensure_may_try([used, spent], now=SENT + timedelta(minutes=3), policy=POLICY) == 3


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
