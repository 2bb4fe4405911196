"""The mall's sample shops: partner merchants that fit new citizens — phones, e-bikes for
riders, vocational courses, tools and stock for micro-shops — each active on a contract
(3 periods with a 2% subsidy, 6 with the borrower's 0.5% monthly fee, 12 interest-free with
a 7.5% subsidy), with a few products, and an interest-free campaign on the e-bike shop.
A demo or a test calls :func:`seed_mall` once on an empty store."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy.engine import Engine

from thinfile.commerce import MerchantCategory, UnearnedSubsidy
from thinfile.commerce.credit_code import (
    credit_code_check_character,
    organisation_code_check_character,
)
from thinfile.security.crypto import PiiCipher
from thinfile.services import campaigns, merchants
from thinfile.services.campaign_records import CampaignDraft
from thinfile.services.identity_records import Actor
from thinfile.services.mall import ProductDraft, add_product
from thinfile.services.merchant_records import MerchantDraft, TermDraft
from thinfile.services.uow import UnitOfWork

__all__ = ["SHOPS", "SeededShop", "seed_mall"]

TERMS = (TermDraft(3, "2%"), TermDraft(6, "0", "0.5%"), TermDraft(12, "7.5%"))

SHOPS: tuple[tuple[str, MerchantCategory, tuple[tuple[str, str], ...]], ...] = (
    (
        "深圳市新市民数码有限公司",
        MerchantCategory.PHONES_ELECTRONICS,
        (("华为 nova 12 手机 256GB", "2900.00"), ("小米 Redmi Note 13 手机", "1300.00")),
    ),
    (
        "深圳市骑手电动车有限公司",
        MerchantCategory.E_BIKES,
        (("外卖骑手电动车 48V 长续航", "12000.00"), ("换电电池 48V", "1800.00")),
    ),
    (
        "深圳市匠心职业技能培训学校",
        MerchantCategory.VOCATIONAL_EDUCATION,
        (("电工证培训课程", "3600.00"), ("中式烹调师培训课程", "5400.00")),
    ),
    (
        "深圳市小店帮五金批发有限公司",
        MerchantCategory.TOOLS_AND_STOCK,
        (("便利店货架整套", "4800.00"), ("电动工具套装", "1000.00")),
    ),
)
CAMPAIGN_NAME = "骑手节 12期免息"


@dataclass(frozen=True, slots=True)
class SeededShop:
    merchant_id: str
    category: MerchantCategory
    product_ids: tuple[str, ...]


def _credit_code(serial: int) -> str:
    body = f"{serial:08d}"
    first17 = "91440300" + body + organisation_code_check_character(body)
    return first17 + credit_code_check_character(first17)


def seed_mall(
    engine: Engine, cipher: PiiCipher, actor: Actor, *, on: date, serial: int = 7301
) -> list[SeededShop]:
    """The sample shops, active from ``on``, their products, and the e-bike campaign
    (running 90 days from ``on``, budget ¥50,000)."""
    shops = []
    for n, (name, category, products) in enumerate(SHOPS):
        merchant = merchants.onboard(
            engine,
            cipher,
            actor,
            MerchantDraft(
                legal_name=name,
                credit_code=_credit_code(serial + n),
                category=category,
                settlement_bank="招商银行深圳分行",
                settlement_account="6222 0212 3456 7891 234",
                contact_name="王芳",
                contact_phone="13812345678",
            ),
        )
        with UnitOfWork(engine) as uow:
            _, audit = merchants.set_contract_in_unit(
                uow,
                actor,
                merchant.id,
                TERMS,
                unearned_subsidy=UnearnedSubsidy.RETURN_TO_MERCHANT,
                settlement_days=1,
                effective_from=on,
            )
            audit.append(uow)
            uow.commit()
        merchants.activate(engine, actor, merchant.id)
        ids = tuple(
            add_product(engine, actor, ProductDraft(merchant.id, title, price, category)).id
            for title, price in products
        )
        shops.append(SeededShop(merchant.id, category, ids))
    bikes = next(s for s in shops if s.category is MerchantCategory.E_BIKES)
    campaigns.create_campaign(
        engine,
        actor,
        CampaignDraft(
            name=CAMPAIGN_NAME,
            starts_on=on,
            ends_on=on + timedelta(days=90),
            merchant_ids=(bikes.merchant_id,),
            terms=(12,),
            min_order="500",
            max_order="50000",
            merchant_share="100%",
            budget="50000",
            warning_threshold="40000",
        ),
    )
    return shops
