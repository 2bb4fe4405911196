"""Write-off requests (maker-checker): added pending, approved once, never deleted."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from thinfile.store.db import StoredRow
from thinfile.store.servicing_tables import write_off_requests

__all__ = ["WriteOffRequestRepository"]


class WriteOffRequestRepository:
    """Write-off requests on one connection."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(self, *, loan_id: int, reason: str, requested_by: str, day: int) -> int:
        inserted = self.conn.execute(
            sa.insert(write_off_requests)
            .values(
                loan_id=loan_id,
                reason=reason,
                requested_by=requested_by,
                requested_day=day,
                status="pending",
            )
            .returning(write_off_requests.c.id)
        )
        return int(inserted.scalar_one())

    def get(self, request_id: int, *, lock: bool = False) -> StoredRow | None:
        query = sa.select(write_off_requests).where(write_off_requests.c.id == request_id)
        if lock:
            query = query.with_for_update()
        return self.conn.execute(query).first()

    def pending_of_loan(self, loan_id: int) -> StoredRow | None:
        return self.conn.execute(
            sa.select(write_off_requests).where(
                write_off_requests.c.loan_id == loan_id, write_off_requests.c.status == "pending"
            )
        ).first()

    def approve(self, request_id: int, *, by: str, day: int, txn_id: int | None) -> None:
        self.conn.execute(
            sa.update(write_off_requests)
            .where(write_off_requests.c.id == request_id)
            .values(status="approved", decided_by=by, decided_day=day, txn_id=txn_id)
        )
