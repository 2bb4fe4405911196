"""The installment mall (分期商城): partner merchants' products with what each costs a month
per term, the campaigns that make a term interest-free, one product's plans side by side, and
buying one — which opens a checkout session for the product's merchant, the same session a
merchant's own shop makes over the API, so the borrower's checkout is the one flow.

A product is shown while its merchant is active with a contract; its plans are the
contract's terms priced today (:func:`thinfile.commerce.quote_checkout`): each with its first
installment, annualized rate, total cost, and who pays the interest — nobody, the merchant
(贴息: its subsidy), or the borrower (the monthly fee).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy.engine import Engine

from thinfile.commerce import MerchantCategory, MerchantStatus, TermPricing, quote_checkout
from thinfile.errors import InvalidInputError, NotFoundError
from thinfile.money import Money
from thinfile.services.audit import AuditDraft
from thinfile.services.business_date import business_date_in
from thinfile.services.campaigns import campaign_plans_for
from thinfile.services.checkout import create_for_merchant_in_unit
from thinfile.services.checkout_records import CheckoutDraft, LineDraft
from thinfile.services.identity_records import Actor, new_id, now_utc
from thinfile.services.merchant_records import contract_record
from thinfile.services.uow import UnitOfWork
from thinfile.store.products_repo import StoredProduct

__all__ = [
    "InterestPayer",
    "MallItem",
    "MallPlan",
    "ProductDraft",
    "add_product",
    "add_product_in_unit",
    "buy",
    "catalogue",
    "plans_in_unit",
    "product_page",
]


class InterestPayer(enum.StrEnum):
    """Who pays for the credit of a plan."""

    NOBODY = "nobody"
    MERCHANT = "merchant"
    """Interest-free to the borrower: the merchant's subsidy (贴息) pays the lender."""
    BORROWER = "borrower"


@dataclass(frozen=True, slots=True)
class ProductDraft:
    merchant_id: str
    name: str
    price: str
    """Yuan, as text."""
    category: MerchantCategory


@dataclass(frozen=True, slots=True)
class MallPlan:
    """One term of a product: what the borrower pays and who pays the interest."""

    periods: int
    installment: Money
    """The first installment (the later ones are equal, the last absorbing the rounding)."""
    installments: tuple[Money, ...]
    annualized_rate: Decimal
    total_cost: Money
    total_repayable: Money
    interest_free: bool
    payer: InterestPayer
    merchant_subsidy: Money
    campaigns: tuple[str, ...]
    """The names of the campaigns offering this term on the product today."""


@dataclass(frozen=True, slots=True)
class MallItem:
    product: StoredProduct
    plans: tuple[MallPlan, ...]

    @property
    def price(self) -> Money:
        return Money(self.product.price, self.product.currency)

    @property
    def longest(self) -> MallPlan | None:
        """The plan shown on the product's card: the longest interest-free term, else the
        longest term."""
        free = [p for p in self.plans if p.interest_free]
        pool = free or list(self.plans)
        return max(pool, key=lambda p: p.periods) if pool else None

    @property
    def campaigns(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(n for p in self.plans for n in p.campaigns))


def _payer(pricing: TermPricing, subsidy: Money) -> InterestPayer:
    if not pricing.is_interest_free:
        return InterestPayer.BORROWER
    return InterestPayer.MERCHANT if subsidy.fen else InterestPayer.NOBODY


def _plans(uow: UnitOfWork, product: StoredProduct, on: date) -> tuple[MallPlan, ...]:
    version = uow.merchants.latest_version(product.merchant_id)
    stored = uow.merchants.contract(product.merchant_id, version) if version else None
    if stored is None:
        return ()
    contract = contract_record(stored).contract
    price = Money(product.price, product.currency)
    offers: dict[int, list[str]] = {}
    for offer in campaign_plans_for(uow, product.merchant_id, price, on):
        offers.setdefault(offer.periods, []).append(offer.campaign_name)
    plans = []
    for periods in contract.offered_terms:
        pricing = contract.pricing(periods)
        quote = quote_checkout(price, pricing, start=on, rounding=contract.rounding)
        cost = Money(quote.plan.statement.total_cost, product.currency)
        financed = quote.money.financed
        installments = tuple(
            Money(i.total, product.currency) for i in quote.plan.schedule.installments
        )
        plans.append(
            MallPlan(
                periods=periods,
                installment=installments[0],
                installments=installments,
                annualized_rate=quote.plan.annualized.nominal,
                total_cost=cost,
                total_repayable=financed + cost,
                interest_free=quote.plan.is_interest_free,
                payer=_payer(pricing, quote.money.subsidy),
                merchant_subsidy=quote.money.subsidy,
                campaigns=tuple(offers.get(periods, ())),
            )
        )
    return tuple(plans)


