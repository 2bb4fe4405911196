"""Checkout sessions, their lines, captures and refunds on one connection (never commits)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from thinfile.store.checkout_tables import (
    checkout_captures,
    checkout_lines,
    checkout_refund_parts,
    checkout_refunds,
    checkout_sessions,
)
from thinfile.store.hot import Hot

__all__ = [
    "CheckoutRepository",
    "StoredCapture",
    "StoredCheckout",
    "StoredLine",
    "StoredRefund",
    "StoredRefundPart",
]


@dataclass(frozen=True, slots=True)
class StoredCheckout:
    """A session row: money in fen, the chosen term's rates as decimal text."""

    id: str
    merchant_id: str
    merchant_order_id: str
    contract_version: int
    currency: str
    total: int
    allowed_terms: str
    success_url: str
    cancel_url: str
    status: str
    expires_at: datetime
    created_at: datetime
    updated_at: datetime
    borrower_user_id: str | None
    plans_shown_at: datetime | None
    periods: int | None
    subsidy_rate: str | None
    monthly_fee_rate: str | None
    unearned_subsidy: str | None
    application_id: str | None
    credit_line_id: int | None
    decline_reasons: str | None
    confirmed_at: datetime | None
    authorized: int
    captured: int
    refunded: int
    voided: int


@dataclass(frozen=True, slots=True)
class StoredLine:
    n: int
    name: str
    sku: str
    quantity: int
    unit_price: int


@dataclass(frozen=True, slots=True)
class StoredCapture:
    id: str
    session_id: str
    n: int
    amount: int
    subsidy: int
    refunded: int
    loan_id: int
    captured_on: date
    created_at: datetime
    lender_subsidy: int = 0
    """The part of ``subsidy`` the lender pays (a campaign's lender share)."""


@dataclass(frozen=True, slots=True)
class StoredRefundPart:
    capture_id: str
    loan_id: int
    amount: int
    subsidy_unwound: int
    returned_to_borrower: int
    lender_unwound: int = 0
    """The lender's part of ``subsidy_unwound`` (its marketing expense reversed)."""


@dataclass(frozen=True, slots=True)
class StoredRefund:
    id: str
    session_id: str
    n: int
    amount: int
    reference: str | None
    refunded_on: date
    created_at: datetime
    reversed_on: date | None = None
    """The business date the refund was reversed on (merchant error), None while in force."""
    budget_released: int | None = None
    """What the refund gave back to the campaign's budget (fen); None: made before it was
    recorded."""
    parts: tuple[StoredRefundPart, ...] = ()


def _select(table: sa.Table, cls: Any) -> sa.Select[Any]:
    names = [n for n in cls.__dataclass_fields__ if n != "parts"]
    return sa.select(*(table.c[n] for n in names))


_SESSION = _select(checkout_sessions, StoredCheckout)
_LINE = _select(checkout_lines, StoredLine)
_CAPTURE = _select(checkout_captures, StoredCapture)
_REFUND = _select(checkout_refunds, StoredRefund)
_PART = _select(checkout_refund_parts, StoredRefundPart)
_S = checkout_sessions.c
_BY_ID = _SESSION.where(_S.id == sa.bindparam("session_id"))
# the statements every checkout runs (create, plans, confirmation): built once, run on the
# driver on PostgreSQL (store.hot)
_GET = {False: Hot(_BY_ID), True: Hot(_BY_ID.with_for_update())}
_LINES = Hot(
    _LINE.where(checkout_lines.c.session_id == sa.bindparam("session_id")).order_by(
        checkout_lines.c.n
    )
)
_HAS_ORDER = Hot(
    sa.select(_S.id).where(
        _S.merchant_id == sa.bindparam("merchant_id"),
        _S.merchant_order_id == sa.bindparam("merchant_order_id"),
    )
)
_UPDATE = Hot(
    sa.update(checkout_sessions)
    .where(_S.id == sa.bindparam("session_id"))
    .returning(*_SESSION.selected_columns)
)  # the values come as parameters: compiled once per set of columns written
_CLAIM = Hot(
    sa.update(checkout_sessions)
    .where(_S.id == sa.bindparam("session_id"), _S.borrower_user_id.is_(None))
    .returning(*_SESSION.selected_columns)
)


def _aware(value: Any) -> Any:
    """A time as UTC-aware (SQLite hands back naive times)."""
    if isinstance(value, datetime) and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


def _session(row: Any) -> StoredCheckout:
    """A session row as read (times made UTC-aware)."""
    return StoredCheckout(*(_aware(v) for v in row))


