"""Payments, prepayments, payoff quotes, refunds and bad input, loan by loan."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from tests.unit.servicing_builders import a_loan, opened
from thinfile.errors import ConflictError, CurrencyMismatchError, InvalidInputError
from thinfile.loanmath import DefaultTerms, RepaymentMethod
from thinfile.money import Money
from thinfile.servicing import (
    Account,
    BeyondPayoff,
    Component,
    CreditLine,
    InvariantViolation,
    LoanStatus,
    PrepaymentMode,
    ServicingProduct,
    Timing,
    change_limit,
    check_draw,
    check_loan,
    close_through,
    merchant_refund,
    pay,
    payoff_quote,
    prepay,
)

FEB1, FEB2 = date(2025, 2, 1), date(2025, 2, 2)


def closed_to(loan, day):
    return close_through(loan, day).loan


def test_an_exact_installment_pays_interest_then_principal_and_leaves_nothing_due():
    loan = closed_to(a_loan(), FEB1)
    first = loan.installments[0]
    done = pay(loan, Money(first.principal_due + first.interest_due), FEB2)
    assert done.loan.installments[0].is_settled
    assert done.loan.credit == 0
    entry = done.entries[0]
    assert entry.amount_of(Account.INTEREST_RECEIVABLE) == -first.interest_due
    assert entry.amount_of(Account.LOANS_RECEIVABLE) == -first.principal_due


def test_a_partial_payment_goes_to_penalty_fees_and_interest_before_principal():
    product = ServicingProduct(
        defaults=DefaultTerms(grace_days=0, late_fee=1000, late_fee_cap=3000)
    )
    loan = closed_to(a_loan("1200000", product=product), date(2025, 2, 10))
    first = loan.installments[0]
    assert first.penalty_due > 0 and first.fee_due == 1000
    done = pay(loan, Money(first.penalty_due + 1000 + 500), date(2025, 2, 11))
    row = done.loan.installments[0]
    assert row.penalty_paid == first.penalty_due and row.fee_paid == 1000
    assert row.interest_paid == 500 and row.principal_paid == 0


def test_a_product_can_take_principal_before_interest():
    order = (
        (Timing.PAST_DUE, Component.PRINCIPAL),
        (Timing.PAST_DUE, Component.INTEREST),
        (Timing.PAST_DUE, Component.FEE),
        (Timing.PAST_DUE, Component.PENALTY),
        (Timing.DUE, Component.PRINCIPAL),
        (Timing.DUE, Component.INTEREST),
        (Timing.DUE, Component.FEE),
        (Timing.DUE, Component.PENALTY),
    )
    loan = closed_to(a_loan(product=ServicingProduct(allocation=order)), FEB1)
    done = pay(loan, Money(100), FEB2)
    assert done.loan.installments[0].principal_paid == 100


def test_interest_cannot_be_collected_in_advance():
    with pytest.raises(InvalidInputError, match=r"art\. 677"):
        ServicingProduct(allocation=((Timing.IN_ADVANCE, Component.INTEREST),))


@pytest.mark.parametrize("posting", [pay, prepay])
def test_money_beyond_the_payoff_is_refused_naming_the_payoff(posting):
    loan = a_loan("1000", "0.12", 1)
    quote = payoff_quote(loan, date(2025, 1, 1))
    with pytest.raises(InvalidInputError) as refused:
        posting(loan, quote + Money(1), date(2025, 1, 1))
    assert refused.value.field == "amount" and str(quote) in refused.value.message


def test_a_product_that_holds_money_beyond_the_payoff_keeps_it_as_a_refundable_liability():
    loan = a_loan("1000", "0.12", 1, product=ServicingProduct(beyond_payoff=BeyondPayoff.HOLD))
    quote = payoff_quote(loan, date(2025, 1, 1))
    done = pay(loan, quote + Money(500), date(2025, 1, 1))
    assert done.loan.status is LoanStatus.CLOSED
    assert done.loan.credit == 500
    assert done.entries[0].amount_of(Account.OVERPAYMENT_LIABILITY) == -500


def test_a_product_that_refunds_money_beyond_the_payoff_returns_it_in_the_same_posting():
    loan = a_loan("1000", "0.12", 1, product=ServicingProduct(beyond_payoff=BeyondPayoff.REFUND))
    quote = payoff_quote(loan, date(2025, 1, 1))
    done = pay(loan, quote + Money(500), date(2025, 1, 1))
    assert done.loan.status is LoanStatus.CLOSED and done.loan.credit == 0
    refund = done.entries[1]
    assert refund.kind == "overpayment-refund" and refund.amount_of(Account.CASH) == -500


def test_a_payoff_charges_interest_only_for_the_days_used():
    loan = closed_to(a_loan("12000", "0.12", 12), date(2025, 1, 10))
    quote = payoff_quote(loan, date(2025, 1, 11))
    # 10 days of a 31-day period: 120.00 × 10 / 31 = 38.70 (truncated), not 120.00
    assert quote == Money.of("12038.70")
    done = prepay(loan, quote, date(2025, 1, 11))
    assert done.loan.status is LoanStatus.CLOSED and done.loan.credit == 0
    assert sum(i.interest_due for i in done.loan.installments) == 3870
    check_loan(
        done.loan,
        opened().entries + close_through(a_loan(), date(2025, 1, 10)).entries + done.entries,
    )


@pytest.mark.parametrize("mode", list(PrepaymentMode))
def test_a_partial_prepayment_re_amortizes_by_the_chosen_mode(mode):
    loan = closed_to(a_loan(), date(2025, 2, 1))
    first = loan.installments[0]
    loan = pay(loan, Money(first.principal_due + first.interest_due), FEB2).loan
    done = prepay(loan, Money.of("3000"), FEB2, mode=mode).loan
    future = done.installments[2:]
    old = loan.installments[2:]
    if mode is PrepaymentMode.REDUCE_INSTALLMENT:
        assert len(future) == len(old)
        assert future[0].principal_due + future[0].interest_due < (
            old[0].principal_due + old[0].interest_due
        )
    else:
        assert len(future) < len(old)
    assert sum(i.principal_due for i in done.installments) == 1_200_000


def test_a_merchant_refund_reduces_principal_and_lowers_the_installments():
    loan = a_loan("6000", "0", 6, method=RepaymentMethod.ZERO_INTEREST)
    done = merchant_refund(loan, Money.of("1200"), date(2025, 1, 1))
    assert [i.principal_due for i in done.loan.installments[1:]] == [80000] * 5
    assert done.entries[0].kind == "merchant-refund"


def test_penalty_interest_is_capped_at_one_and_a_half_times_and_at_24_percent():
    product = ServicingProduct()
    assert product.penalty_rate(Decimal("0.12")) == Decimal("0.18")
    assert product.penalty_rate(Decimal("0.20")) == Decimal("0.24")
    with pytest.raises(InvalidInputError):
        DefaultTerms(penalty_uplift=Decimal("0.6"))


def test_late_fees_stop_at_the_cap():
    product = ServicingProduct(
        defaults=DefaultTerms(grace_days=0, late_fee=2000, late_fee_cap=3000)
    )
    loan = closed_to(a_loan("1200000", product=product), date(2025, 5, 5))
    assert loan.late_fees_charged == 3000
    assert [i.fee_due for i in loan.installments[:4]] == [2000, 1000, 0, 0]


def test_bad_input_is_refused_with_a_typed_error():
    loan = a_loan()
    with pytest.raises(InvalidInputError) as negative:
        pay(loan, Money(-100), date(2025, 1, 1))
    assert negative.value.field == "amount"
    with pytest.raises(CurrencyMismatchError):
        pay(loan, Money(100, "USD"), date(2025, 1, 1))
    with pytest.raises(InvalidInputError) as early:
        pay(loan, Money(100), date(2024, 12, 31))
    assert early.value.field == "on"
    with pytest.raises(ConflictError):
        pay(loan, Money(100), date(2025, 1, 5))  # days before it are not closed


def test_the_invariant_check_catches_a_ledger_that_disagrees_with_the_account():
    done = opened()
    with pytest.raises(InvariantViolation, match="ledger_matches_account"):
        check_loan(pay(closed_to(done.loan, FEB1), Money(100), FEB2).loan, done.entries)


def test_a_credit_line_lends_only_what_is_available_and_records_limit_changes():
    line = CreditLine(7, Money.of("5000"))
    assert line.available(300_000) == Money.of("2000")
    check_draw(line, 300_000, Money.of("2000"))
    with pytest.raises(ConflictError):
        check_draw(line, 300_000, Money.of("2000.01"))
    line, change = change_limit(
        line, Money.of("8000"), "limit review: on-time payer", date(2025, 3, 1)
    )
    assert (change.old_limit, change.new_limit) == (500_000, 800_000)
    with pytest.raises(InvalidInputError):
        change_limit(line, Money.of("1"), " ", date(2025, 3, 1))


def test_delinquency_buckets_move_month_by_month_and_charge_off_at_the_configured_day():
    loan = a_loan(product=ServicingProduct(charge_off_days=90))
    done = close_through(loan, FEB1 + timedelta(days=95))
    assert [m.to_bucket for m in done.moves] == ["M1", "M2", "M3"]
    assert done.loan.status is LoanStatus.CHARGED_OFF
    assert done.entries[-1].kind == "charge-off"
