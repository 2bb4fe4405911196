"""Revolving credit lines (循环授信额度): a limit, draws that each become an installment plan.

Available = limit − outstanding principal of the line's loans, always derived, never stored.
Every limit change is recorded with its reason (调额记录).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace
from datetime import date

from thinfile.errors import ConflictError, CurrencyMismatchError, InvalidInputError
from thinfile.money import Money

__all__ = ["CreditLine", "LimitChange", "LineStatus", "change_limit", "check_draw", "close_line"]


class LineStatus(enum.StrEnum):
    ACTIVE = "active"
    FROZEN = "frozen"
    CLOSED = "closed"
    CHARGED_OFF = "charged-off"
    """A working-capital line charged off (核销) after ``wc_terms.CHARGE_OFF_DAYS`` past due,
    or a revolving line one of whose draws was charged off or written off: it never lends
    again."""


@dataclass(frozen=True, slots=True)
class CreditLine:
    line_id: int
    limit: Money
    status: LineStatus = LineStatus.ACTIVE

    def available(self, outstanding_principal: int) -> Money:
        """Limit less outstanding principal (never below zero)."""
        return Money(max(0, self.limit.fen - outstanding_principal), self.limit.currency)


@dataclass(frozen=True, slots=True)
class LimitChange:
    line_id: int
    on: date
    old_limit: int
    new_limit: int
    reason: str


def check_draw(line: CreditLine, outstanding_principal: int, amount: Money) -> None:
    """Refuse a draw above what is available, in another currency or on a frozen line."""
    if amount.currency != line.limit.currency:
        raise CurrencyMismatchError(
            f"the line is in {line.limit.currency}", field="amount", value=amount.currency
        )
    if amount.fen <= 0:
        raise InvalidInputError("a draw must be positive", field="amount", value=str(amount))
    if line.status is not LineStatus.ACTIVE:
        raise ConflictError(
            f"credit line {line.line_id} is {line.status}", field="line_id", value=line.line_id
        )
    available = line.available(outstanding_principal)
    if amount.fen > available.fen:
        raise ConflictError(
            f"only {available} is available on credit line {line.line_id}",
            field="amount",
            value=str(amount),
            remedy="draw at most the available amount",
        )


def check_capture(line: CreditLine, amount: Money) -> None:
    """Refuse the capture of a purchase authorized on the line only when the line lends no
    more (charged off) or the currency differs: the authorization held its room when it was
    given, so a limit lowered or a line frozen since does not take back what the merchant
    was promised (the capture is within the authorization, checked by the checkout)."""
    if amount.currency != line.limit.currency:
        raise CurrencyMismatchError(
            f"the line is in {line.limit.currency}", field="amount", value=amount.currency
        )
    if line.status not in (LineStatus.ACTIVE, LineStatus.FROZEN):
        raise ConflictError(
            f"credit line {line.line_id} is {line.status}", field="line_id", value=line.line_id
        )


def change_limit(
    line: CreditLine, new_limit: Money, reason: str, on: date
) -> tuple[CreditLine, LimitChange]:
    """A new limit with its recorded reason. Lowering below outstanding is allowed (no new
    draws until repaid), as lenders do on a limit review; a closed or charged-off line never
    lends again, so its limit is not changed."""
    if line.status not in (LineStatus.ACTIVE, LineStatus.FROZEN):
        raise ConflictError(
            f"credit line {line.line_id} is {line.status}: its limit is not changed",
            field="line_id",
            value=line.line_id,
            remedy="open a new line for the borrower instead",
        )
    if new_limit.currency != line.limit.currency or new_limit.fen < 0:
        raise InvalidInputError(
            "the new limit must be a non-negative amount in the line's currency",
            field="limit",
            value=str(new_limit),
        )
    if not reason.strip():
        raise InvalidInputError("a limit change needs a reason", field="reason")
    change = LimitChange(line.line_id, on, line.limit.fen, new_limit.fen, reason.strip())
    return replace(line, limit=new_limit), change


def close_line(line: CreditLine, outstanding_principal: int, held: int) -> CreditLine:
    """The line closed (销户): it never lends again. Refused while a draw still owes principal
    (``outstanding_principal``, fen) or a purchase authorized on the line holds room on it
    (``held``, fen), and on a line already closed or charged off."""
    if line.status not in (LineStatus.ACTIVE, LineStatus.FROZEN):
        raise ConflictError(
            f"credit line {line.line_id} is {line.status}", field="line_id", value=line.line_id
        )
    currency = line.limit.currency
    if outstanding_principal > 0:
        raise ConflictError(
            f"{Money(outstanding_principal, currency)} of principal is still owed on credit "
            f"line {line.line_id}",
            field="line_id",
            value=line.line_id,
            remedy="pay off every draw on the line, then close it",
            extra={"owed": str(Money(outstanding_principal, currency).yuan)},
        )
    if held > 0:
        raise ConflictError(
            f"purchases authorized on credit line {line.line_id} hold {Money(held, currency)}",
            field="line_id",
            value=line.line_id,
            remedy="the merchant captures or voids them; then close the line",
            extra={"held": str(Money(held, currency).yuan)},
        )
    return replace(line, status=LineStatus.CLOSED)
