"""Campaigns, their merchants and terms, and the budget reservations of their purchases.

The budget moves by single conditional statements, never read-then-write: a reservation
adds to ``spent_fen`` only ``WHERE spent_fen + amount <= budget_fen`` (on PostgreSQL the row
lock the ``UPDATE`` takes makes concurrent reservations wait and re-check; SQLite has one
writer at a time), and the table's CHECK constraint refuses an overspend should any statement
ever try. A reservation's reference is inserted first with ``ON CONFLICT DO NOTHING``, so a
second reservation under one reference waits for the first and finds it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from thinfile.store.campaign_tables import (
    campaign_budget_uses,
    campaign_merchants,
    campaign_terms,
    campaigns,
)
from thinfile.store.hot import Hot

__all__ = ["CampaignRepository", "StoredBudgetUse", "StoredCampaign"]


@dataclass(frozen=True, slots=True)
class StoredCampaign:
    """A campaign as stored (amounts in fen, the merchant share as decimal text)."""

    id: str
    name: str
    starts_on: date
    ends_on: date
    min_order_fen: int
    max_order_fen: int
    merchant_share: str
    budget_fen: int
    warning_fen: int
    spent_fen: int
    warned_at: datetime | None
    status: str
    created_at: datetime
    created_by: str
    updated_at: datetime
    merchant_ids: tuple[str, ...] = ()
    terms: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class StoredBudgetUse:
    """One purchase's reservation: ``amount_fen`` reserved, ``released_fen`` of it given back."""

    reference: str
    campaign_id: str
    amount_fen: int
    released_fen: int


_COLUMNS = [n for n in StoredCampaign.__dataclass_fields__ if n not in ("merchant_ids", "terms")]
_CAMPAIGN = sa.select(*(campaigns.c[n] for n in _COLUMNS))
_RUNNING_FOR = Hot(
    _CAMPAIGN.join(campaign_merchants, campaign_merchants.c.campaign_id == campaigns.c.id)
    .where(
        campaign_merchants.c.merchant_id == sa.bindparam("merchant_id"),
        campaigns.c.status == sa.bindparam("status"),
        campaigns.c.starts_on <= sa.bindparam("on"),
        campaigns.c.ends_on >= sa.bindparam("on"),
    )
    .order_by(campaigns.c.created_at, campaigns.c.id)
)  # every checkout's plans look for campaigns (store.hot)
_USE = sa.select(*(campaign_budget_uses.c[n] for n in StoredBudgetUse.__dataclass_fields__))
_INSERT_USE = {
    name: dialect.insert(campaign_budget_uses)
    .on_conflict_do_nothing()
    .returning(campaign_budget_uses.c.reference)
    for name, dialect in (("postgresql", postgresql), ("sqlite", sqlite))
}


