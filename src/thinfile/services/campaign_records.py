"""The records of campaigns and coupons: what staff type (drafts), and what staff, borrowers
and the checkout read back, built from the store's rows through the domain's rules."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from thinfile.commerce import (
    BorrowerCouponStatus,
    BudgetState,
    Campaign,
    CampaignStatus,
    CampaignSubsidy,
    Coupon,
    CouponFunder,
    CouponRules,
    CouponStatus,
    budget_state,
)
from thinfile.errors import InvalidInputError
from thinfile.money import MAX_YUAN_DIGITS, Money, parse_rate
from thinfile.services.identity_records import as_utc
from thinfile.store.campaigns_repo import StoredBudgetUse, StoredCampaign
from thinfile.store.coupons_repo import StoredBorrowerCoupon, StoredCoupon

__all__ = [
    "BudgetReservation",
    "CampaignDraft",
    "CampaignPlan",
    "CampaignRecord",
    "CouponDraft",
    "CouponRecord",
    "CouponRedemption",
    "CouponReturn",
    "HeldCoupon",
    "budget_reservation",
    "campaign_record",
    "coupon_record",
    "coupon_rules",
    "held_coupon",
    "purchase_amount",
    "purchase_reference",
]

_REFERENCE = re.compile(r"[A-Za-z0-9_\-:.]{1,100}", re.ASCII)
_MOST_FEN = 10 ** (MAX_YUAN_DIGITS + 2)


def purchase_reference(text: object, *, field: str = "reference") -> str:
    """A purchase's reference as the checkout names it: 1 to 100 ASCII letters, digits and
    ``_-:.`` (the characters of an idempotency key)."""
    if not isinstance(text, str) or not _REFERENCE.fullmatch(text):
        raise InvalidInputError(
            "a reference is 1 to 100 ASCII letters, digits and _-:.",
            field=field,
            value=text if isinstance(text, str) else repr(text),
            remedy="use the checkout's own order or session reference",
        )
    return text


def purchase_amount(amount: object, *, field: str, positive: bool = True) -> Money:
    """An amount a checkout hands over: CNY ``Money``, positive (or at least zero), below
    10^15 yuan."""
    if not isinstance(amount, Money):
        raise InvalidInputError(
            f"{field} must be Money", field=field, value=repr(amount), remedy="wrap it in Money"
        )
    low = 1 if positive else 0
    if amount.currency != "CNY" or not low <= amount.fen < _MOST_FEN:
        raise InvalidInputError(
            f"{field} must be {'positive' if positive else 'zero or more'} CNY below 10^15 yuan",
            field=field,
            value=str(amount),
        )
    return amount


@dataclass(frozen=True, slots=True)
class CampaignDraft:
    """A campaign as staff typed it: amounts in yuan and the merchant share as text
    (``"50%"`` or ``"0.5"``), read strictly (no full-width digits, exponents or floats)."""

    name: str
    starts_on: date
    ends_on: date
    merchant_ids: tuple[str, ...]
    terms: tuple[int, ...]
    min_order: str
    max_order: str
    merchant_share: str
    budget: str
    warning_threshold: str


@dataclass(frozen=True, slots=True)
class CampaignRecord:
    """A campaign with its budget use: ``spent`` is what confirmed purchases hold reserved."""

    id: str
    campaign: Campaign
    status: CampaignStatus
    spent: Money
    warned_at: datetime | None
    created_at: datetime
    created_by: str

    @property
    def remaining(self) -> Money:
        return self.campaign.budget - self.spent

    @property
    def budget_state(self) -> BudgetState:
        return budget_state(self.campaign.budget, self.campaign.warning_threshold, self.spent)


@dataclass(frozen=True, slots=True)
class CampaignPlan:
    """One plan a campaign offers on an order: the term, interest-free to the borrower, and
    the subsidy it costs on the whole order amount (a coupon only lowers it)."""

    campaign_id: str
    campaign_name: str
    periods: int
    subsidy_rate: Decimal
    subsidy: CampaignSubsidy
    remaining: Money


@dataclass(frozen=True, slots=True)
class BudgetReservation:
    """One purchase's reservation of a campaign's budget; ``replayed`` when the reference
    had reserved it already."""

    reference: str
    campaign_id: str
    amount: Money
    released: Money
    budget_state: BudgetState
    replayed: bool = False
    crossed_warning: bool = False
    """This reservation took the campaign to its warning threshold (预算预警): the checkout
    may tell staff now; staff see it on the campaign as ``budget_state`` and ``warned_at``."""

    @property
    def held(self) -> Money:
        """What the purchase still holds of the budget."""
        return self.amount - self.released


@dataclass(frozen=True, slots=True)
class CouponDraft:
    """A coupon as staff typed it: amounts in yuan as text."""

    name: str
    amount_off: str
    threshold: str
    valid_from: date
    valid_to: date
    per_borrower_limit: int
    budget: str
    funded_by: CouponFunder
    merchant_ids: tuple[str, ...] = ()
    campaign_id: str | None = None


@dataclass(frozen=True, slots=True)
class CouponRecord:
    """A coupon with what has been issued and is redeemed now (face values)."""

    id: str
    rules: CouponRules
    status: CouponStatus
    issued: Money
    redeemed: Money
    campaign_id: str | None
    created_at: datetime
    created_by: str

    @property
    def remaining(self) -> Money:
        return self.rules.budget - self.issued


@dataclass(frozen=True, slots=True)
class HeldCoupon:
    """One coupon a borrower holds (its ``id`` is what redeeming names)."""

    id: str
    coupon_id: str
    borrower_id: str
    status: BorrowerCouponStatus
    rules: CouponRules
    order_reference: str | None
    issued_at: datetime

    def is_usable_on(self, on: date) -> bool:
        return self.status is BorrowerCouponStatus.ISSUED and self.rules.is_valid_on(on)


@dataclass(frozen=True, slots=True)
class CouponRedemption:
    """A coupon used by an order: ``coupon`` is what ``purchase_money`` takes off."""

    borrower_coupon_id: str
    coupon_id: str
    order_reference: str
    coupon: Coupon
    replayed: bool = False
    threshold: Money | None = None
    """The order amount the coupon needs (满 ``threshold`` 减), when read back for an order."""


@dataclass(frozen=True, slots=True)
class CouponReturn:
    """A coupon an order gave back, and its status now (issued again, or void)."""

    borrower_coupon_id: str
    order_reference: str
    status: BorrowerCouponStatus
    replayed: bool = False


def campaign_record(row: StoredCampaign) -> CampaignRecord:
    campaign = Campaign(
        name=row.name,
        starts_on=row.starts_on,
        ends_on=row.ends_on,
        merchant_ids=row.merchant_ids,
        terms=row.terms,
        min_order=Money(row.min_order_fen),
        max_order=Money(row.max_order_fen),
        merchant_share=parse_rate(row.merchant_share),
        budget=Money(row.budget_fen),
        warning_threshold=Money(row.warning_fen),
    )
    return CampaignRecord(
        id=row.id,
        campaign=campaign,
        status=CampaignStatus(row.status),
        spent=Money(row.spent_fen),
        warned_at=None if row.warned_at is None else as_utc(row.warned_at),
        created_at=as_utc(row.created_at),
        created_by=row.created_by,
    )


def budget_reservation(
    use: StoredBudgetUse,
    campaign: StoredCampaign,
    *,
    replayed: bool = False,
    crossed_warning: bool = False,
) -> BudgetReservation:
    state = budget_state(
        Money(campaign.budget_fen), Money(campaign.warning_fen), Money(campaign.spent_fen)
    )
    return BudgetReservation(
        reference=use.reference,
        campaign_id=use.campaign_id,
        amount=Money(use.amount_fen),
        released=Money(use.released_fen),
        budget_state=state,
        replayed=replayed,
        crossed_warning=crossed_warning,
    )


def coupon_rules(row: StoredCoupon) -> CouponRules:
    return CouponRules(
        name=row.name,
        amount_off=Money(row.amount_off_fen),
        threshold=Money(row.threshold_fen),
        valid_from=row.valid_from,
        valid_to=row.valid_to,
        per_borrower_limit=row.per_borrower_limit,
        budget=Money(row.budget_fen),
        funded_by=CouponFunder(row.funded_by),
        merchant_ids=row.merchant_ids,
    )


def coupon_record(row: StoredCoupon) -> CouponRecord:
    return CouponRecord(
        id=row.id,
        rules=coupon_rules(row),
        status=CouponStatus(row.status),
        issued=Money(row.issued_fen),
        redeemed=Money(row.redeemed_fen),
        campaign_id=row.campaign_id,
        created_at=as_utc(row.created_at),
        created_by=row.created_by,
    )


def held_coupon(row: StoredBorrowerCoupon, rules: CouponRules) -> HeldCoupon:
    return HeldCoupon(
        id=row.id,
        coupon_id=row.coupon_id,
        borrower_id=row.borrower_id,
        status=BorrowerCouponStatus(row.status),
        rules=rules,
        order_reference=row.order_reference,
        issued_at=as_utc(row.issued_at),
    )
