"""Phone sign-in and real-name verification as use cases, on SQLite and PostgreSQL, with the
sandbox adapters and a clock the test moves."""

from __future__ import annotations

import json
import os
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from tests.support.cli import run
from tests.support.decisioning import id_number
from thinfile.adapters import SandboxRealNameVerifier, SandboxSmsSender
from thinfile.errors import (
    AuthenticationError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitedError,
    RealNameMismatchError,
    RealNameRequiredError,
    SmsCodeRejectedError,
)
from thinfile.security.crypto import PiiCipher, pii_cipher
from thinfile.security.otp import NO_LIVE_CODE, TRY_WINDOW, CodePolicy
from thinfile.security.roles import Role
from thinfile.services import applicants, identity, phone_sign_in, real_name
from thinfile.services.identity_records import SYSTEM, Actor
from thinfile.services.uow import UnitOfWork
from thinfile.settings import Settings
from thinfile.store import make_engine, upgrade

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
POLICY = CodePolicy()
PHONE = "13800138000"


@pytest.fixture
def cipher() -> PiiCipher:
    return PiiCipher({"k1": os.urandom(32)}, active_key_id="k1", lookup_key=b"L" * 32)


@pytest.fixture
def sms(engine: Engine, cipher: PiiCipher) -> SandboxSmsSender:
    return SandboxSmsSender(engine, cipher)


def _send(
    engine: Engine,
    cipher: PiiCipher,
    sms: SandboxSmsSender,
    *,
    at: datetime = T0,
    phone: str = PHONE,
    client: str = "10.0.0.1",
    device: str | None = None,
) -> str:
    phone_sign_in.request_sign_in_code(
        engine, cipher, sms, phone=phone, client=client, policy=POLICY, device=device, now=at
    )
    return sms.inbox(phone, limit=1)[0].params["code"]


def _sign_in(
    engine: Engine,
    cipher: PiiCipher,
    code: str,
    *,
    at: datetime,
    phone: str = PHONE,
    device: str | None = None,
) -> phone_sign_in.PhoneSignIn:
    return phone_sign_in.sign_in_with_code(
        engine,
        cipher,
        phone=phone,
        code=code,
        client="10.0.0.1",
        policy=POLICY,
        device=device,
        now=at,
    )


def _rows(engine: Engine, sql: str) -> list[tuple[object, ...]]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(sa.text(sql))]


def test_a_code_opens_a_borrower_account_once_and_then_signs_in_to_it(
    engine: Engine, cipher: PiiCipher, sms: SandboxSmsSender
) -> None:
    code = _send(engine, cipher, sms)
    first = _sign_in(engine, cipher, code, at=T0 + timedelta(minutes=1))
    assert first.is_new_account and first.user.role is Role.BORROWER and first.user.email is None
    assert identity.get_user(engine, first.user.id).email is None
    later = _send(engine, cipher, sms, at=T0 + timedelta(minutes=2), phone="+86 138 0013 8000")
    again = _sign_in(engine, cipher, later, at=T0 + timedelta(minutes=3))
    assert not again.is_new_account and again.user.id == first.user.id
    actions = [a for (a,) in _rows(engine, "SELECT action FROM audit_log ORDER BY seq")]
    assert actions == ["auth.sms_code_sent", "auth.sms_sign_in"] * 2


def test_a_code_typed_in_full_width_digits_is_the_code_it_stands_for(
    engine: Engine, cipher: PiiCipher, sms: SandboxSmsSender
) -> None:
    code = _send(engine, cipher, sms)
    wide = "".join(chr(ord(d) - ord("0") + ord("０")) for d in code)  # １２３４５６
    assert wide != code and wide.isdigit()
    signed_in = _sign_in(engine, cipher, f" {wide} ", at=T0 + timedelta(minutes=1))
    assert signed_in.is_new_account


def test_no_code_is_stored_in_plain_text(
    engine: Engine, cipher: PiiCipher, sms: SandboxSmsSender
) -> None:
    code = _send(engine, cipher, sms)
    stored = _rows(engine, "SELECT * FROM sms_codes") + _rows(engine, "SELECT * FROM audit_log")
    assert code not in repr(stored) and PHONE not in repr(stored)


def test_a_code_is_refused_after_five_minutes(
    engine: Engine, cipher: PiiCipher, sms: SandboxSmsSender
) -> None:
    code = _send(engine, cipher, sms)
    with pytest.raises(SmsCodeRejectedError) as refused:
        _sign_in(engine, cipher, code, at=T0 + timedelta(minutes=5))
    assert refused.value.extra["reason"] == NO_LIVE_CODE
    assert _failures(engine) == ["expired"]  # the audit log keeps what happened
    assert _rows(engine, "SELECT count(*) FROM users") == [(0,)]


