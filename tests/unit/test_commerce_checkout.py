"""The checkout session's rules without a database: orders, URLs, terms, the state machine,
how a refund is shared over captures, and what a refund on a subsidised loan unwinds."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from thinfile.commerce import (
    CheckoutAmounts,
    CheckoutStatus,
    MerchantContract,
    OrderLine,
    TermPricing,
    allowed_terms,
    check_order,
    redirect_url,
    split_refund,
    status_at,
)
from thinfile.errors import CheckoutStateError, InvalidInputError
from thinfile.loanmath import LoanTerms, RepaymentMethod, build_schedule
from thinfile.money import Money
from thinfile.servicing import (
    Account,
    Outcome,
    PrepaymentMode,
    SubsidyOnRefund,
    account_balances,
    close_through,
    merchant_refund,
    open_loan,
    pay,
    standard_product,
)
from thinfile.servicing.invariants import ledger_matches_account

CONTRACT = MerchantContract((TermPricing(3, Decimal("0.02")), TermPricing(12, Decimal("0.075"))))


def line(quantity: int = 1, price: str = "100", sku: str = "SKU-1") -> OrderLine:
    return OrderLine("电动车", sku, quantity, Money.of(price))


def fresh() -> CheckoutAmounts:
    zero = Money(0)
    return CheckoutAmounts(CheckoutStatus.OPEN, zero, zero, zero, zero)


def test_an_order_is_its_lines_added_up() -> None:
    assert check_order([line(2, "5000"), line(4, "500")], Money.of("12000")) == Money(1_200_000)
    with pytest.raises(InvalidInputError) as off:
        check_order([line(2, "5000")], Money.of("10000.01"))
    assert off.value.field == "total"


@pytest.mark.parametrize(
    ("bad", "field"),
    [
        (line(0), "lines[0].quantity"),
        (line(10_000), "lines[0].quantity"),
        (line(price="0"), "lines[0].unit_price"),
        (line(price="200000.01"), "lines[0].unit_price"),
        (line(sku="two words"), "lines[0].sku"),
        (line(sku="ＳＫＵ"), "lines[0].sku"),
        (OrderLine("", "S", 1, Money(1)), "lines[0].name"),
        (OrderLine("a\u202eb", "S", 1, Money(1)), "lines[0].name"),
    ],
)
def test_a_bad_line_is_named(bad: OrderLine, field: str) -> None:
    with pytest.raises(InvalidInputError) as refused:
        check_order([bad], bad.amount)
    assert refused.value.field == field


def test_an_order_has_one_to_a_hundred_lines_and_is_bounded() -> None:
    with pytest.raises(InvalidInputError):
        check_order([], Money(0))
    with pytest.raises(InvalidInputError):
        check_order([line()] * 101, Money(1_010_000))
    with pytest.raises(InvalidInputError) as big:
        check_order([line(2, "150000")], Money.of("300000"))
    assert big.value.field == "total"


@pytest.mark.parametrize(
    "url",
    [
        "http://shop.example/x",
        "javascript:alert(1)",
        "https:///nohost",
        "https://user:pw@shop.example/",
        "https://shop.example/a b",
        "https://商店.example/",
        "/relative",
    ],
)
def test_redirect_urls_are_absolute_https(url: str) -> None:
    with pytest.raises(InvalidInputError) as refused:
        redirect_url(url, "success_url")
    assert refused.value.field == "success_url"


def test_redirect_urls_accept_https_and_local_http() -> None:
    assert redirect_url("https://shop.example/o/1?x=2", "u") == "https://shop.example/o/1?x=2"
    assert redirect_url("http://localhost:8000/done", "u").startswith("http://localhost")


def test_allowed_terms_are_a_subset_of_the_contract() -> None:
    assert allowed_terms(None, CONTRACT) == (3, 12)
    assert allowed_terms([12, 12], CONTRACT) == (12,)
    for bad in ([6], [], [3, 24]):
        with pytest.raises(InvalidInputError) as refused:
            allowed_terms(bad, CONTRACT)
        assert refused.value.field == "allowed_terms"


def test_an_open_session_past_its_expiry_is_expired() -> None:
    at = datetime(2026, 1, 1, tzinfo=UTC)
    assert status_at(CheckoutStatus.OPEN, at, at - timedelta(seconds=1)) is CheckoutStatus.OPEN
    assert status_at(CheckoutStatus.OPEN, at, at) is CheckoutStatus.EXPIRED
    assert status_at(CheckoutStatus.AUTHORIZED, at, at) is CheckoutStatus.AUTHORIZED


def test_the_state_machine_from_authorization_to_refunds() -> None:
    state = fresh().authorize(Money(10_000))
    state = state.capture(Money(4_000))
    assert state.status is CheckoutStatus.PARTIALLY_CAPTURED
    with pytest.raises(InvalidInputError):
        state.capture(Money(6_001))
    state = state.capture(Money(6_000))
    assert state.status is CheckoutStatus.CAPTURED
    with pytest.raises(CheckoutStateError):
        state.capture(Money(1))
    with pytest.raises(CheckoutStateError):
        state.void()
    state = state.refund(Money(9_999))
    with pytest.raises(InvalidInputError):
        state.refund(Money(2))
    assert state.refund(Money(1)).refundable == Money(0)


def test_void_ends_a_session_closed_or_voided() -> None:
    part = fresh().authorize(Money(10_000)).capture(Money(3_000)).void()
    assert part.status is CheckoutStatus.CLOSED and part.voided == Money(7_000)
    assert fresh().void().status is CheckoutStatus.VOIDED
    with pytest.raises(CheckoutStateError):
        fresh().decline().authorize(Money(1))
    for bad in (Money(0), Money(-1)):
        with pytest.raises(InvalidInputError):
            fresh().authorize(Money(5)).capture(bad)


def test_a_session_that_captured_nothing_is_in_the_wrong_state_for_a_refund() -> None:
    """Open, authorized, declined, voided: a refund is refused as a capture on a voided
    session is — the session's state, not the amount, is what to change."""
    for state in (
        fresh(),
        fresh().authorize(Money(10_000)),
        fresh().decline(),
        fresh().authorize(Money(10_000)).void(),
    ):
        with pytest.raises(CheckoutStateError) as refused:
            state.refund(Money(1))
        assert refused.value.field == "status" and refused.value.value == state.status.value


