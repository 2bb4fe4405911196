"""Personal identifiers: normalize, validate and mask them (no I/O).

Resident identity numbers (居民身份证号码) follow GB 11643-1999: 17 digits and a check
character (0-9 or X) computed with ISO 7064 MOD 11-2. Mobile numbers are 11 digits starting with 1;
a ``+86``/``86`` country prefix, spaces and dashes are accepted and removed.
"""

from __future__ import annotations

import re

from thinfile.errors import InvalidInputError
from thinfile.resident_id import id_check_character

__all__ = [
    "mask_id_number",
    "mask_name",
    "mask_phone",
    "normalize_id_number",
    "normalize_phone",
]

_ID_SHAPE = re.compile(r"\d{17}[\dX]")
_PHONE_SHAPE = re.compile(r"1\d{10}")


def normalize_id_number(text: str) -> str:
    value = text.strip().upper()
    if not _ID_SHAPE.fullmatch(value):
        raise InvalidInputError(
            "an ID number has 17 digits and a check digit or X",
            field="id_number",
            remedy="check the number on the ID card",
        )
    if id_check_character(value[:17]) != value[17]:
        raise InvalidInputError(
            "the ID number's check digit does not match",
            field="id_number",
            remedy="check the number on the ID card",
        )
    return value


def normalize_phone(text: str) -> str:
    digits = re.sub(r"[\s\-()]", "", text.strip())
    for prefix in ("+86", "0086", "86"):
        if digits.startswith(prefix) and len(digits) == 11 + len(prefix):
            digits = digits[len(prefix) :]
            break
    if not _PHONE_SHAPE.fullmatch(digits):
        raise InvalidInputError(
            "a mobile number has 11 digits and starts with 1",
            field="phone",
            remedy="enter the number without extra digits",
        )
    return digits


def _mask_middle(value: str, *, keep_start: int, keep_end: int) -> str:
    if len(value) <= keep_start + keep_end:
        return "*" * len(value)
    hidden = len(value) - keep_start - keep_end
    return value[:keep_start] + "*" * hidden + value[len(value) - keep_end :]


def mask_id_number(value: str) -> str:
    """``440101199001011234`` → ``4401**********1234``."""
    return _mask_middle(value, keep_start=4, keep_end=4)


def mask_phone(value: str) -> str:
    """``13812345678`` → ``138****5678``."""
    return _mask_middle(value, keep_start=3, keep_end=4)


def mask_name(value: str) -> str:
    """``张伟`` → ``张*``; ``欧阳娜娜`` → ``欧***``."""
    return value[:1] + "*" * (len(value) - 1) if value else value
