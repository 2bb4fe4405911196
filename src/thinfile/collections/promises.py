"""Promises to pay (承诺还款): kept when the money promised arrives by the promised date.

Close of business (step ``promises``) settles them set-based in SQL
(:mod:`thinfile.store.collections_repo`); :func:`promise_status` is its Python twin.
"""

from __future__ import annotations

import enum
from datetime import date

from thinfile.errors import InvalidInputError

__all__ = ["MAX_PROMISE_DAYS", "PromiseStatus", "check_promise", "promise_status"]

MAX_PROMISE_DAYS = 30
"""A promise is for a date at most this many days ahead."""


class PromiseStatus(enum.StrEnum):
    PENDING = "pending"
    KEPT = "kept"
    BROKEN = "broken"


def check_promise(amount_fen: int, due: date, today: date) -> None:
    """Refuse a promise of nothing, in the past or too far ahead."""
    if isinstance(amount_fen, bool) or not isinstance(amount_fen, int) or amount_fen <= 0:
        raise InvalidInputError("a promise is of a positive amount", field="amount")
    if not today <= due <= date.fromordinal(today.toordinal() + MAX_PROMISE_DAYS):
        raise InvalidInputError(
            f"a promise is due from today to {MAX_PROMISE_DAYS} days ahead",
            field="due",
            value=due.isoformat(),
        )


def promise_status(amount_fen: int, due: date, paid_fen: int, closed: date) -> PromiseStatus:
    """The promise once business date ``closed`` is closed, given ``paid_fen`` received from
    the day it was made to ``min(closed, due)``: kept when the amount arrived, broken when its
    date passed (closed on or after ``due``) without it, pending otherwise."""
    if paid_fen >= amount_fen:
        return PromiseStatus.KEPT
    return PromiseStatus.BROKEN if closed >= due else PromiseStatus.PENDING
