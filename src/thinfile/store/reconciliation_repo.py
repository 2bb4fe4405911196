"""The daily payment reconciliation on one connection (never commits): the reconciled dates,
their items, and what the books say of the gateway transactions a file names."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from thinfile.store.dialect import as_utc
from thinfile.store.payment_tables import payment_intents
from thinfile.store.reconciliation_tables import (
    payment_reconciliation_items,
    payment_reconciliations,
)

__all__ = ["ReconciliationRepository", "StoredReconItem", "StoredReconciliation"]


@dataclass(frozen=True, slots=True)
class StoredReconItem:
    n: int
    outcome: str
    gateway_txn_id: str | None
    request_id: str | None
    kind: str
    file_status: str | None
    file_amount: int | None
    book_status: str | None
    book_amount: int | None
    loan_id: int | None
    resolution: str | None = None
    resolved_by: str | None = None
    resolved_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class StoredReconciliation:
    day: date
    file_sha256: str
    file_rows: int
    created_by: str
    created_at: datetime
    items: tuple[StoredReconItem, ...] = ()


_ITEM_COLS = [payment_reconciliation_items.c[f.name] for f in fields(StoredReconItem)]
_RUN_COLS = [
    payment_reconciliations.c[f.name] for f in fields(StoredReconciliation) if f.name != "items"
]
_I = payment_reconciliation_items
_COPIED = (
    "gateway_txn_id",
    "request_id",
    "kind",
    "file_status",
    "file_amount",
    "book_amount",
    "loan_id",
)
"""What a break of a reversed posting keeps of the item that matched it."""


def _item(row: sa.Row[tuple[object, ...]]) -> StoredReconItem:
    m = dict(row._mapping)
    m["resolved_at"] = as_utc(m["resolved_at"])
    return StoredReconItem(**m)


class ReconciliationRepository:
    """Reconciled dates and their items; never commits."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def get(self, day: date, *, lock: bool = False) -> StoredReconciliation | None:
        query = sa.select(*_RUN_COLS).where(payment_reconciliations.c.day == day)
        row = self.conn.execute(query.with_for_update() if lock else query).first()
        if row is None:
            return None
        items = self.conn.execute(sa.select(*_ITEM_COLS).where(_I.c.day == day).order_by(_I.c.n))
        run = dict(row._mapping)
        run["created_at"] = as_utc(run["created_at"])
        return StoredReconciliation(**run, items=tuple(_item(r) for r in items))

    def days(self, *, limit: int = 60) -> list[date]:
        """The latest reconciled dates, newest first."""
        q = sa.select(payment_reconciliations.c.day).order_by(payment_reconciliations.c.day.desc())
        return [r[0] for r in self.conn.execute(q.limit(limit))]

    def add(self, run: StoredReconciliation) -> None:
        values = {f.name: getattr(run, f.name) for f in fields(run) if f.name != "items"}
        self.conn.execute(sa.insert(payment_reconciliations).values(**values))
        if run.items:
            self.conn.execute(
                sa.insert(_I),
                [
                    {"day": run.day, **{f.name: getattr(i, f.name) for f in fields(i)}}
                    for i in run.items
                ],
            )

    def matched_elsewhere(self, gateway_txn_ids: list[str], day: date) -> set[str]:
        """Those of ``gateway_txn_ids`` another date's file listed (matched or broken)."""
        if not gateway_txn_ids:
            return set()
        q = sa.select(_I.c.gateway_txn_id).where(
            _I.c.gateway_txn_id.in_(gateway_txn_ids),
            _I.c.day != day,
            _I.c.file_status.is_not(None),
        )
        return {r[0] for r in self.conn.execute(q)}

    def break_reversed(self, gateway_txn_id: str) -> tuple[date, int] | None:
        """A break ``unposted`` added to the date whose file listed ``gateway_txn_id`` as
        succeeded and found it posted: the posting was reversed since, without a refund at
        the gateway, so the money is the borrower's to return. The date and the break's
        number; None when no reconciled file listed it yet (that date's run will find the
        reversal itself)."""
        listed = self.conn.execute(
            sa.select(_I)
            .where(
                _I.c.gateway_txn_id == gateway_txn_id,
                _I.c.file_status == "succeeded",
                _I.c.outcome.in_(("matched", "posted")),
            )
            .order_by(_I.c.day)
        ).first()
        if listed is None:
            return None
        day = listed.day
        self.conn.execute(  # one break number at a time on that date
            sa.select(payment_reconciliations.c.day)
            .where(payment_reconciliations.c.day == day)
            .with_for_update()
        )
        last = self.conn.execute(sa.select(sa.func.max(_I.c.n)).where(_I.c.day == day))
        n = int(last.scalar_one()) + 1
        values = {c: getattr(listed, c) for c in _COPIED}
        self.conn.execute(
            sa.insert(_I).values(
                day=day, n=n, outcome="unposted", book_status="succeeded", **values
            )
        )
        return day, n

    def resolve(self, day: date, n: int, *, resolution: str, by: str, at: datetime) -> bool:
        """Mark a break resolved; False when it was resolved already (or is none)."""
        done = self.conn.execute(
            sa.update(_I)
            .where(_I.c.day == day, _I.c.n == n, _I.c.resolved_at.is_(None))
            .values(resolution=resolution, resolved_by=by, resolved_at=at)
        )
        return done.rowcount == 1

    def resolve_missing(self, gateway_txn_id: str, *, found_on: date, at: datetime) -> int:
        """Open ``missing-at-gateway`` breaks of ``gateway_txn_id`` on other dates, resolved:
        the file of ``found_on`` lists it after all (it completed on a neighbouring date)."""
        done = self.conn.execute(
            sa.update(_I)
            .where(
                _I.c.gateway_txn_id == gateway_txn_id,
                _I.c.outcome == "missing-at-gateway",
                _I.c.resolved_at.is_(None),
                _I.c.day != found_on,
            )
            .values(
                resolution=f"listed in the gateway's file of {found_on.isoformat()}",
                resolved_by="reconciliation",
                resolved_at=at,
            )
        )
        return int(done.rowcount or 0)

    def succeeded_settled_between(
        self, start: datetime, end: datetime
    ) -> list[sa.Row[tuple[str, str | None, int, int, int | None]]]:
        """Succeeded intents the books settled in [start, end): id, gateway txn, amount,
        loan, posted transaction."""
        p = payment_intents
        q = (
            sa.select(p.c.id, p.c.gateway_txn_id, p.c.amount, p.c.loan_id, p.c.txn_id)
            .where(p.c.status == "succeeded", p.c.settled_at >= start, p.c.settled_at < end)
            .order_by(p.c.settled_at, p.c.id)
        )
        return list(self.conn.execute(q))
