"""Resident identity numbers (居民身份证号码), birth dates and mainland mobile numbers: the one
definition, for the API, the pages, the command line and the decision engine.

GB 11643-1999: 17 digits and a check character from ISO 7064 MOD 11-2 (``10X98765432``
indexed by the weighted digit sum mod 11); digits 7–14 are the holder's birth date.

``validate_*`` read what a person typed: the text goes through the one normaliser
(:func:`thinfile.text.ascii_text`: NFKC, then ASCII only), so ``１１０１０５…`` is the same
number as ``110105…`` and ``١١٠١٠٥…`` is refused; they return the normal form (what is stored
and hashed for lookups) or raise a typed error naming the field. ``is_valid_*`` check a value
already in normal form (ASCII digits only) and return a bool, as the decision engine's checks do.
"""

from __future__ import annotations

import operator
import re
from datetime import date

from thinfile.errors import (
    InvalidBirthDateError,
    InvalidIdNumberError,
    InvalidMobileError,
    UnderageError,
)
from thinfile.text import ascii_text

__all__ = [
    "EARLIEST_BIRTH_DATE",
    "ID_CHECK",
    "ID_WEIGHTS",
    "MIN_BORROWER_AGE",
    "MOBILE_SEGMENTS",
    "age_on",
    "id_birth_date",
    "id_check_character",
    "is_valid_id_number",
    "is_valid_phone",
    "validate_birth_date",
    "validate_id_number",
    "validate_mobile",
]

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
"""2^(17−i) mod 11 for digit i."""
ID_CHECK = "10X98765432"
_ID = re.compile(r"[0-9]{17}[0-9X]")

MIN_BORROWER_AGE = 18
"""The youngest age, in completed years (周岁), at which a person may borrow: full civil
capacity (民法典 art. 17). The shipped policy's knock-out ``KO_AGE_MIN`` is ``age < 18``; a test
holds the two together. Profiles and applications refuse a younger person where they are
entered."""
EARLIEST_BIRTH_DATE = date(1900, 1, 1)
"""No applicant was born before this day (the oldest person on record lived 122 years): an
earlier birth date, such as ``0001-01-01``, is a slip or a probe, refused where it is typed."""

MOBILE_SEGMENTS: dict[str, str] = {
    **{f"13{d}": "voice" for d in "0123456789"},
    "145": "data",
    "147": "data",
    "149": "data",
    **{f"15{d}": "voice" for d in "012356789"},
    **{f"16{d}": "voice" for d in "2567"},
    **{f"17{d}": "voice" for d in "01235678"},
    "1740": "satellite",
    **{f"18{d}": "voice" for d in "0123456789"},
    **{f"19{d}": "voice" for d in "012356789"},
}
"""Mainland mobile number segments (号段) assigned by MIIT, as the first digits of an 11-digit
number, and what they carry. Sources: MIIT's assignments as summarised in Google's
libphonenumber metadata (CN ``mobile``: ``1740[0-5]\\d{6}|1(?:[38]\\d|4[57]|[59][0-35-9]|
6[25-7]|7[0-35-8])\\d{8}``, resources/PhoneNumberMetadata.xml, October 2024), plus 149.

- 130–139: all assigned (China Unicom 130–132, Telecom 133, Mobile 134–139; 1349 satellite).
- 140–149: mostly not 11-digit mobile numbers. 140, 141, 144, 146 and 148 are Internet-of-things
  ranges of 13-digit numbers; 142 and 143 are unassigned. 145 (Unicom), 147 (Mobile) and 149
  (Telecom) are 11-digit data-card (上网卡) segments: real SIMs that receive SMS, so accepted
  (147 is also sold with voice); libphonenumber omits 149, the synthetic population uses it.
- 150–159 except 154 (never assigned).
- 160–169: 162 (Telecom MVNO), 165 (Mobile MVNO), 166 (Unicom), 167 (Unicom MVNO) only.
- 170–178 except 174: 170/171 MVNO, 172 Mobile, 173/177 Telecom, 175/176 Unicom, 178 Mobile.
  174 is satellite and emergency: only 17400–17405 (Tiantong satellite phones) are subscriber
  numbers. 179 is unassigned.
- 180–189: all assigned.
- 190–199 except 194: 190/191/193/199 Telecom, 192 China Broadnet, 195/197/198 Mobile, 196
  Unicom; 194 is unassigned.

The longest matching key wins; ``1740`` holds only 17400–17405 (checked in
:func:`_segment_of`)."""
_SATELLITE_SUBSCRIBER_DIGIT = frozenset("012345")


def id_check_character(first17: str) -> str:
    """The GB 11643 check character of the first 17 digits."""
    if len(first17) != len(ID_WEIGHTS):
        raise ValueError(f"the check character is of 17 digits, not {len(first17)}")
    return ID_CHECK[sum(map(operator.mul, map(int, first17), ID_WEIGHTS)) % 11]


