"""A checkout session (收银台会话): the order a merchant sends, and what may happen to it.

A merchant creates a session for an order (its lines must add up to its total); the borrower
picks one of the allowed terms and confirms; an approval **authorizes** the financed amount.
The merchant then **captures** it (in one go or in parts, never beyond the authorization),
**voids** what it will not capture, and **refunds** (in parts, never beyond what it captured)::

    open ──confirm──► authorized ──capture──► partially-captured ──capture──► captured
      │                   │                        │
      ├─► declined        └──void──► voided        └──void (the rest)──► closed
      └─► expired (time passed)   voided (void of an open session)

Refunds change no state; they only count. Amounts are fen (``Money``); every refusal names
the field and what to do. No I/O here: the service keeps the state in the store.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from urllib.parse import urlsplit

from thinfile.commerce.contract import MerchantContract
from thinfile.errors import CheckoutStateError, FieldProblem, InvalidInputError
from thinfile.money import Money
from thinfile.text import has_hidden

__all__ = [
    "MAX_LINES",
    "MAX_ORDER_TOTAL",
    "MAX_QUANTITY",
    "VOIDABLE",
    "CheckoutAmounts",
    "CheckoutStatus",
    "OrderLine",
    "allowed_terms",
    "check_order",
    "redirect_url",
    "split_refund",
    "status_at",
]

MAX_LINES = 100
"""The most order lines one session may carry."""
MAX_QUANTITY = 9_999
"""The most units of one line."""
MAX_ORDER_TOTAL = Money(200_000_00)
"""The largest order a session finances (200,000 yuan); also the bound of a unit price."""
_MAX_URL = 2_000


class CheckoutStatus(enum.StrEnum):
    OPEN = "open"
    """Created; waiting for the borrower."""
    DECLINED = "declined"
    """The instant decision said no (reasons kept)."""
    AUTHORIZED = "authorized"
    """Approved: the financed amount is authorized, nothing captured yet."""
    PARTIALLY_CAPTURED = "partially-captured"
    CAPTURED = "captured"
    """Everything authorized is captured."""
    CLOSED = "closed"
    """Part captured, the rest voided."""
    VOIDED = "voided"
    """Nothing captured and nothing more will be."""
    EXPIRED = "expired"
    """Open past its expiry: it can no longer be confirmed."""


_CAPTURABLE = (CheckoutStatus.AUTHORIZED, CheckoutStatus.PARTIALLY_CAPTURED)
_VOIDABLE = (CheckoutStatus.OPEN, *_CAPTURABLE)
VOIDABLE = _VOIDABLE
"""The statuses a session can be voided from (what is not captured ends)."""


def status_at(status: CheckoutStatus, expires_at: datetime, now: datetime) -> CheckoutStatus:
    """The status as of ``now``: an open session past its expiry is expired."""
    if status is CheckoutStatus.OPEN and now >= expires_at:
        return CheckoutStatus.EXPIRED
    return status


@dataclass(frozen=True, slots=True)
class OrderLine:
    """One line of an order: what, how many, at what price each."""

    name: str
    sku: str
    quantity: int
    unit_price: Money

    @property
    def amount(self) -> Money:
        return Money(self.unit_price.fen * self.quantity, self.unit_price.currency)


def _text(value: str, field: str, longest: int, *, ascii_only: bool) -> FieldProblem | None:
    bad = has_hidden(value)
    if not value.strip() or len(value) > longest or bad:
        return FieldProblem(field, f"must be 1 to {longest} printable characters", value)
    if ascii_only and not (value.isascii() and " " not in value):
        return FieldProblem(field, "must be ASCII letters, digits and marks, no spaces", value)
    return None


def _line_problems(line: OrderLine, i: int) -> list[FieldProblem]:
    at = f"lines[{i}]"
    out = [
        p
        for p in (
            _text(line.name, f"{at}.name", 200, ascii_only=False),
            _text(line.sku, f"{at}.sku", 64, ascii_only=True),
        )
        if p is not None
    ]
    if type(line.quantity) is not int or not 1 <= line.quantity <= MAX_QUANTITY:
        out.append(FieldProblem(f"{at}.quantity", f"must be 1 to {MAX_QUANTITY}", line.quantity))
    if not Money(1) <= line.unit_price <= MAX_ORDER_TOTAL:
        out.append(
            FieldProblem(
                f"{at}.unit_price", f"must be from 0.01 to {MAX_ORDER_TOTAL}", str(line.unit_price)
            )
        )
    return out


def check_order(lines: Sequence[OrderLine], total: Money) -> Money:
    """The order's total, once every line is valid and the lines add up to ``total``."""
    if not 1 <= len(lines) <= MAX_LINES:
        raise InvalidInputError(
            f"an order has 1 to {MAX_LINES} lines", field="lines", value=len(lines)
        )
    problems = [p for i, line in enumerate(lines) for p in _line_problems(line, i)]
    if problems:
        first = problems[0]
        raise InvalidInputError(
            first.message if len(problems) == 1 else "some order lines are not valid",
            field=first.field,
            value=first.value,
            problems=problems,
        )
    summed = sum((line.amount for line in lines), Money.zero(total.currency))
    if summed != total:
        raise InvalidInputError(
            f"the lines add up to {summed}, not {total}",
            field="total",
            value=str(total),
            remedy="send the total of quantity × unit price over the lines",
        )
    if total > MAX_ORDER_TOTAL:
        raise InvalidInputError(
            f"an order financed here is at most {MAX_ORDER_TOTAL}", field="total", value=str(total)
        )
    return total


