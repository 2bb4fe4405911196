"""Merchants, their contract versions and their users (sealed fields arrive sealed)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from thinfile.store.commerce_tables import (
    merchant_contract_terms,
    merchant_contracts,
    merchant_users,
    merchants,
)

__all__ = ["MerchantRepository", "StoredContract", "StoredMerchant", "StoredTerm"]


@dataclass(frozen=True, slots=True)
class StoredMerchant:
    """A merchant as stored: the settlement account and contact phone sealed (``*_enc``,
    under ``key_id``) beside their masked forms."""

    id: str
    legal_name: str
    credit_code: str
    category: str
    settlement_bank: str
    settlement_account_enc: str
    settlement_account_masked: str
    contact_name: str
    contact_phone_enc: str
    contact_phone_masked: str
    key_id: str
    status: str
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class StoredTerm:
    """One term of a contract version; rates as decimal text."""

    periods: int
    subsidy_rate: str
    monthly_fee_rate: str


@dataclass(frozen=True, slots=True)
class StoredContract:
    merchant_id: str
    version: int
    unearned_subsidy: str
    settlement_days: int
    rounding: str
    effective_from: date
    created_at: datetime
    created_by: str
    terms: tuple[StoredTerm, ...]


_MERCHANT = sa.select(*(merchants.c[n] for n in StoredMerchant.__dataclass_fields__))
_CONTRACT_COLUMNS = [n for n in StoredContract.__dataclass_fields__ if n != "terms"]
_CONTRACT = sa.select(*(merchant_contracts.c[n] for n in _CONTRACT_COLUMNS))


class MerchantRepository:
    """Merchants, contracts and merchant users on one connection; never commits."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(self, values: dict[str, Any]) -> None:
        self.conn.execute(sa.insert(merchants).values(values))

    def get(self, merchant_id: str, *, lock: bool = False) -> StoredMerchant | None:
        query = _MERCHANT.where(merchants.c.id == merchant_id)
        row = self.conn.execute(query.with_for_update() if lock else query).first()
        return None if row is None else StoredMerchant(*row)

    def has_credit_code(self, credit_code: str) -> bool:
        found = self.conn.execute(
            sa.select(merchants.c.id).where(merchants.c.credit_code == credit_code)
        ).first()
        return found is not None

    def page(self, *, limit: int, offset: int, status: str | None = None) -> list[StoredMerchant]:
        """Oldest first, optionally of one status."""
        query = _MERCHANT.order_by(merchants.c.created_at, merchants.c.id)
        if status is not None:
            query = query.where(merchants.c.status == status)
        rows = self.conn.execute(query.limit(limit).offset(offset))
        return [StoredMerchant(*r) for r in rows]

    def set_status(self, merchant_id: str, status: str, *, at: datetime) -> None:
        self.conn.execute(
            sa.update(merchants)
            .where(merchants.c.id == merchant_id)
            .values(status=status, updated_at=at)
        )

    # contracts
    def latest_version(self, merchant_id: str) -> int:
        """The newest contract version of the merchant; 0 when it has none."""
        found = self.conn.execute(
            sa.select(sa.func.max(merchant_contracts.c.version)).where(
                merchant_contracts.c.merchant_id == merchant_id
            )
        ).scalar()
        return 0 if found is None else int(found)

    def add_contract(self, values: dict[str, Any], terms: list[StoredTerm]) -> None:
        self.conn.execute(sa.insert(merchant_contracts).values(values))
        self.conn.execute(
            sa.insert(merchant_contract_terms),
            [
                {
                    "merchant_id": values["merchant_id"],
                    "version": values["version"],
                    "periods": t.periods,
                    "subsidy_rate": t.subsidy_rate,
                    "monthly_fee_rate": t.monthly_fee_rate,
                }
                for t in terms
            ],
        )

    def contract(self, merchant_id: str, version: int) -> StoredContract | None:
        row = self.conn.execute(
            _CONTRACT.where(
                merchant_contracts.c.merchant_id == merchant_id,
                merchant_contracts.c.version == version,
            )
        ).first()
        if row is None:
            return None
        terms = self.conn.execute(
            sa.select(
                merchant_contract_terms.c.periods,
                merchant_contract_terms.c.subsidy_rate,
                merchant_contract_terms.c.monthly_fee_rate,
            )
            .where(
                merchant_contract_terms.c.merchant_id == merchant_id,
                merchant_contract_terms.c.version == version,
            )
            .order_by(merchant_contract_terms.c.periods)
        )
        return StoredContract(**row._mapping, terms=tuple(StoredTerm(*t) for t in terms))

    # users
    def add_user(self, values: dict[str, Any]) -> None:
        self.conn.execute(sa.insert(merchant_users).values(values))

    def merchant_of_user(self, user_id: str) -> str | None:
        found = self.conn.execute(
            sa.select(merchant_users.c.merchant_id).where(merchant_users.c.user_id == user_id)
        ).scalar()
        return None if found is None else str(found)

    def user_ids(self, merchant_id: str) -> list[str]:
        rows = self.conn.execute(
            sa.select(merchant_users.c.user_id)
            .where(merchant_users.c.merchant_id == merchant_id)
            .order_by(merchant_users.c.created_at, merchant_users.c.user_id)
        )
        return [str(r) for (r,) in rows]
