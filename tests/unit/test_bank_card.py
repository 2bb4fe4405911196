"""Bank card numbers: the Luhn check, and only the last four digits ever leave this module."""

from __future__ import annotations

import pytest

from thinfile.bank_card import card_number, is_luhn_valid, last_four, mask_card_number
from thinfile.errors import InvalidCardNumberError

VALID = "6222021234567890128"


def test_the_luhn_check_accepts_known_numbers_and_refuses_one_changed_digit() -> None:
    assert is_luhn_valid("4111111111111111") and is_luhn_valid("79927398713")
    assert is_luhn_valid(VALID)
    assert not is_luhn_valid("4111111111111112")
    assert not is_luhn_valid(VALID[:5] + str((int(VALID[5]) + 1) % 10) + VALID[6:])


@pytest.mark.parametrize(
    "text", ["", "abcd", "４１１１１１１１１１１１１１１１", "411111111111111"]
)
def test_non_digits_full_width_digits_and_short_numbers_are_not_card_numbers(text: str) -> None:
    assert not is_luhn_valid(text) or len(text) < 16
    with pytest.raises(InvalidCardNumberError):
        card_number(text)


def test_a_card_number_may_be_typed_in_groups_and_is_shown_masked() -> None:
    digits = card_number(f"{VALID[:4]} {VALID[4:8]}-{VALID[8:]}")
    assert digits == VALID
    assert last_four(digits) == VALID[-4:]
    assert mask_card_number(digits) == f"6222 **** **** {VALID[-4:]}"
