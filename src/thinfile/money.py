"""Money and rates: integer fen, ``Decimal`` rates, one rounding function.

``Money`` holds a whole number of the currency's minor unit (fen, 分, for CNY) and a
currency code. It never holds a float: a float passed in raises ``MoneyTypeError``.
Applying a rate to money gives a ``Decimal`` number of fen, which becomes ``Money`` only
through :func:`round_fen`, the one place where rounding happens, with its mode named.
Amounts and rates written as text are read here and only here, strictly: plain ASCII digits,
never an exponent, ``NaN``, infinity or full-width digits, which ``Decimal()`` would accept.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, ROUND_HALF_UP, ROUND_UP, Decimal
from typing import Self

from thinfile.errors import CurrencyMismatchError, InvalidInputError, MoneyTypeError

__all__ = [
    "FEN_PER_YUAN",
    "MAX_YUAN_DIGITS",
    "Money",
    "Rate",
    "Rounding",
    "format_yuan",
    "parse_rate",
    "round_fen",
]

FEN_PER_YUAN = 100
_ONE_FEN = Decimal(1)
_HUNDRED = Decimal(100)
_ONE_FEN_IN_YUAN = Decimal("0.01")

Rate = Decimal
"""An interest or fee rate as a fraction (0.12 is 12%). Always ``Decimal``, never float."""


class Rounding(enum.StrEnum):
    """How an exact amount becomes whole fen."""

    HALF_UP = "half-up"
    """Ties away from zero (四舍五入): 0.5 fen → 1 fen."""
    HALF_EVEN = "half-even"
    """Ties to the even fen (banker's rounding), as in Apache Fineract's schedules."""
    DOWN = "down"
    """Truncate toward zero (舍去): never charges a part-fen."""
    UP = "up"
    """Away from zero: used to lift an installment to a multiple (e.g. whole yuan)."""

    @property
    def decimal_mode(self) -> str:
        return _DECIMAL_MODES[self]


_DECIMAL_MODES = {
    Rounding.HALF_UP: ROUND_HALF_UP,
    Rounding.HALF_EVEN: ROUND_HALF_EVEN,
    Rounding.DOWN: ROUND_DOWN,
    Rounding.UP: ROUND_UP,
}


def round_fen(exact_fen: Decimal | int, mode: Rounding, *, multiple: int = 1) -> int:
    """Round an exact number of fen to whole fen (or to a multiple of ``multiple`` fen).

    This is the only rounding function for money in thinfile.

    >>> round_fen(Decimal("83333.3333"), Rounding.HALF_UP)
    83333
    >>> round_fen(Decimal("56130.86"), Rounding.UP, multiple=100)
    56200
    """
    if isinstance(exact_fen, int):
        if multiple == 1:
            return exact_fen
        exact_fen = Decimal(exact_fen)
    if multiple == 1:
        return int(exact_fen.quantize(_ONE_FEN, rounding=_DECIMAL_MODES[mode]))
    units = (exact_fen / multiple).quantize(_ONE_FEN, rounding=_DECIMAL_MODES[mode])
    return int(units) * multiple


_AMOUNT_TEXT = re.compile(r"-?(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.[0-9]+)?", re.ASCII)
"""Yuan as text: ASCII digits, an optional point and decimals, commas only between groups
of three digits (``1,000.50``), an optional leading minus. Whether a negative amount is
allowed is the caller's rule (a payment must be positive; an adjustment may be negative)."""
_RATE_TEXT = re.compile(r"-?[0-9]+(?:\.[0-9]+)?", re.ASCII)
"""A rate as text: like an amount, without thousands separators."""
MAX_YUAN_DIGITS = 15
"""The most digits an amount may have before its decimal point: every amount is below
10¹⁵ yuan, so its fen fit a signed 64-bit column with room to add."""
_LIMIT = Decimal(10) ** MAX_YUAN_DIGITS
_NOT_FINITE = frozenset({"nan", "snan", "inf", "infinity"})


def _why_not_a_number(text: str) -> str:
    """The reason ``text`` is refused, in the words a user would recognise."""
    lowered = text.lower()
    if not text:
        return "is empty"
    if lowered.lstrip("+-") in _NOT_FINITE:
        return "is not a finite number"
    if any(c.isdigit() and not c.isascii() for c in text):
        return "uses digits other than 0-9 (such as full-width digits)"
    if "e" in lowered and re.search(r"[0-9]", text):
        return "is written with an exponent"
    if "_" in text or " " in text:
        return "has spaces or underscores inside it"
    if "," in text:
        return "has commas in the wrong places"
    return "is not a number"


def _to_decimal(
    value: object,
    what: str,
    example: str = "10000 or 99.50",
    *,
    grammar: re.Pattern[str] = _AMOUNT_TEXT,
) -> Decimal:
    """A finite ``Decimal`` from an int, a ``Decimal`` or text that ``grammar`` accepts.

    Text is never read the way ``Decimal()`` reads it: exponents (``1e12``), ``NaN``,
    ``Infinity``, underscores (``1_000``), a ``+`` sign and non-ASCII digits (``１２３``,
    which ``Decimal`` would accept) are refused, so what a person typed is what is used.
    """
    if isinstance(value, bool):
        raise MoneyTypeError(f"{what} cannot be a boolean", field=what, value=value)
    if isinstance(value, float):
        raise MoneyTypeError(
            f"{what} was given as a float ({value!r}); floats cannot hold money exactly",
            field=what,
            value=value,
            remedy="pass a string such as '12.34', a Decimal, or an integer number of fen",
        )
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, str):
        text = value.strip()
        if not grammar.fullmatch(text):
            raise InvalidInputError(
                f"{value!r} {_why_not_a_number(text)}",
                field=what,
                value=value,
                remedy=f"write plain digits 0-9, such as {example}",
            )
        result = Decimal(text.replace(",", ""))
    else:
        raise MoneyTypeError(
            f"{what} must be a string, Decimal or int, not {type(value).__name__}",
            field=what,
            value=value,
        )
    if not result.is_finite():
        raise InvalidInputError(
            f"{what} must be a finite number",
            field=what,
            value=value,
            remedy=f"write plain digits, such as {example}",
        )
    if abs(result) >= _LIMIT:
        raise InvalidInputError(
            f"{value} has more than {MAX_YUAN_DIGITS} digits before the decimal point",
            field=what,
            value=value,
            remedy=f"write at most {MAX_YUAN_DIGITS} digits before the point, such as {example}",
        )
    return result