def test_five_wrong_tries_spend_the_code_and_each_try_is_counted(
    engine: Engine, cipher: PiiCipher, sms: SandboxSmsSender
) -> None:
    code = _send(engine, cipher, sms)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    left = []
    for n in range(5):
        with pytest.raises(SmsCodeRejectedError) as refused:
            _sign_in(engine, cipher, wrong, at=T0 + timedelta(seconds=10 + n))
        left.append(refused.value.extra["tries_left"])
    assert left == [4, 3, 2, 1, 0]
    assert _rows(engine, "SELECT attempts FROM sms_codes") == [(5,)]
    with pytest.raises(SmsCodeRejectedError) as late:
        _sign_in(engine, cipher, code, at=T0 + timedelta(seconds=30))
    assert late.value.extra["reason"] == "exhausted"


def test_a_code_is_used_once_and_a_newer_code_replaces_an_older_one(
    engine: Engine, cipher: PiiCipher, sms: SandboxSmsSender
) -> None:
    old = _send(engine, cipher, sms)
    new = _send(engine, cipher, sms, at=T0 + timedelta(minutes=1))
    if old != new:  # one chance in a million they are the same digits
        with pytest.raises(SmsCodeRejectedError):
            _sign_in(engine, cipher, old, at=T0 + timedelta(minutes=2))
    _sign_in(engine, cipher, new, at=T0 + timedelta(minutes=2))
    with pytest.raises(SmsCodeRejectedError) as reused:
        _sign_in(engine, cipher, new, at=T0 + timedelta(minutes=2, seconds=5))
    assert reused.value.extra["reason"] == NO_LIVE_CODE
    assert _failures(engine)[-1] == "used"


def _failures(engine: Engine) -> list[str]:
    """The reasons the audit log gives for the refused tries, oldest first."""
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT details FROM audit_log WHERE action = 'auth.sms_sign_in_failed' "
                "ORDER BY seq"
            )
        ).scalars()
        return [str((d if isinstance(d, dict) else json.loads(d))["reason"]) for d in rows]


def test_a_stranger_cannot_tell_a_customer_s_number_from_an_unknown_one(
    engine: Engine, cipher: PiiCipher, sms: SandboxSmsSender
) -> None:
    """A customer's number (its newest code used to sign in) and a number never seen get the
    same refusal, with no SMS sent and no code to hand; only the audit log tells them apart."""
    customer, unknown = PHONE, "13900139000"
    _sign_in(engine, cipher, _send(engine, cipher, sms), at=T0 + timedelta(seconds=10))
    answers = []
    for phone in (customer, unknown):
        with pytest.raises(SmsCodeRejectedError) as refused:
            _sign_in(engine, cipher, "000000", at=T0 + timedelta(minutes=1), phone=phone)
        answers.append((refused.value.status, refused.value.as_dict()))
    assert answers[0] == answers[1]
    details = answers[0][1]["details"]
    assert isinstance(details, dict) and details["reason"] == NO_LIVE_CODE
    assert _failures(engine) == ["used", "missing"]


def test_a_right_code_for_a_closed_account_is_spent_audited_and_refused(
    engine: Engine, cipher: PiiCipher, sms: SandboxSmsSender
) -> None:
    user = _sign_in(engine, cipher, _send(engine, cipher, sms), at=T0 + timedelta(seconds=10))
    identity.deactivate_user(engine, user_id=user.user.id, actor=SYSTEM)
    code = _send(engine, cipher, sms, at=T0 + timedelta(minutes=2))
    with pytest.raises(AuthenticationError) as refused:
        _sign_in(engine, cipher, code, at=T0 + timedelta(minutes=3))
    assert type(refused.value) is AuthenticationError
    assert refused.value.message == "this account is closed" and refused.value.remedy
    assert _failures(engine) == ["closed"]
    used = _rows(engine, "SELECT used_at FROM sms_codes ORDER BY sent_at DESC")[0]
    assert used[0] is not None  # the code is spent: it cannot be tried again and again
    with pytest.raises(SmsCodeRejectedError) as again:
        _sign_in(engine, cipher, code, at=T0 + timedelta(minutes=3, seconds=5))
    assert again.value.extra["reason"] == NO_LIVE_CODE
    assert _failures(engine) == ["closed", "used"]


