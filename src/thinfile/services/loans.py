"""Loan use cases: open and disburse a loan, look it up, quote its payoff.

Opening is one unit of work: it validates, opens the loan through the servicing domain,
posts the disbursement's journal entries and commits once — or raises and writes nothing.
``open_in_unit`` does the same inside the caller's unit of work (accepting an offer, drawing
on a credit line). The reads open a unit of work and never commit. Adjustments staff post on
an open loan (refunds, charge-off, write-off, recovery, fee waivers) are in
:mod:`thinfile.services.loan_adjustments`; payments in :mod:`thinfile.services.payments`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta

from sqlalchemy.engine import Engine

from thinfile.errors import InvalidInputError
from thinfile.loanmath import LoanTerms, Schedule, build_schedule
from thinfile.money import Money
from thinfile.services.loan_postings import catch_up, check_business_day
from thinfile.services.uow import UnitOfWork
from thinfile.servicing import (
    Components,
    LoanAccount,
    ServicingProduct,
    open_loan,
    payoff_quote,
    standard_product,
)
from thinfile.store.servicing_codec import from_day, to_day

__all__ = [
    "LoanView",
    "TransactionView",
    "get_loan",
    "open_and_disburse",
    "open_in_unit",
    "quote_payoff",
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
        loan = _open(
            uow,
            terms,
            product or standard_product(terms.method),
            down_payment,
            subsidy,
            merchant,
            credit_line_id,
        )
        if down_payment and pay_down_payment:
            from thinfile.services.payments import pay_in_unit

            pay_in_unit(uow, loan.loan_id, down_payment, terms.start, None)
            loan = uow.loans.get(loan.loan_id).account
        uow.commit()
        return loan


def open_in_unit(
    uow: UnitOfWork,
    terms: LoanTerms,
    *,
    product: ServicingProduct | None = None,
    credit_line_id: int | None = None,
    subsidy: Money | None = None,
    lender_subsidy: Money | None = None,
    merchant: str | None = None,
    schedule: Schedule | None = None,
) -> LoanAccount:
    """Open and disburse inside the caller's unit of work (accepting an offer is one; a
    checkout capture passes the ``subsidy``, the part of it the lender pays itself
    (``lender_subsidy``, a campaign's lender share) and ``merchant``). ``schedule`` is the
    plan the borrower pays when it is not ``build_schedule(terms)`` (an interest coupon took
    interest off some installments; the lender's coupon is then the ``subsidy``)."""
    return _open(
        uow,
        terms,
        product or standard_product(terms.method),
        None,
        subsidy,
        merchant,
        credit_line_id,
        schedule,
        lender_subsidy=lender_subsidy,
    )


def _open(
    uow: UnitOfWork,
    terms: LoanTerms,
    product: ServicingProduct,
    down_payment: Money | None,
    subsidy: Money | None,
    merchant: str | None,
    credit_line_id: int | None,
    schedule: Schedule | None = None,
    *,
    lender_subsidy: Money | None = None,
) -> LoanAccount:
    check_business_day(uow, terms.start)
    down = down_payment.fen if down_payment else 0
    opened = open_loan(
        0,
        schedule or build_schedule(terms),
        product,
        down_payment=down,
        subsidy=subsidy.fen if subsidy else 0,
        lender_subsidy=lender_subsidy.fen if lender_subsidy else 0,
        merchant=merchant,
        credit_line_id=credit_line_id,
    )
    loan_id = uow.loans.add(opened.loan, down_payment=down)
    loan = replace(opened.loan, loan_id=loan_id)
    txn_id = uow.transactions.add(
        {
            "loan_id": loan_id,
            "kind": "disbursement",
            "day": to_day(terms.start),
            "amount": loan.principal,
            "currency": loan.currency,
        }
    )
    uow.ledger.post(opened.entries, loan_id=loan_id, txn_id=txn_id)
    return loan


def get_loan(engine: Engine, loan_id: int) -> LoanView:
    """The loan, its balances and its transactions."""
    with UnitOfWork(engine) as uow:
        stored = uow.loans.get(loan_id)
        rows = uow.transactions.of_loan(loan_id)
    views = tuple(
        TransactionView(r.id, r.kind, from_day(r.day), r.amount, r.reversed) for r in rows
    )
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
            f"{last_due + _QUOTE_HORIZON}",
            field="on",
            value=on.isoformat(),
            remedy="ask for a quote on a date while the loan is open",
        )
