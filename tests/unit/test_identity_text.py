"""The one normaliser of typed identifiers and names, and the rules of thinfile.resident_id.

An identifier is read as NFKC, then ASCII only. So a digit that NFKC folds to an ASCII digit
(full-width ``１``, a superscript, a mathematical bold digit) is that digit, and the number is
the same number — the same profile, the same lookup hash, the same deny-list entry — while a
digit NFKC leaves alone (Arabic-Indic ``١``, Devanagari ``१``) is refused: it must never become a
second spelling of one person.
"""

from __future__ import annotations

import json
import sys
import unicodedata
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.support.decisioning import application
from thinfile.decisioning import DEFAULT_POLICY_DIR, parse_application
from thinfile.errors import (
    InvalidBirthDateError,
    InvalidIdNumberError,
    InvalidMobileError,
    InvalidNameError,
    NonAsciiTextError,
    UnderageError,
)
from thinfile.resident_id import (
    EARLIEST_BIRTH_DATE,
    MIN_BORROWER_AGE,
    age_on,
    id_check_character,
    is_valid_id_number,
    is_valid_phone,
    validate_birth_date,
    validate_id_number,
    validate_mobile,
)
from thinfile.security.crypto import PiiCipher
from thinfile.sim.identity import MOBILE_PREFIXES
from thinfile.text import normalize, person_name, whole_number

TODAY = date(2026, 11, 25)
CIPHER = PiiCipher({"k1": bytes(32)}, active_key_id="k1", lookup_key=b"lookup key for tests")


def _id(birth: str = "19900307", region: str = "110105", seq: str = "123") -> str:
    first17 = region + birth + seq
    return first17 + id_check_character(first17)


def _is_digit_char(c: str) -> bool:
    return unicodedata.category(c) == "Nd"


ALL_DIGITS = [chr(i) for i in range(sys.maxunicode + 1) if _is_digit_char(chr(i))]
"""Every decimal digit of every script this Python knows."""
FOLDED = [c for c in ALL_DIGITS if not c.isascii() and normalize(c).isascii()]
"""Digits NFKC folds to ASCII: full-width, mathematical bold/double-struck/…"""
FOREIGN = [c for c in ALL_DIGITS if not normalize(c).isascii()]
"""Digits NFKC leaves in their own script: Arabic-Indic, Devanagari, Thai, …"""


def _respelled(number: str, picks: list[bool], alphabet: list[str], draw: st.DrawFn) -> str:
    """``number`` with the characters at ``picks`` replaced by a same-valued digit of
    ``alphabet``."""
    out = []
    for c, pick in zip(number, picks, strict=True):
        options = [d for d in alphabet if c.isdigit() and unicodedata.digit(d) == int(c)]
        out.append(draw(st.sampled_from(options)) if pick and options else c)
    return "".join(out)


@st.composite
def respelled_ids(draw: st.DrawFn, alphabet: list[str]) -> tuple[str, str]:
    """(ASCII ID number, the same with at least one digit in another spelling)."""
    year = draw(st.integers(1930, 2000))
    day = draw(st.dates(date(year, 1, 1), date(year, 12, 31)))
    number = _id(day.strftime("%Y%m%d"), seq=f"{draw(st.integers(0, 999)):03d}")
    picks = draw(st.lists(st.booleans(), min_size=18, max_size=18))
    first = draw(st.integers(0, 16))  # always respell one of the 17 digits
    picks[first] = True
    return number, _respelled(number, picks, alphabet, draw)


def test_the_digit_tables_are_not_empty() -> None:
    assert "１" in FOLDED and "١" in FOREIGN and "१" in FOREIGN
    assert len(FOLDED) > 40 and len(FOREIGN) > 300


@given(respelled_ids(FOLDED))
def test_digits_nfkc_folds_are_the_same_id_number_and_the_same_lookup_hash(
    pair: tuple[str, str],
) -> None:
    ascii_number, typed = pair
    assert typed != ascii_number
    assert validate_id_number(typed) == ascii_number
    assert CIPHER.lookup_hash("id_number", validate_id_number(typed)) == CIPHER.lookup_hash(
        "id_number", ascii_number
    )


@given(respelled_ids(FOREIGN))
def test_digits_of_other_scripts_are_refused_never_read_as_another_number(
    pair: tuple[str, str],
) -> None:
    _, typed = pair
    with pytest.raises(NonAsciiTextError) as refused:
        validate_id_number(typed)
    assert refused.value.field == "id_number" and refused.value.remedy
    assert not is_valid_id_number(typed)


@given(st.text(min_size=1, max_size=20))
def test_any_text_is_either_refused_or_read_as_plain_ascii(text: str) -> None:
    for read in (validate_id_number, validate_mobile):
        try:
            value = read(text)
        except (NonAsciiTextError, InvalidIdNumberError, InvalidMobileError):
            continue
        assert value.isascii() and value.isalnum()


