"""Limit decisions and what follows them: offers, notices, limit moves, temporary limits,
maker-checker requests, review runs and the limit-policy registry (``uow.limit_decisions``).

The review writes a batch of lines at once (``executemany``); a line's limit moves are also
recorded in ``servicing_limit_changes`` (old and new limit, the reason codes), the history
the borrower reads.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from thinfile.errors import ConflictError
from thinfile.store.db import StoredRow
from thinfile.store.limit_features_sql import (
    LINE_FACTS,
    OFFERS_FROM_REVIEW,
    SUPERSEDE_FOR_REVIEW,
    UNREVIEWED,
)
from thinfile.store.limit_review_columns import copy_columns, review_lines
from thinfile.store.limits_tables import (
    limit_change_requests,
    limit_decisions,
    limit_notices,
    limit_offers,
    limit_policies,
    limit_review_runs,
    limit_temporary,
)
from thinfile.store.servicing_tables import bucket_history, credit_lines, limit_changes, loans

__all__ = ["SINGLE_HANDED", "LimitDecisionRepository"]

SINGLE_HANDED = "single-handed"
"""The status of a staff change request a staff member made alone (below the threshold): no
second staff member approves it; an increase is offered at once."""


class LimitDecisionRepository:
    """Limit decisions and their consequences on one connection."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    # the registry of limit policies

    def policy(self, version: str) -> StoredRow | None:
        return self.conn.execute(
            sa.select(limit_policies).where(limit_policies.c.version == version)
        ).first()

    def policies(self) -> list[StoredRow]:
        query = sa.select(limit_policies).order_by(limit_policies.c.created_at)
        return list(self.conn.execute(query))

    def policy_with_status(self, status: str) -> StoredRow | None:
        return self.conn.execute(
            sa.select(limit_policies).where(limit_policies.c.status == status)
        ).first()

    def add_policy(self, values: Mapping[str, object]) -> None:
        self.conn.execute(sa.insert(limit_policies).values(**values))

    def set_policy_status(self, version: str, status: str, share: str = "0") -> None:
        self.conn.execute(
            sa.update(limit_policies)
            .where(limit_policies.c.version == version)
            .values(status=status, share=share)
        )

    def demote(self, status: str, to: str) -> None:
        self.conn.execute(
            sa.update(limit_policies)
            .where(limit_policies.c.status == status)
            .values(status=to, share="0")
        )

    # the review

    def line_bounds(self) -> tuple[int, int] | None:
        row = self.conn.execute(
            sa.select(sa.func.min(credit_lines.c.id), sa.func.max(credit_lines.c.id))
        ).one()
        return None if row[0] is None else (int(row[0]), int(row[1]))

    def line_facts(
        self, day: int, first: int, last: int, *, unreviewed: bool = True
    ) -> list[dict[str, Any]]:
        """Status, limit, rate, income, last increase day and temporary limit of the open
        lines ``first`` to ``last`` (not yet reviewed on ``day`` when ``unreviewed``)."""
        sql = LINE_FACTS.format(unreviewed=UNREVIEWED if unreviewed else "")
        params = {"d": day, "first": first, "last": last}
        return [dict(r) for r in self.conn.execute(sa.text(sql), params).mappings()]

    def review_lines(
        self, day: int, first: int, last: int, *, unreviewed: bool = True
    ) -> pd.DataFrame:
        """A review batch column by column: :meth:`line_facts` beside each line's behaviour
        aggregates (``thinfile.scoring.behaviour.SUM_COLUMNS``), lines with a snapshot on
        ``day`` only, sorted by line."""
        return review_lines(self.conn, day, first, last, unreviewed=unreviewed)

    def add_review_decisions(self, columns: Mapping[str, object], n: int) -> None:
        """Insert ``n`` decisions of a review given column by column (their ids from the
        sequence, in the order given): ``COPY`` on PostgreSQL."""
        copy_columns(self.conn, limit_decisions, columns, n)

    def offer_review_increases(self, day: int, first: int, last: int, expires_day: int) -> None:
        """An offer for each increase the review of ``day`` decided for lines ``first`` to
        ``last`` (by line), superseding the line's pending offer; set-based."""
        params = {"d": day, "first": first, "last": last, "expires": expires_day}
        self.conn.execute(sa.text(SUPERSEDE_FOR_REVIEW), params)
        self.conn.execute(sa.text(OFFERS_FROM_REVIEW), params)

    def review_decision_ids(
        self, day: int, first: int, last: int, actions: Sequence[str]
    ) -> dict[int, int]:
        """The id of each review decision of ``day`` for lines ``first`` to ``last`` whose
        action is one of ``actions`` (line → decision)."""
        rows = self.conn.execute(
            sa.select(limit_decisions.c.line_id, limit_decisions.c.id).where(
                limit_decisions.c.review_day == day,
                limit_decisions.c.line_id.between(first, last),
                limit_decisions.c.action.in_(list(actions)),
            )
        )
        return {int(r[0]): int(r[1]) for r in rows}

    def run(self, day: int) -> StoredRow | None:
        return self.conn.execute(
            sa.select(limit_review_runs).where(limit_review_runs.c.business_day == day)
        ).first()

    def open_run(self, day: int) -> None:
        if self.run(day) is None:
            self.conn.execute(
                sa.insert(limit_review_runs).values(business_day=day, status="running")
            )

    def finish_run(self, day: int, counts: Mapping[str, int]) -> None:
        self.conn.execute(
            sa.update(limit_review_runs)
            .where(limit_review_runs.c.business_day == day)
            .values(status="done", counts_json=json.dumps(dict(counts), sort_keys=True))
        )

    def reviewed_counts(self, day: int) -> dict[str, int]:
        """Decisions of the review on ``day`` by arm and action (``arm:action`` → count)."""
        rows = self.conn.execute(
            sa.select(limit_decisions.c.arm, limit_decisions.c.action, sa.func.count())
            .where(limit_decisions.c.review_day == day)
            .group_by(limit_decisions.c.arm, limit_decisions.c.action)
        )
        return {f"{r[0]}:{r[1]}": int(r[2]) for r in rows}

    def add_decisions(self, rows: Sequence[Mapping[str, object]]) -> list[int]:
        """Insert decisions; their ids in the order given. On PostgreSQL the ids come from
        the sequence in one statement and the rows go in by ``COPY``."""
        if not rows:
            return []
        if self.conn.dialect.name != "postgresql":
            insert = sa.insert(limit_decisions).returning(limit_decisions.c.id)
            return [int(self.conn.execute(insert, dict(r)).scalar_one()) for r in rows]
        ids = [
            int(i)
            for i in self.conn.execute(
                sa.text(
                    "SELECT nextval(pg_get_serial_sequence('limit_decisions', 'id')) "
                    "FROM generate_series(1, :n)"
                ),
                {"n": len(rows)},
            ).scalars()
        ]
        self._copy(limit_decisions, [{**r, "id": i} for r, i in zip(rows, ids, strict=True)])
        return ids

    def _copy(self, table: sa.Table, rows: Sequence[Mapping[str, object]]) -> None:
        """Insert ``rows`` (all with the same keys): ``COPY`` on PostgreSQL, in the unit of
        work's transaction; ``executemany`` elsewhere."""
        if not rows:
            return
        if self.conn.dialect.name != "postgresql":
            self.conn.execute(sa.insert(table), [dict(r) for r in rows])
            return
        columns = list(rows[0])
        driver = self.conn.connection.driver_connection
        assert driver is not None
        statement = f"COPY {table.name} ({', '.join(columns)}) FROM STDIN"
        with driver.cursor() as cursor, cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row([row[c] for c in columns])

    def supersede_offers(self, line_ids: Sequence[int], day: int) -> None:
        """The policy's pending offers on ``line_ids`` give way to a newer decision (a staff
        member's offer stands: the borrower may still take the larger of the two)."""
        if line_ids:
            self.conn.execute(
                sa.update(limit_offers)
                .where(
                    limit_offers.c.line_id.in_(list(line_ids)),
                    limit_offers.c.status == "pending",
                    limit_offers.c.decision_id.is_not(None),
                )
                .values(status="superseded", decided_day=day)
            )

    def offer_from_staff(self, values: Mapping[str, object]) -> int:
        """Offer a staff member's increase (``change_request_id`` set): the line's pending
        staff offers give way to it; the offer's id."""
        self.conn.execute(
            sa.update(limit_offers)
            .where(
                limit_offers.c.line_id == values["line_id"],
                limit_offers.c.status == "pending",
                limit_offers.c.change_request_id.is_not(None),
            )
            .values(status="superseded", decided_day=values["offered_day"])
        )
        inserted = sa.insert(limit_offers).values(**values).returning(limit_offers.c.id)
        return int(self.conn.execute(inserted).scalar_one())

    def expire_offers(self, day: int) -> int:
        return int(
            self.conn.execute(
                sa.update(limit_offers)
                .where(limit_offers.c.status == "pending", limit_offers.c.expires_day < day)
                .values(status="expired", decided_day=day)
            ).rowcount
        )

    def add_offers(self, rows: Sequence[Mapping[str, object]]) -> None:
        self._copy(limit_offers, rows)

    def add_notices(self, rows: Sequence[Mapping[str, object]]) -> None:
        self._copy(limit_notices, rows)

    def move_limits(self, rows: Sequence[Mapping[str, object]]) -> None:
        """Set each line's limit and status (``line_id``, ``limit``, ``status``, ``day``,
        ``old_limit``, ``reason``) and record each move in the line's limit history. A line
        whose limit is no longer ``old_limit`` (a change committed since it was read) refuses
        the whole batch with a :class:`ConflictError`: its transaction rolls back and the
        next run decides those lines again."""
        if not rows:
            return
        moved = self.conn.execute(
            sa.update(credit_lines)
            .where(
                credit_lines.c.id == sa.bindparam("b_line"),
                credit_lines.c.limit_amount == sa.bindparam("b_old"),
            )
            .values(
                limit_amount=sa.bindparam("b_limit"),
                status=sa.bindparam("b_status"),
                version=credit_lines.c.version + 1,
            ),
            [
                {
                    "b_line": r["line_id"],
                    "b_old": r["old_limit"],
                    "b_limit": r["limit"],
                    "b_status": r["status"],
                }
                for r in rows
            ],
        ).rowcount
        if moved != len(rows):  # someone changed a limit since it was read: decide again
            raise ConflictError(
                "a credit line's limit changed while it was being decided",
                remedy="run the review again; lines already decided are kept",
            )
        self.conn.execute(
            sa.insert(limit_changes),
            [
                {
                    "line_id": r["line_id"],
                    "day": r["day"],
                    "old_limit": r["old_limit"],
                    "new_limit": r["limit"],
                    "reason": r["reason"],
                }
                for r in rows
            ],
        )

    # one line

    def decision(self, decision_id: int) -> StoredRow | None:
        return self.conn.execute(
            sa.select(limit_decisions).where(limit_decisions.c.id == decision_id)
        ).first()

    def decisions_of(
        self, line_id: int, *, kind: str | None = None, since: int | None = None
    ) -> list[StoredRow]:
        query = sa.select(limit_decisions).where(limit_decisions.c.line_id == line_id)
        if kind is not None:
            query = query.where(limit_decisions.c.kind == kind)
        if since is not None:
            query = query.where(limit_decisions.c.day >= since)
        return list(self.conn.execute(query.order_by(limit_decisions.c.id.desc())))

    def offers_of(self, line_id: int) -> list[StoredRow]:
        return list(
            self.conn.execute(
                sa.select(limit_offers)
                .where(limit_offers.c.line_id == line_id)
                .order_by(limit_offers.c.id.desc())
            )
        )

    def offer(self, offer_id: int, *, lock: bool = False) -> StoredRow | None:
        query = sa.select(limit_offers).where(limit_offers.c.id == offer_id)
        return self.conn.execute(query.with_for_update() if lock else query).first()

    def decide_offer(self, offer_id: int, status: str, day: int) -> None:
        self.conn.execute(
            sa.update(limit_offers)
            .where(limit_offers.c.id == offer_id)
            .values(status=status, decided_day=day)
        )

    def notices_of(self, line_id: int) -> list[StoredRow]:
        return list(
            self.conn.execute(
                sa.select(limit_notices)
                .where(limit_notices.c.line_id == line_id)
                .order_by(limit_notices.c.id.desc())
            )
        )

    def history_of(self, line_id: int) -> list[StoredRow]:
        """The line's limit moves, newest first."""
        return list(
            self.conn.execute(
                sa.select(limit_changes)
                .where(limit_changes.c.line_id == line_id)
                .order_by(limit_changes.c.id.desc())
            )
        )

    def worst_dpd_now(self, line_id: int, day: int) -> int:
        """The worst days past due of the line's draws on ``day`` (0: none past due)."""
        value = self.conn.execute(
            sa.select(sa.func.max(day - loans.c.overdue_since_day)).where(
                loans.c.credit_line_id == line_id,
                loans.c.status.in_(("active", "charged-off")),
                loans.c.overdue_since_day.is_not(None),
            )
        ).scalar()
        return max(0, int(value or 0))

    def worst_dpd_after(self, line_id: int, day: int) -> int:
        """The worst days past due the line's draws reached after ``day`` (their bucket
        moves; 0: none fell past due)."""
        b = bucket_history.c
        drawn = sa.select(loans.c.id).where(loans.c.credit_line_id == line_id)
        value = self.conn.execute(
            sa.select(sa.func.max(b.days_past_due)).where(b.loan_id.in_(drawn), b.day > day)
        ).scalar()
        return max(0, int(value or 0))

    # temporary limits

    def add_temporary(self, values: Mapping[str, object]) -> None:
        """Start a temporary limit; one already running on the line gives way to it
        (``superseded``), and the new one goes back to where that one would have: the caller
        takes ``base_limit`` from :meth:`temporary_base`."""
        self.end_running_temporary(int(str(values["line_id"])))
        self.conn.execute(sa.insert(limit_temporary).values(**values))

    def temporary_base(self, line_id: int, limit: int) -> int:
        """The limit the line goes back to when its temporary limit ends: the running
        temporary's base, else ``limit`` (the line's own)."""
        base = self.conn.execute(
            sa.select(limit_temporary.c.base_limit).where(
                limit_temporary.c.line_id == line_id, limit_temporary.c.status == "active"
            )
        ).scalar()
        return limit if base is None else int(base)

    def end_running_temporary(self, line_id: int) -> None:
        """The line's running temporary limit (if any) no longer ends on its own: a newer
        temporary or an accepted permanent limit took its place."""
        self.conn.execute(
            sa.update(limit_temporary)
            .where(limit_temporary.c.line_id == line_id, limit_temporary.c.status == "active")
            .values(status="superseded")
        )

    def temporary_ending(self, day: int) -> list[StoredRow]:
        return list(
            self.conn.execute(
                sa.select(limit_temporary).where(
                    limit_temporary.c.status == "active", limit_temporary.c.end_day <= day
                )
            )
        )

    def end_temporary(self, temporary_id: int) -> None:
        self.conn.execute(
            sa.update(limit_temporary)
            .where(limit_temporary.c.id == temporary_id)
            .values(status="ended")
        )

    # maker-checker

    def add_change_request(self, values: Mapping[str, object]) -> int:
        result = self.conn.execute(
            sa.insert(limit_change_requests).values(**values).returning(limit_change_requests.c.id)
        )
        return int(result.scalar_one())

    def change_request(self, request_id: int, *, lock: bool = False) -> StoredRow | None:
        query = sa.select(limit_change_requests).where(limit_change_requests.c.id == request_id)
        return self.conn.execute(query.with_for_update() if lock else query).first()

    def made_alone_by(self, offer_id: int) -> str | None:
        """The staff member who offered ``offer_id`` without a second one (None: the policy
        offered it, or a second staff member approved it)."""
        r = limit_change_requests.c
        value = self.conn.execute(
            sa.select(r.requested_by)
            .join(limit_offers, limit_offers.c.change_request_id == r.id)
            .where(limit_offers.c.id == offer_id, r.status == SINGLE_HANDED)
        ).scalar()
        return None if value is None else str(value)

    def offered_alone(self, line_id: int, *, since: int) -> int:
        """How far the line's pending staff offers made alone from day ``since`` on would
        raise its limit (fen, each offer's size)."""
        o, r = limit_offers.c, limit_change_requests.c
        query = (
            sa.select(sa.func.coalesce(sa.func.sum(o.new_limit - o.old_limit), 0))
            .join(limit_change_requests, o.change_request_id == r.id)
            .where(
                o.line_id == line_id,
                o.status == "pending",
                o.offered_day >= since,
                r.status == SINGLE_HANDED,
            )
        )
        return int(self.conn.execute(query).scalar_one())

    def pending_change_of(self, line_id: int) -> StoredRow | None:
        return self.conn.execute(
            sa.select(limit_change_requests).where(
                limit_change_requests.c.line_id == line_id,
                limit_change_requests.c.status == "pending",
            )
        ).first()

    def approve_change(self, request_id: int, *, by: str, day: int) -> None:
        self.conn.execute(
            sa.update(limit_change_requests)
            .where(limit_change_requests.c.id == request_id)
            .values(status="approved", decided_by=by, decided_day=day)
        )
