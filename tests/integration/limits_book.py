"""A small book of credit lines built through the real services, closed by close of business:
a borrower who pays on time, one who stops paying, one who prepays, one who never draws."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from thinfile.money import Money
from thinfile.services.cob import run_cob
from thinfile.services.credit_lines import draw, open_credit_line
from thinfile.services.limit_features import record_line_income
from thinfile.services.loans import get_loan
from thinfile.services.payments import post_payment, prepay_loan

OPENED = date(2025, 1, 1)
REVIEW = date(2025, 5, 15)


@dataclass(frozen=True, slots=True)
class Book:
    good: int
    late: int
    prepaid: int
    idle: int
    draws: dict[int, int]
    twins: tuple[int, ...] = ()
    """Lines 5 to 7, drawn and repaid like ``good`` (line 7 falls in the control group)."""


def _installment(engine, loan_id: int, n: int) -> tuple[date, int]:
    i = get_loan(engine, loan_id).account.installments[n - 1]
    return i.due, i.principal_due + i.interest_due + i.fee_due


def build_book(engine, *, through: date = REVIEW) -> Book:
    """Seven lines opened on 1 January 2025; payments on their due dates; closed to ``through``."""
    rate = Decimal("0.18")
    lines = [
        open_credit_line(engine, Money.of(v), rate, OPENED).line.line_id
        for v in ("5000", "5000", "8000", "3000", "5000", "5000", "5000")
    ]
    good, late, prepaid, idle, *twins = lines
    loans = {
        line: draw(engine, line, Money.of("4000"), 12, OPENED).loan_id for line in (good, *twins)
    }
    loans |= {
        late: draw(engine, late, Money.of("4000"), 6, OPENED).loan_id,
        prepaid: draw(engine, prepaid, Money.of("6000"), 6, OPENED).loan_id,
    }
    payments: list[tuple[date, int, int]] = []
    for line in (good, *twins):
        for n in range(1, 5):
            due, amount = _installment(engine, loans[line], n)
            payments.append((due, loans[line], amount))
    for n in (1, 2):  # the late borrower pays twice, then stops
        due, amount = _installment(engine, loans[late], n)
        payments.append((due, loans[late], amount))
    due, amount = _installment(engine, loans[prepaid], 1)
    payments.append((due, loans[prepaid], amount))
    for on, loan_id, amount in sorted([*payments, (date(2025, 3, 10), loans[prepaid], -1)]):
        if on > through:
            continue
        run_cob(engine, date.fromordinal(on.toordinal() - 1))
        if amount < 0:
            prepay_loan(engine, loan_id, Money.of("2000"), on)
        else:
            post_payment(engine, loan_id, Money(amount), on)
    run_cob(engine, through)
    return Book(good, late, prepaid, idle, loans, tuple(twins))


def book_with_incomes(engine) -> Book:
    """:func:`build_book` to the review date, the good payers' incomes verified at 10,000."""
    book = build_book(engine)
    for line in (book.good, *book.twins):
        record_line_income(engine, line, Money.of("10000"), REVIEW, source="verified")
    return book
