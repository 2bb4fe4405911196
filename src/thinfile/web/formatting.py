"""Template filters: money in yuan, rates in percent, dates — never through a float."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from thinfile.money import Money

__all__ = ["FILTERS", "fen", "fen_plain", "percent", "yuan"]


def _decimal(value: object) -> Decimal | None:
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def yuan(value: object) -> str:
    """``"6000.00"`` or ``Decimal`` yuan as ``¥6,000.00``; fen ints are not accepted here."""
    amount = _decimal(value)
    if amount is None:
        return "—"
    return f"¥{amount.quantize(Decimal('0.01')):,}"


def _fen(value: object) -> Decimal | None:
    fen = value.fen if isinstance(value, Money) else value
    if not isinstance(fen, int) or isinstance(fen, bool):
        return None
    return Decimal(fen).scaleb(-2)


def fen(value: object) -> str:
    """An amount in fen (an ``int`` or :class:`~thinfile.money.Money`) as ``¥6,000.00``."""
    amount = _fen(value)
    return "—" if amount is None else yuan(amount)


def fen_plain(value: object) -> str:
    """An amount in fen as a form value: ``6000.00`` (no symbol, no separators)."""
    amount = _fen(value)
    return "" if amount is None else f"{amount:.2f}"


def percent(value: object, digits: int = 2) -> str:
    """A rate (``"0.0766"``) as ``7.66%``."""
    rate = _decimal(value)
    if rate is None:
        return "—"
    return f"{(rate * 100).quantize(Decimal(1).scaleb(-digits)):.{digits}f}%"


def when(value: object) -> str:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M UTC")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)[:16].replace("T", " ")


def short_id(value: object) -> str:
    return str(value)[:8]


FILTERS: dict[str, Callable[..., str]] = {
    "yuan": yuan,
    "fen": fen,
    "fen_plain": fen_plain,
    "percent": percent,
    "when": when,
    "short_id": short_id,
}