@dataclass(frozen=True, slots=True, order=False)
class Money:
    """An amount of money: a whole number of fen and a currency code.

    ``Money(1050)`` is 10.50 CNY. Use :meth:`of` to build from a yuan amount written as text.
    """

    fen: int
    currency: str = "CNY"

    def __post_init__(self) -> None:
        if type(self.fen) is not int:
            if isinstance(self.fen, float):
                raise MoneyTypeError(
                    f"money was given as a float ({self.fen!r})",
                    field="fen",
                    value=self.fen,
                    remedy="use Money.of('12.34') or an integer number of fen",
                )
            raise MoneyTypeError(
                f"Money.fen must be an int, not {type(self.fen).__name__}",
                field="fen",
                value=self.fen,
            )

    @classmethod
    def of(cls, yuan: str | Decimal | int, currency: str = "CNY", *, field: str = "amount") -> Self:
        """Money from a yuan amount (``"12.34"``, ``"1,000"``, ``Decimal("12.34")`` or ``12``).

        More than two decimal places is an error: an amount is never silently rounded. Text
        is plain ASCII digits (see :data:`_AMOUNT_TEXT`): ``"1e12"``, ``"NaN"``, ``"inf"``,
        ``"1_000"``, ``"+5"`` and full-width ``"１２３"`` raise :class:`InvalidInputError`
        naming ``field``, as does an amount with more than :data:`MAX_YUAN_DIGITS` digits
        before the point.
        """
        exact = _to_decimal(yuan, field)
        to_fen = exact.quantize(_ONE_FEN_IN_YUAN)  # exact: fewer than 28 digits
        if to_fen != exact:
            raise InvalidInputError(
                f"{yuan} has more than two decimal places",
                field=field,
                value=yuan,
                remedy="amounts are in yuan with at most two decimals (fen)",
            )
        return cls(int(to_fen.scaleb(2)), currency)

    @classmethod
    def zero(cls, currency: str = "CNY") -> Self:
        return cls(0, currency)

    @property
    def yuan(self) -> Decimal:
        """The amount in yuan, exact, with two decimal places."""
        return Decimal(self.fen).scaleb(-2)

    def _check(self, other: object) -> Money:
        if not isinstance(other, Money):
            raise MoneyTypeError(
                f"cannot combine Money with {type(other).__name__}",
                value=other,
                remedy="wrap the amount in Money first",
            )
        if other.currency != self.currency:
            raise CurrencyMismatchError(
                f"cannot combine {self.currency} with {other.currency}",
                value=other.currency,
                remedy="convert to one currency first",
            )
        return other

    def __add__(self, other: Money) -> Money:
        return Money(self.fen + self._check(other).fen, self.currency)

    def __sub__(self, other: Money) -> Money:
        return Money(self.fen - self._check(other).fen, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.fen, self.currency)

    def __lt__(self, other: Money) -> bool:
        return self.fen < self._check(other).fen

    def __le__(self, other: Money) -> bool:
        return self.fen <= self._check(other).fen

    def __gt__(self, other: Money) -> bool:
        return self.fen > self._check(other).fen

    def __ge__(self, other: Money) -> bool:
        return self.fen >= self._check(other).fen

    def __bool__(self) -> bool:
        return self.fen != 0

    def times(self, rate: Decimal | int, mode: Rounding) -> Money:
        """This amount times a rate, rounded to the fen with the named mode."""
        if isinstance(rate, float):
            raise MoneyTypeError("a rate cannot be a float", field="rate", value=rate)
        return Money(round_fen(self.fen * Decimal(rate), mode), self.currency)

    def is_negative(self) -> bool:
        return self.fen < 0

    def __str__(self) -> str:
        return format_yuan(self.fen)

    def __repr__(self) -> str:
        return f"Money('{format_yuan(self.fen)}', {self.currency!r})"


