"""Loan use cases: open and disburse, look up, payoff quote, refunds, charge-off, recovery.

Each function is one unit of work: it validates, changes the loan through the servicing
domain, posts the journal entries and commits once — or raises and writes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from thinfile.errors import InvalidInputError
from thinfile.loanmath import LoanTerms, build_schedule
from thinfile.money import Money
from thinfile.services.loan_postings import (
    Receipt,
    catch_up,
    check_business_day,
    paid_between,
    persist,
)
from thinfile.services.uow import UnitOfWork
from thinfile.servicing import (
    Components,
    LoanAccount,
    Outcome,
    ServicingProduct,
    charge_off,
    merchant_refund,
    open_loan,
    payoff_quote,
    recover,
    refund_overpayment,
    write_off,
)
from thinfile.store.servicing_codec import from_day, to_day
from thinfile.store.servicing_repo import StoredLoan, post_entries
from thinfile.store.servicing_tables import transactions

__all__ = [
    "LoanView",
    "TransactionView",
    "charge_off_loan",
    "get_loan",
    "open_and_disburse",
    "open_in_unit",
    "quote_payoff",
    "record_merchant_refund",
    "record_recovery",
    "refund_loan_overpayment",
    "write_off_loan",
]


@dataclass(frozen=True, slots=True)
class TransactionView:
    txn_id: int
    kind: str
    on: date
    amount: int
    reversed: bool


@dataclass(frozen=True, slots=True)
class LoanView:
    """A loan with its balances and its transactions, as shown to staff and borrowers."""

    account: LoanAccount
    outstanding: Components
    transactions: tuple[TransactionView, ...]


def open_and_disburse(
    engine: Engine,
    terms: LoanTerms,
    *,
    product: ServicingProduct | None = None,
    down_payment: Money | None = None,
    pay_down_payment: bool = True,
    subsidy: Money | None = None,
    merchant: str | None = None,
    credit_line_id: int | None = None,
) -> LoanAccount:
    """Open a loan from accepted offer terms and disburse it on ``terms.start`` (放款).

    The borrower receives the principal less ``terms.upfront_fee``; a down payment (首付)
    becomes installment 0 and, with ``pay_down_payment``, is collected at once.
    """
    with UnitOfWork(engine) as uow:
        loan = _open(uow, terms, product or ServicingProduct(), down_payment, subsidy,
                     merchant, credit_line_id)
        if down_payment and pay_down_payment:
            from thinfile.services.payments import pay_in_unit

            pay_in_unit(uow, loan.loan_id, down_payment, terms.start, None)
            loan = uow.loans.get(loan.loan_id).account
        uow.commit()
        return loan


def open_in_unit(uow: UnitOfWork, terms: LoanTerms, *, product: ServicingProduct | None = None,
                 credit_line_id: int | None = None) -> LoanAccount:
    """Open and disburse inside the caller's unit of work (accepting an offer is one)."""
    return _open(uow, terms, product or ServicingProduct(), None, None, None, credit_line_id)


def _open(uow: UnitOfWork, terms: LoanTerms, product: ServicingProduct,
          down_payment: Money | None, subsidy: Money | None, merchant: str | None,
          credit_line_id: int | None) -> LoanAccount:
    check_business_day(uow, terms.start)
    down = down_payment.fen if down_payment else 0
    opened = open_loan(0, build_schedule(terms), product, down_payment=down,
                       subsidy=subsidy.fen if subsidy else 0, merchant=merchant,
                       credit_line_id=credit_line_id)
    loan_id = uow.loans.add(opened.loan, down_payment=down)
    loan = replace(opened.loan, loan_id=loan_id)
    txn_id = int(uow.conn.execute(sa.insert(transactions).values(
        loan_id=loan_id, kind="disbursement", day=to_day(terms.start),
        amount=loan.principal, currency=loan.currency).returning(transactions.c.id)
    ).scalar_one())
    post_entries(uow.conn, opened.entries, loan_id=loan_id, txn_id=txn_id)
    return loan


