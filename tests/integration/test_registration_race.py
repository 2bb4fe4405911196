"""Two registrations of one ID number at once: the loser gets the typed conflict (409), not a
database error, and no database error ever shows the statement's parameters."""

from __future__ import annotations

import os
import threading

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from thinfile.errors import ConflictError
from thinfile.security.crypto import PiiCipher
from thinfile.security.passwords import PasswordHasher
from thinfile.security.roles import Role
from thinfile.services.applicants import register_applicant
from thinfile.services.identity import create_user
from thinfile.services.identity_records import Actor, new_id, now_utc

ID_NUMBER = "11010519491231002X"


def _cipher() -> PiiCipher:
    return PiiCipher({"k1": os.urandom(32)}, active_key_id="k1", lookup_key=b"L" * 32)


def _borrower(engine: Engine, email: str) -> Actor:
    user = create_user(
        engine, PasswordHasher(time_cost=1, memory_kib=8), email=email, password="pw-1234567"
    )
    return Actor(user.id, Role.BORROWER)


def _applicant_row(user_id: str, cipher: PiiCipher) -> dict[str, object]:
    return {
        "id": new_id(),
        "user_id": user_id,
        "name_enc": "k1:AAAA",
        "id_number_enc": "k1:BBBB",
        "phone_enc": "k1:CCCC",
        "id_number_hash": cipher.lookup_hash("id_number", ID_NUMBER),
        "phone_hash": cipher.lookup_hash("phone", "13800138000"),
        "key_id": "k1",
        "created_at": now_utc(),
    }


def test_the_loser_of_a_registration_race_gets_a_conflict(engine: Engine) -> None:
    cipher = _cipher()
    first, second = _borrower(engine, "a@example.cn"), _borrower(engine, "b@example.cn")
    outcome: list[BaseException | None] = []

    def register() -> None:
        try:
            register_applicant(
                engine, cipher, actor=second, name="王芳", id_number=ID_NUMBER, phone="13800138001"
            )
            outcome.append(None)
        except BaseException as error:  # the test inspects what it was
            outcome.append(error)

    applicants = sa.table("applicants", *(sa.column(c) for c in _applicant_row("", cipher)))
    winner = engine.connect()
    try:
        winner.begin()  # the first registration has inserted, and not yet committed
        winner.execute(sa.insert(applicants).values(_applicant_row(first.user_id, cipher)))
        loser = threading.Thread(target=register)
        loser.start()
        loser.join(timeout=2)  # it passes its check, then waits on the unique index (or lock)
        winner.commit()
    finally:
        winner.close()
    loser.join(timeout=60)
    assert len(outcome) == 1
    assert isinstance(outcome[0], ConflictError), repr(outcome[0])
    assert outcome[0].status == 409


def test_a_database_error_never_shows_the_personal_data_it_was_given(engine: Engine) -> None:
    cipher = _cipher()
    first, second = _borrower(engine, "c@example.cn"), _borrower(engine, "d@example.cn")
    row = _applicant_row(first.user_id, cipher)
    applicants = sa.table("applicants", *(sa.column(c) for c in row))
    with engine.begin() as conn:
        conn.execute(sa.insert(applicants).values(row))
    again = {**row, "id": new_id(), "user_id": second.user_id, "name_enc": "k1:SEALED-NAME"}
    with pytest.raises(IntegrityError) as refused, engine.begin() as conn:
        conn.execute(sa.insert(applicants).values(again))
    shown = str(refused.value)
    assert "SQL parameters hidden" in shown
    assert "k1:SEALED-NAME" not in shown and "k1:BBBB" not in shown
