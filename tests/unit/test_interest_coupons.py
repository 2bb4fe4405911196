"""Interest coupons (利息券) against oracles written here: the interest a coupon takes off, day by
day or installment by installment, the annualized rate on what the borrower pays by
numpy-financial's IRR, and a loan opened on the coupon's schedule whose ledger balances and
whose interest income, coupon included, is the contract's interest before the coupon."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

import numpy_financial as npf
import pytest

from thinfile.decisioning.interest_coupons import CouponKind, InterestCouponTerms, with_coupon
from thinfile.errors import InvalidInputError
from thinfile.loanmath import LoanTerms, RepaymentMethod, Schedule, annualized_rate, build_schedule
from thinfile.money import Money
from thinfile.servicing import (
    Account,
    ServicingProduct,
    account_balances,
    check_loan,
    close_through,
    open_loan,
    pay,
)
from thinfile.store.servicing_codec import terms_from_json, terms_to_json

D = Decimal
START = date(2026, 3, 10)  # whole monthly periods: the first due date is 2026-04-10


def schedule(method: RepaymentMethod = RepaymentMethod.EQUAL_INSTALLMENT) -> Schedule:
    return build_schedule(LoanTerms(Money.of("6000"), D("0.1299"), 12, method, START))


def free_days_oracle(base: Schedule, days: int) -> list[int]:
    """Walk the first ``days`` days one by one: each belongs to one installment's period and
    frees that day's share of its interest; a period's share is truncated to the fen."""
    opens = [START, *(i.due_date for i in base.installments[:-1])]
    free = [0] * len(base.installments)
    for k in range(days):
        day = START + timedelta(days=k)
        for n, (start, inst) in enumerate(zip(opens, base.installments, strict=True)):
            if start <= day < inst.due_date:
                free[n] += 1
    return [
        inst.interest * f // (inst.due_date - start).days
        for start, inst, f in zip(opens, base.installments, free, strict=True)
    ]


@pytest.mark.parametrize("days", [7, 30, 45, 366])
def test_n_days_interest_free_takes_off_each_days_share_of_its_period(days: int) -> None:
    base = schedule()
    after, value = with_coupon(base, InterestCouponTerms(CouponKind.FREE_DAYS, days=days))
    expected = free_days_oracle(base, days)
    cuts = [b.interest - a.interest for b, a in zip(base.installments, after.installments)]
    assert cuts == expected
    assert value == sum(expected) > 0
    assert [a.principal for a in after.installments] == [b.principal for b in base.installments]
    assert all(a.total == a.principal + a.interest + a.fee for a in after.installments)


def test_a_rate_discount_multiplies_the_first_k_installments_interest() -> None:
    base = schedule()
    coupon = InterestCouponTerms.from_dict({"kind": "rate_discount", "factor": "0.8", "periods": 3})
    after, value = with_coupon(base, coupon)
    kept = [
        int((D(i.interest) * D("0.8")).quantize(D(1), rounding=ROUND_HALF_UP))
        for i in base.installments[:3]
    ]
    assert [a.interest for a in after.installments[:3]] == kept
    assert after.installments[3:] == base.installments[3:]
    assert value == sum(i.interest for i in base.installments[:3]) - sum(kept)


def test_a_fixed_amount_comes_off_the_first_installments_and_never_more_than_charged() -> None:
    base = schedule()
    first_two = base.installments[0].interest + base.installments[1].interest
    after, value = with_coupon(
        base, InterestCouponTerms(CouponKind.INTEREST_OFF, amount_off=first_two)
    )
    assert value == first_two
    assert after.installments[0].interest == after.installments[1].interest == 0
    assert after.installments[2:] == base.installments[2:]
    huge = InterestCouponTerms(CouponKind.INTEREST_OFF, amount_off=10**9)
    _, all_of_it = with_coupon(base, huge)
    assert all_of_it == base.total_interest


def test_a_fee_installment_loses_its_fee_when_it_charges_no_interest() -> None:
    terms = LoanTerms(
        Money.of("3000"),
        D(0),
        6,
        RepaymentMethod.FEE_INSTALLMENT,
        START,
        monthly_fee_rate=D("0.006"),
    )
    base = build_schedule(terms)
    after, value = with_coupon(base, InterestCouponTerms(CouponKind.FREE_DAYS, days=31))
    assert value == base.installments[0].fee  # the whole first month (31 days) is free
    assert after.installments[0].fee == 0 and after.installments[0].interest == 0


@pytest.mark.parametrize(
    "coupon",
    [
        InterestCouponTerms(CouponKind.FREE_DAYS, days=30),
        InterestCouponTerms(CouponKind.RATE_DISCOUNT, factor=D("0.5"), periods=6),
        InterestCouponTerms(CouponKind.INTEREST_OFF, amount_off=15000),
    ],
    ids=lambda c: c.kind.value,
)
def test_the_annualized_rate_is_the_irr_of_what_the_borrower_pays(
    coupon: InterestCouponTerms,
) -> None:
    base = schedule()
    after, _ = with_coupon(base, coupon)
    flows = [-600000, *(i.total for i in after.installments)]
    monthly = D(str(npf.irr(flows)))
    rate = annualized_rate(after)
    assert abs(rate.nominal - monthly * 12) < D("0.000001")
    assert abs(rate.effective - ((1 + monthly) ** 12 - 1)) < D("0.000001")
    assert rate.nominal < annualized_rate(base).nominal


def test_a_loan_on_the_coupon_schedule_earns_the_contract_interest_and_balances() -> None:
    """The coupon is deferred income recognised by close of business: interest income plus
    the coupon recognised is the interest before the coupon; every entry balances."""
    base = schedule()
    after, value = with_coupon(base, InterestCouponTerms(CouponKind.FREE_DAYS, days=30))
    outcome = open_loan(1, after, ServicingProduct(), subsidy=value)
    entries = list(outcome.entries)
    loan = outcome.loan
    for inst in after.installments:
        closed = close_through(loan, inst.due_date - timedelta(days=1))
        entries += closed.entries
        paid = pay(closed.loan, Money(inst.total), inst.due_date)
        entries += paid.entries
        loan = paid.loan
    closed = close_through(loan, after.installments[-1].due_date + timedelta(days=1))
    entries += closed.entries
    check_loan(closed.loan, entries)
    assert all(e.is_balanced() for e in entries)
    balances = account_balances(entries)
    income = -balances.get(Account.INTEREST_INCOME, 0)
    assert income == base.total_interest
    assert balances.get(Account.DEFERRED_SUBSIDY, 0) == 0


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"kind": "cashback"}, "kind"),
        ({"kind": "free_days", "days": 0}, "days"),
        ({"kind": "free_days", "days": "seven"}, "days"),
        ({"kind": "rate_discount", "factor": "1.2", "periods": 3}, "factor"),
        ({"kind": "rate_discount", "factor": 0.8, "periods": 3}, "factor"),
        ({"kind": "rate_discount", "factor": "NaN", "periods": 3}, "factor"),
        ({"kind": "rate_discount", "factor": "0.8", "periods": 0}, "periods"),
        ({"kind": "interest_off", "amount_off": "-5"}, "amount_off"),
        ({"kind": "interest_off", "amount_off": "abc"}, "amount_off"),
        # digits of other scripts and exponents: amounts and rates are ASCII decimals
        ({"kind": "free_days", "days": "٧"}, "days"),
        ({"kind": "free_days", "days": "０7"}, "days"),
        ({"kind": "rate_discount", "factor": "0.8", "periods": "٣"}, "periods"),
        ({"kind": "rate_discount", "factor": "1e-1", "periods": 3}, "factor"),
        ({"kind": "rate_discount", "factor": "０.8", "periods": 3}, "factor"),
        ({"kind": "interest_off", "amount_off": "５0"}, "amount_off"),
    ],
)
def test_hostile_coupon_terms_are_refused_naming_the_field(
    data: dict[str, object], field: str
) -> None:
    with pytest.raises(InvalidInputError) as refused:
        InterestCouponTerms.from_dict(data)
    assert refused.value.field == field


def test_coupon_terms_read_back_what_they_write() -> None:
    for coupon in (
        InterestCouponTerms(CouponKind.FREE_DAYS, days=7),
        InterestCouponTerms(CouponKind.RATE_DISCOUNT, factor=D("0.8"), periods=3),
        InterestCouponTerms(CouponKind.INTEREST_OFF, amount_off=5000),
    ):
        assert InterestCouponTerms.from_dict(coupon.as_dict()) == coupon


def test_the_cuts_ride_on_the_terms_and_survive_their_stored_form() -> None:
    """The loan's stored terms rebuild the schedule the borrower pays (a rebook needs it)."""
    after, _ = with_coupon(schedule(), InterestCouponTerms(CouponKind.FREE_DAYS, days=7))
    assert after.terms.charge_relief and build_schedule(after.terms) == after
    assert terms_from_json(terms_to_json(after.terms)) == after.terms
    plain = schedule().terms
    assert "charge_relief" not in terms_to_json(plain)  # loans without a coupon are unchanged


@pytest.mark.parametrize("relief", [(1, 2), (-1,) * 12, (True,) * 12])
def test_terms_refuse_cuts_that_are_not_one_amount_per_period(relief: tuple[int, ...]) -> None:
    with pytest.raises(InvalidInputError) as refused:
        LoanTerms(
            Money.of("6000"),
            D("0.1299"),
            12,
            RepaymentMethod.EQUAL_INSTALLMENT,
            START,
            charge_relief=relief,
        )
    assert refused.value.field == "charge_relief"


def test_a_coupon_is_described_in_chinese_as_lenders_name_it():
    assert InterestCouponTerms(CouponKind.FREE_DAYS, days=30).describe_zh() == "30天免息"
    rate = InterestCouponTerms(CouponKind.RATE_DISCOUNT, factor=Decimal("0.85"), periods=3)
    assert rate.describe_zh() == "前3期利息8.5折"
    eight = InterestCouponTerms(CouponKind.RATE_DISCOUNT, factor=Decimal("0.80"), periods=6)
    assert eight.describe_zh() == "前6期利息8折"
    off = InterestCouponTerms(CouponKind.INTEREST_OFF, amount_off=5000)
    assert off.describe_zh() == "减息50.00元"
