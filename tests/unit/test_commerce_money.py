"""The money of a financed purchase, the borrower's plan and the subsidy's income recognition.

Oracles are independent of the code under test: DOMAIN §6.1 and §11's worked numbers,
numpy-financial's ``irr``/``rate``, a Decimal bisection and a period-by-period recognition
written out here.
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal, localcontext

import numpy_financial as npf
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from thinfile.commerce import (
    ALLOWED_TERMS,
    Coupon,
    CouponFunder,
    MerchantContract,
    TermPricing,
    UnearnedSubsidy,
    borrower_plan,
    purchase_money,
    quote_checkout,
    recognise_income,
)
from thinfile.errors import InvalidInputError, InvalidMerchantContractError, RateCapExceededError
from thinfile.loanmath import LoanTerms, RepaymentMethod, build_schedule
from thinfile.money import Money

START = date(2026, 1, 1)


def _yuan(text: str) -> Money:
    return Money.of(text)


def _half_up_fen(exact: Decimal) -> int:
    return int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _bisect_rate(net: int, payments: list[int]) -> Decimal:
    """The r with Σ payments_k / (1+r)^k = net, by plain bisection in 40-digit Decimal."""
    with localcontext() as ctx:
        ctx.prec = 40
        lo, hi = Decimal(0), Decimal(1)
        for _ in range(140):
            mid = (lo + hi) / 2
            value = sum(Decimal(p) / (1 + mid) ** (k + 1) for k, p in enumerate(payments))
            lo, hi = (mid, hi) if value > net else (lo, mid)
        return (lo + hi) / 2


def _recognise_by_hand(net: int, payments: list[int], rate: Decimal) -> list[tuple[int, int]]:
    """(income, deferred after) per period: r × opening carrying amount, half-up to the fen,
    the last period taking what is still deferred."""
    deferred = sum(payments) - net
    carrying, out = net, []
    for k, payment in enumerate(payments):
        if k == len(payments) - 1:
            income = deferred
        else:
            income = min(_half_up_fen(rate * carrying), deferred)
        deferred -= income
        carrying += income - payment
        out.append((income, deferred))
    return out


# --- DOMAIN §11 worked example ---------------------------------------------------------------


def test_the_domain_example_recognises_900_of_subsidy_exactly_as_published() -> None:
    quote = quote_checkout(_yuan("12000"), TermPricing(12, Decimal("0.075")), start=START)
    assert quote.money.subsidy == _yuan("900")
    assert quote.money.merchant_settlement == _yuan("11100")
    assert quote.money.net_investment == _yuan("11100")
    assert f"{quote.recognition.effective_rate:.6f}" == "0.012203"
    incomes = [p.income for p in quote.recognition.periods]
    assert incomes == [
        13545, 12490, 11422, 10341, 9247, 8140, 7019, 5884, 4736, 3573, 2397, 1206,
    ]  # fmt: skip
    assert quote.recognition.periods[2].deferred_after == 52543
    assert quote.recognition.periods[-1].deferred_after == 0
    assert sum(incomes) == 90000


def test_the_domain_example_rate_agrees_with_numpy_financial() -> None:
    quote = quote_checkout(_yuan("12000"), TermPricing(12, Decimal("0.075")), start=START)
    expected = npf.rate(12, 1000, -11100, 0, tol=1e-15, maxiter=200)
    assert abs(float(quote.recognition.effective_rate) - expected) < 1e-12  # float-ok: oracle


def test_the_domain_lender_yield_at_a_4_percent_subsidy() -> None:
    """DOMAIN §6.1: pays 11,520 and receives 12 × 1,000: 0.6337% a month, 7.60% × 12."""
    quote = quote_checkout(_yuan("12000"), TermPricing(12, Decimal("0.04")), start=START)
    assert quote.money.merchant_settlement == _yuan("11520")
    rate = quote.recognition.effective_rate
    assert f"{rate:.4%}" == "0.6337%"
    assert f"{rate * 12:.2%}" == "7.60%"
    assert f"{(1 + rate) ** 12 - 1:.2%}" == "7.87%"


def test_the_borrower_of_an_interest_free_plan_sees_zero_percent() -> None:
    quote = quote_checkout(_yuan("12000"), TermPricing(12, Decimal("0.075")), start=START)
    assert quote.plan.is_interest_free
    assert quote.plan.annualized.nominal == 0 == quote.plan.annualized.effective
    assert f"{quote.plan.annualized.nominal:.2%}" == "0.00%"
    assert quote.plan.statement.total_cost == 0
    assert [i.total for i in quote.plan.schedule.installments] == [100000] * 12


# --- purchase money ----------------------------------------------------------------------------


def test_a_merchant_funded_coupon_reduces_the_financed_amount_and_the_settlement() -> None:
    money = purchase_money(
        _yuan("12000"),
        TermPricing(12, Decimal("0.075")),
        coupon=Coupon(_yuan("300"), CouponFunder.MERCHANT),
    )
    assert money.financed == _yuan("11700")
    assert money.subsidy == _yuan("877.50")
    assert money.merchant_settlement == _yuan("10822.50")
    assert money.merchant_coupon == _yuan("300")
    assert money.marketing_expense == Money.zero()
    assert money.net_investment == _yuan("10822.50")


def test_a_lender_funded_coupon_is_the_lenders_marketing_expense() -> None:
    money = purchase_money(
        _yuan("12000"),
        TermPricing(12, Decimal("0.075")),
        coupon=Coupon(_yuan("300"), CouponFunder.LENDER),
    )
    assert money.financed == money.receivable == _yuan("11700")
    assert money.merchant_settlement == _yuan("11122.50")
    assert money.marketing_expense == _yuan("300")
    assert money.merchant_coupon == Money.zero()
    assert money.net_investment == _yuan("10822.50")


def test_the_subsidy_is_rounded_half_up_to_the_fen() -> None:
    # 0.025 × 1,000.02 = 25.0005 → 25.00 (half-up at the fen: 2500.05 fen → 2500)
    # 0.025 × 1,000.20 = 25.005 → 25.01
    pricing = TermPricing(3, Decimal("0.025"))
    assert purchase_money(_yuan("1000.02"), pricing).subsidy == _yuan("25.00")
    assert purchase_money(_yuan("1000.20"), pricing).subsidy == _yuan("25.01")


@pytest.mark.parametrize("coupon", ["100", "150"])
def test_a_coupon_that_leaves_nothing_to_finance_is_refused(coupon: str) -> None:
    with pytest.raises(InvalidInputError) as caught:
        purchase_money(
            _yuan("100"),
            TermPricing(3),
            coupon=Coupon(_yuan(coupon), CouponFunder.MERCHANT),
        )
    assert caught.value.field == "coupon"


def test_a_negative_coupon_or_price_is_refused() -> None:
    with pytest.raises(InvalidInputError):
        Coupon(Money(-1), CouponFunder.LENDER)
    with pytest.raises(InvalidInputError) as caught:
        purchase_money(Money(0), TermPricing(3))
    assert caught.value.field == "price"


# --- the borrower's plan -----------------------------------------------------------------------


def test_an_interest_free_split_puts_the_remainder_in_the_last_installment() -> None:
    plan = borrower_plan(_yuan("10000"), TermPricing(3, Decimal("0.025")), start=START)
    assert [i.principal for i in plan.schedule.installments] == [333333, 333333, 333334]
    assert [i.due_date for i in plan.schedule.installments] == [
        date(2026, 2, 1),
        date(2026, 3, 1),
        date(2026, 4, 1),
    ]


def test_a_fee_plan_matches_the_published_fee_example() -> None:
    """DOMAIN §1.5 / V18: 10,000 in 12 at 0.6% a month: 893.33, fee 720, 13.03% / 13.84%."""
    plan = borrower_plan(
        _yuan("10000"), TermPricing(12, monthly_fee_rate=Decimal("0.006")), start=START
    )
    assert not plan.is_interest_free
    assert plan.schedule.installments[0].total == 89333
    assert plan.schedule.total_fees == 72000
    assert f"{plan.annualized.nominal:.2%}" == "13.03%"
    assert f"{plan.annualized.effective:.2%}" == "13.84%"
    assert plan.statement.items[0].name_zh == "分期手续费"


def test_fees_are_recognised_with_the_subsidy_and_sum_to_both() -> None:
    quote = quote_checkout(
        _yuan("10000"), TermPricing(12, Decimal("0.02"), Decimal("0.006")), start=START
    )
    assert quote.recognition.deferred_income == _yuan("920")  # 200 subsidy + 720 fees
    assert quote.recognition.total_recognised == 92000
    payments = [i.total for i in quote.plan.schedule.installments]
    expected = npf.irr([-980000, *payments])
    assert abs(float(quote.recognition.effective_rate) - expected) < 1e-12  # float-ok: oracle


def test_no_subsidy_and_no_fee_recognises_nothing_at_a_zero_rate() -> None:
    quote = quote_checkout(_yuan("999.99"), TermPricing(6), start=START)
    assert quote.recognition.effective_rate == 0
    assert all(p.income == 0 and p.deferred_after == 0 for p in quote.recognition.periods)


def test_a_schedule_with_a_broken_first_period_is_not_recognised_per_period() -> None:
    broken = build_schedule(
        LoanTerms(
            principal=_yuan("1200"),
            annual_rate=Decimal(0),
            periods=3,
            method=RepaymentMethod.ZERO_INTEREST,
            start=START,
            first_due=date(2026, 2, 15),
        )
    )
    with pytest.raises(InvalidInputError) as caught:
        recognise_income(broken, _yuan("1176"))
    assert caught.value.field == "first_due"


# --- properties against independent oracles ---------------------------------------------------

prices = st.integers(min_value=100, max_value=50_000_000).map(Money)
rates = st.integers(min_value=0, max_value=1500).map(lambda bp: Decimal(bp) / 10000)
fee_rates = st.sampled_from([Decimal(0), Decimal(0), Decimal("0.003"), Decimal("0.006")])


@st.composite
def purchases(draw: st.DrawFn) -> tuple[Money, TermPricing, Coupon | None]:
    price = draw(prices)
    pricing = TermPricing(draw(st.sampled_from(ALLOWED_TERMS)), draw(rates), draw(fee_rates))
    off = draw(st.integers(min_value=0, max_value=price.fen - 1))
    funder = draw(st.sampled_from(list(CouponFunder)))
    coupon = draw(st.sampled_from([None, Coupon(Money(off), funder)]))
    return price, pricing, coupon


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(purchase=purchases())
def test_every_fen_of_the_price_is_paid_by_someone(
    purchase: tuple[Money, TermPricing, Coupon | None],
) -> None:
    price, pricing, coupon = purchase
    money = purchase_money(price, pricing, coupon=coupon)
    off = coupon.amount.fen if coupon else 0
    assert money.financed.fen == price.fen - off
    assert money.subsidy.fen == _half_up_fen(pricing.subsidy_rate * money.financed.fen)
    assert money.merchant_settlement + money.subsidy + money.merchant_coupon == price
    assert money.merchant_settlement == money.net_investment + money.marketing_expense
    assert money.merchant_coupon + money.marketing_expense == money.coupon
    assert money.net_investment.fen > 0


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(purchase=purchases())
def test_recognition_follows_the_effective_rate_and_sums_to_the_deferred_income(
    purchase: tuple[Money, TermPricing, Coupon | None],
) -> None:
    price, pricing, coupon = purchase
    try:
        quote = quote_checkout(price, pricing, start=START, coupon=coupon)
    except RateCapExceededError:
        # only a fee rounded to the fen on about a yuan financed costs above the cap
        financed = price.fen - (coupon.amount.fen if coupon else 0)
        assert pricing.monthly_fee_rate and financed < 200, (financed, pricing)
        return
    payments = [i.total for i in quote.plan.schedule.installments]
    net = quote.money.net_investment.fen
    deferred = sum(payments) - net
    assert deferred == quote.money.subsidy.fen + quote.plan.schedule.total_fees
    periods = quote.recognition.periods
    assert sum(p.income for p in periods) == deferred
    assert periods[-1].deferred_after == 0 and periods[-1].closing == 0
    assert all(p.deferred_after >= 0 and p.income >= 0 for p in periods)
    if deferred:
        rate = _bisect_rate(net, payments)
        assert abs(quote.recognition.effective_rate - rate) < Decimal("1e-15")
        assert abs(float(rate) - npf.irr([-net, *payments])) < 1e-9  # float-ok: oracle
        assert [(p.income, p.deferred_after) for p in periods] == _recognise_by_hand(
            net, payments, rate
        )


# --- the contract ------------------------------------------------------------------------------


def test_a_contract_prices_the_terms_it_offers() -> None:
    contract = MerchantContract(
        terms=(
            TermPricing(3, Decimal("0.025")),
            TermPricing(6, Decimal("0.045")),
            TermPricing(12, Decimal("0.075")),
        )
    )
    assert contract.settlement_days == 1
    assert contract.unearned_subsidy is UnearnedSubsidy.RETURN_TO_MERCHANT
    assert contract.offered_terms == (3, 6, 12)
    assert contract.pricing(6).subsidy_rate == Decimal("0.045")
    with pytest.raises(InvalidMerchantContractError) as caught:
        contract.pricing(24, field="periods")
    assert caught.value.field == "periods"


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"periods": 7}, "periods"),
        ({"periods": 12, "subsidy_rate": Decimal(1)}, "subsidy_rate"),
        ({"periods": 12, "subsidy_rate": Decimal("-0.01")}, "subsidy_rate"),
        ({"periods": 12, "subsidy_rate": Decimal("NaN")}, "subsidy_rate"),
        ({"periods": 12, "subsidy_rate": 0.075}, "subsidy_rate"),
        ({"periods": 12, "monthly_fee_rate": Decimal("1.5")}, "monthly_fee_rate"),
    ],
)
def test_a_bad_term_is_refused_naming_its_field(kwargs: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidMerchantContractError) as caught:
        TermPricing(**kwargs)  # type: ignore[arg-type]
    assert caught.value.field == field


@pytest.mark.parametrize(
    ("terms", "days", "field"),
    [
        ((), 1, "terms"),
        ((TermPricing(3), TermPricing(3, Decimal("0.01"))), 1, "terms"),
        ((TermPricing(3),), -1, "settlement_days"),
        ((TermPricing(3),), 31, "settlement_days"),
    ],
)
def test_a_bad_contract_is_refused_naming_its_field(
    terms: tuple[TermPricing, ...], days: int, field: str
) -> None:
    with pytest.raises(InvalidMerchantContractError) as caught:
        MerchantContract(terms=terms, settlement_days=days)
    assert caught.value.field == field
