"""Password checks cost the same whether or not the account exists, and old hashes are known."""

from __future__ import annotations

from argon2 import Parameters, extract_parameters

from tests.support.passwords import CountingHasher
from thinfile.security.passwords import PasswordHasher


def _current(hasher: PasswordHasher) -> Parameters:
    return extract_parameters(hasher.hash("anything at all"))


def test_an_unknown_account_costs_one_verification_with_todays_parameters() -> None:
    hasher = CountingHasher(time_cost=2, memory_kib=16)
    assert hasher.verify(None, "a guess") is False
    assert hasher.verified == [_current(hasher)]


def test_a_weak_stored_hash_also_costs_a_verification_with_todays_parameters() -> None:
    weak = PasswordHasher(time_cost=1, memory_kib=8).hash("the password")
    hasher = CountingHasher(time_cost=2, memory_kib=16)
    assert hasher.verify(weak, "a guess") is False
    assert hasher.verify(weak, "the password") is True
    assert hasher.verified.count(_current(hasher)) == 2
    assert hasher.needs_rehash(weak)


def test_a_current_hash_costs_exactly_one_verification() -> None:
    hasher = CountingHasher(time_cost=2, memory_kib=16)
    stored = hasher.hash("the password")
    assert hasher.verify(stored, "a guess") is False
    assert hasher.verified == [_current(hasher)]
    assert not hasher.needs_rehash(stored)
    assert hasher.needs_rehash("not an argon2 hash")
