"""Identity and fraud facts an application is checked against before any scoring.

Resident ID numbers follow GB 11643-1999: 17 digits and a check character computed with
ISO 7064 MOD 11-2; digits 7–14 are the holder's birth date (YYYYMMDD).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

__all__ = [
    "NO_HISTORY",
    "Checks",
    "History",
    "id_birth_date",
    "id_check_character",
    "is_valid_id_number",
    "is_valid_phone",
]

_WEIGHTS = tuple(pow(2, 17 - i, 11) for i in range(17))
_CHECK = "10X98765432"
_ID = re.compile(r"^\d{17}[\dX]$")
_PHONE = re.compile(r"^1[3-9]\d{9}$")


def id_check_character(first17: str) -> str:
    """The GB 11643 check character for the first 17 digits."""
    total = sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True))
    return _CHECK[total % 11]


def is_valid_id_number(number: str) -> bool:
    """True when ``number`` is 18 characters with a correct check character and real birth date."""
    text = number.strip().upper()
    if not _ID.match(text) or id_check_character(text[:17]) != text[17]:
        return False
    return id_birth_date(text) is not None


def id_birth_date(number: str) -> date | None:
    """The birth date inside an ID number, or None when it is not a real date."""
    digits = number.strip()[6:14]
    try:
        return date(int(digits[:4]), int(digits[4:6]), int(digits[6:8]))
    except ValueError:
        return None


def is_valid_phone(number: str) -> bool:
    """A mainland mobile number: 11 digits starting 13–19."""
    return bool(_PHONE.match(number.strip()))


@dataclass(frozen=True, slots=True)
class History:
    """What the lender's own records say about the applicant at decision time."""

    applications_by_id_30d: int = 0
    applications_by_phone_30d: int = 0
    applications_by_device_1d: int = 0
    deny_listed: bool = False

    def as_dict(self) -> dict[str, object]:
        return {
            "applications_by_id_30d": self.applications_by_id_30d,
            "applications_by_phone_30d": self.applications_by_phone_30d,
            "applications_by_device_1d": self.applications_by_device_1d,
            "deny_listed": self.deny_listed,
        }


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