def get_loan(engine: Engine, loan_id: int) -> LoanView:
    """The loan, its balances and its transactions."""
    with UnitOfWork(engine) as uow:
        stored = uow.loans.get(loan_id)
        rows = uow.conn.execute(sa.select(
            transactions.c.id, transactions.c.kind, transactions.c.day, transactions.c.amount,
            transactions.c.reversed).where(transactions.c.loan_id == loan_id)
            .order_by(transactions.c.id)).all()
    views = tuple(TransactionView(r.id, r.kind, from_day(r.day), r.amount, r.reversed)
                  for r in rows)
    return LoanView(stored.account, stored.account.outstanding, views)


def quote_payoff(engine: Engine, loan_id: int, on: date) -> Money:
    """What closes the loan on ``on``: dues, interest for the days used, all principal."""
    with UnitOfWork(engine) as uow:
        loaded = uow.loans.get(loan_id, lock=True)
        _check_quote_date(loaded.account, on)
        stored = catch_up(uow, loaded, on)
        return payoff_quote(stored.account, on)  # catch-up is not committed: a quote writes nothing


_QUOTE_HORIZON = timedelta(days=3650)


def _check_quote_date(account: LoanAccount, on: date) -> None:
    """A payoff date between disbursement and ten years after the last due date."""
    last_due = max((i.due for i in account.installments), default=account.disbursed_on)
    if not account.disbursed_on <= on <= last_due + _QUOTE_HORIZON:
        raise InvalidInputError(
            f"a payoff quote needs a date from {account.disbursed_on} to "
            f"{last_due + _QUOTE_HORIZON}", field="on", value=on.isoformat(),
            remedy="ask for a quote on a date while the loan is open")


def _post_event(engine: Engine, loan_id: int, on: date, kind: str, amount: int,
                currency: str | None, apply: Any) -> Receipt:
    with UnitOfWork(engine) as uow:
        stored: StoredLoan = catch_up(uow, uow.loans.get(loan_id, lock=True), on)
        done: Outcome = apply(stored.account)
        paid = paid_between(stored.account, done.loan)
        overpayment = done.loan.credit - stored.account.credit
        currency = currency or done.loan.currency
        txn_id = persist(uow, stored, done, txn={
            "kind": kind, "day": to_day(on), "amount": amount, "currency": currency,
            "paid_principal": paid.principal, "paid_interest": paid.interest,
            "paid_fee": paid.fee, "paid_penalty": paid.penalty, "overpayment": overpayment})
        uow.commit()
    assert txn_id is not None
    return Receipt(txn_id, loan_id, kind, on, amount, currency, paid, overpayment,
                   done.loan.status.value)


def record_merchant_refund(engine: Engine, loan_id: int, amount: Money, on: date) -> Receipt:
    """A merchant refund on a point-of-sale loan: principal cut, schedule re-amortized."""
    return _post_event(engine, loan_id, on, "merchant-refund", amount.fen, amount.currency,
                       lambda loan: merchant_refund(loan, amount, on))


def charge_off_loan(engine: Engine, loan_id: int, on: date, *, reason: str) -> Receipt:
    """Charge the loan off now (核销), e.g. for fraud or death, ahead of the days-past-due rule."""
    return _post_event(engine, loan_id, on, "charge-off", 0, None,
                       lambda loan: charge_off(loan, on, reason=reason))


def write_off_loan(engine: Engine, loan_id: int, on: date, *, reason: str) -> Receipt:
    """Write the loan off and stop collecting."""
    return _post_event(engine, loan_id, on, "write-off", 0, None,
                       lambda loan: write_off(loan, on, reason=reason))


def record_recovery(engine: Engine, loan_id: int, amount: Money, on: date) -> Receipt:
    """Money collected after charge-off (核销后收回)."""
    return _post_event(engine, loan_id, on, "recovery", amount.fen, amount.currency,
                       lambda loan: recover(loan, amount, on))


def refund_loan_overpayment(engine: Engine, loan_id: int, amount: Money,
                            on: date) -> Receipt:
    """Pay overpayment held on the loan back to the borrower."""
    return _post_event(engine, loan_id, on, "overpayment-refund", amount.fen, amount.currency,
                       lambda loan: refund_overpayment(loan, amount, on))
