"""A merchant's refund comes off the last installments of an interest-free purchase: the
installments left keep what they ask, the current one keeps what the borrower paid towards
it, and an installment already paid stays paid — also after an earlier refund or prepayment
in the same period, and on a due date.

The oracle: 12,000 yuan in 12 installments of 1,000; a refund of R takes R off the principal
left, the last installments first, so the installments still owed are as many 1,000s as fit
and the remainder. Before the fix a second refund in a period doubled the installment (2,000.01
a month), a refund on a paid due date reopened that installment (overdue, a penalty charged)
and a part payment towards the current installment was lost from it.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

from thinfile.loanmath import LoanTerms, RepaymentMethod, build_schedule
from thinfile.money import Money
from thinfile.servicing import (
    LoanStatus,
    Outcome,
    PrepaymentMode,
    check_loan,
    close_through,
    merchant_refund,
    open_loan,
    pay,
    prepay,
    standard_product,
)
from thinfile.servicing.purchase_refund import SubsidyOnRefund

START = date(2026, 12, 6)
LEVEL = 100_000


class _Purchase:
    def __init__(self) -> None:
        method = RepaymentMethod.ZERO_INTEREST
        terms = LoanTerms(Money(12 * LEVEL), Decimal(0), 12, method, START)
        product = replace(standard_product(method), prepayment_mode=PrepaymentMode.SHORTEN_TERM)
        opened = open_loan(1, build_schedule(terms), product, merchant="m")
        self.loan, self.entries = opened.loan, list(opened.entries)

    def step(self, outcome: Outcome) -> None:
        self.loan = outcome.loan
        self.entries.extend(outcome.entries)

    def on(self, day: date) -> None:
        """Close business through the day before ``day``."""
        if day - timedelta(days=1) > self.loan.cob_date:
            self.step(close_through(self.loan, day - timedelta(days=1)))

    def still_owed(self) -> list[int]:
        return [i.principal_due - i.principal_paid for i in self.loan.installments]


def _from_the_back(owed: list[int], refund: int) -> list[int]:
    """``owed`` per installment with ``refund`` taken off the last ones first."""
    rows = list(owed)
    for j in range(len(rows) - 1, -1, -1):
        taken = min(refund, rows[j])
        rows[j] -= taken
        refund -= taken
    return rows


def _owed(book: _Purchase) -> list[int]:
    """The installments still owed, the ones cut to nothing left out (dropped rows go)."""
    owed = book.still_owed()
    while owed and owed[-1] == 0:
        owed.pop()
    return owed


def _trim(rows: list[int]) -> list[int]:
    while rows and rows[-1] == 0:
        rows.pop()
    return rows


def test_a_second_refund_in_the_same_period_keeps_the_installment():
    book = _Purchase()
    on = START + timedelta(days=5)
    book.on(on)
    book.step(merchant_refund(book.loan, Money(100_001), on))
    book.step(merchant_refund(book.loan, Money(33_333), on))
    expected = _trim(_from_the_back([LEVEL] * 12, 133_334))
    assert expected == [LEVEL] * 10 + [66_666]
    assert _owed(book) == expected
    check_loan(book.loan, book.entries)


def test_a_refund_on_a_paid_due_date_leaves_that_installment_paid():
    book = _Purchase()
    for due in [i.due for i in book.loan.installments[:3]]:
        book.on(due)
        book.step(pay(book.loan, Money(LEVEL), due))
    due_3 = book.loan.installments[2].due
    book.step(merchant_refund(book.loan, Money(240_000), due_3))
    assert _owed(book) == _trim(_from_the_back([0, 0, 0] + [LEVEL] * 9, 240_000))
    book.on(due_3 + timedelta(days=7))
    assert all(i.penalty_due == 0 for i in book.loan.installments)
    assert book.loan.status is LoanStatus.ACTIVE
    assert all(i.is_settled for i in book.loan.installments if i.due <= due_3)
    check_loan(book.loan, book.entries)


def test_a_part_payment_towards_the_current_installment_stays_with_it():
    book = _Purchase()
    book.on(START + timedelta(days=10))
    book.step(pay(book.loan, Money(50_000), START + timedelta(days=10)))
    on = START + timedelta(days=20)
    book.on(on)
    book.step(merchant_refund(book.loan, Money(240_000), on))
    assert _owed(book) == _trim(_from_the_back([50_000] + [LEVEL] * 11, 240_000))
    check_loan(book.loan, book.entries)


def test_a_refund_after_a_prepayment_in_the_same_period_keeps_the_installment():
    """1,500 prepaid on day 5 covers installment 1 and cuts 500 off the last; a 2,000
    refund on day 10 then comes off the last installments too."""
    book = _Purchase()
    book.on(START + timedelta(days=5))
    book.step(prepay(book.loan, Money(150_000), START + timedelta(days=5)))
    on = START + timedelta(days=10)
    book.on(on)
    book.step(merchant_refund(book.loan, Money(200_000), on))
    assert _owed(book) == _trim(_from_the_back([0] + [LEVEL] * 11, 50_000 + 200_000))
    check_loan(book.loan, book.entries)


def test_a_refund_above_every_later_installment_cuts_the_current_one_too():
    book = _Purchase()
    on = START + timedelta(days=5)
    book.on(on)
    book.step(merchant_refund(book.loan, Money(1_150_000), on))
    assert _owed(book) == [50_000]
    check_loan(book.loan, book.entries)


def _overdue_ten_days() -> tuple[_Purchase, date]:
    """Nothing paid; installment 1 ten days past due, charged its penalty."""
    book = _Purchase()
    on = book.loan.installments[0].due + timedelta(days=10)
    book.on(on)
    assert book.loan.installments[0].penalty_due > 0
    return book, on


def test_a_refund_of_the_whole_purchase_overdue_closes_the_loan():
    """12,000 refunded ten days after installment 1 fell due unpaid: the purchase is unwound
    — no principal is left, the penalty charged on it is forgiven (the refund is the price
    taken back, not a payment of the penalty), the loan closes and nothing is held for the
    borrower, who paid nothing. The refund paid the penalty first and left it as principal
    owed on installment 2, which then aged into delinquency."""
    book, on = _overdue_ten_days()
    book.step(merchant_refund(book.loan, Money(12 * LEVEL), on))
    assert book.still_owed() == [0] * len(book.loan.installments)
    assert all(i.penalty_due == i.penalty_paid for i in book.loan.installments)
    assert book.loan.status is LoanStatus.CLOSED
    assert book.loan.credit == 0
    check_loan(book.loan, book.entries)


def test_a_part_refund_on_an_overdue_purchase_leaves_its_penalty_owed():
    """2,400 refunded ten days after installment 1 fell due unpaid: the refund settles the
    past-due installment first (documented), the rest comes off the last installments, and
    what the borrower owes falls by exactly 2,400 — the penalty included in what is owed."""
    book, on = _overdue_ten_days()
    owed_before = sum(i.unpaid.total for i in book.loan.installments)
    book.step(merchant_refund(book.loan, Money(240_000), on))
    assert sum(i.unpaid.total for i in book.loan.installments) == owed_before - 240_000
    assert book.loan.status is LoanStatus.ACTIVE
    check_loan(book.loan, book.entries)


def test_a_checkout_refund_of_the_whole_purchase_gives_back_the_penalty_paid():
    """Installment 1 paid ten days late with its penalty, then the whole purchase refunded
    at checkout: everything the borrower paid — the installment and the penalty interest
    (罚息) — is held for them; the loan closes owing nothing."""
    book, on = _overdue_ten_days()
    first = book.loan.installments[0]
    paid = first.unpaid.total
    book.step(pay(book.loan, Money(paid), on))
    assert book.loan.installments[0].penalty_paid == first.penalty_due > 0
    book.step(merchant_refund(book.loan, Money(12 * LEVEL), on, unearned=SubsidyOnRefund.KEEP))
    assert book.loan.status is LoanStatus.CLOSED
    assert book.loan.credit == paid
    check_loan(book.loan, book.entries)
