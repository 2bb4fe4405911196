"""A re-age moves the arrears' principal onto the installments not yet due without interest
on it; a prepayment, a merchant refund or a term extension afterwards must not start charging
interest on it, and a payoff after a part prepayment must not count it as lent.

The oracle here knows only the loan (12,000 at 18 %, twelve months from 2026-01-31, rate
1.5 % a month), the arrears re-aged (installment 1's principal, 92,016 fen, spread over the
eleven installments left, the first ones a fen larger) and the amounts each installment asks:
the principal bearing interest at a period's start is the principal left less the re-aged
shares left, and a period's own interest is 1.5 % of it (the loan's half-even rounding, within
a fen). Before the fix, the next period after a 3,000 prepayment asked 12.55 more.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import ROUND_HALF_EVEN, Decimal

from tests.unit.test_servicing_money_rules import issue_loan
from thinfile.money import Money
from thinfile.servicing import (
    LoanAccount,
    LoanStatus,
    Outcome,
    ServicingProduct,
    check_loan,
    close_through,
    merchant_refund,
    open_loan,
    pay,
    payoff_quote,
    prepay,
)
from thinfile.servicing.reschedule import re_age, term_extension

RATE = Decimal("0.015")
ARREARS = 92_016
"""Installment 1's principal (12,000 at 18 % over 12 months: level 1,100.16, interest 180.00)."""
RE_AGED_ON = date(2026, 3, 21)


def _shares() -> dict[int, int]:
    base, extra = divmod(ARREARS, 11)
    return {n: base + (1 if n - 2 < extra else 0) for n in range(2, 13)}


class _Book:
    """A loan and its journal, kept together as operations are applied."""

    def __init__(self) -> None:
        opened_loan = open_loan(1, issue_loan().schedule, ServicingProduct())
        self.entries = list(opened_loan.entries)
        self.loan = self.step(close_through(opened_loan.loan, RE_AGED_ON - timedelta(days=1)))
        self.loan = self.step(re_age(self.loan, RE_AGED_ON))

    def step(self, outcome: Outcome) -> LoanAccount:
        self.entries.extend(outcome.entries)
        self.loan = outcome.loan
        return outcome.loan

    def through(self, day: date) -> None:
        self.step(close_through(self.loan, day))


def _own_interest_is_on_bearing_principal_only(loan: LoanAccount, after: date) -> int:
    """Check every installment whose period begins after ``after``; returns how many."""
    shares = _shares()
    rows = [i for i in loan.installments if i.n >= 2]
    checked = 0
    for k, row in enumerate(rows):
        if row.start <= after:
            continue
        left = sum(r.principal_due - r.principal_paid for r in rows[k:])
        re_aged = sum(shares.get(r.n, 0) for r in rows[k:])
        expected = (Decimal(left - re_aged) * RATE).quantize(Decimal(1), ROUND_HALF_EVEN)
        own = row.interest_due - row.interest_carried
        assert abs(own - int(expected)) <= 1, (row.n, own, expected, left, re_aged)
        checked += 1
    return checked


def test_the_re_age_itself_leaves_each_period_its_own_interest():
    book = _Book()
    assert _own_interest_is_on_bearing_principal_only(book.loan, RE_AGED_ON) == 10
    assert [i.principal_carried for i in book.loan.installments[1:]] == list(_shares().values())


def test_a_prepayment_after_a_re_age_charges_no_interest_on_the_re_aged_principal():
    book = _Book()
    book.through(date(2026, 3, 24))
    on = date(2026, 3, 25)
    book.step(prepay(book.loan, Money.of("3000"), on))
    assert _own_interest_is_on_bearing_principal_only(book.loan, on) == 10
    # period 2 (2026-02-28 to 03-31): 25 days on what bore interest before the prepayment
    # (installment 1's principal was never part of it), 6 days on what bears it after
    period_2 = book.loan.installments[1]
    assert period_2.principal_due == period_2.principal_paid  # paid ahead by the prepayment
    before = 1_200_000 - ARREARS
    after = sum(i.principal_due - i.principal_paid for i in book.loan.installments[2:]) - sum(
        s for n, s in _shares().items() if n >= 3
    )
    own = period_2.interest_due - period_2.interest_carried
    expected = Decimal(before) * RATE * 25 / 31 + Decimal(after) * RATE * 6 / 31
    assert abs(own - expected) <= 1, (own, expected)
    book.through(date(2026, 4, 29))
    quote = payoff_quote(book.loan, date(2026, 4, 30))
    book.step(pay(book.loan, quote, date(2026, 4, 30)))
    assert book.loan.status is LoanStatus.CLOSED and book.loan.credit == 0
    check_loan(book.loan, book.entries)


