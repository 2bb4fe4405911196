"""Personal identifiers: normalize, validate and mask them (no I/O).

Resident identity numbers (居民身份证号码) follow GB 11643-1999: 17 digits and a check
character (0-9 or X) computed with ISO 7064 MOD 11-2. Mobile numbers are 11 digits in an
assigned mainland segment; a ``+86``/``86`` country prefix, spaces and dashes are accepted and
removed. Both are read by :mod:`thinfile.resident_id` (NFKC, then ASCII only: full-width digits
are the same number, other scripts' digits are refused), the one definition; these names are
kept for the services that already use them.
"""

from __future__ import annotations

from thinfile.resident_id import (
    id_check_character,  # noqa: F401 (tests import it from here)
    validate_id_number,
    validate_mobile,
)

__all__ = [
    "mask_id_number",
    "mask_name",
    "mask_phone",
    "normalize_id_number",
    "normalize_phone",
]


def normalize_id_number(text: str) -> str:
    """The ID number in normal form (see :func:`thinfile.resident_id.validate_id_number`)."""
    return validate_id_number(text)


def normalize_phone(text: str) -> str:
    """The 11-digit mobile number (see :func:`thinfile.resident_id.validate_mobile`)."""
    return validate_mobile(text)


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
