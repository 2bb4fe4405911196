"""Synthetic identities: Chinese names, resident ID numbers (居民身份证号码) and mobile numbers.

Every value is made up. ID numbers follow GB 11643-1999: six digits of administrative
division (GB/T 2260), the birth date as ``YYYYMMDD``, a three-digit sequence code whose last
digit is odd for men and even for women, and an ISO 7064 MOD 11-2 check character
(``0``–``9`` or ``X``). Mobile numbers are eleven digits opening with a mainland network
prefix (号段).

The scalar functions (:func:`make_id_number`, :func:`is_valid_id_number`, :func:`make_phone`,
:func:`is_valid_phone`) are for tests and fixtures; the ``*_numbers``/``*_phones`` functions are
their vectorised forms for whole populations.
"""

from __future__ import annotations

import re
from datetime import date

import numpy as np
import numpy.typing as npt
import pandas as pd

from thinfile import resident_id
from thinfile.errors import InvalidInputError
from thinfile.resident_id import id_check_character
from thinfile.sim.geography import PROVINCES

__all__ = [
    "MOBILE_PREFIXES",
    "are_valid_id_numbers",
    "are_valid_phones",
    "id_check_character",
    "is_valid_id_number",
    "is_valid_phone",
    "make_id_number",
    "make_id_numbers",
    "make_names",
    "make_phone",
    "make_phones",
    "serial_ids",
]

ID_WEIGHTS = np.array(resident_id.ID_WEIGHTS, dtype=np.int64)
"""Weights of the first 17 digits: 2^(17−i) mod 11 (GB 11643-1999)."""
ID_CHECK = resident_id.ID_CHECK
"""The check character for (Σ weight × digit) mod 11 = 0, 1, 2 …"""
_ID_CHECK_CODES = np.frombuffer(ID_CHECK.encode("ascii"), dtype=np.uint8)
_ID_PATTERN = re.compile(r"[0-9]{17}[0-9X]")
_ZERO = ord("0")

MOBILE_PREFIXES: tuple[int, ...] = (
    130,
    131,
    132,
    133,
    134,
    135,
    136,
    137,
    138,
    139,
    145,
    147,
    149,
    150,
    151,
    152,
    153,
    155,
    156,
    157,
    158,
    159,
    166,
    172,
    173,
    175,
    176,
    177,
    178,
    180,
    181,
    182,
    183,
    184,
    185,
    186,
    187,
    188,
    189,
    190,
    191,
    192,
    193,
    195,
    196,
    197,
    198,
    199,
)
"""Mainland mobile prefixes (号段) of China Mobile, Unicom, Telecom and Broadnet."""
_PREFIX_SET = frozenset(MOBILE_PREFIXES)
_PREFIX_TEXT = [str(p) for p in MOBILE_PREFIXES]

_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程"
    "苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵"
)
_GIVEN_F = "芳娜敏静丽艳娟霞秀英玲红梅琳燕婷雪慧颖倩佳欣怡萍洁晶兰月丹璐琪"
_GIVEN_M = "伟强磊军勇杰涛斌超明刚平辉鹏飞鑫波宇浩凯健俊帅峰建国志林华文龙"


# ── resident ID numbers ─────────────────────────────────────────────────────────────────


def make_id_number(
    birth_date: date, gender: str, *, region_code: int = 110101, sequence: int = 0
) -> str:
    """One valid resident ID number.

    ``region_code`` is a six-digit division code whose first two digits are a province
    code; ``sequence`` (0–499) numbers people of one sex born on one day in one region.

    >>> make_id_number(date(1990, 3, 7), "F", region_code=410102, sequence=12)
    '410102199003070246'
    """
    if gender not in ("F", "M"):
        raise InvalidInputError("gender must be 'F' or 'M'", field="gender", value=gender)
    if region_code // 10000 not in PROVINCES or not 0 <= region_code % 10000 <= 9999:
        raise InvalidInputError(
            "not a province-level division code", field="region_code", value=region_code
        )
    if not 0 <= sequence <= 499:
        raise InvalidInputError("sequence must be from 0 to 499", field="sequence", value=sequence)
    code = 2 * sequence + (1 if gender == "M" else 0)
    first17 = f"{region_code:06d}{birth_date:%Y%m%d}{code:03d}"
    return first17 + id_check_character(first17)


def is_valid_id_number(s: object) -> bool:
    """True when ``s`` is an 18-character ID with a known province, a real date, a right check."""
    if not isinstance(s, str) or not _ID_PATTERN.fullmatch(s):
        return False
    if int(s[:2]) not in PROVINCES:
        return False
    try:
        born = date(int(s[6:10]), int(s[10:12]), int(s[12:14]))
    except ValueError:
        return False
    return born.year >= 1900 and id_check_character(s[:17]) == s[17]


def make_id_numbers(
    birth_dates: npt.NDArray[np.datetime64],
    is_male: npt.NDArray[np.bool_],
    region_codes: npt.NDArray[np.int64],
    sequences: npt.NDArray[np.int64],
) -> npt.NDArray[np.str_]:
    """Vectorised :func:`make_id_number` for whole arrays (sequences 0–499)."""
    days = birth_dates.astype("datetime64[D]")
    years = days.astype("datetime64[Y]").astype(np.int64) + 1970
    months = days.astype("datetime64[M]").astype(np.int64) % 12 + 1
    mdays = (days - days.astype("datetime64[M]")).astype(np.int64) + 1
    codes = 2 * sequences + is_male.astype(np.int64)
    digits = np.concatenate(
        [
            _digits(region_codes, 6),
            _digits(years, 4),
            _digits(months, 2),
            _digits(mdays, 2),
            _digits(codes, 3),
        ],
        axis=1,
    )
    check = _ID_CHECK_CODES[(digits @ ID_WEIGHTS) % 11]
    ascii_codes = np.concatenate([(digits + _ZERO).astype(np.uint8), check[:, None]], axis=1)
    return _ascii_rows_to_str(ascii_codes)


