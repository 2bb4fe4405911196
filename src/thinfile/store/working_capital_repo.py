"""Working-capital lines: load a line with its draws, periods and shortfalls, save it back,
its postings and its sales days."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from thinfile.errors import ConflictError, NotFoundError
from thinfile.loanmath.defaults import RATE_SCALE
from thinfile.money import Money
from thinfile.servicing.creditline import LineStatus
from thinfile.servicing.wc_terms import rate_units
from thinfile.servicing.working_capital import (
    Draw,
    Period,
    PeriodStatus,
    RepaymentMode,
    Shortfall,
    WorkingCapitalLine,
    WorkingCapitalTerms,
)
from thinfile.store.db import StoredRow
from thinfile.store.servicing_codec import from_day, to_day
from thinfile.store.servicing_tables import cob_runs
from thinfile.store.working_capital_cob import WorkingCapitalCob
from thinfile.store.working_capital_tables import (
    wc_draws,
    wc_lines,
    wc_periods,
    wc_sales,
    wc_shortfalls,
    wc_transactions,
)

__all__ = ["WorkingCapitalRepository"]


def _units(value: int) -> Decimal:
    return (Decimal(value) / RATE_SCALE).normalize()


def _terms(r: Any) -> WorkingCapitalTerms:
    return WorkingCapitalTerms(
        Money(int(r.limit_amount), str(r.currency)),
        _units(int(r.rate_units)),
        RepaymentMode(r.mode),
        sales_share=_units(int(r.sales_share_units)),
        minimum_share=_units(int(r.minimum_share_units)),
        period_days=int(r.period_days),
        near_breach_days=int(r.near_breach_days),
        shortfall_days=int(r.shortfall_days),
        cap=Decimal(r.cap),
    )


def _day(value: Any) -> Any:
    return None if value is None else from_day(int(value))


def _draw(r: Any) -> Draw:
    return Draw(
        int(r.id),
        from_day(r.drawn_day),
        from_day(r.maturity_day),
        int(r.principal),
        int(r.principal_paid),
        int(r.interest_accrued),
        int(r.interest_paid),
    )


def _period(r: Any) -> Period:
    return Period(
        int(r.n),
        from_day(r.start_day),
        from_day(r.end_day),
        int(r.minimum),
        int(r.repaid),
        PeriodStatus(r.status),
        _day(r.flagged_day),
        int(r.shortfall),
    )


def _period_row(p: Period) -> dict[str, Any]:
    return {
        "n": p.n,
        "start_day": to_day(p.start),
        "end_day": to_day(p.end),
        "minimum": p.minimum,
        "repaid": p.repaid,
        "status": p.status.value,
        "flagged_day": None if p.flagged_on is None else to_day(p.flagged_on),
        "shortfall": p.shortfall,
    }


def _shortfall_row(s: Shortfall) -> dict[str, Any]:
    return {
        "n": s.n,
        "period_n": s.period_n,
        "due_day": to_day(s.due),
        "amount": s.amount,
        "paid": s.paid,
    }


class WorkingCapitalRepository:
    """Working-capital lines on one connection (``get(…, lock=True)`` takes the row lock)."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.cob = WorkingCapitalCob(conn)

    def add(self, line: WorkingCapitalLine) -> int:
        """Store a new line and its first period; returns its id."""
        t = line.terms
        line_id = int(
            self.conn.execute(
                sa.insert(wc_lines)
                .values(
                    owner_user_id=line.owner,
                    currency=t.limit.currency,
                    limit_amount=t.limit.fen,
                    rate_units=rate_units(t.daily_rate, field="daily_rate"),
                    mode=t.mode.value,
                    sales_share_units=rate_units(t.sales_share, field="sales_share"),
                    minimum_share_units=rate_units(t.minimum_share, field="minimum_share"),
                    period_days=t.period_days,
                    near_breach_days=t.near_breach_days,
                    shortfall_days=t.shortfall_days,
                    cap=str(t.cap),
                    status=line.status.value,
                    opened_day=to_day(line.opened_on),
                    cob_day=to_day(line.cob_date),
                )
                .returning(wc_lines.c.id)
            ).scalar_one()
        )
        self.conn.execute(
            sa.insert(wc_periods), [{"line_id": line_id, **_period_row(p)} for p in line.periods]
        )
        return line_id

    def get(self, line_id: int, *, lock: bool = False) -> tuple[WorkingCapitalLine, int]:
        """The line and its version; :class:`NotFoundError` naming ``line_id``. The line is
        closed to the later of its own ``cob_day`` and the book's last finished date."""
        query = sa.select(wc_lines).where(wc_lines.c.id == line_id)
        r = self.conn.execute(query.with_for_update() if lock else query).first()
        if r is None:
            raise NotFoundError(
                f"no working-capital line {line_id}", field="line_id", value=line_id
            )
        of_line = (wc_draws.c.line_id == line_id,)
        draws = self.conn.execute(sa.select(wc_draws).where(*of_line).order_by(wc_draws.c.id))
        periods = self.conn.execute(
            sa.select(wc_periods).where(wc_periods.c.line_id == line_id).order_by(wc_periods.c.n)
        )
        shortfalls = self.conn.execute(
            sa.select(wc_shortfalls)
            .where(wc_shortfalls.c.line_id == line_id)
            .order_by(wc_shortfalls.c.n)
        )
        book = self.conn.execute(
            sa.select(sa.func.max(cob_runs.c.business_day)).where(cob_runs.c.status == "done")
        ).scalar()
        line = WorkingCapitalLine(
            int(r.id),
            str(r.owner_user_id),
            _terms(r),
            from_day(r.opened_day),
            from_day(max(int(r.cob_day), int(book) if book is not None else int(r.cob_day))),
            LineStatus(r.status),
            tuple(_draw(d) for d in draws),
            tuple(_period(p) for p in periods),
            tuple(
                Shortfall(
                    int(s.n), int(s.period_n), from_day(s.due_day), int(s.amount), int(s.paid)
                )
                for s in shortfalls
            ),
            _day(r.overdue_since_day),
        )
        return line, int(r.version)

    def ids_of_owner(self, owner: str) -> list[int]:
        return [
            int(i)
            for i in self.conn.execute(
                sa.select(wc_lines.c.id)
                .where(wc_lines.c.owner_user_id == owner)
                .order_by(wc_lines.c.id)
            ).scalars()
        ]

    def save(
        self, before: WorkingCapitalLine, version: int, after: WorkingCapitalLine
    ) -> list[int]:
        """Write ``after`` over ``before`` (stored at ``version``); returns the ids of new
        draws (those with id 0), in order."""
        changed = self.conn.execute(
            sa.update(wc_lines)
            .where(wc_lines.c.id == after.line_id, wc_lines.c.version == version)
            .values(
                status=after.status.value,
                cob_day=to_day(after.cob_date),
                overdue_since_day=None
                if after.overdue_since is None
                else to_day(after.overdue_since),
                version=version + 1,
            )
        ).rowcount
        if changed != 1:
            raise ConflictError(
                f"working-capital line {after.line_id} changed meanwhile",
                field="line_id",
                value=after.line_id,
                remedy="retry",
            )
        new_ids = self._save_draws(before, after)
        self._upsert(wc_periods, before.periods, after.periods, _period_row, after.line_id)
        self._upsert(
            wc_shortfalls, before.shortfalls, after.shortfalls, _shortfall_row, after.line_id
        )
        return new_ids

    def _save_draws(self, before: WorkingCapitalLine, after: WorkingCapitalLine) -> list[int]:
        old = {d.draw_id: d for d in before.draws}
        new_ids = []
        for d in after.draws:
            if d.draw_id == 0:
                new_ids.append(
                    int(
                        self.conn.execute(
                            sa.insert(wc_draws)
                            .values(
                                line_id=after.line_id,
                                drawn_day=to_day(d.drawn_on),
                                maturity_day=to_day(d.maturity),
                                rate_units=rate_units(after.terms.daily_rate, field="daily_rate"),
                                principal=d.principal,
                                principal_paid=d.principal_paid,
                                interest_accrued=d.interest_accrued,
                                interest_paid=d.interest_paid,
                            )
                            .returning(wc_draws.c.id)
                        ).scalar_one()
                    )
                )
            elif old.get(d.draw_id) != d:
                self.conn.execute(
                    sa.update(wc_draws)
                    .where(wc_draws.c.id == d.draw_id)
                    .values(
                        principal_paid=d.principal_paid,
                        interest_accrued=d.interest_accrued,
                        interest_paid=d.interest_paid,
                    )
                )
        return new_ids

    def _upsert(
        self, table: sa.Table, before: Sequence[Any], after: Sequence[Any], row: Any, line_id: int
    ) -> None:
        old = {x.n: x for x in before}
        for x in after:
            if x.n not in old:
                self.conn.execute(sa.insert(table).values(line_id=line_id, **row(x)))
            elif old[x.n] != x:
                self.conn.execute(
                    sa.update(table)
                    .where(table.c.line_id == line_id, table.c.n == x.n)
                    .values(**row(x))
                )

    # postings and sales

    def add_transaction(self, values: dict[str, Any]) -> int:
        return int(
            self.conn.execute(
                sa.insert(wc_transactions).values(**values).returning(wc_transactions.c.id)
            ).scalar_one()
        )

    def transaction_by_key(self, key: str) -> StoredRow | None:
        return self.conn.execute(
            sa.select(wc_transactions).where(wc_transactions.c.idempotency_key == key)
        ).first()

    def transactions_of(self, line_id: int) -> Sequence[StoredRow]:
        return self.conn.execute(
            sa.select(wc_transactions)
            .where(wc_transactions.c.line_id == line_id)
            .order_by(wc_transactions.c.id)
        ).all()

    def sales_on(self, line_id: int, day: int) -> StoredRow | None:
        return self.conn.execute(
            sa.select(wc_sales).where(wc_sales.c.line_id == line_id, wc_sales.c.day == day)
        ).first()

    def add_sales(
        self, line_id: int, day: int, sales: int, collected: int, txn_id: int | None
    ) -> None:
        self.conn.execute(
            sa.insert(wc_sales).values(
                line_id=line_id, day=day, sales=sales, collected=collected, txn_id=txn_id
            )
        )

    def recovered(self, line_id: int) -> int:
        """What the line's borrower paid after it was charged off (recoveries)."""
        return int(
            self.conn.execute(
                sa.select(sa.func.coalesce(sa.func.sum(wc_transactions.c.amount), 0)).where(
                    wc_transactions.c.line_id == line_id,
                    wc_transactions.c.kind.in_(("recovery", "sales-recovery")),
                )
            ).scalar_one()
        )

    def sub_ledger(self) -> dict[str, tuple[int, int]]:
        """Per currency, principal and interest the draws owe (for ledger verification);
        charged-off lines are off the books."""
        rows = self.conn.execute(
            sa.select(
                wc_lines.c.currency,
                sa.func.coalesce(sa.func.sum(wc_draws.c.principal - wc_draws.c.principal_paid), 0),
                sa.func.coalesce(
                    sa.func.sum(wc_draws.c.interest_accrued - wc_draws.c.interest_paid), 0
                ),
            )
            .select_from(wc_draws.join(wc_lines, wc_lines.c.id == wc_draws.c.line_id))
            .where(wc_lines.c.status != LineStatus.CHARGED_OFF.value)
            .group_by(wc_lines.c.currency)
        ).all()
        return {str(r[0]): (int(r[1]), int(r[2])) for r in rows}