def test_a_payoff_after_a_part_prepayment_counts_only_principal_bearing_interest_as_lent():
    """A part prepayment on 03-25 restates period 2; a payoff on 03-28 asks its interest for
    25 days on the principal bearing it before and 3 days on what bears it after."""
    book = _Book()
    book.through(date(2026, 3, 24))
    book.step(pay(book.loan, Money.of("2000"), date(2026, 3, 25)))  # period 2's installment
    book.step(prepay(book.loan, Money.of("1000"), date(2026, 3, 25)))
    book.through(date(2026, 3, 27))
    rows = book.loan.installments
    quote = payoff_quote(book.loan, date(2026, 3, 28)).fen
    principal = sum(i.principal_due - i.principal_paid for i in rows)
    carried = sum(i.interest_carried + i.fee_carried for i in rows[2:])
    # a re-aged share is repaid last of its installment's principal
    unpaid_2 = rows[1].principal_due - rows[1].principal_paid
    re_aged = min(_shares()[2], unpaid_2) + sum(s for n, s in _shares().items() if n >= 3)
    bearing_after = principal - re_aged
    # the days used: 25 on the original bearing principal, 3 on what bears it after
    before = 1_200_000 - ARREARS
    used = Decimal(before) * RATE * 25 / 31 + Decimal(bearing_after) * RATE * 3 / 31
    owed = principal + carried + rows[1].interest_carried + used - rows[1].interest_paid
    assert abs(quote - owed) <= 2, (quote, owed)
    book.step(pay(book.loan, Money(quote), date(2026, 3, 28)))
    assert book.loan.status is LoanStatus.CLOSED and book.loan.credit == 0
    check_loan(book.loan, book.entries)


def test_a_prepayment_before_a_period_begins_keeps_the_re_aged_shares_without_interest():
    """Paid on a due date with money beyond the installment: the next period has not begun,
    so its own principal is re-planned too (the spread path)."""
    book = _Book()
    book.through(date(2026, 3, 30))
    due = date(2026, 3, 31)
    book.step(pay(book.loan, Money(book.loan.installments[1].unpaid.total), due))
    book.step(prepay(book.loan, Money.of("2500"), due))
    assert _own_interest_is_on_bearing_principal_only(book.loan, due - timedelta(days=1)) >= 9
    assert [i.principal_carried for i in book.loan.installments[2:]] == [
        s for n, s in _shares().items() if n >= 3
    ]
    check_loan(book.loan, book.entries)


def test_a_merchant_refund_after_a_re_age_keeps_the_re_aged_shares_without_interest():
    book = _Book()
    book.through(date(2026, 4, 9))
    on = date(2026, 4, 10)
    book.step(merchant_refund(book.loan, Money.of("1500"), on))
    assert _own_interest_is_on_bearing_principal_only(book.loan, on) == 9
    check_loan(book.loan, book.entries)


def test_a_term_extension_after_a_re_age_re_plans_only_the_principal_bearing_interest():
    book = _Book()
    book.through(date(2026, 4, 9))
    on = date(2026, 4, 10)
    book.step(term_extension(book.loan, on, 3))
    assert len(book.loan.installments) == 15
    assert _own_interest_is_on_bearing_principal_only(book.loan, on) == 12
    assert [i.principal_carried for i in book.loan.installments[3:12]] == [
        s for n, s in _shares().items() if n >= 4
    ]
    check_loan(book.loan, book.entries)


def test_a_prepayment_of_nearly_everything_takes_the_re_aged_principal_last():
    """3,000 short of the payoff: the part bearing interest is cut first, what is left is
    re-aged principal on the last installments, and it asks no interest."""
    book = _Book()
    book.through(date(2026, 4, 9))
    on = date(2026, 4, 10)
    quote = payoff_quote(book.loan, on)
    book.step(prepay(book.loan, quote - Money.of("300"), on))
    later = [i for i in book.loan.installments if i.start > on]
    assert sum(i.interest_due - i.interest_carried for i in later) == 0
    assert all(i.principal_due == i.principal_carried for i in later if i.principal_due)
    check_loan(book.loan, book.entries)
