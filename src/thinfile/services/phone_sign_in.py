"""Borrowers sign up and sign in with a mobile number and a one-time SMS code.

``request_sign_in_code`` sends a code (the rules are :mod:`thinfile.security.otp`: rate limits
per phone and per client, five-minute life, five wrong tries, single use, ten wrong tries a day
per phone across codes); the code is stored only as its keyed hash. ``sign_in_with_code``
checks a code against the newest one sent to the phone and hands back the account the phone
signs in with, opening a borrower account the first time, and the account's device token.
Codes asked for with that token are the known devices' own: checked only against a try with
the token, their sends and wrong tries counted apart, so a stranger who knows the number
cannot pause the borrower's own phone (:func:`~thinfile.security.otp.device_token`).
Every try, good or bad, is audited with what happened; a refused try is counted and
committed before the error is raised, and the error says no more than a stranger may learn
(no answer tells whether a number has an account). Staff keep signing in with an e-mail
address and a password.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.engine import Engine

from thinfile.errors import AuthenticationError, RateLimitedError
from thinfile.security.crypto import PiiCipher
from thinfile.security.otp import (
    TRY_WINDOW,
    WINDOW,
    CodePolicy,
    CodeVerdict,
    IssuedCode,
    check_code,
    code_digest,
    device_tag,
    device_token,
    ensure_may_send,
    ensure_may_try,
    new_code,
    reject,
)
from thinfile.security.pii import mask_phone, normalize_phone
from thinfile.security.roles import Role
from thinfile.services.audit import record_audit
from thinfile.services.identity_records import (
    PHONE_ACCOUNT_DOMAIN,
    UserRecord,
    as_utc,
    new_id,
    now_utc,
    shown_email,
)
from thinfile.services.ports import SmsSender, SmsTemplate
from thinfile.services.uow import UnitOfWork

__all__ = [
    "CodeSent",
    "PhoneSignIn",
    "phone_number",
    "request_sign_in_code",
    "sign_in_with_code",
]


@dataclass(frozen=True, slots=True)
class CodeSent:
    delivery_id: str
    phone_masked: str
    expires_in: int
    """Seconds the code works."""
    resend_after: int
    """Seconds before another code may be sent to the phone."""


@dataclass(frozen=True, slots=True)
class PhoneSignIn:
    user: UserRecord
    is_new_account: bool
    device_token: str = ""
    """The account's device token (:func:`~thinfile.security.otp.device_token`): codes asked
    for with it are the known devices' own."""


def phone_number(text: str) -> str:
    """The one place phone sign-in validates and normalizes a number."""
    return normalize_phone(text)