def test_ten_wrong_tries_a_day_across_codes_pause_sign_in_by_code(
    engine: Engine, cipher: PiiCipher, sms: SandboxSmsSender
) -> None:
    """Each new code used to bring five fresh tries (about 600 guesses a day at one account).
    The phone's wrong tries are now counted across its codes: after ten within a day, even the
    right code is refused until the oldest tries leave the window."""

    def wrong_tries(code: str, n: int, at: datetime) -> list[int]:
        wrong = f"{(int(code) + 1) % 1_000_000:06d}"
        left = []
        for i in range(n):
            with pytest.raises(SmsCodeRejectedError) as refused:
                _sign_in(engine, cipher, wrong, at=at + timedelta(seconds=i))
            tries_left = refused.value.extra["tries_left"]
            assert isinstance(tries_left, int)
            left.append(tries_left)
        return left

    first = _send(engine, cipher, sms)
    assert wrong_tries(first, 5, T0 + timedelta(seconds=10)) == [4, 3, 2, 1, 0]
    second = _send(engine, cipher, sms, at=T0 + timedelta(minutes=2))
    assert wrong_tries(second, 3, T0 + timedelta(minutes=2, seconds=10)) == [4, 3, 2]
    third = _send(engine, cipher, sms, at=T0 + timedelta(minutes=4))
    # the day's budget runs out before the third code's own five tries
    assert wrong_tries(third, 2, T0 + timedelta(minutes=4, seconds=10)) == [1, 0]
    now = T0 + timedelta(minutes=5)
    with pytest.raises(RateLimitedError) as paused:
        _sign_in(engine, cipher, third, at=now)
    error = paused.value
    back = T0 + timedelta(seconds=POLICY.ttl_seconds) + TRY_WINDOW  # the first code's tries go
    assert error.extra["limit"] == "sms_wrong_tries" and error.field == "phone"
    assert f"after {back:%Y-%m-%d %H:%M} UTC" in str(error.remedy)
    assert error.extra["retry_after_seconds"] == (back - now).total_seconds()
    assert "sign in with a password" in str(error.remedy)
    assert _failures(engine)[-1] == "too_many_wrong_tries"
    attempts = _rows(engine, "SELECT attempts, used_at FROM sms_codes ORDER BY sent_at")
    assert attempts == [(5, None), (3, None), (2, None)]  # the paused try counted nothing
    sent = len(sms.inbox(PHONE))
    with pytest.raises(RateLimitedError) as no_code:  # no new code while paused: it could not work
        _send(engine, cipher, sms, at=back - timedelta(minutes=1))
    assert no_code.value.extra["limit"] == "sms_wrong_tries"
    assert no_code.value.extra["retry_after_seconds"] == 60
    assert len(sms.inbox(PHONE)) == sent
    assert len(_rows(engine, "SELECT id FROM sms_codes")) == 3  # nothing stored either
    signed_in = _sign_in(engine, cipher, _send(engine, cipher, sms, at=back), at=back)
    assert signed_in.is_new_account


def _strangers_spend_the_numbers_tries_and_sends(
    engine: Engine, cipher: PiiCipher, sms: SandboxSmsSender, start: datetime
) -> None:
    """Ten wrong tries at the number from codes a stranger asked for, and the hour's sends."""
    for n in range(5):
        at = start + timedelta(minutes=2 * n)
        _send(engine, cipher, sms, at=at, client=f"203.0.113.{n}")
        for k in range(2):
            with pytest.raises(SmsCodeRejectedError):
                _sign_in(engine, cipher, "999999", at=at + timedelta(seconds=k + 1))


def test_a_strangers_wrong_tries_at_the_number_do_not_pause_the_borrowers_own_device(
    engine: Engine, cipher: PiiCipher, sms: SandboxSmsSender
) -> None:
    """Anyone who knows a number can spend its ten wrong tries and its five codes an hour.
    The device the borrower signed in on keeps its own codes, tries and sends: it still signs
    in; a device never seen (or a forged token) is paused with the stranger."""
    first = _sign_in(engine, cipher, _send(engine, cipher, sms), at=T0 + timedelta(seconds=5))
    device = first.device_token
    assert first.is_new_account and len(device) == 64
    _strangers_spend_the_numbers_tries_and_sends(engine, cipher, sms, T0 + timedelta(hours=1))
    later = T0 + timedelta(hours=1, minutes=11)
    for token in (None, "0" * 64, device[::-1]):
        with pytest.raises(RateLimitedError):  # no device token, or a forged one
            _send(engine, cipher, sms, at=later, device=token)
    code = _send(engine, cipher, sms, at=later, device=device)
    again = _sign_in(engine, cipher, code, at=later + timedelta(seconds=30), device=device)
    assert again.user.id == first.user.id and again.device_token == device
    audits = _rows(engine, "SELECT action, details FROM audit_log ORDER BY seq")
    assert json.loads(str(audits[-1][1]))["known_device"] is True


