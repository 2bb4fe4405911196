"""Revolving credit lines: the line, what its draws still owe, and its limit history."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from thinfile.errors import NotFoundError
from thinfile.money import Money
from thinfile.servicing import CreditLine, LimitChange, LineStatus, LoanStatus, ServicingProduct
from thinfile.store.servicing_codec import product_from_json, product_to_json, to_day
from thinfile.store.servicing_tables import credit_lines, installments, limit_changes, loans

__all__ = ["LOST_DRAW_REASON", "CreditLineRepository", "StoppedLine", "StoredLine"]

_DRAWN = (LoanStatus.ACTIVE.value, LoanStatus.CLOSED.value)
"""The statuses of a line's draws whose principal counts against the line."""
_LOST = (LoanStatus.CHARGED_OFF.value, LoanStatus.WRITTEN_OFF.value)
"""The statuses of a draw the lender has given up on: its line never lends again."""
_OPEN = (LineStatus.ACTIVE.value, LineStatus.FROZEN.value)


LOST_DRAW_REASON = "stopped: a draw on the line was charged off or written off"
"""The limit history's reason for a line stopped by a lost draw."""


@dataclass(frozen=True, slots=True)
class StoppedLine:
    """A line a lost draw stopped: its limit as it stood, and its currency."""

    line_id: int
    limit: int
    currency: str


@dataclass(frozen=True, slots=True)
class StoredLine:
    """A line as loaded: the domain line, and the rate and product its draws are priced at."""

    line: CreditLine
    annual_rate: Decimal
    product: ServicingProduct


class CreditLineRepository:
    """Credit lines on one connection (``get(…, lock=True)`` takes the row lock)."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(
        self, limit: Money, annual_rate: Decimal, opened: int, *, product: ServicingProduct
    ) -> int:
        """Open an active line (``opened``: a day number); returns its id."""
        return int(
            self.conn.execute(
                sa.insert(credit_lines)
                .values(
                    currency=limit.currency,
                    limit_amount=limit.fen,
                    status=LineStatus.ACTIVE.value,
                    annual_rate=str(annual_rate),
                    opened_day=opened,
                    product_json=product_to_json(product),
                )
                .returning(credit_lines.c.id)
            ).scalar_one()
        )

    def get(self, line_id: int, *, lock: bool = False) -> StoredLine:
        query = sa.select(credit_lines).where(credit_lines.c.id == line_id)
        row = self.conn.execute(query.with_for_update() if lock else query).first()
        if row is None:
            raise NotFoundError(f"no credit line {line_id}", field="line_id", value=line_id)
        r = row._mapping
        line = CreditLine(
            int(r["id"]),
            Money(int(r["limit_amount"]), str(r["currency"])),
            LineStatus(str(r["status"])),
        )
        return StoredLine(
            line, Decimal(str(r["annual_rate"])), product_from_json(str(r["product_json"]))
        )

    def outstanding_principal(self, line_id: int) -> int:
        """What the line's active and closed draws still owe in principal (fen)."""
        return int(
            self.conn.execute(
                sa.select(
                    sa.func.coalesce(
                        sa.func.sum(installments.c.principal_due - installments.c.principal_paid), 0
                    )
                )
                .select_from(installments.join(loans, loans.c.id == installments.c.loan_id))
                .where(loans.c.credit_line_id == line_id, loans.c.status.in_(_DRAWN))
            ).scalar_one()
        )

    def draw_past_due(self, line_id: int) -> bool:
        """Whether a draw of the line (a loan still open) is past due."""
        query = sa.select(
            sa.exists().where(
                loans.c.credit_line_id == line_id,
                loans.c.status == LoanStatus.ACTIVE.value,
                loans.c.overdue_since_day.is_not(None),
            )
        )
        return bool(self.conn.execute(query).scalar_one())

    def set_status(self, line_id: int, status: LineStatus) -> None:
        self.conn.execute(
            sa.update(credit_lines)
            .where(credit_lines.c.id == line_id)
            .values(status=status.value, version=credit_lines.c.version + 1)
        )

    def change_limit(
        self, line_id: int, change: LimitChange, *, single_handed_by: str | None = None
    ) -> int:
        """Store the new limit and record the change (old and new limit, reason, day, and
        the staff member who made it alone, if one did); the change's id."""
        self.conn.execute(
            sa.update(credit_lines)
            .where(credit_lines.c.id == line_id)
            .values(limit_amount=change.new_limit, version=credit_lines.c.version + 1)
        )
        return int(
            self.conn.execute(
                sa.insert(limit_changes)
                .values(
                    line_id=line_id,
                    day=to_day(change.on),
                    old_limit=change.old_limit,
                    new_limit=change.new_limit,
                    reason=change.reason,
                    single_handed_by=single_handed_by,
                )
                .returning(limit_changes.c.id)
            ).scalar_one()
        )

    def moved_single_handed(self, line_id: int, *, since: date) -> int:
        """How far staff moved the line's limit alone from ``since`` on (fen, each change's
        size counted, up or down)."""
        size = sa.func.abs(limit_changes.c.new_limit - limit_changes.c.old_limit)
        query = sa.select(sa.func.coalesce(sa.func.sum(size), 0)).where(
            limit_changes.c.line_id == line_id,
            limit_changes.c.single_handed_by.is_not(None),
            limit_changes.c.day >= to_day(since),
        )
        return int(self.conn.execute(query).scalar_one())

    def stop_lines_of_lost_draws(
        self, day: int, loan_ids: list[int] | None = None, *, ended_day: int | None = None
    ) -> list[StoppedLine]:
        """Lines one of whose draws is charged off or written off (of ``loan_ids``, or
        ended on ``ended_day``: close of business's charge-offs) take the ``charged-off``
        status: no draw is ever made on them again, and no limit review opens them. Each
        stop is recorded in the line's limit history on ``day`` (its limit kept, the
        reason said); the lines stopped."""
        lost = sa.select(loans.c.credit_line_id).where(
            loans.c.credit_line_id.is_not(None), loans.c.status.in_(_LOST)
        )
        if loan_ids is not None:
            lost = lost.where(loans.c.id.in_(loan_ids))
        if ended_day is not None:
            lost = lost.where(loans.c.closed_day == ended_day)
        c = credit_lines.c
        stopped = [
            StoppedLine(int(r.id), int(r.limit_amount), str(r.currency))
            for r in self.conn.execute(
                sa.select(c.id, c.limit_amount, c.currency)
                .where(c.id.in_(lost), c.status.in_(_OPEN))
                .order_by(c.id)
            )
        ]
        if not stopped:
            return []
        self.conn.execute(
            sa.update(credit_lines)
            .where(c.id.in_([line.line_id for line in stopped]))
            .values(status=LineStatus.CHARGED_OFF.value, version=c.version + 1)
        )
        self.conn.execute(
            sa.insert(limit_changes),
            [
                {
                    "line_id": line.line_id,
                    "day": day,
                    "old_limit": line.limit,
                    "new_limit": line.limit,
                    "reason": LOST_DRAW_REASON,
                }
                for line in stopped
            ],
        )
        return stopped