def redirect_url(text: str, field: str) -> str:
    """A success or cancel URL: absolute https (http only for localhost), no spaces."""
    try:
        parts = urlsplit(text)
    except ValueError:
        parts = None
    local = parts is not None and parts.hostname in ("localhost", "127.0.0.1")
    if (
        parts is None
        or not 1 <= len(text) <= _MAX_URL
        or not text.isascii()
        or any(c.isspace() or not c.isprintable() for c in text)
        or not parts.hostname
        or parts.username is not None
        or not (parts.scheme == "https" or (parts.scheme == "http" and local))
    ):
        raise InvalidInputError(
            "must be an absolute https URL",
            field=field,
            value=text[:200],
            remedy="send the shop's page, e.g. https://shop.example/orders/42/done",
        )
    return text


def allowed_terms(requested: Sequence[int] | None, contract: MerchantContract) -> tuple[int, ...]:
    """The terms a session offers: those asked for (all of the contract's when none are),
    each one the contract offers."""
    offered = contract.offered_terms
    if requested is None:
        return offered
    wanted = tuple(sorted(set(requested)))
    extra = [t for t in wanted if t not in offered]
    if not wanted or extra:
        names = ", ".join(str(t) for t in offered)
        raise InvalidInputError(
            f"the merchant's contract offers {names} periods",
            field="allowed_terms",
            value=str(extra or list(requested)),
            remedy=f"choose among {names}",
        )
    return wanted


def _state(status: CheckoutStatus, what: str, remedy: str) -> CheckoutStateError:
    article = "an" if status.value[0] in "aeiou" else "a"
    return CheckoutStateError(
        f"{article} {status.value} session cannot be {what}",
        field="status",
        value=status.value,
        remedy=remedy,
    )


@dataclass(frozen=True, slots=True)
class CheckoutAmounts:
    """A session's status and its money so far: authorized, captured, refunded, voided."""

    status: CheckoutStatus
    authorized: Money
    captured: Money
    refunded: Money
    voided: Money

    @property
    def capturable(self) -> Money:
        return self.authorized - self.captured - self.voided

    @property
    def refundable(self) -> Money:
        return self.captured - self.refunded

    def authorize(self, financed: Money) -> CheckoutAmounts:
        if self.status is not CheckoutStatus.OPEN:
            raise _state(self.status, "confirmed", "start a new checkout from the shop")
        return replace(self, status=CheckoutStatus.AUTHORIZED, authorized=financed)

    def decline(self) -> CheckoutAmounts:
        if self.status is not CheckoutStatus.OPEN:
            raise _state(self.status, "confirmed", "start a new checkout from the shop")
        return replace(self, status=CheckoutStatus.DECLINED)

    def capture(self, amount: Money) -> CheckoutAmounts:
        """Capture ``amount`` of what is authorized and not yet captured or voided."""
        if self.status not in _CAPTURABLE:
            raise _state(self.status, "captured", "capture an authorized session")
        _positive(amount)
        if amount > self.capturable:
            raise InvalidInputError(
                f"only {self.capturable} of the authorization is left to capture",
                field="amount",
                value=str(amount),
                remedy=f"capture at most {self.capturable}",
            )
        captured = self.captured + amount
        done = captured == self.authorized
        status = CheckoutStatus.CAPTURED if done else CheckoutStatus.PARTIALLY_CAPTURED
        return replace(self, status=status, captured=captured)

    def void(self) -> CheckoutAmounts:
        """Void everything not captured: the session ends (closed if something was captured)."""
        if self.status not in _VOIDABLE:
            raise _state(self.status, "voided", "refund what was captured instead")
        ended = CheckoutStatus.CLOSED if self.captured.fen else CheckoutStatus.VOIDED
        return replace(self, status=ended, voided=self.capturable)

    def refund(self, amount: Money) -> CheckoutAmounts:
        """Refund ``amount`` of what was captured and not yet refunded; a session that never
        captured anything (open, authorized, declined, voided, expired) is in the wrong state
        for a refund, as for a capture."""
        if not self.captured.fen:
            raise _state(self.status, "refunded", "refund a captured purchase")
        _positive(amount)
        if amount > self.refundable:
            raise InvalidInputError(
                f"only {self.refundable} captured is left to refund",
                field="amount",
                value=str(amount),
                remedy=f"refund at most {self.refundable}",
            )
        return replace(self, refunded=self.refunded + amount)


def _positive(amount: Money) -> None:
    if amount.fen <= 0:
        raise InvalidInputError("amount must be positive", field="amount", value=str(amount))


def split_refund(captures: Sequence[tuple[int, Money]], amount: Money) -> list[tuple[int, Money]]:
    """Share a refund over the captures (each: its key and what is still refundable on it),
    the newest capture first; the parts add up to ``amount``."""
    parts, left = [], amount
    for key, refundable in reversed(captures):
        if left.fen == 0:
            break
        part = min(left, refundable)
        if part.fen > 0:
            parts.append((key, part))
            left = left - part
    if left.fen:
        raise InvalidInputError(
            "the refund is more than the captures hold", field="amount", value=str(amount)
        )
    return parts
