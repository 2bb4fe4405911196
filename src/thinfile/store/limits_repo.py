"""Limit management on one connection: behaviour snapshots and their aggregates, incomes.

The review's statements are set-based (``limit_features_sql``); the decisions, offers,
notices and requests are in :mod:`thinfile.store.limit_decisions_repo`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from thinfile.store.decisioning_tables import applications
from thinfile.store.identity_tables import consents
from thinfile.store.limit_features_sql import (
    FEATURE_SUMS,
    MONTH_SNAPSHOT_AGAIN,
    WORST_AGAIN,
    snapshot_sql,
)
from thinfile.store.limits_tables import limit_line_incomes, limit_line_months
from thinfile.store.sales_tables import sales_days

__all__ = ["LimitRepository"]

ARM_OUTCOMES = """
SELECT d.arm,
  COUNT(*) AS lines,
  SUM(CASE WHEN d.action = 'increase' THEN 1 ELSE 0 END) AS offered,
  SUM(CASE WHEN o.status = 'accepted' THEN 1 ELSE 0 END) AS accepted,
  SUM(CASE WHEN d.action = 'held_out' THEN 1 ELSE 0 END) AS held_out,
  SUM(CASE WHEN d.action IN ('decrease', 'freeze') THEN 1 ELSE 0 END) AS reduced,
  COUNT(m.line_id) AS observed,
  COALESCE(SUM(m.limit_amount), 0) AS limit_sum,
  COALESCE(SUM(m.balance), 0) AS balance_sum,
  SUM(CASE WHEN m.days_past_due >= 30 THEN 1 ELSE 0 END) AS past_due_30