def format_yuan(fen: int, *, grouped: bool = False) -> str:
    """``123456`` → ``'1234.56'``; the one formatting of fen as yuan text.

    ``grouped`` separates thousands with commas, as a person reads an amount:
    ``format_yuan(100000000, grouped=True)`` → ``'1,000,000.00'``.
    """
    sign = "-" if fen < 0 else ""
    whole, part = divmod(abs(fen), FEN_PER_YUAN)
    return f"{sign}{whole:,}.{part:02d}" if grouped else f"{sign}{whole}.{part:02d}"


def parse_rate(text: str | Decimal | int, *, field: str = "rate") -> Decimal:
    """A rate from text: ``"12%"`` → 0.12, ``"0.6%"`` → 0.006, ``"0.12"`` → 0.12.

    A bare number above 1 is read as a percentage only when written with ``%``; a bare
    ``12`` is refused, because 1200% is never what a lender means. Text is plain ASCII
    digits: ``"1e-1"``, ``"NaN"``, ``"1,2%"`` and full-width digits are refused.
    """
    if isinstance(text, str) and text.strip().endswith("%"):
        value = _to_decimal(text.strip()[:-1], field, "12%", grammar=_RATE_TEXT) / _HUNDRED
    else:
        value = _to_decimal(text, field, "12% or 0.12", grammar=_RATE_TEXT)
        if value > 1:
            raise InvalidInputError(
                f"the rate {text} is above 100%",
                field=field,
                value=text,
                remedy="write a percentage with % (e.g. 12%) or a fraction (e.g. 0.12)",
            )
    if value < 0:
        raise InvalidInputError("a rate cannot be negative", field=field, value=text)
    return value
