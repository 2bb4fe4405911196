"""Interest-free campaigns (商家贴息活动): who may buy what, on which terms, paid from a budget.

A campaign offers the 免息 plan of some terms (3, 6, 12 … periods) at some merchants between
two dates (both inclusive), for orders from ``min_order`` to ``max_order``. The cost of one
plan is the **subsidy**: the merchant contract's subsidy rate for the term × the financed
amount (DOMAIN §6.1). The campaign says who pays it: ``merchant_share`` of it the merchant,
the rest the lender (:func:`campaign_subsidy`).

The **budget** (预算, in yuan) caps the subsidy the campaign's purchases may use: a purchase
reserves its subsidy when it is confirmed and releases it when it is voided or refunded, and
the sum reserved never exceeds the budget. Once the sum reaches ``warning_threshold`` the
campaign is in the **warning** state (预算预警) staff see; once nothing is left it is
**spent** and offers nothing. Every bad field is reported at once by
:class:`InvalidCampaignError`.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from thinfile.commerce.contract import ALLOWED_TERMS
from thinfile.errors import FieldProblem, InvalidCampaignError
from thinfile.money import Money, Rounding
from thinfile.text import has_hidden, normalize

__all__ = [
    "MAX_CAMPAIGN_DAYS",
    "MAX_CAMPAIGN_MERCHANTS",
    "BudgetState",
    "Campaign",
    "CampaignStatus",
    "CampaignSubsidy",
    "budget_state",
    "campaign_subsidy",
    "display_name",
]

MAX_CAMPAIGN_DAYS = 366
"""The longest window a campaign may run (a year, leap day included)."""
MAX_CAMPAIGN_MERCHANTS = 500
"""The most merchants one campaign may name."""


class CampaignStatus(enum.StrEnum):
    """Whether staff let a campaign run (its window and budget decide the rest)."""

    ACTIVE = "active"
    """进行中: offers its plans inside its window while budget is left."""
    PAUSED = "paused"
    """已暂停: offers nothing until activated again; reservations made stay."""
    ENDED = "ended"
    """已结束: offers nothing ever again; releases still return budget."""


class BudgetState(enum.StrEnum):
    """How much of a campaign's budget is used."""

    OK = "ok"
    WARNING = "warning"
    """预算预警: the reserved sum reached the warning threshold."""
    SPENT = "spent"
    """预算用尽: nothing is left; the campaign offers no plan."""


def display_name(text: object, *, field: str, longest: int) -> str | FieldProblem:
    """A name people read, normalised (NFKC, inner spaces collapsed): 1 to ``longest``
    characters, none of them control or formatting characters; else the problem."""
    if not isinstance(text, str):
        return FieldProblem(field, "must be text", text)
    value = " ".join(normalize(text).split())
    if not value or len(value) > longest:
        return FieldProblem(field, f"must be 1 to {longest} characters", text)
    if has_hidden(value):
        return FieldProblem(field, "must not hold control or invisible characters", text)
    return value


def _amount_problems(campaign: Campaign) -> list[FieldProblem]:
    out: list[FieldProblem] = []
    if campaign.min_order.fen <= 0:
        out.append(FieldProblem("min_order", "must be positive", str(campaign.min_order)))
    if campaign.max_order < campaign.min_order:
        out.append(FieldProblem("max_order", "must be at least min_order", str(campaign.max_order)))
    if campaign.budget.fen <= 0:
        out.append(FieldProblem("budget", "must be positive", str(campaign.budget)))
    warning = campaign.warning_threshold
    if warning.fen <= 0 or warning > campaign.budget:
        out.append(
            FieldProblem(
                "warning_threshold",
                "must be positive and at most the budget",
                str(warning),
            )
        )
    share = campaign.merchant_share
    if not isinstance(share, Decimal) or not share.is_finite() or not 0 <= share <= 1:
        out.append(FieldProblem("merchant_share", "must be from 0% to 100%", str(share)))
    return out


