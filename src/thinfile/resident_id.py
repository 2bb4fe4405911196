"""Resident identity numbers (居民身份证号码) and mainland mobile numbers: the one definition.

GB 11643-1999: 17 digits and a check character from ISO 7064 MOD 11-2 (``10X98765432``
indexed by the weighted digit sum mod 11); digits 7–14 are the holder's birth date.
"""

from __future__ import annotations

import re
from datetime import date

__all__ = [
    "ID_CHECK",
    "ID_WEIGHTS",
    "id_birth_date",
    "id_check_character",
    "is_valid_id_number",
    "is_valid_phone",
]

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
"""2^(17−i) mod 11 for digit i."""
ID_CHECK = "10X98765432"
_ID = re.compile(r"\d{17}[\dX]")
_PHONE = re.compile(r"1[3-9]\d{9}")


def id_check_character(first17: str) -> str:
    """The GB 11643 check character of the first 17 digits."""
    return ID_CHECK[sum(int(d) * w for d, w in zip(first17, ID_WEIGHTS, strict=True)) % 11]


def id_birth_date(number: str) -> date | None:
    """The birth date inside an ID number, or None when it is not a real date."""
    digits = number.strip()[6:14]
    try:
        return date(int(digits[:4]), int(digits[4:6]), int(digits[6:8]))
    except ValueError:
        return None


def is_valid_id_number(number: str) -> bool:
    """18 characters, a correct check character and a real birth date."""
    text = number.strip().upper()
    if not _ID.fullmatch(text) or id_check_character(text[:17]) != text[17]:
        return False
    return id_birth_date(text) is not None


def is_valid_phone(number: str) -> bool:
    """A mainland mobile number: 11 digits starting 13–19."""
    return bool(_PHONE.fullmatch(number.strip()))