def request_sign_in_code(
    engine: Engine,
    cipher: PiiCipher,
    sms: SmsSender,
    *,
    phone: str,
    client: str,
    policy: CodePolicy,
    device: str | None = None,
    now: datetime | None = None,
) -> CodeSent:
    """Send a new sign-in code to ``phone``, unless the phone or the client has had its share,
    or sign-in by code is paused for the phone after its day's wrong tries
    (:class:`~thinfile.errors.RateLimitedError`, the same for every number, so no answer tells
    whether it has an account). With the account's device token (``device``) the code is the
    known devices' own, and only their codes are counted for the phone (the client address
    counts every code it asked for). The code is committed, then sent."""
    phone = phone_number(phone)
    now = now or now_utc()
    phone_hash = cipher.lookup_hash("phone", phone)
    client_hash = cipher.lookup_hash("client", client)
    code = new_code()
    with UnitOfWork(engine) as uow:
        tag = _lane(uow, cipher, phone_hash, device)
        to_phone, from_client = uow.sms_codes.sent_since(
            phone_hash=phone_hash, client_hash=client_hash, since=now - WINDOW, device_hash=tag
        )
        ensure_may_send(
            to_phone=[as_utc(t) for t in to_phone],
            from_client=[as_utc(t) for t in from_client],
            now=now,
            policy=policy,
        )
        _tries_left(uow, phone_hash, tag, now, policy)
        uow.sms_codes.add(
            {
                "id": new_id(),
                "phone_hash": phone_hash,
                "client_hash": client_hash,
                "code_hash": code_digest(cipher, phone_hash=phone_hash, code=code),
                "sent_at": now,
                "expires_at": now + timedelta(seconds=policy.ttl_seconds),
                "attempts": 0,
                "used_at": None,
                "device_hash": tag,
            }
        )
        record_audit(
            uow,
            "anonymous",
            "auth.sms_code_sent",
            _subject(phone_hash),
            {"client": client, "known_device": tag is not None},
        )
        uow.commit()
    minutes = str(max(1, policy.ttl_seconds // 60))
    delivery = sms.send(phone, SmsTemplate.SIGN_IN_CODE, {"code": code, "minutes": minutes})
    return CodeSent(delivery, mask_phone(phone), policy.ttl_seconds, policy.resend_seconds)


def sign_in_with_code(
    engine: Engine,
    cipher: PiiCipher,
    *,
    phone: str,
    code: str,
    client: str,
    policy: CodePolicy,
    device: str | None = None,
    now: datetime | None = None,
) -> PhoneSignIn:
    """The borrower account ``phone`` signs in with (opened now if there is none), when
    ``code`` is the newest code sent to it, unexpired, unused and within its tries;
    :class:`~thinfile.errors.SmsCodeRejectedError` otherwise, and
    :class:`~thinfile.errors.RateLimitedError` once the phone's codes took their day's wrong
    tries. A right code for a closed account is spent and refused
    (:class:`~thinfile.errors.AuthenticationError`). Each refusal is audited and committed
    first, with the code's attempt or use, so a refused try is never lost to a rollback.

    With the account's device token (``device``) the code is checked against the known
    devices' newest code and the wrong tries are theirs; without it (or with a token of
    another phone, an older one or a forged one), against the newest code asked for without
    it. The account's device token comes back (``device_token``)."""
    phone = phone_number(phone)
    now = now or now_utc()
    phone_hash = cipher.lookup_hash("phone", phone)
    digest = code_digest(cipher, phone_hash=phone_hash, code=code)
    with UnitOfWork(engine) as uow:
        tag = _lane(uow, cipher, phone_hash, device)
        row = uow.sms_codes.newest(phone_hash, device_hash=tag, lock=True)  # tries wait in turn
        issued = None if row is None else _issued(row)
        try:
            budget = _tries_left(uow, phone_hash, tag, now, policy)
        except RateLimitedError:
            _refused(uow, phone_hash, client, "too_many_wrong_tries", known_device=tag is not None)
            uow.commit()
            raise
        verdict = check_code(issued, digest, now=now, policy=policy)
        if verdict is CodeVerdict.ACCEPTED and issued is not None:
            if uow.sms_codes.use(issued.id, at=now):
                signed_in = _account(uow, phone_hash, now)
                if signed_in is None:  # the code is spent all the same: it proved the phone
                    _refused(uow, phone_hash, client, "closed", known_device=tag is not None)
                    uow.commit()
                    raise AuthenticationError(
                        "this account is closed", field="phone", remedy="contact the lender"
                    )
                user = signed_in.user
                record_audit(
                    uow,
                    f"{user.role.value}:{user.id}",
                    "auth.sms_sign_in",
                    f"user:{user.id}",
                    {
                        "client": client,
                        "new_account": signed_in.is_new_account,
                        "known_device": tag is not None,
                    },
                )
                uow.commit()
                token = device_token(
                    cipher, phone_hash=phone_hash, user_id=user.id, version=user.token_version
                )
                return replace(signed_in, device_token=token)
            verdict = CodeVerdict.USED
        if issued is not None and verdict in (CodeVerdict.WRONG, CodeVerdict.EXHAUSTED):
            uow.sms_codes.count_attempt(issued.id)
        _refused(uow, phone_hash, client, verdict.value, known_device=tag is not None)
        uow.commit()
    tries = 0 if issued is None else policy.max_attempts - issued.attempts - 1
    tries = min(tries, budget - 1)  # the day's budget may run out before the code's tries
    raise reject(verdict, tries_left=max(0, tries) if verdict is CodeVerdict.WRONG else 0)


def _refused(
    uow: UnitOfWork, phone_hash: str, client: str, reason: str, *, known_device: bool
) -> None:
    """Audit a refused try with what really happened (the borrower is told less)."""
    record_audit(
        uow,
        "anonymous",
        "auth.sms_sign_in_failed",
        _subject(phone_hash),
        {"client": client, "reason": reason, "known_device": known_device},
    )


def _lane(uow: UnitOfWork, cipher: PiiCipher, phone_hash: str, device: str | None) -> str | None:
    """The known devices' lane of the phone (the tag their codes are stored with) when
    ``device`` is the device token of the account the phone signs in with, at its current
    version; None otherwise — no token, no such account, a closed one, a token of another
    phone, an older one or a forged one all ask for and try codes like a device never seen."""
    if not device:
        return None
    user_id = uow.user_phones.user_of(phone_hash)
    row = None if user_id is None else uow.users.get(user_id)
    if row is None or not row.is_active:
        return None
    expected = device_token(
        cipher, phone_hash=phone_hash, user_id=str(row.id), version=int(row.token_version)
    )
    return device_tag(cipher, device) if hmac.compare_digest(expected, device) else None


def _tries_left(
    uow: UnitOfWork, phone_hash: str, tag: str | None, now: datetime, policy: CodePolicy
) -> int:
    """The wrong tries the phone's lane ``tag`` has left today, refused when none are
    (:func:`~thinfile.security.otp.ensure_may_try`), from its codes sent within a day and a
    code's life (a code's tries count until a day after it expired)."""
    since = now - TRY_WINDOW - timedelta(seconds=policy.ttl_seconds)
    recent = uow.sms_codes.sent_to_phone_since(phone_hash, since=since, device_hash=tag)
    return ensure_may_try([_issued(r) for r in recent], now=now, policy=policy)


def _subject(phone_hash: str) -> str:
    return f"phone:{phone_hash[:16]}"


def _issued(row: Any) -> IssuedCode:
    return IssuedCode(
        id=str(row.id),
        code_hash=str(row.code_hash),
        sent_at=as_utc(row.sent_at),
        expires_at=as_utc(row.expires_at),
        attempts=int(row.attempts),
        used_at=None if row.used_at is None else as_utc(row.used_at),
    )


def _account(uow: UnitOfWork, phone_hash: str, now: datetime) -> PhoneSignIn | None:
    """The account the phone signs in with, opened now if there is none; ``None`` when it is
    closed (the caller audits and commits the refusal before raising it)."""
    user_id = uow.user_phones.user_of(phone_hash)
    if user_id is None:
        user_id = new_id()
        uow.users.add(
            {
                "id": user_id,
                "email": f"{user_id}{PHONE_ACCOUNT_DOMAIN}",
                "password_hash": None,
                "role": Role.BORROWER.value,
                "is_active": True,
                "created_at": now,
            }
        )
        uow.user_phones.add(phone_hash=phone_hash, user_id=user_id, at=now)
        return PhoneSignIn(UserRecord(user_id, None, Role.BORROWER, now), True)
    row = uow.users.get(user_id)
    if row is None or not row.is_active:
        return None
    user = UserRecord(
        str(row.id),
        shown_email(str(row.email)),
        Role(str(row.role)),
        as_utc(row.created_at),
        token_version=int(row.token_version),  # tokens issued for it carry the current one
    )
    return PhoneSignIn(user, False)
