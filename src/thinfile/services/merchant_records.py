"""The records of merchant onboarding: what staff type (drafts) and what staff and a
merchant's users read back (the account number and phone masked), built from the store's rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from thinfile.commerce import (
    MerchantCategory,
    MerchantContract,
    MerchantStatus,
    TermPricing,
    UnearnedSubsidy,
)
from thinfile.money import Rounding, parse_rate
from thinfile.security.apikeys import ApiKey
from thinfile.services.identity_records import as_utc
from thinfile.store.merchants_repo import StoredContract, StoredMerchant

__all__ = [
    "ContractRecord",
    "MerchantApiKey",
    "MerchantDraft",
    "MerchantRecord",
    "TermDraft",
    "contract_record",
    "merchant_record",
]


@dataclass(frozen=True, slots=True)
class MerchantDraft:
    """A merchant as staff typed it, before validation."""

    legal_name: str
    credit_code: str
    category: MerchantCategory
    settlement_bank: str
    settlement_account: str
    contact_name: str
    contact_phone: str


@dataclass(frozen=True, slots=True)
class MerchantRecord:
    """A merchant as staff and its users see it: the account number and phone masked."""

    id: str
    legal_name: str
    credit_code: str
    category: MerchantCategory
    status: MerchantStatus
    settlement_bank: str
    settlement_account: str
    contact_name: str
    contact_phone: str
    contract_version: int
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class TermDraft:
    """One term as typed: periods and two rates (``"7.5%"`` or ``"0.075"``)."""

    periods: int
    subsidy_rate: str
    monthly_fee_rate: str = "0"


@dataclass(frozen=True, slots=True)
class ContractRecord:
    """One version of a merchant's contract."""

    merchant_id: str
    version: int
    contract: MerchantContract
    effective_from: date
    created_at: datetime


@dataclass(frozen=True, slots=True)
class MerchantApiKey:
    """A key issued to a merchant user: ``key.secret`` is shown once and never stored."""

    id: str
    merchant_id: str
    user_id: str
    name: str
    key: ApiKey


def merchant_record(row: StoredMerchant, contract_version: int) -> MerchantRecord:
    return MerchantRecord(
        id=row.id,
        legal_name=row.legal_name,
        credit_code=row.credit_code,
        category=MerchantCategory(row.category),
        status=MerchantStatus(row.status),
        settlement_bank=row.settlement_bank,
        settlement_account=row.settlement_account_masked,
        contact_name=row.contact_name,
        contact_phone=row.contact_phone_masked,
        contract_version=contract_version,
        created_at=as_utc(row.created_at),
        updated_at=as_utc(row.updated_at),
    )


def contract_record(row: StoredContract) -> ContractRecord:
    contract = MerchantContract(
        tuple(
            TermPricing(t.periods, parse_rate(t.subsidy_rate), parse_rate(t.monthly_fee_rate))
            for t in row.terms
        ),
        unearned_subsidy=UnearnedSubsidy(row.unearned_subsidy),
        settlement_days=row.settlement_days,
        rounding=Rounding(row.rounding),
    )
    return ContractRecord(
        row.merchant_id, row.version, contract, row.effective_from, as_utc(row.created_at)
    )
