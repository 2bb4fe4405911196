"""Unified social credit codes (统一社会信用代码, GB 32100-2015): the one definition.

A merchant is identified by the 18-character code on its business licence (营业执照), written
with the 31 characters of :data:`CREDIT_CODE_ALPHABET` (digits and capitals without I, O, Z,
S, V)::

    9 1 440300 70846113 6 T
    │ │ │      │        │ └ check character: GB/T 17710 MOD 31-3 over the first 17
    │ │ │      │        └── the organisation code's own check character (GB 11714, MOD 11)
    │ │ │      └─────────── organisation code body (主体标识码), 8 characters
    │ │ └────────────────── administrative division of the registering office (GB/T 2260)
    │ └──────────────────── organisation type within that authority (机构类别代码)
    └────────────────────── registration authority (登记管理部门代码)

The code's check character is ``(31 − Σ value_i × 3^(i−1) mod 31) mod 31``, values being
positions in :data:`CREDIT_CODE_ALPHABET`. The organisation code (positions 9–17) is itself a
GB 11714-1997 code: ``11 − Σ value_i × (3, 7, 9, 10, 5, 8, 4, 2)_i mod 11``, where a letter's
value is its place in the Latin alphabet plus 9 (A = 10 … Z = 35), 10 is written ``X`` and 11
``0``. A code is checked both ways, so a slip in positions 9–17 is caught twice.

:func:`validate_credit_code` reads what a person typed: the text goes through the one
normaliser (:func:`thinfile.text.ascii_text`: NFKC, then ASCII only), spaces and hyphens are
dropped and letters upper-cased, so ``９１４４０３００…`` and ``91 4403 00…`` are the same code.
It returns the 18-character normal form or raises :class:`InvalidCreditCodeError` naming the
input field, with ``extra["part"]`` naming the part of the code that is wrong.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from thinfile.errors import InvalidCreditCodeError
from thinfile.text import ascii_text

__all__ = [
    "CREDIT_CODE_ALPHABET",
    "CREDIT_CODE_WEIGHTS",
    "REGISTRATION_AUTHORITIES",
    "CreditCode",
    "credit_code_check_character",
    "is_valid_credit_code",
    "organisation_code_check_character",
    "parse_credit_code",
    "validate_credit_code",
]

CREDIT_CODE_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
"""The 31 characters of a unified social credit code, in value order (``A`` = 10, ``Y`` = 30)."""
CREDIT_CODE_WEIGHTS = tuple(pow(3, i, 31) for i in range(17))
"""3^(i−1) mod 31 for position i = 1…17: 1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24,
10, 30, 28."""
_ORGANISATION_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
"""GB 11714-1997 weights of the organisation code's eight body characters."""

_AUTHORITIES: dict[str, tuple[str, dict[str, str]]] = {
    "1": (
        "机构编制 establishment office",
        {"1": "机关", "2": "事业单位", "3": "群众团体", "9": "其他"},
    ),
    "2": ("外交 foreign affairs", {"1": "外国常驻新闻机构", "9": "其他"}),
    "3": (
        "司法行政 justice administration",
        {
            "1": "律师执业机构",
            "2": "公证处",
            "3": "基层法律服务所",
            "4": "司法鉴定机构",
            "5": "仲裁委员会",
            "9": "其他",
        },
    ),
    "4": ("文化 culture", {"1": "外国在华文化中心", "9": "其他"}),
    "5": (
        "民政 civil affairs",
        {"1": "社会团体", "2": "民办非企业单位", "3": "基金会", "9": "其他"},
    ),
    "6": (
        "旅游 tourism",
        {"1": "外国旅游部门常驻代表机构", "2": "港澳台地区旅游部门常驻代表机构", "9": "其他"},
    ),
    "7": ("宗教 religious affairs", {"1": "宗教活动场所", "2": "宗教院校", "9": "其他"}),
    "8": ("工会 trade unions", {"1": "基层工会", "9": "其他"}),
    "9": (
        "工商 market regulation",
        {"1": "企业", "2": "个体工商户", "3": "农民专业合作社"},
    ),
    "A": (
        "中央军委改革和编制办公室 military establishment office",
        {"1": "军队事业单位", "9": "其他"},
    ),
    "N": (
        "农业 agriculture",
        {"1": "组级集体经济组织", "2": "村级集体经济组织", "3": "乡镇级集体经济组织", "9": "其他"},
    ),
    "Y": ("其他 other", {"1": "其他"}),
}
REGISTRATION_AUTHORITIES: Mapping[str, tuple[str, Mapping[str, str]]] = MappingProxyType(
    {code: (name, MappingProxyType(kinds)) for code, (name, kinds) in _AUTHORITIES.items()}
)
"""Registration authority (登记管理部门代码) → (its name, organisation types it registers).

GB 32100-2015 Table 1 assigns 1, 5, 9 and Y; the national code centre has since assigned 2,
3, 4, 6, 7, 8, A and N to further registering departments (as reproduced by public validators;
[M] until checked against the centre's current list). Merchants are nearly always ``91``
(enterprise) or ``92`` (individual business, 个体工商户)."""

