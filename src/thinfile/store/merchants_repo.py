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
from thinfile.store.hot import Hot

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
_T = merchant_contract_terms.c
# what every checkout reads (store.hot): built once, run on the driver on PostgreSQL
_BY_ID = _MERCHANT.where(merchants.c.id == sa.bindparam("merchant_id"))
_GET = {False: Hot(_BY_ID), True: Hot(_BY_ID.with_for_update())}
_LATEST = Hot(
    sa.select(sa.func.max(merchant_contracts.c.version)).where(
        merchant_contracts.c.merchant_id == sa.bindparam("merchant_id")
    )
)
_WITH_TERMS = Hot(
    sa.select(*_CONTRACT.selected_columns, _T.periods, _T.subsidy_rate, _T.monthly_fee_rate)
    .select_from(
        merchant_contracts.outerjoin(
            merchant_contract_terms,
            sa.and_(
                _T.merchant_id == merchant_contracts.c.merchant_id,
                _T.version == merchant_contracts.c.version,
            ),
        )
    )
    .where(
        merchant_contracts.c.merchant_id == sa.bindparam("merchant_id"),
        merchant_contracts.c.version == sa.bindparam("version"),
    )
    .order_by(_T.periods)
)  # the contract on each row, one row per term
_OF_USER = Hot(
    sa.select(merchant_users.c.merchant_id).where(
        merchant_users.c.user_id == sa.bindparam("user_id")
    )
)


class MerchantRepository:
    """Merchants, contracts and merchant users on one connection; never commits."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(self, values: dict[str, Any]) -> None:
        self.conn.execute(sa.insert(merchants).values(values))

    def get(self, merchant_id: str, *, lock: bool = False) -> StoredMerchant | None:
        row = _GET[lock].first(self.conn, {"merchant_id": merchant_id})
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
        found = _LATEST.scalar(self.conn, {"merchant_id": merchant_id})
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
        """Version ``version`` of the merchant's contract with its terms (one statement)."""
        rows = _WITH_TERMS.all(self.conn, {"merchant_id": merchant_id, "version": version})
        if not rows:
            return None
        width = len(_CONTRACT_COLUMNS)
        first = tuple(rows[0])[:width]
        terms = tuple(StoredTerm(*tuple(r)[width:]) for r in rows if tuple(r)[width] is not None)
        return StoredContract(**dict(zip(_CONTRACT_COLUMNS, first, strict=True)), terms=terms)

    # users
    def add_user(self, values: dict[str, Any]) -> None:
        self.conn.execute(sa.insert(merchant_users).values(values))

    def merchant_of_user(self, user_id: str) -> str | None:
        found = _OF_USER.scalar(self.conn, {"user_id": user_id})
        return None if found is None else str(found)

    def user_ids(self, merchant_id: str) -> list[str]:
        rows = self.conn.execute(
            sa.select(merchant_users.c.user_id)
            .where(merchant_users.c.merchant_id == merchant_id)
            .order_by(merchant_users.c.created_at, merchant_users.c.user_id)
        )
        return [str(r) for (r,) in rows]