@pytest.mark.parametrize(
    ("state", "message"),
    [
        (fresh(), "an open session cannot be refunded"),
        (fresh().authorize(Money(10_000)), "an authorized session cannot be refunded"),
        (fresh().decline(), "a declined session cannot be refunded"),
    ],
)
def test_a_refusal_names_the_state_with_its_article(state: CheckoutAmounts, message: str) -> None:
    with pytest.raises(CheckoutStateError) as refused:
        state.refund(Money(1))
    assert refused.value.message == message


def test_a_refund_is_shared_over_the_captures_newest_first() -> None:
    captures = [(0, Money(7_000)), (1, Money(0)), (2, Money(5_000))]
    assert split_refund(captures, Money(6_000)) == [(2, Money(5_000)), (0, Money(1_000))]
    with pytest.raises(InvalidInputError):
        split_refund(captures, Money(12_001))


def _loan(subsidy: int) -> tuple[Outcome, date]:
    start = date(2026, 1, 1)
    terms = LoanTerms(Money(1_200_000), Decimal(0), 12, RepaymentMethod.ZERO_INTEREST, start)
    product = replace(
        standard_product(RepaymentMethod.ZERO_INTEREST),
        prepayment_mode=PrepaymentMode.SHORTEN_TERM,
    )
    opened = open_loan(1, build_schedule(terms), product, subsidy=subsidy, merchant="m")
    return opened, start


@pytest.mark.parametrize("policy", list(SubsidyOnRefund))
def test_a_refund_unwinds_its_share_of_the_deferred_subsidy(policy: SubsidyOnRefund) -> None:
    opened, start = _loan(90_000)
    done = opened
    for k in range(3):  # three installments paid on their due dates
        due = opened.loan.installments[k].due
        done = done.then(close_through(done.loan, due - timedelta(days=1)))
        done = done.then(pay(done.loan, Money(100_000), due))
    on = opened.loan.installments[2].due + timedelta(days=1)
    done = done.then(close_through(done.loan, on - timedelta(days=1)))
    deferred = done.loan.subsidy - done.loan.subsidy_recognized
    refunded = done.then(merchant_refund(done.loan, Money(240_000), on, unearned=policy))
    share = refunded.entries[len(done.entries)]
    expected = int((Decimal(deferred) * 2400 / 9000).quantize(Decimal(1), "ROUND_HALF_UP"))
    assert share.kind == "subsidy-unwind"
    target = (
        Account.CASH if policy is SubsidyOnRefund.RETURN_TO_MERCHANT else (Account.INTEREST_INCOME)
    )
    assert share.amount_of(target) == -expected
    assert refunded.loan.subsidy - refunded.loan.subsidy_recognized == deferred - expected
    assert ledger_matches_account(refunded.loan, refunded.entries) == []
    unpaid = [i.principal_due - i.principal_paid for i in refunded.loan.installments]
    assert [u for u in unpaid if u] == [100_000] * 6 + [60_000]
    assert start < on


def test_a_full_refund_returns_the_fees_paid_and_all_the_deferred_subsidy() -> None:
    start = date(2026, 1, 1)
    terms = LoanTerms(
        Money(600_000),
        Decimal(0),
        6,
        RepaymentMethod.FEE_INSTALLMENT,
        start,
        monthly_fee_rate=Decimal("0.005"),
    )
    product = standard_product(RepaymentMethod.FEE_INSTALLMENT)
    opened = open_loan(1, build_schedule(terms), product, subsidy=6_000, merchant="m")
    due = opened.loan.installments[0].due
    done = opened.then(close_through(opened.loan, due - timedelta(days=1)))
    done = done.then(pay(done.loan, Money(103_000), due))  # 1,000 principal + 30 fee
    on = due + timedelta(days=1)
    done = done.then(close_through(done.loan, due))
    out = done.then(merchant_refund(done.loan, Money(600_000), on, unearned=SubsidyOnRefund.KEEP))
    kinds = [e.kind for e in out.entries[len(done.entries) :]]
    assert kinds == ["subsidy-unwind", "merchant-refund", "cost-rebate"]
    # held for the borrower: the 1,000 principal they paid and the 30 fee
    assert out.loan.credit == 103_000 and out.loan.status.value == "closed"
    assert out.loan.subsidy_recognized == out.loan.subsidy
    balances = account_balances(out.entries)
    assert balances.get(Account.DEFERRED_SUBSIDY, 0) == 0
    assert balances.get(Account.FEE_INCOME, 0) == 0  # the fee earned was given back
    assert ledger_matches_account(out.loan, out.entries) == []