def test_the_issues_full_width_and_arabic_indic_id_numbers() -> None:
    number = "11010519491231002X"
    assert validate_id_number("１１０１０５１９４９１２３１００２X") == number
    assert validate_id_number("１１０１０５１９４９１２３１００２ｘ") == number
    with pytest.raises(NonAsciiTextError):
        validate_id_number("١١٠١٠٥١٩٤٩١٢٣١٠٠٢X")
    with pytest.raises(NonAsciiTextError):
        validate_id_number("۱۱۰۱۰۵۱۹۴۹۱۲۳۱۰۰۲X")  # Extended Arabic-Indic (Persian)


def test_the_engine_reads_only_ascii_numbers() -> None:
    assert is_valid_id_number("11010519491231002X")
    assert not is_valid_id_number("١١٠١٠٥١٩٤٩١٢٣١٠٠٢X")
    assert not is_valid_id_number("１１０１０５１９４９１２３１００２X")  # not yet normalised
    assert is_valid_phone("13800138000") and not is_valid_phone("1３８００１３８０００")


# ── mobile numbers ──────────────────────────────────────────────────────────────────────


@pytest.mark.parametrize(
    "number",
    [
        "10000000000",
        "11111111111",
        "12345678901",
        "14012345678",  # IoT (13-digit numbers)
        "14112345678",
        "14212345678",  # unassigned
        "14612345678",
        "15412345678",  # never assigned
        "16012345678",
        "16812345678",
        "17412345678",  # satellite and emergency, outside 17400-17405
        "17406123456",
        "17912345678",
        "19412345678",
        "1380013800",  # 10 digits
        "138001380001",  # 12 digits
        "23800138000",
    ],
)
def test_numbers_outside_the_assigned_mobile_segments_are_refused(number: str) -> None:
    with pytest.raises(InvalidMobileError) as refused:
        validate_mobile(number)
    assert refused.value.field == "phone" and refused.value.remedy
    assert not is_valid_phone(number)


@pytest.mark.parametrize(
    "number",
    [
        "13000000000",
        "13912345678",
        "14512345678",
        "14712345678",
        "14912345678",
        "15012345678",
        "15512345678",
        "15612345678",
        "16212345678",
        "16512345678",
        "16612345678",
        "16712345678",
        "17012345678",
        "17212345678",
        "17405123456",
        "17812345678",
        "18012345678",
        "19212345678",
        "19612345678",
        "19912345678",
    ],
)
def test_numbers_in_assigned_segments_are_accepted(number: str) -> None:
    assert validate_mobile(number) == number and is_valid_phone(number)


def test_every_prefix_the_synthetic_population_uses_is_a_mobile_segment() -> None:
    assert [p for p in MOBILE_PREFIXES if not is_valid_phone(f"{p}12345678")] == []


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("+86 138-0013-8000", "13800138000"),
        ("0086 13800138000", "13800138000"),
        ("1３８００１３８０００", "13800138000"),
        ("＋８６　１３８　００１３　８０００", "13800138000"),
    ],
)
def test_a_mobile_number_is_read_as_its_11_digits(typed: str, expected: str) -> None:
    assert validate_mobile(typed) == expected


def test_a_mobile_number_in_other_scripts_digits_is_refused() -> None:
    with pytest.raises(NonAsciiTextError):
        validate_mobile("١٣٨٠٠١٣٨٠٠٠")


# ── names ───────────────────────────────────────────────────────────────────────────────


@pytest.mark.parametrize(
    "name",
    [
        "\u200b",  # zero-width space alone
        "王\u200b小明",
        "王\x00小明",
        "王小明\x07",
        "\u202e明小王",  # right-to-left override
        "王\u2028小明",  # line separator
        "王\ufeff",  # byte-order mark (zero-width no-break space)
    ],
)
def test_names_with_control_or_invisible_formatting_characters_are_refused(name: str) -> None:
    with pytest.raises(InvalidNameError) as refused:
        person_name(name)
    assert refused.value.field == "name" and "control" in refused.value.message


@pytest.mark.parametrize("name", ["", "   ", "\u3000", "123", "·"])
def test_names_without_a_letter_are_refused(name: str) -> None:
    with pytest.raises(InvalidNameError):
        person_name(name)


@pytest.mark.parametrize(
    ("typed", "kept"),
    [
        ("王小明", "王小明"),
        ("欧阳娜娜", "欧阳娜娜"),
        ("买买提·艾力", "买买提·艾力"),
        ("买买提・艾力", "买买提·艾力"),  # katakana middle dot
        ("阿依古丽•吐尔逊", "阿依古丽·吐尔逊"),  # bullet
        ("  王小明  ", "王小明"),
        ("Ｗａｎｇ Ｘｉａｏｍｉｎｇ", "Wang Xiaoming"),
        ("\U000200ae", "\U000200ae"),  # a rare character outside the basic plane
    ],
)
def test_real_names_are_kept(typed: str, kept: str) -> None:
    assert person_name(typed) == kept