def plans_in_unit(uow: UnitOfWork, product: StoredProduct) -> MallItem:
    """A product, on sale or not, with its plans priced today (a merchant's own list)."""
    return MallItem(product, _plans(uow, product, business_date_in(uow)))


def catalogue(engine: Engine, *, category: MerchantCategory | None = None) -> list[MallItem]:
    """The products on sale today with their plans (merchants without a contract offer none
    and are left out)."""
    with UnitOfWork(engine) as uow:
        on = business_date_in(uow)
        items = [
            MallItem(p, _plans(uow, p, on))
            for p in uow.products.on_sale(merchant_status=MerchantStatus.ACTIVE.value)
            if category is None or p.category == category.value
        ]
    return [i for i in items if i.plans]


def _on_sale(uow: UnitOfWork, product_id: str) -> StoredProduct:
    product = uow.products.get(product_id)
    merchant = uow.merchants.get(product.merchant_id) if product is not None else None
    if (
        product is None
        or not product.active
        or merchant is None
        or merchant.status != MerchantStatus.ACTIVE.value
    ):
        raise NotFoundError("no such product", field="product_id", value=product_id)
    return product


def product_page(engine: Engine, product_id: str) -> MallItem:
    """One product on sale and its plans compared."""
    with UnitOfWork(engine) as uow:
        product = _on_sale(uow, product_id)
        item = MallItem(product, _plans(uow, product, business_date_in(uow)))
    if not item.plans:
        raise NotFoundError("no such product", field="product_id", value=product_id)
    return item


def buy(engine: Engine, actor: Actor, product_id: str, *, site: str, expires_in: timedelta) -> str:
    """Open a checkout session for one of the product, sold by its merchant through the
    mall; the borrower's checkout continues on it. ``site`` is the mall's own address
    (``https://…/``): a borrower the shop approves returns to My loans there."""
    with UnitOfWork(engine) as uow:
        product = _on_sale(uow, product_id)
        price = str(Money(product.price, product.currency))
        draft = CheckoutDraft(
            merchant_order_id=f"MALL-{new_id()[:20]}",
            lines=[LineDraft(product.name, f"MALL-{product.id[:20]}", 1, price)],
            total=price,
            success_url=f"{site.rstrip('/')}/loans",
            cancel_url=f"{site.rstrip('/')}/mall/{product.id}",
        )
        record, audit = create_for_merchant_in_unit(
            uow, actor, product.merchant_id, draft, expires_in=expires_in
        )
        audit.append(uow)
        uow.commit()
    return record.row.id


def add_product_in_unit(
    uow: UnitOfWork, actor: Actor, draft: ProductDraft
) -> tuple[StoredProduct, AuditDraft]:
    """Put a merchant's product in the mall."""
    if uow.merchants.get(draft.merchant_id) is None:
        raise NotFoundError("no such merchant", field="merchant_id", value=draft.merchant_id)
    name = " ".join(draft.name.split())
    if not 1 <= len(name) <= 200:
        raise InvalidInputError("a product needs a name of 1 to 200 characters", field="name")
    price = Money.of(draft.price, field="price")
    if price.fen <= 0:
        raise InvalidInputError("the price must be above zero", field="price", value=draft.price)
    product_id = new_id()
    uow.products.add(
        {
            "id": product_id,
            "merchant_id": draft.merchant_id,
            "name": name,
            "category": draft.category.value,
            "currency": price.currency,
            "price": price.fen,
            "active": True,
            "created_at": now_utc(),
        }
    )
    stored = uow.products.get(product_id)
    assert stored is not None
    audit = AuditDraft(
        actor.label,
        "mall.product.add",
        f"product:{product_id}",
        {"merchant": draft.merchant_id, "price_fen": price.fen},
    )
    return stored, audit


def add_product(engine: Engine, actor: Actor, draft: ProductDraft) -> StoredProduct:
    with UnitOfWork(engine) as uow:
        stored, audit = add_product_in_unit(uow, actor, draft)
        audit.append(uow)
        uow.commit()
    return stored
