"""Password hashing with argon2id (argon2-cffi)."""

from __future__ import annotations

from argon2 import PasswordHasher as _Argon2
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

__all__ = ["PasswordHasher"]


class PasswordHasher:
    """argon2id hashes; ``verify`` never raises for a wrong password, it returns ``False``."""

    def __init__(self, *, time_cost: int = 3, memory_kib: int = 65_536) -> None:
        self._argon2 = _Argon2(time_cost=time_cost, memory_cost=memory_kib, parallelism=1)
        self._dummy = self._argon2.hash("thinfile-timing-equalizer")

    def hash(self, password: str) -> str:
        return str(self._argon2.hash(password))

    def verify(self, stored_hash: str | None, password: str) -> bool:
        """True when ``password`` matches; with no stored hash, spend the same time and fail."""
        try:
            return bool(self._argon2.verify(stored_hash or self._dummy, password)) and bool(
                stored_hash
            )
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False
