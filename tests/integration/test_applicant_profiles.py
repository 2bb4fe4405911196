"""Registering an applicant profile, on SQLite and PostgreSQL: the profile's phone is nobody
else's (reminders go to it and collections take it for the borrower's own), and the age rule
reads the date in the lender's time zone."""

from __future__ import annotations

import os
import threading
from datetime import UTC, datetime

import pytest
from sqlalchemy.engine import Engine

from tests.support.decisioning import id_number
from thinfile.errors import ConflictError, UnderageError
from thinfile.security.crypto import PiiCipher
from thinfile.security.passwords import PasswordHasher
from thinfile.security.roles import Role
from thinfile.services import applicants, business_date
from thinfile.services.applicants import register_applicant
from thinfile.services.identity import create_user
from thinfile.services.identity_records import Actor, now_utc
from thinfile.services.uow import UnitOfWork
from thinfile.store.identity_repo import ApplicantRepository

SIGN_IN_PHONE = "13700137001"


@pytest.fixture
def cipher() -> PiiCipher:
    return PiiCipher({"k1": os.urandom(32)}, active_key_id="k1", lookup_key=b"L" * 32)


def _borrower(engine: Engine, email: str) -> Actor:
    user = create_user(
        engine, PasswordHasher(time_cost=1, memory_kib=8), email=email, password="pw-1234567"
    )
    return Actor(user.id, Role.BORROWER)


def _signs_in_with(engine: Engine, cipher: PiiCipher, actor: Actor, phone: str) -> None:
    """Bind ``phone`` to the account as the phone it signs in with (as an SMS sign-in does)."""
    with UnitOfWork(engine) as uow:
        uow.user_phones.add(
            phone_hash=cipher.lookup_hash("phone", phone), user_id=actor.user_id, at=now_utc()
        )
        uow.commit()


def _register(engine: Engine, cipher: PiiCipher, actor: Actor, serial: int, phone: str) -> str:
    seq = f"{serial:03d}"
    return register_applicant(
        engine, cipher, actor=actor, name="王芳", id_number=id_number(seq=seq), phone=phone
    ).id


def test_a_phone_another_account_signs_in_with_is_refused(
    engine: Engine, cipher: PiiCipher
) -> None:
    owner, stranger = _borrower(engine, "o@example.cn"), _borrower(engine, "s@example.cn")
    _signs_in_with(engine, cipher, owner, SIGN_IN_PHONE)
    with pytest.raises(ConflictError) as refused:
        _register(engine, cipher, stranger, 1, f"+86 {SIGN_IN_PHONE[:3]}-{SIGN_IN_PHONE[3:]}")
    assert refused.value.field == "phone" and refused.value.remedy
    assert SIGN_IN_PHONE not in refused.value.one_line()
    _register(engine, cipher, owner, 2, SIGN_IN_PHONE)  # its own number: accepted
    _register(engine, cipher, stranger, 3, "13700137002")


def test_a_phone_another_profile_gives_is_refused(engine: Engine, cipher: PiiCipher) -> None:
    first, second = _borrower(engine, "f@example.cn"), _borrower(engine, "g@example.cn")
    _register(engine, cipher, first, 1, "13700137003")
    with pytest.raises(ConflictError) as refused:
        _register(
            engine, cipher, second, 2, "１３７００１３７００３"
        )  # the same number, full width
    assert refused.value.field == "phone"
    with UnitOfWork(engine) as uow:
        assert uow.applicants.id_of_user(second.user_id) is None


def test_two_registrations_giving_one_phone_at_once_leave_it_to_one(
    engine: Engine, cipher: PiiCipher, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first registration is held between its checks and its insert; the second, sent
    meanwhile, must wait for it and then find the phone taken (not pass its own check on a
    table that does not show the first's row yet)."""
    first, second = _borrower(engine, "a@example.cn"), _borrower(engine, "b@example.cn")
    checked, release = threading.Event(), threading.Event()
    insert = ApplicantRepository.add

    def held_add(self: ApplicantRepository, values: dict[str, object]) -> None:
        if values["user_id"] == first.user_id:
            checked.set()
            release.wait(10)
        insert(self, values)

    monkeypatch.setattr(ApplicantRepository, "add", held_add)
    outcome: dict[str, str] = {}

    def register(actor: Actor, serial: int) -> None:
        try:
            _register(engine, cipher, actor, serial, "13700137004")
            outcome[actor.user_id] = "registered"
        except ConflictError as error:
            outcome[actor.user_id] = f"refused on {error.field}"

    winner = threading.Thread(target=register, args=(first, 1))
    winner.start()
    assert checked.wait(10)
    loser = threading.Thread(target=register, args=(second, 2))
    loser.start()
    loser.join(timeout=1)  # it waits for the first (or, unguarded, is done already)
    release.set()
    winner.join(timeout=60)
    loser.join(timeout=60)
    assert outcome == {first.user_id: "registered", second.user_id: "refused on phone"}


def test_an_eighteenth_birthday_counts_from_midnight_in_the_lenders_time_zone(
    engine: Engine, cipher: PiiCipher, monkeypatch: pytest.MonkeyPatch
) -> None:
    """At 07:00 in Beijing on 1 June 2026 it is still 31 May in UTC: someone born on
    1 June 2008 is 18 already, someone born a day later is not."""
    seven_am = datetime(2026, 5, 31, 23, 0, tzinfo=UTC)
    monkeypatch.setattr(applicants, "now_utc", lambda: seven_am)
    monkeypatch.setattr(business_date, "now_utc", lambda: seven_am)  # the lender's today
    adult, minor = _borrower(engine, "adult@example.cn"), _borrower(engine, "minor@example.cn")
    register_applicant(
        engine,
        cipher,
        actor=adult,
        name="刚成年",
        id_number=id_number(birth="20080601"),
        phone="13700137005",
    )
    with pytest.raises(UnderageError):
        register_applicant(
            engine,
            cipher,
            actor=minor,
            name="差一天",
            id_number=id_number(birth="20080602"),
            phone="13700137006",
        )
