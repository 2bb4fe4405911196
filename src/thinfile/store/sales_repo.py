"""The merchant-sales feed and working-capital decisions on one connection (never commits)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from thinfile.store.decisioning_tables import applications
from thinfile.store.sales_tables import sales_batches, sales_days, working_capital_decisions

__all__ = ["SalesRepository", "StoredSalesDay"]

StoredSalesDay = tuple[date, str, int, int, int]
"""``(day, channel, gross_sales, refunds, transactions)``, amounts in fen."""

_DAY_COLUMNS = (
    sales_days.c.day,
    sales_days.c.channel,
    sales_days.c.gross_sales,
    sales_days.c.refunds,
    sales_days.c.transactions,
)


def _day_row(row: Any) -> StoredSalesDay:
    day = row[0] if isinstance(row[0], date) else date.fromisoformat(str(row[0]))
    return (day, str(row[1]), int(row[2]), int(row[3]), int(row[4]))


class SalesRepository:
    """Sales days, their upload batches and working-capital decisions."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def days_between(self, applicant_id: str, first: date, last: date) -> list[StoredSalesDay]:
        """The stored days ``first`` ≤ day ≤ ``last`` of a business, oldest first."""
        query = (
            sa.select(*_DAY_COLUMNS)
            .where(
                sales_days.c.applicant_id == applicant_id,
                sales_days.c.day >= first,
                sales_days.c.day <= last,
            )
            .order_by(sales_days.c.day, sales_days.c.channel)
        )
        return [_day_row(r) for r in self.conn.execute(query)]

    def days_since(self, applicant_id: str, first: date) -> list[StoredSalesDay]:
        query = (
            sa.select(*_DAY_COLUMNS)
            .where(sales_days.c.applicant_id == applicant_id, sales_days.c.day >= first)
            .order_by(sales_days.c.day, sales_days.c.channel)
        )
        return [_day_row(r) for r in self.conn.execute(query)]

    def first_day(self, applicant_id: str) -> date | None:
        value = self.conn.execute(
            sa.select(sa.func.min(sales_days.c.day)).where(
                sales_days.c.applicant_id == applicant_id
            )
        ).scalar()
        if value is None:
            return None
        return value if isinstance(value, date) else date.fromisoformat(str(value))

    def add_batch(self, values: Mapping[str, object]) -> int:
        result = self.conn.execute(
            sa.insert(sales_batches).values(dict(values)).returning(sales_batches.c.id)
        )
        return int(result.scalar_one())

    def add_days(self, applicant_id: str, batch_id: int, rows: Iterable[StoredSalesDay]) -> int:
        values = [
            {
                "applicant_id": applicant_id,
                "day": d,
                "channel": c,
                "gross_sales": g,
                "refunds": r,
                "transactions": t,
                "batch_id": batch_id,
            }
            for d, c, g, r, t in rows
        ]
        if values:
            self.conn.execute(sa.insert(sales_days), values)
        return len(values)

    def batches(self, applicant_id: str, *, limit: int = 50) -> list[dict[str, Any]]:
        rows = self.conn.execute(
            sa.select(sales_batches)
            .where(sales_batches.c.applicant_id == applicant_id)
            .order_by(sales_batches.c.id.desc())
            .limit(limit)
        )
        return [dict(r._mapping) for r in rows]

    def latest_credit_grade(self, applicant_id: str) -> str | None:
        """The grade of the applicant's latest application decided with one, or None."""
        value = self.conn.execute(
            sa.select(applications.c.grade)
            .where(applications.c.applicant_id == applicant_id, applications.c.grade != "")
            .order_by(applications.c.submitted_at.desc(), applications.c.id.desc())
            .limit(1)
        ).scalar()
        return None if value is None else str(value)

    def add_decision(self, values: Mapping[str, object]) -> int:
        result = self.conn.execute(
            sa.insert(working_capital_decisions)
            .values(dict(values))
            .returning(working_capital_decisions.c.id)
        )
        return int(result.scalar_one())

    def decision(self, decision_id: int) -> dict[str, Any] | None:
        row = self.conn.execute(
            sa.select(working_capital_decisions).where(
                working_capital_decisions.c.id == decision_id
            )
        ).first()
        return None if row is None else dict(row._mapping)

    def decisions(self, applicant_id: str, *, limit: int = 20) -> list[dict[str, Any]]:
        rows = self.conn.execute(
            sa.select(working_capital_decisions)
            .where(working_capital_decisions.c.applicant_id == applicant_id)
            .order_by(working_capital_decisions.c.id.desc())
            .limit(limit)
        )
        return [dict(r._mapping) for r in rows]

    def owner_of_decision(self, decision_id: int) -> str | None:
        return self.conn.execute(
            sa.select(working_capital_decisions.c.applicant_id).where(
                working_capital_decisions.c.id == decision_id
            )
        ).scalar()
