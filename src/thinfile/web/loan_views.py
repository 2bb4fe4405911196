"""A loan as its pages show it: balances, what is due next, the schedule with what was paid,
the history — built from :func:`thinfile.services.loans.get_loan`, amounts kept in fen.

Also the payment forms' idempotency key: a fresh one in every rendered form, tied to its loan,
so a double submit (or a reload of the POST) posts once.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, replace
from datetime import date, timedelta

from sqlalchemy.engine import Engine

from thinfile.errors import InvalidInputError
from thinfile.loanmath import RepaymentMethod
from thinfile.money import Money
from thinfile.services.business_date import current_business_date
from thinfile.services.loan_receipts import PaymentReceipt
from thinfile.services.loans import LoanView, TransactionView
from thinfile.servicing import InstallmentState, LoanStatus, close_through

__all__ = [
    "LoanPage",
    "PlanRow",
    "ScheduleRow",
    "as_of",
    "business_date",
    "loan_page",
    "new_payment_key",
    "parse_amount",
    "payment_key",
]


@dataclass(frozen=True, slots=True)
class ScheduleRow:
    n: int
    due: date
    principal: int
    interest_and_fees: int
    penalty: int
    total: int
    paid: int
    state: str
    """``paid``, ``overdue``, ``part-paid``, ``due`` (the next one) or ``upcoming``."""


@dataclass(frozen=True, slots=True)
class PlanRow:
    """One installment of the schedule agreed at opening, with what was paid against it and
    what it still needs now (less when an early repayment re-amortized the rest)."""

    n: int
    due: date
    scheduled: int
    paid: int
    remaining: int
    state: str
    """``paid``, ``overdue``, ``part-paid``, ``due``, ``upcoming``, or ``repaid-early`` (no
    longer needed: the loan was repaid before it)."""

    @property
    def is_recalculated(self) -> bool:
        """The amount it needs changed after the loan was opened (an early repayment of
        principal re-amortized it)."""
        return self.state != "repaid-early" and self.paid + self.remaining != self.scheduled


@dataclass(frozen=True, slots=True)
class LoanPage:
    view: LoanView
    on: date
    schedule: tuple[ScheduleRow, ...]
    next_due: InstallmentState | None
    past_due: int
    payoff: Money | None
    receipts: tuple[PaymentReceipt, ...] = ()
    plan: tuple[PlanRow, ...] = ()

    @property
    def loan_id(self) -> int:
        return self.view.account.loan_id

    @property
    def status(self) -> str:
        return self.view.account.status.value

    @property
    def is_active(self) -> bool:
        return self.view.account.status is LoanStatus.ACTIVE

    @property
    def days_past_due(self) -> int:
        return self.view.account.days_past_due(self.on)

    @property
    def next_amount(self) -> int:
        """What to pay now to be up to date: anything past due and the next installment."""
        if self.next_due is None:
            return 0
        return self.past_due + (0 if self.next_due.due < self.on else self.next_due.unpaid.total)

    @property
    def charges_fee_on_amount_borrowed(self) -> bool:
        """A fee-priced loan: its monthly fee is on the principal lent at opening, so repaying
        part early does not lower it; only repaying everything stops it."""
        return self.view.account.schedule.terms.method is RepaymentMethod.FEE_INSTALLMENT

    @property
    def next_is_not_yet_due(self) -> bool:
        """The next installment falls due after today: money paid now repays principal early
        and what the installment still needs is due on its date."""
        return self.next_due is not None and self.next_due.due > self.on

    @property
    def history(self) -> tuple[TransactionView, ...]:
        """Money movements, newest first."""
        return tuple(reversed(self.view.transactions))


def _state(row: InstallmentState, on: date, is_next: bool) -> str:
    if row.is_settled:
        return "paid"
    if row.due < on:
        return "overdue"
    if row.principal_paid or row.interest_paid or row.fee_paid:
        return "part-paid"
    return "due" if is_next else "upcoming"


def _row(row: InstallmentState, on: date, is_next: bool) -> ScheduleRow:
    paid = row.principal_paid + row.interest_paid + row.fee_paid + row.penalty_paid
    return ScheduleRow(
        row.n,
        row.due,
        row.principal_due,
        row.interest_due + row.fee_due,
        row.penalty_due,
        row.principal_due + row.interest_due + row.fee_due + row.penalty_due,
        paid,
        _state(row, on, is_next),
    )


def as_of(view: LoanView, on: date) -> LoanView:
    """The loan as it stands on ``on``: business days close of business has not yet closed
    for it are closed in memory (accrual, overdue, penalty), as a posting would; nothing is
    stored. A borrower then sees today's days late and balance, not last night's."""
    account = close_through(view.account, on - timedelta(days=1)).loan
    return (
        view
        if account == view.account
        else replace(view, account=account, outstanding=account.outstanding)
    )


def loan_page(
    view: LoanView,
    on: date,
    payoff: Money | None,
    receipts: tuple[PaymentReceipt, ...] = (),
) -> LoanPage:
    """The page of ``view`` on business date ``on``; ``payoff`` is today's quote, if open;
    ``receipts`` what each payment did (:mod:`thinfile.services.loan_receipts`)."""
    rows = view.account.installments
    unsettled = [r for r in rows if not r.is_settled]
    next_due = unsettled[0] if unsettled else None
    past_due = sum(r.unpaid.total for r in rows if r.due < on and not r.is_settled)
    return LoanPage(
        view,
        on,
        tuple(_row(r, on, r is next_due) for r in rows),
        next_due,
        past_due,
        payoff,
        receipts,
        _plan(view, on, next_due, receipts),
    )


def _plan(
    view: LoanView,
    on: date,
    next_due: InstallmentState | None,
    receipts: tuple[PaymentReceipt, ...],
) -> tuple[PlanRow, ...]:
    """The schedule agreed at opening, row by row. While the installments are the loan's own
    (not folded by a payoff), each row reads paid and remaining from its installment; an
    installment a payoff folded away or a shorter term dropped was paid what the receipts say
    and needs nothing more."""
    account = view.account
    current = {row.n: row for row in account.installments}
    folded = account.status is not LoanStatus.ACTIVE and len(current) < len(
        account.schedule.installments
    )
    plan = []
    for agreed in account.schedule.installments:
        row = None if folded else current.get(agreed.n)
        if row is not None:
            paid = row.principal_paid + row.interest_paid + row.fee_paid + row.penalty_paid
            remaining, state = row.unpaid.total, _state(row, on, row is next_due)
        else:
            paid = sum(i.paid.total for r in receipts for i in r.installments if i.n == agreed.n)
            remaining, state = 0, "paid" if paid else "repaid-early"
        plan.append(PlanRow(agreed.n, agreed.due_date, agreed.total, paid, remaining, state))
    return tuple(plan)


def business_date(engine: Engine) -> date:
    """The date postings are made on: today, unless close of business has closed it."""
    return current_business_date(engine)


def new_payment_key(loan_id: int) -> str:
    """A fresh idempotency key for one rendered payment form of ``loan_id``."""
    return f"web-{loan_id}-{secrets.token_hex(16)}"


def payment_key(text: str, loan_id: int) -> str:
    """The submitted key, refused unless it is one made for this loan's form."""
    if not re.fullmatch(rf"web-{loan_id}-[0-9a-f]{{32}}", text):
        raise InvalidInputError("reload the page and pay again", field="idempotency_key")
    return text


def parse_amount(text: str, currency: str) -> Money:
    """A yuan amount typed by the borrower (``893.33``, ``1,000``, ``¥1,000``), strictly
    positive, read by :meth:`Money.of` (no exponents, ``NaN``, infinity or full-width
    digits; commas only between groups of three digits)."""
    amount = Money.of(text.strip().removeprefix("¥").removeprefix("￥"), currency)
    if amount.fen <= 0:
        raise InvalidInputError(
            "must be a non-negative amount greater than zero", field="amount", value=text
        )
    return amount
