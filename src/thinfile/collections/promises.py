"""Promises to pay (承诺还款): kept when the money promised arrives by the promised date.

Close of business (step ``promises``) settles the pending ones
(:mod:`thinfile.store.collections_repo`): what each has received is :func:`paid_towards` —
a payment counts once, for the promises open on its day, earliest due first, each up to its
amount (two promises of 300 and one payment of 300: one kept, the other still waiting) — and
its status :func:`promise_status`.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from thinfile.errors import InvalidInputError

__all__ = [
    "MAX_PROMISE_DAYS",
    "PromiseStatus",
    "PromiseWindow",
    "check_promise",
    "paid_towards",
    "promise_status",
]

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


@dataclass(frozen=True, slots=True)
class PromiseWindow:
    """One promise of a loan: ``amount`` fen between days ``made`` and ``due`` (inclusive)."""

    id: int
    amount: int
    made: int
    due: int


def paid_towards(
    promises: Sequence[PromiseWindow], payments: Iterable[tuple[int, int]]
) -> dict[int, int]:
    """What each of one loan's promises has received from ``payments`` (day, fen): each
    payment, in date order, goes to the promises open on its day (made on or before it, due
    on or after it), the earliest due first, each up to its amount; the rest of a payment
    counts for none. A payment is counted once however many promises it falls within."""
    ordered = sorted(promises, key=lambda p: (p.due, p.id))
    paid = dict.fromkeys((p.id for p in ordered), 0)
    for day, amount in sorted(payments):
        left = amount
        for p in ordered:
            if left <= 0:
                break
            if p.made <= day <= p.due and paid[p.id] < p.amount:
                take = min(left, p.amount - paid[p.id])
                paid[p.id] += take
                left -= take
    return paid