_PROVINCES = frozenset(
    {"10", "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36"}
    | {"37", "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62"}
    | {"63", "64", "65", "71", "81", "82"}
)
"""First two digits of a GB/T 2260 division: the provinces, and ``10`` for registration at the
national level (``100000``, as in ``91100000100003962T``)."""

_SHAPE = re.compile(f"[{CREDIT_CODE_ALPHABET}]{{18}}")
_DIVISION = re.compile(r"[0-9]{6}")
_ORGANISATION_BODY = re.compile(r"[0-9A-Z]{8}")
_REMEDY = "type the 18 characters on the business licence (营业执照), such as 91440300708461136T"


@dataclass(frozen=True, slots=True)
class CreditCode:
    """A valid unified social credit code, split into its parts."""

    code: str
    authority: str
    organisation_type: str
    division: str
    organisation_code: str
    check: str

    @property
    def authority_name(self) -> str:
        return REGISTRATION_AUTHORITIES[self.authority][0]

    @property
    def organisation_type_name(self) -> str:
        return REGISTRATION_AUTHORITIES[self.authority][1][self.organisation_type]

    def __str__(self) -> str:
        return self.code


def credit_code_check_character(first17: str) -> str:
    """The check character (position 18) of a code's first 17 characters."""
    total = sum(
        CREDIT_CODE_ALPHABET.index(c) * w for c, w in zip(first17, CREDIT_CODE_WEIGHTS, strict=True)
    )
    return CREDIT_CODE_ALPHABET[(31 - total % 31) % 31]


def _organisation_value(character: str) -> int:
    return int(character) if character.isdigit() else ord(character) - ord("A") + 10


def organisation_code_check_character(body: str) -> str:
    """The GB 11714 check character of an organisation code's eight body characters."""
    total = sum(
        _organisation_value(c) * w for c, w in zip(body, _ORGANISATION_WEIGHTS, strict=True)
    )
    check = 11 - total % 11
    return {10: "X", 11: "0"}.get(check, str(check))


def _problem(code: str) -> tuple[str, str] | None:
    """(part, why) for the first thing wrong with ``code`` (normal form), or None."""
    if len(code) != 18:
        return "length", f"a unified social credit code has 18 characters, not {len(code)}"
    if not _SHAPE.fullmatch(code):
        return "characters", "a unified social credit code uses 0-9 and A-Y without I, O, S, V, Z"
    authority = REGISTRATION_AUTHORITIES.get(code[0])
    if authority is None:
        return "registration_authority", f"{code[0]!r} is not a registration authority code"
    if code[1] not in authority[1]:
        return "organisation_type", (
            f"{code[1]!r} is not an organisation type of registration authority {code[0]!r}"
        )
    if not _DIVISION.fullmatch(code[2:8]) or code[2:4] not in _PROVINCES:
        return "division", f"{code[2:8]!r} is not an administrative division code"
    if not _ORGANISATION_BODY.fullmatch(code[8:16]) or (
        organisation_code_check_character(code[8:16]) != code[16]
    ):
        return "organisation_code", "the organisation code's check character does not match"
    if credit_code_check_character(code[:17]) != code[17]:
        return "check_character", "the code's check character does not match"
    return None


def _normal_form(text: str) -> str:
    return re.sub(r"[\s\-]", "", text).upper()


def is_valid_credit_code(code: str) -> bool:
    """True for a valid code already in normal form (18 ASCII characters, upper case)."""
    return _problem(code) is None


def parse_credit_code(text: str, *, field: str = "credit_code") -> CreditCode:
    """The code typed as ``text``, validated and split into its parts."""
    code = _normal_form(
        ascii_text(
            text,
            field=field,
            message="a unified social credit code is written with ASCII digits and letters",
            remedy=_REMEDY,
        )
    )
    problem = _problem(code)
    if problem is not None:
        part, why = problem
        raise InvalidCreditCodeError(why, field=field, remedy=_REMEDY, extra={"part": part})
    return CreditCode(code, code[0], code[1], code[2:8], code[8:17], code[17])


def validate_credit_code(text: str, *, field: str = "credit_code") -> str:
    """The code typed as ``text`` in normal form (18 characters, upper case).

    Raises :class:`NonAsciiTextError` or :class:`InvalidCreditCodeError`, naming ``field``.

    >>> validate_credit_code("９１４４０３００７０８４６１１３６ｔ")
    '91440300708461136T'
    """
    return parse_credit_code(text, field=field).code