def are_valid_id_numbers(values: pd.Series) -> npt.NDArray[np.bool_]:
    """Vectorised :func:`is_valid_id_number` for a column of text."""
    text = values.astype("str")
    ok = text.str.fullmatch(r"[0-9]{17}[0-9X]").fillna(False).to_numpy(dtype=bool, copy=True)
    if not ok.any():
        return ok
    good = text[ok].to_numpy(dtype="U18").astype("S18")
    codes = np.frombuffer(good.tobytes(), dtype=np.uint8).reshape(-1, 18)
    digits = codes[:, :17].astype(np.int64) - _ZERO
    right_check = _ID_CHECK_CODES[(digits @ ID_WEIGHTS) % 11] == codes[:, 17]
    provinces = digits[:, 0] * 10 + digits[:, 1]
    known = np.isin(provinces, np.array(sorted(PROVINCES)))
    born = pd.to_datetime(
        pd.Series(good.astype("U18")).str.slice(6, 14), format="%Y%m%d", errors="coerce"
    )
    real_date = (born.notna() & (born.dt.year >= 1900)).to_numpy(dtype=bool)
    ok[ok] = right_check & known & real_date
    return ok


# ── mobile numbers ──────────────────────────────────────────────────────────────────────


def make_phone(prefix: int, subscriber: int) -> str:
    """A mobile number from a network prefix (e.g. 138) and an eight-digit subscriber part."""
    if prefix not in _PREFIX_SET:
        raise InvalidInputError("not a mainland mobile prefix", field="prefix", value=prefix)
    if not 0 <= subscriber <= 99_999_999:
        raise InvalidInputError(
            "subscriber part must have at most 8 digits", field="subscriber", value=subscriber
        )
    return f"{prefix}{subscriber:08d}"


def is_valid_phone(s: object) -> bool:
    """True when ``s`` is eleven ASCII digits opening with a known mainland mobile prefix."""
    return (
        isinstance(s, str)
        and len(s) == 11
        and s.isascii()
        and s.isdigit()
        and int(s[:3]) in _PREFIX_SET
    )


def make_phones(rng: np.random.Generator, size: int) -> npt.NDArray[np.str_]:
    """``size`` random valid mobile numbers (not guaranteed distinct)."""
    prefixes = np.array(MOBILE_PREFIXES, dtype=np.int64)[
        rng.integers(0, len(MOBILE_PREFIXES), size)
    ]
    subscribers = rng.integers(0, 100_000_000, size, dtype=np.int64)
    digits = np.concatenate([_digits(prefixes, 3), _digits(subscribers, 8)], axis=1)
    return _ascii_rows_to_str((digits + _ZERO).astype(np.uint8))


def are_valid_phones(values: pd.Series) -> npt.NDArray[np.bool_]:
    """Vectorised :func:`is_valid_phone` for a column of text."""
    text = values.astype("str")
    shape = text.str.fullmatch(r"1[0-9]{10}").fillna(False)
    known = text.str.slice(0, 3).isin(_PREFIX_TEXT)
    return (shape & known).to_numpy(dtype=bool)


# ── names and plain identifiers ─────────────────────────────────────────────────────────


def make_names(rng: np.random.Generator, is_male: npt.NDArray[np.bool_]) -> npt.NDArray[np.str_]:
    """Chinese names: a common surname and a one- or two-character given name by sex."""
    n = is_male.shape[0]
    surnames = np.array(list(_SURNAMES))
    weights = 1.0 / np.arange(1, len(surnames) + 1) ** 0.9
    out = surnames[rng.choice(len(surnames), n, p=weights / weights.sum())]
    female, male = np.array(list(_GIVEN_F)), np.array(list(_GIVEN_M))
    for part in range(2):
        pick = rng.integers(0, min(len(female), len(male)), n)
        given = np.where(is_male, male[pick], female[pick])
        if part == 1:
            given = np.where(rng.random(n) < 0.6, given, "")
        out = np.char.add(out, given)
    names: npt.NDArray[np.str_] = out
    return names


def serial_ids(prefix: str, start: int, count: int, *, width: int = 10) -> npt.NDArray[np.str_]:
    """``prefix`` followed by zero-padded serial numbers: ``A0000000001``, ``A0000000002`` …"""
    numbers = np.arange(start, start + count, dtype=np.int64)
    digits = (_digits(numbers, width) + _ZERO).astype(np.uint8)
    head = np.full((count, len(prefix)), ord(prefix[0]), dtype=np.uint8)
    head[:] = np.frombuffer(prefix.encode("ascii"), dtype=np.uint8)
    return _ascii_rows_to_str(np.concatenate([head, digits], axis=1))


def _digits(values: npt.NDArray[np.int64], width: int) -> npt.NDArray[np.int64]:
    """The last ``width`` decimal digits of each value, most significant first, one per column."""
    powers = 10 ** np.arange(width - 1, -1, -1, dtype=np.int64)
    return (values.astype(np.int64)[:, None] // powers) % 10


def _ascii_rows_to_str(codes: npt.NDArray[np.uint8]) -> npt.NDArray[np.str_]:
    """Rows of ASCII codes → a 1-D array of Python-compatible strings."""
    rows = np.ascontiguousarray(codes)
    width = rows.shape[1]
    return rows.view(f"S{width}").ravel().astype(f"U{width}")
