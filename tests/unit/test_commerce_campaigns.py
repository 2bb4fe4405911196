"""Campaign and coupon rules as the domain reads them: validation of hostile input, who a
campaign covers, the budget's states, the subsidy split and what a returned coupon becomes.
Amounts are checked against arithmetic written here."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from thinfile.commerce import (
    BorrowerCouponStatus,
    BudgetState,
    Campaign,
    CouponFunder,
    CouponRules,
    budget_state,
    campaign_subsidy,
    status_after_return,
)
from thinfile.errors import InvalidCampaignError, InvalidCouponError
from thinfile.money import Money

START, END = date(2026, 3, 1), date(2026, 3, 31)


def campaign(**overrides: Any) -> Campaign:
    values: dict[str, Any] = {
        "name": " 春季  免息 ",
        "starts_on": START,
        "ends_on": END,
        "merchant_ids": ("m1", "m2"),
        "terms": (3, 12),
        "min_order": Money.of("500"),
        "max_order": Money.of("20000"),
        "merchant_share": Decimal("0.5"),
        "budget": Money.of("10000"),
        "warning_threshold": Money.of("8000"),
    }
    values.update(overrides)
    return Campaign(**values)


def coupon(**overrides: Any) -> CouponRules:
    values: dict[str, Any] = {
        "name": "满300减30",
        "amount_off": Money.of("30"),
        "threshold": Money.of("300"),
        "valid_from": START,
        "valid_to": END,
        "per_borrower_limit": 2,
        "budget": Money.of("3000"),
        "funded_by": CouponFunder.LENDER,
    }
    values.update(overrides)
    return CouponRules(**values)


def test_a_campaigns_name_is_kept_in_its_normal_form() -> None:
    assert campaign(name="ＳＰＲＩＮＧ  免息").name == "SPRING 免息"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"ends_on": date(2026, 2, 28)}, "ends_on"),
        ({"ends_on": date(2027, 3, 2)}, "ends_on"),  # 366 days apart: 367 days
        ({"terms": ()}, "terms"),
        ({"terms": (3, 3)}, "terms"),
        ({"terms": (4,)}, "terms"),
        ({"merchant_ids": ()}, "merchant_ids"),
        ({"merchant_ids": ("m1", "m1")}, "merchant_ids"),
        ({"min_order": Money(0)}, "min_order"),
        ({"min_order": Money(-100)}, "min_order"),
        ({"max_order": Money.of("499.99")}, "max_order"),
        ({"budget": Money(0)}, "budget"),
        ({"warning_threshold": Money.of("10000.01")}, "warning_threshold"),
        ({"warning_threshold": Money(0)}, "warning_threshold"),
        ({"merchant_share": Decimal("1.01")}, "merchant_share"),
        ({"merchant_share": Decimal("-0.01")}, "merchant_share"),
        ({"merchant_share": Decimal("NaN")}, "merchant_share"),
        ({"name": ""}, "name"),
        ({"name": "a\u202eb"}, "name"),
        ({"name": "x" * 201}, "name"),
    ],
)
def test_a_bad_campaign_is_refused_naming_the_field(overrides: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidCampaignError) as refused:
        campaign(**overrides)
    assert field in {p.field for p in refused.value.problems}


def test_a_campaign_covers_its_merchants_window_and_amounts_edges_included() -> None:
    c = campaign()
    assert c.covers("m1", Money.of("500"), START) and c.covers("m2", Money.of("20000"), END)
    assert not c.covers("m3", Money.of("1000"), START)
    assert not c.covers("m1", Money.of("499.99"), START)
    assert not c.covers("m1", Money.of("20000.01"), START)
    assert not c.covers("m1", Money.of("1000"), date(2026, 4, 1))


def test_the_budget_warns_at_the_threshold_and_is_spent_at_the_budget() -> None:
    budget, warning = Money.of("10000"), Money.of("8000")
    assert budget_state(budget, warning, Money.of("7999.99")) is BudgetState.OK
    assert budget_state(budget, warning, Money.of("8000")) is BudgetState.WARNING
    assert budget_state(budget, warning, Money.of("9999.99")) is BudgetState.WARNING
    assert budget_state(budget, warning, Money.of("10000")) is BudgetState.SPENT


@pytest.mark.parametrize(
    ("financed_fen", "rate", "share", "total", "merchant"),
    [
        (1_200_000, "0.075", "1", 90_000, 90_000),  # DOMAIN §11: 12,000 × 7.5% = 900
        (1_170_000, "0.075", "0.5", 87_750, 43_875),
        (123_457, "0.075", "0.3333", 9_259, 3_086),  # 9259.275 → 9259; 3086.02 → 3086
        (100_001, "0.02", "0", 2_000, 0),  # 2000.02 → 2000, the lender pays it all
    ],
)
def test_the_subsidy_is_rounded_once_and_split_to_the_fen(
    financed_fen: int, rate: str, share: str, total: int, merchant: int
) -> None:
    split = campaign_subsidy(Money(financed_fen), Decimal(rate), Decimal(share))
    assert (split.total.fen, split.merchant.fen, split.lender.fen) == (
        total,
        merchant,
        total - merchant,
    )


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"amount_off": Money(0)}, "amount_off"),
        ({"amount_off": Money(-1)}, "amount_off"),
        ({"threshold": Money.of("30")}, "threshold"),
        ({"budget": Money.of("29.99")}, "budget"),
        ({"valid_to": date(2026, 2, 1)}, "valid_to"),
        ({"valid_to": date(2027, 6, 1)}, "valid_to"),
        ({"per_borrower_limit": 0}, "per_borrower_limit"),
        ({"per_borrower_limit": 101}, "per_borrower_limit"),
        ({"per_borrower_limit": True}, "per_borrower_limit"),
        ({"funded_by": "merchant"}, "funded_by"),
        ({"funded_by": CouponFunder.MERCHANT}, "merchant_ids"),
        ({"merchant_ids": ("m1", "m1")}, "merchant_ids"),
    ],
)
def test_a_bad_coupon_is_refused_naming_the_field(overrides: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidCouponError) as refused:
        coupon(**overrides)
    assert field in {p.field for p in refused.value.problems}


def test_a_coupon_says_why_it_cannot_be_used() -> None:
    rules = coupon(merchant_ids=("m1",))
    assert rules.refusal(Money.of("300"), "m1", START) is None
    assert rules.refusal(Money.of("299.99"), "m1", START)
    assert rules.refusal(Money.of("300"), "m2", START)
    assert rules.refusal(Money.of("300"), None, START)
    assert rules.refusal(Money.of("300"), "m1", date(2026, 4, 1))
    assert rules.coupon.amount == Money.of("30")


def test_a_returned_coupon_is_usable_in_its_window_and_void_once_expired() -> None:
    rules = coupon()
    assert status_after_return(rules, END) is BorrowerCouponStatus.ISSUED
    assert status_after_return(rules, date(2026, 4, 1)) is BorrowerCouponStatus.VOID
    assert status_after_return(replace(rules, valid_to=date(2026, 4, 1)), date(2026, 4, 1)) is (
        BorrowerCouponStatus.ISSUED
    )
