"""Loan builders for the servicing tests: a loan in one line, in the lender's words."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from thinfile.loanmath import LoanTerms, RepaymentMethod, build_schedule
from thinfile.money import Money
from thinfile.servicing import LoanAccount, Outcome, ServicingProduct, open_loan

START = date(2025, 1, 1)


def loan_terms(
    principal: str = "12000",
    rate: str = "0.12",
    periods: int = 12,
    method: RepaymentMethod = RepaymentMethod.EQUAL_INSTALLMENT,
    start: date = START,
    **kw: Any,
) -> LoanTerms:
    return LoanTerms(Money.of(principal), Decimal(rate), periods, method, start, **kw)


def opened(
    principal: str = "12000",
    rate: str = "0.12",
    periods: int = 12,
    *,
    product: ServicingProduct | None = None,
    loan_id: int = 1,
    down_payment: int = 0,
    subsidy: int = 0,
    **kw: Any,
) -> Outcome:
    schedule = build_schedule(loan_terms(principal, rate, periods, **kw))
    return open_loan(
        loan_id, schedule, product or ServicingProduct(), down_payment=down_payment, subsidy=subsidy
    )


def a_loan(*args: Any, **kw: Any) -> LoanAccount:
    return opened(*args, **kw).loan