class CampaignRepository:
    """Campaigns and their budget on one connection; never commits."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(
        self, values: dict[str, Any], merchant_ids: tuple[str, ...], terms: tuple[int, ...]
    ) -> None:
        self.conn.execute(sa.insert(campaigns).values(values))
        campaign_id = values["id"]
        self.conn.execute(
            sa.insert(campaign_merchants),
            [{"campaign_id": campaign_id, "merchant_id": m} for m in merchant_ids],
        )
        self.conn.execute(
            sa.insert(campaign_terms), [{"campaign_id": campaign_id, "periods": t} for t in terms]
        )

    def _complete(self, rows: list[Any]) -> list[StoredCampaign]:
        ids = [row.id for row in rows]
        if not ids:
            return []
        merchants: dict[str, list[str]] = {i: [] for i in ids}
        terms: dict[str, list[int]] = {i: [] for i in ids}
        for cid, mid in self.conn.execute(
            sa.select(campaign_merchants.c.campaign_id, campaign_merchants.c.merchant_id)
            .where(campaign_merchants.c.campaign_id.in_(ids))
            .order_by(campaign_merchants.c.merchant_id)
        ):
            merchants[cid].append(mid)
        for cid, periods in self.conn.execute(
            sa.select(campaign_terms.c.campaign_id, campaign_terms.c.periods)
            .where(campaign_terms.c.campaign_id.in_(ids))
            .order_by(campaign_terms.c.periods)
        ):
            terms[cid].append(int(periods))
        return [
            StoredCampaign(
                **row._asdict(), merchant_ids=tuple(merchants[row.id]), terms=tuple(terms[row.id])
            )
            for row in rows
        ]

    def get(self, campaign_id: str, *, lock: bool = False) -> StoredCampaign | None:
        query = _CAMPAIGN.where(campaigns.c.id == campaign_id)
        rows = list(self.conn.execute(query.with_for_update() if lock else query))
        found = self._complete(rows)
        return found[0] if found else None

    def page(
        self, *, limit: int, offset: int, status: str | None = None, warning_only: bool = False
    ) -> list[StoredCampaign]:
        """Newest first, optionally of one status, or only those past their warning
        threshold."""
        query = _CAMPAIGN.order_by(campaigns.c.created_at.desc(), campaigns.c.id)
        if status is not None:
            query = query.where(campaigns.c.status == status)
        if warning_only:
            query = query.where(campaigns.c.spent_fen >= campaigns.c.warning_fen)
        return self._complete(list(self.conn.execute(query.limit(limit).offset(offset))))

    def naming(self, merchant_id: str, *, limit: int) -> list[StoredCampaign]:
        """The campaigns that name ``merchant_id``, newest first, at most ``limit``."""
        query = (
            _CAMPAIGN.join(campaign_merchants, campaign_merchants.c.campaign_id == campaigns.c.id)
            .where(campaign_merchants.c.merchant_id == merchant_id)
            .order_by(campaigns.c.created_at.desc(), campaigns.c.id)
            .limit(limit)
        )
        return self._complete(list(self.conn.execute(query)))

    def running_for(self, merchant_id: str, on: date, status: str) -> list[StoredCampaign]:
        """The campaigns of ``status`` naming the merchant whose window holds ``on``."""
        rows = _RUNNING_FOR.all(self.conn, {"merchant_id": merchant_id, "status": status, "on": on})
        return self._complete(list(rows))

    def set_status(self, campaign_id: str, status: str, *, at: datetime) -> None:
        self.conn.execute(
            sa.update(campaigns)
            .where(campaigns.c.id == campaign_id)
            .values(status=status, updated_at=at)
        )

    # the budget
    def reserve(
        self, campaign_id: str, amount_fen: int, *, active: str | None, at: datetime
    ) -> bool:
        """Add ``amount_fen`` to what the campaign has spent if it is ``active`` (any status
        when None) and the budget holds it; stamps ``warned_at`` the first time the warning
        threshold is reached. One conditional statement: False when it changed nothing."""
        after = campaigns.c.spent_fen + amount_fen
        status = sa.true() if active is None else campaigns.c.status == active
        done = self.conn.execute(
            sa.update(campaigns)
            .where(
                campaigns.c.id == campaign_id,
                status,
                after <= campaigns.c.budget_fen,
            )
            .values(
                spent_fen=after,
                warned_at=sa.case(
                    (
                        sa.and_(campaigns.c.warned_at.is_(None), after >= campaigns.c.warning_fen),
                        sa.literal(at, _WHEN_TYPE),
                    ),
                    else_=campaigns.c.warned_at,
                ),
                updated_at=at,
            )
        )
        return done.rowcount == 1

    def release(self, campaign_id: str, amount_fen: int, *, at: datetime) -> None:
        """Give ``amount_fen`` back to the budget; below the warning threshold the warning
        ends (the next crossing stamps it again)."""
        after = campaigns.c.spent_fen - amount_fen
        self.conn.execute(
            sa.update(campaigns)
            .where(campaigns.c.id == campaign_id)
            .values(
                spent_fen=after,
                warned_at=sa.case(
                    (after < campaigns.c.warning_fen, sa.null()), else_=campaigns.c.warned_at
                ),
                updated_at=at,
            )
        )

    def add_use(self, reference: str, campaign_id: str, amount_fen: int, *, at: datetime) -> bool:
        """Record a reservation under ``reference``; False when the reference is taken (a
        concurrent one waits for the first to finish)."""
        done = self.conn.execute(
            _INSERT_USE[self.conn.dialect.name].values(
                reference=reference,
                campaign_id=campaign_id,
                amount_fen=amount_fen,
                released_fen=0,
                created_at=at,
                updated_at=at,
            )
        ).first()
        return done is not None

    def use(self, reference: str) -> StoredBudgetUse | None:
        row = self.conn.execute(_USE.where(campaign_budget_uses.c.reference == reference)).first()
        return None if row is None else StoredBudgetUse(*row)

    def unrelease_use(self, reference: str, amount_fen: int, *, at: datetime) -> bool:
        """Mark ``amount_fen`` of what the reservation released as held again (a reversed
        refund), never more than it released; False when that would be too much."""
        after = campaign_budget_uses.c.released_fen - amount_fen
        done = self.conn.execute(
            sa.update(campaign_budget_uses)
            .where(campaign_budget_uses.c.reference == reference, after >= 0)
            .values(released_fen=after, updated_at=at)
        )
        return done.rowcount == 1

    def release_use(self, reference: str, amount_fen: int, *, at: datetime) -> bool:
        """Mark ``amount_fen`` more of the reservation released, never beyond what it reserved;
        False when that would be too much."""
        after = campaign_budget_uses.c.released_fen + amount_fen
        done = self.conn.execute(
            sa.update(campaign_budget_uses)
            .where(
                campaign_budget_uses.c.reference == reference,
                after <= campaign_budget_uses.c.amount_fen,
            )
            .values(released_fen=after, updated_at=at)
        )
        return done.rowcount == 1


_WHEN_TYPE = sa.DateTime(timezone=True)
