"""How the numbers of a model's inputs read in reasons and bin labels (staff and borrowers).

- Money (an input :func:`~thinfile.scoring.contract.is_money`, held in whole fen) reads in
  yuan through :mod:`thinfile.money`: ``¥15,750``, ``¥1,234.56`` — never its fen as a plain
  number (``1,575,000``).
- Any other number keeps all its integer digits and, after the point, enough for two
  significant digits but at least one, trailing zeros dropped, never an exponent:
  ``0.120549999177`` → ``0.12``, ``17.5`` → ``17.5``, ``12.0`` → ``12``.
- The cut points of one input (:func:`edge_texts`) are worded together: money in whole yuan
  (a cut point half-way between two whole yuan reads as the upper one, the first amount of the
  upper bin), other numbers with two significant digits — and with more (fen, then further
  digits) until no two cut points read the same, so two bins of an input never share a label.

Only words change here: bins, codes, scores and PDs are computed from the stored numbers.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from decimal import Decimal

from thinfile.money import FEN_PER_YUAN, Rounding, format_yuan, round_fen

__all__ = ["MIN_DIGITS", "edge_texts", "number_text", "value_text", "yuan_text"]

MIN_DIGITS = 2
"""Significant digits a number other than money is shown with, at the least."""

_MAX_DIGITS = 17
"""Digits that tell any two different floats apart."""

_FEN_LIMIT = 10**18
"""Beyond any amount: a number of fen this large is worded exactly, not rounded."""


def number_text(x: float, *, digits: int = MIN_DIGITS) -> str:
    """``x`` with all its integer digits (thousands grouped) and decimals for ``digits``
    significant digits, at least one, trailing zeros dropped: ``0.8377`` → ``0.84``,
    ``6.5`` → ``6.5``, ``2095000.0`` → ``2,095,000``."""
    if not math.isfinite(x):
        return f"{x:g}"
    if x == 0:
        return "0"
    places = max(1, digits - 1 - math.floor(math.log10(abs(x))))
    text = f"{x:,.{places}f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def yuan_text(fen: int, *, always_fen: bool = False) -> str:
    """Whole fen as yuan: ``157500`` → ``¥1,575``; ``123456`` → ``¥1,234.56``; with
    ``always_fen`` an amount of whole yuan keeps its ``.00`` (``¥1,575.00``)."""
    sign = "-" if fen < 0 else ""
    text = format_yuan(abs(fen), grouped=True)
    return f"{sign}¥{text if always_fen else text.removesuffix('.00')}"


def value_text(value: float, *, money: bool = False) -> str:
    """One input's value as a reason shows it: money in yuan to the fen (``¥12,165``),
    another number by :func:`number_text`."""
    if not money:
        return number_text(value)
    if not _roundable(value):
        return _exact_yuan(value)
    return yuan_text(round_fen(Decimal(value), Rounding.HALF_UP))


def edge_texts(edges: Sequence[float], *, money: bool = False) -> tuple[str, ...]:
    """The cut points of one input as its bin labels show them, with the fewest digits that
    tell them all apart (see the module's docstring)."""
    texts: tuple[str, ...] = ()
    for word in _money_words() if money else _number_words():
        texts = tuple(word(e) for e in edges)
        if len(set(texts)) == len(texts):
            break
    return texts


def _money_words() -> Iterator[Callable[[float], str]]:
    """Whole yuan, then yuan and fen, then the exact amount."""
    yield _yuan_word(FEN_PER_YUAN, always_fen=False)
    yield _yuan_word(1, always_fen=True)
    yield _exact_yuan


def _yuan_word(multiple: int, *, always_fen: bool) -> Callable[[float], str]:
    def word(e: float) -> str:
        if not _roundable(e):
            return _exact_yuan(e)
        fen = round_fen(Decimal(e), Rounding.HALF_UP, multiple=multiple)
        return yuan_text(fen, always_fen=always_fen)

    return word


def _roundable(fen: float) -> bool:
    return math.isfinite(fen) and abs(fen) < _FEN_LIMIT


def _exact_yuan(e: float) -> str:
    if not math.isfinite(e):
        return f"{e:g}"
    exact = Decimal(e) / FEN_PER_YUAN
    sign = "-" if exact < 0 else ""
    return f"{sign}¥{abs(exact):,f}"


def _number_words() -> Iterator[Callable[[float], str]]:
    """Two significant digits, then one more at a time, then the float's own digits."""
    for digits in range(MIN_DIGITS, _MAX_DIGITS + 1):
        yield _number_word(digits)
    yield repr


def _number_word(digits: int) -> Callable[[float], str]:
    def word(e: float) -> str:
        return number_text(e, digits=digits)

    return word