class CheckoutRepository:
    """Checkout sessions and what happened to them; never commits."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(self, values: dict[str, Any], lines: Sequence[StoredLine]) -> StoredCheckout:
        """Insert the session and its lines; the session's row as stored (defaults filled)."""
        row = self.conn.execute(
            sa.insert(checkout_sessions).values(values).returning(*_SESSION.selected_columns)
        ).one()
        self.conn.execute(
            sa.insert(checkout_lines),
            [
                {
                    "session_id": values["id"],
                    "n": line.n,
                    "name": line.name,
                    "sku": line.sku,
                    "quantity": line.quantity,
                    "unit_price": line.unit_price,
                }
                for line in lines
            ],
        )
        return _session(row)

    def get(self, session_id: str, *, lock: bool = False) -> StoredCheckout | None:
        row = _GET[lock].first(self.conn, {"session_id": session_id})
        return None if row is None else _session(row)

    def has_order(self, merchant_id: str, merchant_order_id: str) -> bool:
        found = _HAS_ORDER.first(
            self.conn, {"merchant_id": merchant_id, "merchant_order_id": merchant_order_id}
        )
        return found is not None

    def update(self, session_id: str, **values: Any) -> StoredCheckout | None:
        """Write ``values``; the session's row as it now stands (None: no such session), read
        in the same statement."""
        row = _UPDATE.first(self.conn, {**values, "session_id": session_id})
        return None if row is None else _session(row)

    def claim(self, session_id: str, user_id: str, *, at: datetime) -> StoredCheckout | None:
        """Make ``user_id`` the borrower of a session that has none, the plans shown now: the
        session's row as it now stands, or None when it already had a borrower (or is no
        session). One statement: the row is claimed and read together."""
        row = _CLAIM.first(
            self.conn, {"borrower_user_id": user_id, "plans_shown_at": at, "session_id": session_id}
        )
        return None if row is None else _session(row)

    def reserved_on_line(self, line_id: int, *, statuses: tuple[str, ...]) -> int:
        """What sessions authorized on the line (in ``statuses``) may still capture, in fen."""
        c = checkout_sessions.c
        found = self.conn.execute(
            sa.select(sa.func.coalesce(sa.func.sum(c.authorized - c.captured - c.voided), 0)).where(
                c.credit_line_id == line_id, c.status.in_(statuses)
            )
        ).scalar()
        return int(found or 0)

    def lines(self, session_id: str) -> list[StoredLine]:
        return [StoredLine(*r) for r in _LINES.all(self.conn, {"session_id": session_id})]

    # captures
    def captures(self, session_id: str) -> list[StoredCapture]:
        rows = self.conn.execute(
            _CAPTURE.where(checkout_captures.c.session_id == session_id).order_by(
                checkout_captures.c.n
            )
        )
        return [StoredCapture(*r) for r in rows]

    def session_of_loan(self, loan_id: int) -> str | None:
        """The checkout session whose capture booked ``loan_id``, if a checkout booked it."""
        found = self.conn.execute(
            sa.select(checkout_captures.c.session_id).where(checkout_captures.c.loan_id == loan_id)
        ).scalar()
        return None if found is None else str(found)

    def add_capture(self, values: dict[str, Any]) -> None:
        self.conn.execute(sa.insert(checkout_captures).values(values))

    def add_to_capture_refunded(self, capture_id: str, fen: int) -> None:
        self.conn.execute(
            sa.update(checkout_captures)
            .where(checkout_captures.c.id == capture_id)
            .values(refunded=checkout_captures.c.refunded + fen)
        )

    # refunds
    def add_refund(self, values: dict[str, Any], parts: list[StoredRefundPart]) -> None:
        self.conn.execute(sa.insert(checkout_refunds).values(values))
        self.conn.execute(
            sa.insert(checkout_refund_parts),
            [
                {
                    "refund_id": values["id"],
                    "capture_id": p.capture_id,
                    "loan_id": p.loan_id,
                    "amount": p.amount,
                    "subsidy_unwound": p.subsidy_unwound,
                    "returned_to_borrower": p.returned_to_borrower,
                    "lender_unwound": p.lender_unwound,
                }
                for p in parts
            ],
        )

    def mark_refund_reversed(self, refund_id: str, on: date) -> bool:
        """Mark the refund reversed on ``on``; False when it already was (nothing written)."""
        done = self.conn.execute(
            sa.update(checkout_refunds)
            .where(checkout_refunds.c.id == refund_id, checkout_refunds.c.reversed_on.is_(None))
            .values(reversed_on=on)
        )
        return done.rowcount == 1

    def set_budget_released(self, refund_id: str, fen: int) -> None:
        """Record what the refund gave back to its campaign's budget."""
        self.conn.execute(
            sa.update(checkout_refunds)
            .where(checkout_refunds.c.id == refund_id)
            .values(budget_released=fen)
        )

    def refunds(self, session_id: str) -> list[StoredRefund]:
        rows = list(
            self.conn.execute(
                _REFUND.where(checkout_refunds.c.session_id == session_id).order_by(
                    checkout_refunds.c.n
                )
            )
        )
        if not rows:
            return []
        parts: dict[str, list[StoredRefundPart]] = {}
        found = self.conn.execute(
            sa.select(checkout_refund_parts.c.refund_id, *_PART.selected_columns)
            .join(checkout_captures, checkout_captures.c.id == checkout_refund_parts.c.capture_id)
            .where(checkout_refund_parts.c.refund_id.in_([r.id for r in rows]))
            .order_by(checkout_captures.c.n.desc())  # as applied: the newest capture first
        )
        for refund_id, *rest in found:
            parts.setdefault(refund_id, []).append(StoredRefundPart(*rest))
        return [StoredRefund(**r._mapping, parts=tuple(parts.get(r.id, ()))) for r in rows]

    def of_merchant(self, merchant_id: str, *, limit: int = 100) -> list[StoredCheckout]:
        """The merchant's sessions, newest first."""
        rows = self.conn.execute(
            _SESSION.where(checkout_sessions.c.merchant_id == merchant_id)
            .order_by(checkout_sessions.c.created_at.desc(), checkout_sessions.c.id)
            .limit(limit)
        )
        return [_session(row) for row in rows]
