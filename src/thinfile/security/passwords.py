"""Password hashing with argon2id (argon2-cffi).

A sign-in must not tell a stranger whether an address has an account, by its answer or by its
time. So every :meth:`PasswordHasher.verify` costs at least one verification under today's
parameters: with no stored hash (an unknown or inactive address) it checks a dummy hash made
with them, and with a hash made under other (older, weaker) parameters it checks the dummy as
well. The caller replaces such a hash after a successful sign-in (:meth:`needs_rehash`).
"""

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
        """True when ``password`` matches ``stored_hash``; never faster than a verification
        under today's parameters, whether the hash is missing, old or current."""
        matches = bool(stored_hash) and self._verify_hash(stored_hash or "", password)
        if not stored_hash or self.needs_rehash(stored_hash):
            self._verify_hash(self._dummy, password)  # spend today's cost, whatever the hash
        return matches

    def needs_rehash(self, stored_hash: str) -> bool:
        """Whether ``stored_hash`` was made with other parameters than today's (or is not an
        argon2 hash at all)."""
        try:
            return bool(self._argon2.check_needs_rehash(stored_hash))
        except (InvalidHashError, ValueError):
            return True

    def _verify_hash(self, stored_hash: str, password: str) -> bool:
        """One argon2 verification (the only place one happens)."""
        try:
            return bool(self._argon2.verify(stored_hash, password))
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False
