"""Bank card numbers (银行卡号): the Luhn check and the only parts of a number we may keep.

A card number is 16 to 19 digits whose last digit is the Luhn check digit (ISO/IEC 7812).
thinfile never stores one: a bound card is the gateway's agreement token, the bank's name and
:func:`last_four` (DOMAIN.md §15).
"""

from __future__ import annotations

from thinfile.errors import InvalidCardNumberError

__all__ = ["card_number", "is_luhn_valid", "last_four", "mask_card_number"]

MIN_DIGITS, MAX_DIGITS = 16, 19


def is_luhn_valid(digits: str) -> bool:
    """Whether ``digits`` (ASCII digits only) ends in the right Luhn check digit."""
    if not digits.isascii() or not digits.isdigit():
        return False
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 1:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def card_number(text: str) -> str:
    """The digits of ``text`` (spaces and dashes dropped) if they are a card number, else
    :class:`~thinfile.errors.InvalidCardNumberError`."""
    digits = text.replace(" ", "").replace("-", "")
    if (
        not digits.isascii()
        or not digits.isdigit()
        or not MIN_DIGITS <= len(digits) <= MAX_DIGITS
        or not is_luhn_valid(digits)
    ):
        raise InvalidCardNumberError(
            "this is not a bank card number",
            field="card_number",
            remedy="type the 16 to 19 digits printed on the card",
        )
    return digits


def last_four(digits: str) -> str:
    return digits[-4:]


def mask_card_number(digits: str) -> str:
    """``6222 **** **** 1234`` style: the first four and the last four digits only."""
    return f"{digits[:4]} **** **** {digits[-4:]}"
