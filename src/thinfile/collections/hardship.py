"""Hardship tools (困难客户纾困) and their approval rules (maker-checker, 双人复核).

One staff member proposes a tool; a different one approves it, and only the approval acts.
A restructure (re-age, 重组) is allowed at most once in :data:`REAGE_MONTHS` months. A
settlement (折扣结清) takes an agreed amount now and writes the rest off; it is never more
than what is owed nor nothing, so its cost stays within what the contract already allows.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from thinfile.errors import ConflictError, InvalidInputError, PermissionDeniedError

__all__ = [
    "MAX_HOLIDAY_MONTHS",
    "REAGE_MONTHS",
    "HardshipKind",
    "HardshipStatus",
    "SettlementSplit",
    "check_approver",
    "check_months",
    "check_reage_allowed",
    "months_before",
    "settlement_split",
]

REAGE_MONTHS = 12
MAX_HOLIDAY_MONTHS = 6


class HardshipKind(enum.StrEnum):
    PAYMENT_HOLIDAY = "payment_holiday"
    TERM_EXTENSION = "term_extension"
    RESTRUCTURE = "restructure"
    SETTLEMENT = "settlement"


class HardshipStatus(enum.StrEnum):
    PROPOSED = "proposed"
    APPROVED = "approved"
    DECLINED = "declined"
    """Withdrawn by its proposer or declined by an approver, with a reason: never posted."""


def check_approver(proposed_by: str, approver: str) -> None:
    """The approver is someone other than the proposer."""
    if proposed_by == approver:
        raise PermissionDeniedError(
            "a hardship plan must be approved by someone other than who proposed it",
            field="approver",
            value=approver,
            remedy="ask another servicing agent or admin to approve it",
        )


def months_before(on: date, months: int) -> date:
    """The same day ``months`` earlier (the month's last day when it has fewer days)."""
    index = on.year * 12 + on.month - 1 - months
    year, month = divmod(index, 12)
    for day in (on.day, 30, 29, 28):
        try:
            return date(year, month + 1, day)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def check_reage_allowed(earlier: Iterable[date], on: date) -> None:
    """Refuse a restructure when the loan had one in the :data:`REAGE_MONTHS` months
    before ``on``."""
    since = months_before(on, REAGE_MONTHS)
    recent = sorted(d for d in earlier if d > since)
    if recent:
        raise ConflictError(
            f"the loan was restructured on {recent[-1]}: at most once in {REAGE_MONTHS} months",
            field="kind",
            value=HardshipKind.RESTRUCTURE.value,
            remedy="offer a payment holiday or a settlement instead",
        )


def check_months(kind: HardshipKind, months: int | None) -> int:
    """The months of a holiday or extension (1 to :data:`MAX_HOLIDAY_MONTHS`); none otherwise."""
    needs = kind in (HardshipKind.PAYMENT_HOLIDAY, HardshipKind.TERM_EXTENSION)
    if not needs:
        if months not in (None, 0):
            raise InvalidInputError(f"a {kind.value} takes no months", field="months")
        return 0
    if isinstance(months, bool) or not isinstance(months, int):
        raise InvalidInputError(f"a {kind.value} needs its months", field="months")
    if not 1 <= months <= MAX_HOLIDAY_MONTHS:
        raise InvalidInputError(
            f"months are from 1 to {MAX_HOLIDAY_MONTHS}", field="months", value=months
        )
    return months


@dataclass(frozen=True, slots=True)
class SettlementSplit:
    paid: int
    written_off: int


def settlement_split(amount_fen: int, owed_fen: int) -> SettlementSplit:
    """A settlement of ``amount_fen`` against ``owed_fen`` (everything owed today): what is
    paid and what is written off. Refused when nothing is paid or all that is owed
    (that is a payoff, not a settlement)."""
    if isinstance(amount_fen, bool) or not isinstance(amount_fen, int) or amount_fen <= 0:
        raise InvalidInputError("a settlement amount is positive", field="amount")
    if amount_fen >= owed_fen:
        raise InvalidInputError(
            "a settlement is less than what is owed",
            field="amount",
            value=amount_fen,
            remedy=f"settle for less than {owed_fen} fen, or take a normal payoff",
        )
    return SettlementSplit(amount_fen, owed_fen - amount_fen)