FROM limit_decisions d
LEFT JOIN limit_offers o ON o.decision_id = d.id
LEFT JOIN limit_line_months m ON m.line_id = d.line_id AND m.day = :at
WHERE d.kind = 'review' AND d.review_day = :r
GROUP BY d.arm
ORDER BY d.arm
"""


def _opened_line(line_id: int | None) -> sa.ColumnElement[bool]:
    """Applications that opened a line (the line ``line_id``, if given: its key's text)."""
    if line_id is None:
        return applications.c.credit_line_id.is_not(None)
    return applications.c.credit_line_id == str(line_id)


class LimitRepository:
    """Behaviour snapshots, feature aggregates and incomes of credit lines (``uow.limits``)."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def snapshot(
        self,
        day: int,
        month_start: int,
        *,
        month_end: bool,
        line_id: int | None = None,
        lines: tuple[int, int] | None = None,
    ) -> int:
        """One line-month row per open line on ``day`` (or line ``line_id`` only, or the
        lines ``lines[0]`` to ``lines[1]``), kept if taken already; rows added.

        A range is a review batch's share of the book (a few thousand lines): on PostgreSQL
        its loans' installments are read by their key, so the planner is told that random
        reads cost what they cost on the SSD or page cache a lender's server reads from
        (``random_page_cost`` 1.1 for this statement; the default 4 assumes spinning disks
        and picks a scan of every installment of the book for each batch)."""
        params = {"d": day, "ms": month_start, "month_end": int(month_end), "line": line_id}
        if lines is not None:
            params |= {"first": lines[0], "last": lines[1]}
        sql = snapshot_sql(one_line=line_id is not None, ranged=lines is not None)
        tuned = lines is not None and self.conn.dialect.name == "postgresql"
        if tuned:
            self.conn.exec_driver_sql("SET LOCAL random_page_cost = 1.1")
        added = int(self.conn.execute(sa.text(sql), params).rowcount)
        if tuned:
            self.conn.exec_driver_sql("RESET random_page_cost")
        return added

    def month_snapshot_again(self, line_id: int, day: int, month_start: int) -> None:
        """Take line ``line_id``'s month-end snapshot of ``day`` again from what stands as
        of that month-end (:data:`~thinfile.store.limit_features_sql.MONTH_SNAPSHOT_AGAIN`);
        nothing when it has none."""
        params = {"line": line_id, "d": day, "ms": month_start}
        self.conn.execute(sa.text(MONTH_SNAPSHOT_AGAIN), params)
        self.conn.execute(sa.text(WORST_AGAIN), params)

    def forget(self, day: int, line_id: int) -> None:
        """Drop line ``line_id``'s snapshot of ``day`` (one a look during the day took: the
        night's review then measures the line as it is at the close)."""
        self.conn.execute(
            sa.delete(limit_line_months).where(
                limit_line_months.c.day == day, limit_line_months.c.line_id == line_id
            )
        )

    def feature_sums(
        self, day: int, *, first: int | None = None, last: int | None = None
    ) -> list[dict[str, Any]]:
        """The behaviour aggregates of each line snapshotted on ``day`` (ids ``first`` to
        ``last`` when given), sorted by line."""
        lines = "" if first is None else "AND m.line_id BETWEEN :first AND :last"
        params = {"d": day, "first": first, "last": last}
        rows = self.conn.execute(sa.text(FEATURE_SUMS.format(lines=lines)), params).mappings()
        return [dict(r) for r in rows]

    def line_months(self, line_ids: Sequence[int] | None = None) -> list[dict[str, Any]]:
        """The line-month table as stored (every line, or ``line_ids``), by line and day."""
        query = sa.select(limit_line_months).order_by(
            limit_line_months.c.line_id, limit_line_months.c.day
        )
        if line_ids is not None:
            query = query.where(limit_line_months.c.line_id.in_(list(line_ids)))
        return [dict(r) for r in self.conn.execute(query).mappings()]

    def set_income(self, line_id: int, income: int, source: str, day: int) -> None:
        """The borrower's current monthly income behind ``line_id`` (replaces the last one)."""
        self.conn.execute(
            sa.delete(limit_line_incomes).where(limit_line_incomes.c.line_id == line_id)
        )
        self.conn.execute(
            sa.insert(limit_line_incomes).values(
                line_id=line_id, income=income, source=source, day=day
            )
        )

    def lines_without_income(self, line_id: int | None = None) -> list[tuple[int, str, date]]:
        """(line id, stored decision JSON, the day it was decided) of lines opened from an
        application whose income was never recorded here (of line ``line_id`` only, if
        given)."""
        line = sa.cast(applications.c.credit_line_id, limit_line_incomes.c.line_id.type)
        recorded = sa.select(limit_line_incomes.c.line_id).where(
            limit_line_incomes.c.line_id == line
        )
        rows = self.conn.execute(
            sa.select(line, applications.c.decision_json, applications.c.decided_on).where(
                _opened_line(line_id), ~recorded.exists()
            )
        )
        return [(int(r[0]), str(r[1]), r[2]) for r in rows]

    def incomes(self, line_ids: Iterable[int]) -> dict[int, int]:
        """The recorded monthly income (fen) of each of ``line_ids`` that has one."""
        ids = list(line_ids)
        if not ids:
            return {}
        rows = self.conn.execute(
            sa.select(limit_line_incomes.c.line_id, limit_line_incomes.c.income).where(
                limit_line_incomes.c.line_id.in_(ids)
            )
        )
        return {int(r[0]): int(r[1]) for r in rows}

    def application_scores(self, first: int, last: int) -> dict[int, int]:
        """The score of the application that opened each line ``first`` to ``last`` (lines
        opened otherwise have none): the behaviour model's application-score input."""
        line = sa.cast(applications.c.credit_line_id, limit_line_incomes.c.line_id.type)
        rows = self.conn.execute(
            sa.select(line, sa.func.max(applications.c.score))
            .where(applications.c.credit_line_id.is_not(None), line.between(first, last))
            .group_by(line)
        )
        return {int(r[0]): int(r[1]) for r in rows}

    def platform_earnings(
        self, since: date, on: date, line_id: int | None = None
    ) -> list[dict[str, Any]]:
        """Per line opened from an application (line ``line_id`` only, if given) whose
        applicant has platform earnings in the sales feed (经营流水, channel ``platform``) and
        an active consent to their use for a credit assessment: ``line_id``, ``earned`` (net
        fen from ``since`` to ``on``), ``first_day`` and ``last_day`` of the feed up to
        ``on``, and the line's recorded income ``income_day`` (None when none is)."""
        line = sa.cast(applications.c.credit_line_id, limit_line_incomes.c.line_id.type)
        net = sales_days.c.gross_sales - sales_days.c.refunds
        consented = sa.select(consents.c.id).where(
            consents.c.applicant_id == applications.c.applicant_id,
            consents.c.data_category == "gig_platform_income",
            consents.c.purpose == "credit_assessment",
            consents.c.revoked_at.is_(None),
        )
        query = (
            sa.select(
                line.label("line_id"),
                sa.func.sum(sa.case((sales_days.c.day >= since, net), else_=0)).label("earned"),
                sa.func.min(sales_days.c.day).label("first_day"),
                sa.func.max(sales_days.c.day).label("last_day"),
                sa.func.max(limit_line_incomes.c.day).label("income_day"),
            )
            .select_from(applications)
            .join(sales_days, sales_days.c.applicant_id == applications.c.applicant_id)
            .outerjoin(limit_line_incomes, limit_line_incomes.c.line_id == line)
            .where(
                _opened_line(line_id),
                sales_days.c.channel == "platform",
                sales_days.c.day <= on,
                consented.exists(),
            )
            .group_by(line)
        )
        return [dict(r) for r in self.conn.execute(query).mappings()]

    def arm_outcomes(self, review_day: int) -> tuple[int | None, list[dict[str, Any]]]:
        """The lines reviewed on ``review_day`` by arm — what the review did to them, and how
        they stand at the latest snapshot since (its day, or None when there is none yet):
        lines, increases offered and accepted, would-be increases held out, decreases and
        freezes; snapshotted lines, their limits, balances, and lines 30+ days past due."""
        at = self.conn.execute(
            sa.text("SELECT MAX(day) FROM limit_line_months WHERE day >= :r"), {"r": review_day}
        ).scalar()
        rows = self.conn.execute(
            sa.text(ARM_OUTCOMES), {"r": review_day, "at": -1 if at is None else int(at)}
        ).mappings()
        return (None if at is None else int(at)), [dict(r) for r in rows]
