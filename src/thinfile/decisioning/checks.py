"""Identity and fraud facts an application is checked against before any scoring.

Resident ID numbers follow GB 11643-1999: 17 digits and a check character computed with
ISO 7064 MOD 11-2; digits 7–14 are the holder's birth date (YYYYMMDD).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from thinfile.errors import InvalidInputError
from thinfile.resident_id import (
    id_birth_date,
    id_check_character,
    is_valid_id_number,
    is_valid_phone,
)

__all__ = [
    "NO_HISTORY",
    "Checks",
    "History",
    "id_birth_date",
    "id_check_character",
    "is_valid_id_number",
    "is_valid_phone",
]


@dataclass(frozen=True, slots=True)
class History:
    """What the lender's own records say about the applicant at decision time."""

    applications_by_id_30d: int = 0
    applications_by_phone_30d: int = 0
    applications_by_device_1d: int = 0
    deny_listed: bool = False

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> History:
        """History as :meth:`as_dict` wrote it (as stored with a decision)."""
        denied = data.get("deny_listed")
        if not isinstance(denied, bool):
            raise InvalidInputError(
                "the stored history's deny_listed is not true or false",
                field="deny_listed",
                value=denied,
            )
        return cls(
            _count(data, "applications_by_id_30d"),
            _count(data, "applications_by_phone_30d"),
            _count(data, "applications_by_device_1d"),
            denied,
        )

    def as_dict(self) -> dict[str, object]:
        return {
            "applications_by_id_30d": self.applications_by_id_30d,
            "applications_by_phone_30d": self.applications_by_phone_30d,
            "applications_by_device_1d": self.applications_by_device_1d,
            "deny_listed": self.deny_listed,
        }


def _count(data: Mapping[str, object], name: str) -> int:
    value = data.get(name)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InvalidInputError(
            f"the stored history's {name} is not a count", field=name, value=value
        )
    return value


NO_HISTORY = History()
"""A first-time applicant: no earlier applications, not on the deny list."""


@dataclass(frozen=True, slots=True)
class Checks:
    """Facts the knockout table reads."""

    id_valid: bool
    id_matches_birth_date: bool
    phone_valid: bool
    consent_credit: bool
    history: History

    def as_context(self) -> dict[str, object]:
        return {
            "id_valid": self.id_valid,
            "id_matches_birth_date": self.id_matches_birth_date,
            "phone_valid": self.phone_valid,
            "consent_credit": self.consent_credit,
            **self.history.as_dict(),
        }