def test_a_devices_code_is_checked_only_against_tries_from_that_device(
    engine: Engine, cipher: PiiCipher, sms: SandboxSmsSender
) -> None:
    device = _sign_in(engine, cipher, _send(engine, cipher, sms), at=T0).device_token
    other = _sign_in(  # another number's device token is no token here
        engine,
        cipher,
        _send(engine, cipher, sms, phone="13900139000", client="10.0.0.2"),
        at=T0 + timedelta(seconds=5),
        phone="13900139000",
    ).device_token
    at = T0 + timedelta(minutes=2)
    code = _send(engine, cipher, sms, at=at, device=device)
    for token in (None, other):
        with pytest.raises(SmsCodeRejectedError) as refused:
            _sign_in(engine, cipher, code, at=at + timedelta(seconds=10), device=token)
        assert refused.value.extra["reason"] == NO_LIVE_CODE
    tagged = _rows(engine, "SELECT device_hash, attempts FROM sms_codes ORDER BY sent_at")
    assert [bool(h) for h, _ in tagged] == [False, False, True]
    assert tagged[-1][1] == 0  # the tries without the device never touched its code
    signed_in = _sign_in(engine, cipher, code, at=at + timedelta(seconds=20), device=device)
    assert not signed_in.is_new_account and signed_in.device_token == device


def test_codes_are_limited_per_phone_and_per_client_address(
    engine: Engine, cipher: PiiCipher, sms: SandboxSmsSender
) -> None:
    for minute in range(0, 5):
        _send(engine, cipher, sms, at=T0 + timedelta(minutes=minute * 2))
    with pytest.raises(RateLimitedError):
        _send(engine, cipher, sms, at=T0 + timedelta(minutes=20))
    assert len(sms.inbox(PHONE)) == 5  # the refused code was neither stored nor sent
    _send(engine, cipher, sms, at=T0 + timedelta(minutes=61))  # the first left the hour
    for n in range(15):  # with minutes 2, 4, 6, 8 and 61: twenty within the hour
        _send(engine, cipher, sms, at=T0 + timedelta(minutes=62), phone=f"1390000{n:04d}")
    with pytest.raises(RateLimitedError):  # the twenty-first from 10.0.0.1
        _send(engine, cipher, sms, at=T0 + timedelta(minutes=62), phone="13900009999")
    _send(engine, cipher, sms, at=T0 + timedelta(minutes=62), phone="13900009999", client="b")


def test_an_account_has_one_device_token_which_sign_out_changes(
    engine: Engine, cipher: PiiCipher, sms: SandboxSmsSender
) -> None:
    """Every sign-in of the account hands back the same token, so signing in again and again
    does not open more lanes with more sends and tries; signing out ends it everywhere, and
    the old token then asks for codes like a device never seen."""
    first = _sign_in(engine, cipher, _send(engine, cipher, sms), at=T0)
    at = T0 + timedelta(minutes=2)
    second = _sign_in(engine, cipher, _send(engine, cipher, sms, at=at), at=at)
    assert second.device_token == first.device_token
    identity.sign_out(engine, actor=Actor(first.user.id, Role.BORROWER))
    at = T0 + timedelta(minutes=4)
    code = _send(engine, cipher, sms, at=at, device=first.device_token)
    tags = _rows(engine, "SELECT device_hash FROM sms_codes ORDER BY sent_at")
    assert tags[-1] == (None,)  # the old token opened no lane
    after = _sign_in(engine, cipher, code, at=at + timedelta(seconds=5))
    assert after.device_token not in ("", first.device_token)


def test_a_known_devices_codes_count_in_the_client_addresss_hourly_cap(
    engine: Engine, cipher: PiiCipher, sms: SandboxSmsSender
) -> None:
    """The twenty codes an hour per address stop one client texting many numbers; codes
    asked for with device tokens count in them too, so a client holding many numbers' tokens
    cannot text more."""
    device = _sign_in(engine, cipher, _send(engine, cipher, sms), at=T0).device_token
    at = T0 + timedelta(minutes=2)
    _send(engine, cipher, sms, at=at, device=device)
    for n in range(18):  # with the two above: the address's twenty for the hour
        _send(engine, cipher, sms, at=at, phone=f"1390000{n:04d}")
    with pytest.raises(RateLimitedError) as capped:
        _send(engine, cipher, sms, at=at + timedelta(minutes=1), device=device)
    assert capped.value.extra["limit"] == "sms_codes"


