"""A campaign's lender share of the subsidy (平台贴息): the merchant pays its share, the lender
the rest as marketing expense; the loan is carried at the financed amount less the whole
subsidy and recognises all of it; a refund unwinds the lender's part of what is still
deferred back out of marketing expense and only the merchant's part goes back to the merchant
(or becomes income when the contract keeps it).

Expected figures are worked out here with integer arithmetic (half up to the fen), never with
thinfile's own functions.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

import pytest

from thinfile.commerce import CouponFunder, TermPricing, purchase_money
from thinfile.commerce.purchase import Coupon
from thinfile.errors import InvalidInputError
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
    standard_product,
)
from thinfile.servicing.invariants import check_loan

START = date(2026, 1, 1)
PRICE = 1_200_000  # 12,000.00
SUBSIDY = 90_000  # 7.5 % of it
LENDER = 54_000  # the lender's 60 %


def half_up(numerator: int, denominator: int) -> int:
    """numerator / denominator rounded half up (both positive)."""
    return (2 * numerator + denominator) // (2 * denominator)


def _open(subsidy: int = SUBSIDY, lender: int = LENDER, financed: int = PRICE) -> Outcome:
    method = RepaymentMethod.ZERO_INTEREST
    terms = LoanTerms(Money(financed), Decimal(0), 12, method, START)
    product = replace(standard_product(method), prepayment_mode=PrepaymentMode.SHORTEN_TERM)
    return open_loan(
        1, build_schedule(terms), product, subsidy=subsidy, lender_subsidy=lender, merchant="m"
    )


def _ledger(done: Outcome) -> dict[Account, int]:
    return dict(account_balances(done.entries))


@pytest.mark.parametrize(
    ("price", "share", "coupon"),
    [
        (1_200_000, "0.4", None),
        (999_999, "0.333", Coupon(Money(10_000), CouponFunder.LENDER)),
        (123_457, "0", Coupon(Money(3_001), CouponFunder.MERCHANT)),
        (500_001, "1", None),
    ],
)
def test_the_price_is_paid_to_the_fen_by_the_merchant_the_lender_and_the_borrower(
    price: int, share: str, coupon: Coupon | None
) -> None:
    money = purchase_money(
        Money(price),
        TermPricing(12, subsidy_rate=Decimal("0.075")),
        coupon=coupon,
        merchant_share=Decimal(share),
    )
    off = coupon.amount.fen if coupon else 0
    financed = price - off
    subsidy = half_up(financed * 75, 1000)
    num, den = Decimal(share).as_integer_ratio()
    merchant = half_up(subsidy * num, den) if num else 0
    lender_coupon = off if coupon and coupon.funded_by is CouponFunder.LENDER else 0
    merchant_coupon = off - lender_coupon
    assert money.financed.fen == financed and money.subsidy.fen == subsidy
    assert (money.merchant_subsidy.fen, money.lender_subsidy.fen) == (merchant, subsidy - merchant)
    assert money.merchant_settlement.fen == price - merchant - merchant_coupon
    assert money.marketing_expense.fen == lender_coupon + subsidy - merchant
    # the merchant is paid what the lender puts into the loan plus its marketing money
    assert money.merchant_settlement == money.net_investment + money.marketing_expense


def test_opening_books_the_lenders_part_as_marketing_and_pays_the_merchant_that_much_more() -> None:
    done = _open()
    ledger = _ledger(done)
    assert ledger[Account.MARKETING_EXPENSE] == LENDER
    assert ledger[Account.CASH] == -(PRICE - (SUBSIDY - LENDER))
    assert ledger[Account.DEFERRED_SUBSIDY] == -SUBSIDY
    assert ledger[Account.LOANS_RECEIVABLE] == PRICE
    check_loan(done.loan, done.entries)  # raises on any broken invariant


@pytest.mark.parametrize("lender", [-1, SUBSIDY + 1])
def test_a_lender_part_outside_the_subsidy_is_refused(lender: int) -> None:
    with pytest.raises(InvalidInputError) as refused:
        _open(lender=lender)
    assert refused.value.field == "lender_subsidy"


def test_refunds_in_pieces_unwind_exactly_the_lenders_part_and_return_only_the_merchants() -> None:
    subsidy, lender, financed = 100_100, 33_301, 1_000_000  # shares that never divide evenly
    done = _open(subsidy, lender, financed)
    pieces = [70_001, 130_000, 1, 299_999, 250_000, 150_000, 99_999]
    assert sum(pieces) == financed
    refunded = 0
    for piece in pieces:
        deferred = done.loan.subsidy - done.loan.subsidy_recognized
        before = _ledger(done)
        done = done.then(
            merchant_refund(
                done.loan, Money(piece), START, unearned=SubsidyOnRefund.RETURN_TO_MERCHANT
            )
        )
        after = _ledger(done)
        share = deferred - (done.loan.subsidy - done.loan.subsidy_recognized)
        refunded += piece
        # the unwound share follows the principal refunded (nothing is recognised on day one)
        assert share == half_up(deferred * piece, financed - refunded + piece) or (
            refunded == financed and share == deferred
        )
        lender_part = before[Account.MARKETING_EXPENSE] - after.get(Account.MARKETING_EXPENSE, 0)
        # its lender part is the lender's share of it, to within the rounding of one fen
        assert abs(lender_part * subsidy - share * lender) <= subsidy
        merchant_part = (after[Account.CASH] - before[Account.CASH]) - piece
        assert merchant_part == -(share - lender_part)
        check_loan(done.loan, done.entries)  # raises on any broken invariant
    # everything refunded: the lender's marketing money is all back, the merchant was paid
    # back its own part only, and the lender's cash is where it started
    ledger = _ledger(done)
    assert ledger.get(Account.MARKETING_EXPENSE, 0) == 0
    assert ledger.get(Account.DEFERRED_SUBSIDY, 0) == 0
    assert ledger.get(Account.CASH, 0) == 0


def test_a_kept_subsidy_keeps_only_the_merchants_part_as_income_after_recognition() -> None:
    done = _open()
    done = done.then(close_through(done.loan, START + timedelta(days=40)))
    recognised = done.loan.subsidy_recognized
    assert 0 < recognised < SUBSIDY
    deferred = SUBSIDY - recognised
    income_before = _ledger(done).get(Account.INTEREST_INCOME, 0)
    assert income_before == -recognised  # the whole subsidy is the loan's income
    done = done.then(
        merchant_refund(
            done.loan, Money(PRICE), START + timedelta(days=41), unearned=SubsidyOnRefund.KEEP
        )
    )
    ledger = _ledger(done)
    lender_deferred = half_up(deferred * LENDER, SUBSIDY)
    # what was still deferred: the lender's part leaves marketing expense, the merchant's is
    # income the lender keeps
    assert ledger[Account.MARKETING_EXPENSE] == LENDER - lender_deferred
    assert ledger[Account.INTEREST_INCOME] == -(recognised + deferred - lender_deferred)
    assert ledger.get(Account.DEFERRED_SUBSIDY, 0) == 0
    check_loan(done.loan, done.entries)  # raises on any broken invariant
