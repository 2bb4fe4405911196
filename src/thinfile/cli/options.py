"""Parsing command-line values into domain values, with errors that name the option."""

from __future__ import annotations

import enum
from datetime import date
from decimal import Decimal
from typing import TypeVar

from thinfile.errors import InvalidInputError
from thinfile.money import Money, parse_rate


def option_money(text: str, option: str) -> Money:
    return Money.of(text, field=option)


def option_rate(text: str, option: str) -> Decimal:
    return parse_rate(text, field=option)


def option_date(text: str, option: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInputError(
            f"{text!r} is not a date", field=option, value=text, remedy="write it as YYYY-MM-DD"
        ) from None


E = TypeVar("E", bound=enum.StrEnum)


def option_choice(text: str, option: str, kind: type[E]) -> E:
    try:
        return kind(text)
    except ValueError:
        choices = ", ".join(m.value for m in kind)
        raise InvalidInputError(
            f"{text!r} is not one of: {choices}", field=option, value=text
        ) from None