def _shape_problems(campaign: Campaign) -> list[FieldProblem]:
    out: list[FieldProblem] = []
    if campaign.ends_on < campaign.starts_on:
        out.append(FieldProblem("ends_on", "must not be before starts_on", str(campaign.ends_on)))
    elif (campaign.ends_on - campaign.starts_on).days >= MAX_CAMPAIGN_DAYS:
        out.append(FieldProblem("ends_on", f"a campaign runs at most {MAX_CAMPAIGN_DAYS} days"))
    terms = campaign.terms
    if not terms or any(type(t) is not int or t not in ALLOWED_TERMS for t in terms):
        allowed = ", ".join(str(t) for t in ALLOWED_TERMS)
        out.append(FieldProblem("terms", f"each term must be one of {allowed}", str(terms)))
    elif len(set(terms)) != len(terms):
        out.append(FieldProblem("terms", "each term may be named once", str(terms)))
    ids = campaign.merchant_ids
    if not ids or len(ids) > MAX_CAMPAIGN_MERCHANTS:
        out.append(FieldProblem("merchant_ids", f"name 1 to {MAX_CAMPAIGN_MERCHANTS} merchants"))
    elif len(set(ids)) != len(ids):
        out.append(FieldProblem("merchant_ids", "each merchant may be named once"))
    return out


@dataclass(frozen=True, slots=True)
class Campaign:
    """A campaign's rules as staff set them (validated on construction)."""

    name: str
    starts_on: date
    ends_on: date
    merchant_ids: tuple[str, ...]
    terms: tuple[int, ...]
    min_order: Money
    max_order: Money
    merchant_share: Decimal
    budget: Money
    warning_threshold: Money

    def __post_init__(self) -> None:
        problems = _shape_problems(self) + _amount_problems(self)
        name = display_name(self.name, field="name", longest=200)
        if isinstance(name, FieldProblem):
            problems.insert(0, name)
        else:
            object.__setattr__(self, "name", name)  # the normal form is the one kept
        if problems:
            single = len(problems) == 1
            raise InvalidCampaignError(
                problems[0].message
                if single
                else "the campaign is not valid: "
                + "; ".join(f"{p.field}: {p.message}" for p in problems),
                field=problems[0].field if single else None,
                value=problems[0].value if single else None,
                problems=problems,
            )

    def is_running_on(self, on: date) -> bool:
        return self.starts_on <= on <= self.ends_on

    def covers(self, merchant_id: str, order_amount: Money, on: date) -> bool:
        """The campaign's window, merchants and order amounts admit this order."""
        return (
            self.is_running_on(on)
            and merchant_id in self.merchant_ids
            and self.min_order <= order_amount <= self.max_order
        )


def budget_state(budget: Money, warning_threshold: Money, reserved: Money) -> BudgetState:
    """Where ``reserved`` stands against the budget and its warning threshold."""
    if reserved >= budget:
        return BudgetState.SPENT
    if reserved >= warning_threshold:
        return BudgetState.WARNING
    return BudgetState.OK


@dataclass(frozen=True, slots=True)
class CampaignSubsidy:
    """The subsidy of one campaign plan and who pays it: ``merchant + lender = total``."""

    total: Money
    merchant: Money
    lender: Money


def campaign_subsidy(
    financed: Money,
    subsidy_rate: Decimal,
    merchant_share: Decimal,
    *,
    rounding: Rounding = Rounding.HALF_UP,
) -> CampaignSubsidy:
    """The subsidy of financing ``financed`` interest-free at the contract's
    ``subsidy_rate``, split by ``merchant_share``: the total rounded once, the merchant's part
    rounded once, the lender's the rest (so the parts sum to the total to the fen)."""
    total = financed.times(subsidy_rate, rounding)
    merchant = total.times(merchant_share, rounding)
    return CampaignSubsidy(total, merchant, total - merchant)
