"""Sign-in on SQLite and PostgreSQL: an unknown address costs what a known one does, an old
hash is replaced after a good sign-in, and a taken address is left alone by sign-up."""

from __future__ import annotations

import pytest
from argon2 import extract_parameters
from sqlalchemy.engine import Engine

from tests.support.passwords import CountingHasher
from thinfile.errors import AuthenticationError
from thinfile.security.passwords import PasswordHasher
from thinfile.services import identity
from thinfile.services.uow import UnitOfWork

PASSWORD = "correct horse battery staple"


def _hash_of(engine: Engine, email: str) -> str:
    with UnitOfWork(engine) as uow:
        row = uow.users.active_by_email(email)
    assert row is not None
    return str(row.password_hash)


def test_an_unknown_address_is_verified_against_todays_parameters(engine: Engine) -> None:
    hasher = CountingHasher(time_cost=2, memory_kib=16)
    with pytest.raises(AuthenticationError):
        identity.sign_in(engine, hasher, email="ghost@example.com", password="x", client="t")
    assert [p.memory_cost for p in hasher.verified] == [16]
    assert [p.time_cost for p in hasher.verified] == [2]


def test_a_demo_hash_is_rehashed_with_todays_parameters_after_sign_in(engine: Engine) -> None:
    demo = PasswordHasher(time_cost=1, memory_kib=8)
    identity.create_user(engine, demo, email="demo@example.com", password=PASSWORD)
    hasher = CountingHasher(time_cost=2, memory_kib=16)
    with pytest.raises(AuthenticationError):
        identity.sign_in(engine, hasher, email="demo@example.com", password="wrong", client="t")
    assert 16 in [p.memory_cost for p in hasher.verified]  # a wrong guess costs today's price
    assert extract_parameters(_hash_of(engine, "demo@example.com")).memory_cost == 8
    user = identity.sign_in(engine, hasher, email="demo@example.com", password=PASSWORD, client="t")
    stored = _hash_of(engine, "demo@example.com")
    assert extract_parameters(stored).memory_cost == 16 and not hasher.needs_rehash(stored)
    assert user.token_version == 0  # a re-hash is not a password change


def test_sign_up_with_a_taken_address_changes_nothing(engine: Engine) -> None:
    hasher = PasswordHasher(time_cost=1, memory_kib=8)
    assert identity.sign_up(engine, hasher, email="o@example.com", password=PASSWORD) is True
    before = _hash_of(engine, "o@example.com")
    assert identity.sign_up(engine, hasher, email="O@example.com", password="other pass") is False
    assert _hash_of(engine, "o@example.com") == before
