"""Bound bank cards on one connection (table ``payment_cards``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from thinfile.store.dialect import as_utc
from thinfile.store.payment_tables import payment_cards

__all__ = ["PaymentCardRepository", "StoredCard"]


@dataclass(frozen=True, slots=True)
class StoredCard:
    id: str
    user_id: str
    provider: str
    binding_id: str
    agreement_token: str | None
    last_four: str
    bank_name: str | None
    is_default: bool
    status: str
    started_at: datetime
    bound_at: datetime | None


def _card(row: sa.Row[tuple[object, ...]]) -> StoredCard:
    m = row._mapping
    started = as_utc(m["started_at"])
    assert started is not None
    return StoredCard(
        id=m["id"],
        user_id=m["user_id"],
        provider=m["provider"],
        binding_id=m["binding_id"],
        agreement_token=m["agreement_token"],
        last_four=m["last_four"],
        bank_name=m["bank_name"],
        is_default=bool(m["is_default"]),
        status=m["status"],
        started_at=started,
        bound_at=as_utc(m["bound_at"]),
    )


class PaymentCardRepository:
    """Cards: added pending, then made active or unbound; never deleted."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add_pending(
        self,
        *,
        card_id: str,
        user_id: str,
        provider: str,
        binding_id: str,
        last_four: str,
        at: datetime,
        card_hash: str | None = None,
    ) -> None:
        self.conn.execute(
            sa.insert(payment_cards).values(
                id=card_id,
                card_hash=card_hash,
                user_id=user_id,
                provider=provider,
                binding_id=binding_id,
                last_four=last_four,
                status="pending",
                is_default=False,
                started_at=at,
            )
        )

    def get(self, card_id: str, *, lock: bool = False) -> StoredCard | None:
        query = sa.select(payment_cards).where(payment_cards.c.id == card_id)
        if lock:
            query = query.with_for_update()
        row = self.conn.execute(query).first()
        return None if row is None else _card(row)

    def active_with_hash(self, user_id: str, card_hash: str) -> StoredCard | None:
        """The user's active card with this card number's hash, if they bound it already."""
        row = self.conn.execute(
            sa.select(payment_cards).where(
                payment_cards.c.user_id == user_id,
                payment_cards.c.card_hash == card_hash,
                payment_cards.c.status == "active",
            )
        ).first()
        return None if row is None else _card(row)

    def hash_of(self, card_id: str) -> str | None:
        found = self.conn.execute(
            sa.select(payment_cards.c.card_hash).where(payment_cards.c.id == card_id)
        ).scalar()
        return None if found is None else str(found)

    def of_user(self, user_id: str, *, lock: bool = False) -> list[StoredCard]:
        """The user's active cards, the newest first."""
        query = (
            sa.select(payment_cards)
            .where(payment_cards.c.user_id == user_id, payment_cards.c.status == "active")
            .order_by(payment_cards.c.bound_at.desc(), payment_cards.c.id)
        )
        if lock:
            query = query.with_for_update()
        return [_card(row) for row in self.conn.execute(query)]

    def activate(
        self,
        card_id: str,
        *,
        agreement_token: str,
        bank_name: str,
        is_default: bool,
        at: datetime,
    ) -> None:
        self.conn.execute(
            sa.update(payment_cards)
            .where(payment_cards.c.id == card_id)
            .values(
                agreement_token=agreement_token,
                bank_name=bank_name,
                is_default=is_default,
                status="active",
                bound_at=at,
            )
        )

    def set_default(self, user_id: str, card_id: str | None) -> None:
        """Make ``card_id`` the user's one default card (``None``: no default)."""
        self.conn.execute(
            sa.update(payment_cards)
            .where(payment_cards.c.user_id == user_id)
            .values(is_default=payment_cards.c.id == card_id if card_id else False)
        )

    def unbind(self, card_id: str, *, at: datetime) -> None:
        self.conn.execute(
            sa.update(payment_cards)
            .where(payment_cards.c.id == card_id)
            .values(status="unbound", is_default=False, unbound_at=at)
        )