def _applicant(engine: Engine, cipher: PiiCipher, name: str) -> tuple[Actor, str]:
    user = _sign_in_new(engine, cipher)
    actor = Actor(user, Role.BORROWER)
    profile = applicants.register_applicant(
        engine, cipher, actor=actor, name=name, id_number=id_number(), phone="13700137000"
    )
    return actor, profile.id


def _sign_in_new(engine: Engine, cipher: PiiCipher) -> str:
    sms = SandboxSmsSender(engine, cipher)
    code = _send(engine, cipher, sms, phone="13700137000")
    return _sign_in(engine, cipher, code, at=T0 + timedelta(seconds=5), phone="13700137000").user.id


def test_real_name_verification_is_stored_once_and_audited(
    engine: Engine, cipher: PiiCipher
) -> None:
    actor, applicant_id = _applicant(engine, cipher, "王小明")
    assert not real_name.real_name_status(
        engine, applicant_id=applicant_id, actor=actor
    ).is_verified
    with UnitOfWork(engine) as uow, pytest.raises(RealNameRequiredError) as refused:
        real_name.ensure_real_name(uow, applicant_id)
    assert applicant_id in str(refused.value.remedy)
    verifier = SandboxRealNameVerifier()
    done = real_name.verify_real_name(
        engine, cipher, verifier, applicant_id=applicant_id, actor=actor
    )
    again = real_name.verify_real_name(
        engine, cipher, verifier, applicant_id=applicant_id, actor=actor
    )
    assert done.is_verified and again.reference == done.reference
    with UnitOfWork(engine) as uow:
        real_name.ensure_real_name(uow, applicant_id)
    audited = _rows(engine, "SELECT action, subject FROM audit_log WHERE action LIKE 'applicant.%'")
    assert audited == [
        ("applicant.register", f"applicant:{applicant_id}"),
        ("applicant.real_name_verified", f"applicant:{applicant_id}"),
    ]


def test_a_mismatch_is_refused_audited_and_not_stored(engine: Engine, cipher: PiiCipher) -> None:
    actor, applicant_id = _applicant(engine, cipher, "李不符")
    with pytest.raises(RealNameMismatchError):
        real_name.verify_real_name(
            engine, cipher, SandboxRealNameVerifier(), applicant_id=applicant_id, actor=actor
        )
    assert _rows(engine, "SELECT count(*) FROM real_name_verifications") == [(0,)]
    assert ("applicant.real_name_mismatch",) in _rows(engine, "SELECT action FROM audit_log")


def test_only_the_owner_verifies_a_profile(engine: Engine, cipher: PiiCipher) -> None:
    _actor, applicant_id = _applicant(engine, cipher, "王小明")
    stranger = Actor("someone-else", Role.BORROWER)
    with pytest.raises(PermissionDeniedError):
        real_name.verify_real_name(
            engine, cipher, SandboxRealNameVerifier(), applicant_id=applicant_id, actor=stranger
        )
    with pytest.raises(NotFoundError):
        real_name.real_name_status(engine, applicant_id="0" * 32, actor=stranger)


def test_the_command_line_shows_the_sandbox_inbox(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'cli.sqlite'}"
    monkeypatch.setenv("THINFILE_DATABASE_URL", url)
    settings = Settings()
    engine = make_engine(url)
    upgrade(engine)
    cipher = pii_cipher(settings)
    code = _send(engine, cipher, SandboxSmsSender(engine, cipher))
    engine.dispose()
    status, out, _err = run(capsys, "users", "sms-inbox", "--phone", PHONE)
    assert status == 0 and "138****8000" in out and code in out
    status, out, _err = run(capsys, "users", "sms-inbox", "--phone", "13900000000")
    assert status == 0 and out.strip() == "no messages"


def test_requests_at_once_never_send_more_codes_than_the_phone_may_have(
    engine: Engine, cipher: PiiCipher, sms: SandboxSmsSender
) -> None:
    """Twelve requests for one phone at the same moment, each from its own client: exactly
    ``per_phone`` codes go out and the rest are refused, however the requests interleave."""
    policy = CodePolicy(resend_seconds=0)

    def ask(n: int) -> str:
        try:
            phone_sign_in.request_sign_in_code(
                engine, cipher, sms, phone=PHONE, client=f"10.0.1.{n}", policy=policy, now=T0
            )
        except RateLimitedError:
            return "refused"
        return "sent"

    with ThreadPoolExecutor(12) as pool:
        answers = list(pool.map(ask, range(12)))
    assert answers.count("sent") == policy.per_phone, answers
    assert len(sms.inbox(PHONE, limit=50)) == policy.per_phone
