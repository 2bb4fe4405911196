"""Builders for the campaign and coupon tests: an active merchant with a contract, borrower
accounts, and a campaign or coupon typed the way staff type them."""

from __future__ import annotations

import itertools
import os
from datetime import date
from typing import Any

from sqlalchemy.engine import Engine

from thinfile.commerce import (
    CouponFunder,
    MerchantCategory,
    UnearnedSubsidy,
    credit_code_check_character,
    organisation_code_check_character,
)
from thinfile.security.crypto import PiiCipher
from thinfile.security.passwords import PasswordHasher
from thinfile.security.roles import Role
from thinfile.services import identity, merchants
from thinfile.services.campaign_records import CampaignDraft, CouponDraft
from thinfile.services.identity_records import Actor
from thinfile.services.merchant_records import MerchantDraft, TermDraft
from thinfile.services.uow import UnitOfWork

STAFF = Actor("staff-1", Role.ADMIN)
DAY = date(2026, 3, 10)
_serial = itertools.count(1)
_HASHER = PasswordHasher(time_cost=1, memory_kib=8)


def cipher() -> PiiCipher:
    return PiiCipher({"k1": os.urandom(32)}, active_key_id="k1", lookup_key=b"L" * 32)


def credit_code(serial: int) -> str:
    body = f"{serial:08d}"
    first17 = "91440300" + body + organisation_code_check_character(body)
    return first17 + credit_code_check_character(first17)


def active_merchant(engine: Engine, *, subsidy: dict[int, str] | None = None) -> str:
    """An onboarded, contracted, active merchant; ``subsidy``: periods → subsidy rate."""
    rates = subsidy or {3: "2%", 6: "4%", 12: "7.5%"}
    serial = next(_serial) + os.getpid() % 1000 * 1000
    record = merchants.onboard(
        engine,
        cipher(),
        STAFF,
        MerchantDraft(
            legal_name=f"骑手电动车{serial}号有限公司",
            credit_code=credit_code(serial),
            category=MerchantCategory.E_BIKES,
            settlement_bank="招商银行深圳分行",
            settlement_account="6222021234567891234",
            contact_name="王芳",
            contact_phone="13812345678",
        ),
    )
    with UnitOfWork(engine) as uow:
        _, audit = merchants.set_contract_in_unit(
            uow,
            STAFF,
            record.id,
            [TermDraft(p, r) for p, r in rates.items()],
            unearned_subsidy=UnearnedSubsidy.RETURN_TO_MERCHANT,
            settlement_days=1,
            effective_from=date(2026, 1, 1),
        )
        audit.append(uow)
        uow.commit()
    merchants.activate(engine, STAFF, record.id)
    return record.id


def borrowers(engine: Engine, count: int) -> list[str]:
    """``count`` borrower accounts' ids."""
    return [
        identity.create_user(
            engine, _HASHER, email=f"b{next(_serial)}@example.com", password="pw-123456789"
        ).id
        for _ in range(count)
    ]


def campaign_draft(merchant_ids: list[str], **overrides: Any) -> CampaignDraft:
    values: dict[str, Any] = {
        "name": "春季免息",
        "starts_on": date(2026, 3, 1),
        "ends_on": date(2026, 3, 31),
        "merchant_ids": tuple(merchant_ids),
        "terms": (3, 12),
        "min_order": "500",
        "max_order": "20000",
        "merchant_share": "50%",
        "budget": "1000",
        "warning_threshold": "800",
    }
    values.update(overrides)
    return CampaignDraft(**values)


def coupon_draft(**overrides: Any) -> CouponDraft:
    values: dict[str, Any] = {
        "name": "满1000减100",
        "amount_off": "100",
        "threshold": "1000",
        "valid_from": date(2026, 3, 1),
        "valid_to": date(2026, 3, 31),
        "per_borrower_limit": 1,
        "budget": "10000",
        "funded_by": CouponFunder.LENDER,
    }
    values.update(overrides)
    return CouponDraft(**values)
