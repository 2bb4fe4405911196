"""Disputes of financed purchases on one connection (never commits)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from thinfile.store.checkout_tables import checkout_captures
from thinfile.store.dispute_tables import checkout_disputes
from thinfile.store.hot import Hot
from thinfile.store.servicing_codec import from_day, to_day

__all__ = ["DisputeRepository", "StoredDispute"]


@dataclass(frozen=True, slots=True)
class StoredDispute:
    id: str
    session_id: str
    borrower_user_id: str
    merchant_id: str
    reason: str
    status: str
    opened_on: date
    opened_at: datetime
    resolved_on: date | None
    resolved_at: datetime | None
    resolved_by: str | None
    staff_reason: str | None
    refunded_fen: int


def _aware(when: datetime | None) -> datetime | None:
    return when if when is None or when.tzinfo else when.replace(tzinfo=UTC)


def _stored(row: Any) -> StoredDispute:
    values = dict(row._mapping)
    values["opened_on"] = from_day(values.pop("opened_day"))
    resolved = values.pop("resolved_day")
    values["resolved_on"] = None if resolved is None else from_day(resolved)
    values["opened_at"] = _aware(values["opened_at"])
    values["resolved_at"] = _aware(values["resolved_at"])
    return StoredDispute(**values)


_HELD_OF_LOAN = Hot(
    sa.select(checkout_disputes.c.opened_day, checkout_disputes.c.resolved_day)
    .join(checkout_captures, checkout_captures.c.session_id == checkout_disputes.c.session_id)
    .where(
        checkout_captures.c.loan_id
        == sa.bindparam("loan_id", type_=checkout_captures.c.loan_id.type)
    )
    .order_by(checkout_disputes.c.opened_day)
)
"""Read by every posting that closes missed days (a payment's first of the day)."""


class DisputeRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(self, values: dict[str, Any]) -> None:
        """Insert a dispute (``opened_on`` a date)."""
        values = dict(values)
        values["opened_day"] = to_day(values.pop("opened_on"))
        self.conn.execute(sa.insert(checkout_disputes).values(**values))

    def held_of_loan(self, loan_id: int) -> tuple[tuple[date, date | None], ...]:
        """The spans of business dates on which the loan's purchase was under dispute:
        ``(opened_on, resolved_on)``, the end excluded, None while open."""
        rows = _HELD_OF_LOAN.all(self.conn, {"loan_id": loan_id})
        return tuple((from_day(a), None if b is None else from_day(b)) for a, b in rows)

    def get(self, dispute_id: str, *, lock: bool = False) -> StoredDispute | None:
        query = sa.select(checkout_disputes).where(checkout_disputes.c.id == dispute_id)
        row = self.conn.execute(query.with_for_update() if lock else query).first()
        return None if row is None else _stored(row)

    def of_session(self, session_id: str) -> StoredDispute | None:
        row = self.conn.execute(
            sa.select(checkout_disputes).where(checkout_disputes.c.session_id == session_id)
        ).first()
        return None if row is None else _stored(row)

    def listing(self, status: str | None, limit: int) -> list[StoredDispute]:
        query = sa.select(checkout_disputes)
        if status is not None:
            query = query.where(checkout_disputes.c.status == status)
        query = query.order_by(checkout_disputes.c.opened_at, checkout_disputes.c.id).limit(limit)
        return [_stored(row) for row in self.conn.execute(query)]

    def resolve(self, dispute_id: str, values: dict[str, Any]) -> bool:
        """Resolve the dispute if still open (``resolved_on`` a date); whether it was."""
        values = dict(values)
        values["resolved_day"] = to_day(values.pop("resolved_on"))
        done = self.conn.execute(
            sa.update(checkout_disputes)
            .where(checkout_disputes.c.id == dispute_id, checkout_disputes.c.status == "open")
            .values(**values)
        )
        return bool(done.rowcount == 1)