def id_birth_date(number: str) -> date | None:
    """The birth date inside an ID number, or None when it is not a real date (or not written
    in ASCII digits)."""
    digits = number.strip()[6:14]
    if not re.fullmatch(r"[0-9]{8}", digits):
        return None
    try:
        return date(int(digits[:4]), int(digits[4:6]), int(digits[6:8]))
    except ValueError:
        return None


def age_on(born: date, day: date) -> int:
    """Age in completed years (周岁) on ``day`` of a person born on ``born``."""
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def _id_problem(text: str) -> str | None:
    """Why ``text`` (normalised, upper case) is not an ID number, or None when it is one."""
    if not _ID.fullmatch(text):
        return "an ID number has 17 digits and a check digit or X"
    if id_check_character(text[:17]) != text[17]:
        return "the ID number's check digit does not match"
    born = id_birth_date(text)
    if born is None or born < EARLIEST_BIRTH_DATE:
        return "the ID number does not hold a real birth date"
    return None


def is_valid_id_number(number: str) -> bool:
    """18 ASCII characters, a correct check character and a real birth date from 1900 on."""
    return _id_problem(number.strip().upper()) is None


def validate_id_number(text: str, *, field: str = "id_number", on: date | None = None) -> str:
    """The ID number typed as ``text``, in normal form (ASCII, ``X`` upper case).

    With ``on`` (today, when a person registers), the holder must also be born by then and be
    at least :data:`MIN_BORROWER_AGE` (:func:`validate_birth_date`).
    Raises :class:`NonAsciiTextError`, :class:`InvalidIdNumberError`,
    :class:`InvalidBirthDateError` or :class:`UnderageError`, naming ``field``.
    """
    remedy = "type the 18 characters on the ID card: digits 0-9 and a final digit or X"
    number = ascii_text(
        text,
        field=field,
        message="an ID number is written with the digits 0-9 and X only",
        remedy=remedy,
    ).upper()
    problem = _id_problem(number)
    if problem is not None:
        raise InvalidIdNumberError(problem, field=field, remedy=remedy)
    born = id_birth_date(number)
    if on is not None and born is not None:
        validate_birth_date(born, on=on, field=field, whose="the holder of this ID number")
    return number


def validate_birth_date(
    born: date,
    *,
    on: date,
    field: str = "birth_date",
    minimum_age: int | None = MIN_BORROWER_AGE,
    whose: str = "the applicant",
) -> date:
    """``born``, refused unless from :data:`EARLIEST_BIRTH_DATE` to ``on`` and (unless
    ``minimum_age`` is None) at least ``minimum_age`` years before ``on``."""
    if not EARLIEST_BIRTH_DATE <= born <= on:
        raise InvalidBirthDateError(
            f"a birth date must be from {EARLIEST_BIRTH_DATE.isoformat()} to today",
            field=field,
            remedy="enter the birth date as YYYY-MM-DD, as on the ID card",
        )
    if minimum_age is not None and age_on(born, on) < minimum_age:
        raise UnderageError(
            f"{whose} is younger than {minimum_age}",
            field=field,
            remedy=f"only people aged {minimum_age} or over can borrow",
        )
    return born


def _segment_of(number: str) -> str | None:
    """The kind of the segment ``number`` (11 ASCII digits) belongs to, or None."""
    if number.startswith("1740"):
        return "satellite" if number[4] in _SATELLITE_SUBSCRIBER_DIGIT else None
    return MOBILE_SEGMENTS.get(number[:3])


def is_valid_phone(number: str) -> bool:
    """11 ASCII digits in an assigned mainland mobile segment (:data:`MOBILE_SEGMENTS`)."""
    text = number.strip()
    return len(text) == 11 and text.isascii() and text.isdigit() and _segment_of(text) is not None


def validate_mobile(text: str, *, field: str = "phone") -> str:
    """The mainland mobile number typed as ``text``, as its 11 digits.

    Spaces, dashes and brackets are dropped, and a ``+86``, ``0086`` or ``86`` country prefix.
    The number must be in an assigned segment (:data:`MOBILE_SEGMENTS`): ``10000000000``,
    ``11111111111`` and ``12345678901`` are not phone numbers. Raises
    :class:`NonAsciiTextError` or :class:`InvalidMobileError`, naming ``field``.

    >>> validate_mobile("+86 138-0013-8000")
    '13800138000'
    """
    remedy = "enter the 11-digit mobile number, such as 13812345678"
    digits = re.sub(
        r"[\s\-()]",
        "",
        ascii_text(
            text,
            field=field,
            message="a mobile number is written with the digits 0-9 only",
            remedy=remedy,
        ),
    )
    for prefix in ("+86", "0086", "86"):
        if digits.startswith(prefix) and len(digits) == 11 + len(prefix):
            digits = digits[len(prefix) :]
            break
    if not (len(digits) == 11 and digits.isdigit() and digits.startswith("1")):
        raise InvalidMobileError(
            "a mobile number has 11 digits and starts with 1", field=field, remedy=remedy
        )
    if _segment_of(digits) is None:
        raise InvalidMobileError(
            "the number is not in a mainland mobile number segment (such as 138)",
            field=field,
            remedy=remedy,
        )
    return digits