def test_a_name_longer_than_fifty_characters_is_refused() -> None:
    with pytest.raises(InvalidNameError):
        person_name("王" * 51)


# ── birth dates and the minimum age ─────────────────────────────────────────────────────


@pytest.mark.parametrize("born", [date(1, 1, 1), date(9999, 12, 31), date(1899, 12, 31)])
def test_impossible_birth_dates_are_refused(born: date) -> None:
    with pytest.raises(InvalidBirthDateError) as refused:
        validate_birth_date(born, on=TODAY)
    assert type(refused.value) is InvalidBirthDateError
    assert refused.value.field == "birth_date"


def test_without_a_minimum_age_only_impossible_dates_are_refused() -> None:
    child = date(TODAY.year - 11, 6, 1)
    assert validate_birth_date(child, on=TODAY, minimum_age=None) == child
    with pytest.raises(InvalidBirthDateError):
        validate_birth_date(date(1, 1, 1), on=TODAY, minimum_age=None)


def test_a_birth_date_after_today_is_refused() -> None:
    with pytest.raises(InvalidBirthDateError):
        validate_birth_date(TODAY + timedelta(days=1), on=TODAY)


def test_the_minimum_age_is_reached_on_the_eighteenth_birthday() -> None:
    eighteenth = date(TODAY.year - 18, TODAY.month, TODAY.day)
    assert validate_birth_date(eighteenth, on=TODAY) == eighteenth
    with pytest.raises(UnderageError):
        validate_birth_date(eighteenth + timedelta(days=1), on=TODAY)
    assert age_on(EARLIEST_BIRTH_DATE, TODAY) > 100


def test_an_id_number_of_an_eleven_year_old_is_refused_with_the_field_named() -> None:
    child = _id("20150601")
    assert validate_id_number(child) == child  # a real number ...
    with pytest.raises(UnderageError) as refused:
        validate_id_number(child, on=TODAY)  # ... of someone too young to register
    assert refused.value.field == "id_number" and refused.value.code == "under_minimum_age"


@pytest.mark.parametrize("birth", ["00010101", "18991231", "99991231"])
def test_an_id_number_with_an_impossible_birth_date_is_refused(birth: str) -> None:
    number = _id(birth)
    with pytest.raises((InvalidIdNumberError, InvalidBirthDateError)):
        validate_id_number(number, on=TODAY)


def test_the_shipped_policy_knocks_out_below_the_same_minimum_age() -> None:
    rules = json.loads((DEFAULT_POLICY_DIR / "decision.json").read_text(encoding="utf-8"))
    found = [
        rule
        for node in rules["nodes"]
        for rule in node.get("content", {}).get("rules", [])
        if rule.get("code") == '"KO_AGE_MIN"'
    ]
    assert [rule["age"] for rule in found] == [f"< {MIN_BORROWER_AGE}"]


# ── the decision engine's input (the command line's ``thinfile decide``) ────────────────


def test_an_application_reads_full_width_digits_as_the_digits() -> None:
    wide = str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")
    ascii_app = parse_application(application())
    wide_app = parse_application(
        application(
            id_number=str(application()["id_number"]).translate(wide),
            phone=str(application()["phone"]).translate(wide),
        )
    )
    assert (wide_app.id_number, wide_app.phone) == (ascii_app.id_number, ascii_app.phone)


@pytest.mark.parametrize(
    "name",
    [
        "Wаng",  # the a is Cyrillic: looks like "Wang"
        "Αnna",  # Greek capital alpha
        "·王伟",
        "王伟·",
        "买买提··艾力",
    ],
)
def test_a_look_alike_or_dangling_dot_name_is_refused(name: str) -> None:
    with pytest.raises(InvalidNameError) as refused:
        person_name(name)
    assert refused.value.field == "name"


@pytest.mark.parametrize("name", ["买买提·艾力", "Zoë Müller", "Алексей", "王伟", "O'Neil"])
def test_names_in_one_script_with_inner_dots_are_kept(name: str) -> None:
    assert person_name(name) == name


@pytest.mark.parametrize(
    ("text", "number"),
    [("12", 12), ("0", 0), ("007", 7), ("²", None), ("１２", None), ("١٢", None), ("", None),
     ("1 2", None), ("-1", None), ("1" * 18, int("1" * 18)), ("1" * 19, None)],
)  # fmt: skip
def test_a_whole_number_is_the_digits_0_to_9_alone(text, number):
    assert whole_number(text) == number
