"""A real password hasher that notes what it verifies against (for timing-equality tests that
assert the work done, never the wall-clock time)."""

from __future__ import annotations

from argon2 import Parameters, extract_parameters

from thinfile.security.passwords import PasswordHasher

__all__ = ["CountingHasher"]


class CountingHasher(PasswordHasher):
    """A real hasher that notes the parameters of every hash it verifies against."""

    def __init__(self, *, time_cost: int, memory_kib: int) -> None:
        super().__init__(time_cost=time_cost, memory_kib=memory_kib)
        self.verified: list[Parameters] = []

    def _verify_hash(self, stored_hash: str, password: str) -> bool:
        self.verified.append(extract_parameters(stored_hash))
        return super()._verify_hash(stored_hash, password)
