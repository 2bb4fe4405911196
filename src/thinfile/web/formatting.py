"""Template filters: money in yuan, rates in percent, dates — never through a float — and
moments in the reader's time zone (``THINFILE_DISPLAY_TIMEZONE``; stored in UTC)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from datetime import UTC, date, datetime, tzinfo
from decimal import Decimal, InvalidOperation

from jinja2 import pass_context
from jinja2.runtime import Context

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


def in_zone(value: datetime, zone: tzinfo) -> datetime:
    """A stored moment (UTC; naive means UTC) as the wall-clock time in ``zone``."""
    moment = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    return moment.astimezone(zone)


def when(value: object, zone: tzinfo = UTC) -> str:
    """A moment as ``2026-12-03 17:12`` in ``zone`` (the reader's, from the settings); a
    date (a business date, a due date) as it is: it names a day, not a moment."""
    if isinstance(value, str) and len(value) > len("2026-12-03"):  # a moment, not a day
        with contextlib.suppress(ValueError):
            value = datetime.fromisoformat(value)
    if isinstance(value, datetime):
        return in_zone(value, zone).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)[:16].replace("T", " ")


@pass_context
def _when_shown(context: Context, value: object) -> str:
    zone = context.get("display_zone")
    return when(value, zone if isinstance(zone, tzinfo) else UTC)


def short_id(value: object) -> str:
    return str(value)[:8]


FILTERS: dict[str, Callable[..., str]] = {
    "yuan": yuan,
    "fen": fen,
    "fen_plain": fen_plain,
    "percent": percent,
    "when": _when_shown,
    "short_id": short_id,
}
