"""Builders for servicing integration tests: a small book of loans on a real database."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from thinfile.loanmath import DefaultTerms, LoanTerms, RepaymentMethod
from thinfile.money import Money
from thinfile.services.loan_postings import rebuild_opening, stored_events
from thinfile.services.loans import open_and_disburse
from thinfile.services.uow import UnitOfWork
from thinfile.servicing import ServicingProduct, replay

START = date(2025, 1, 1)
PRODUCTS = [
    ServicingProduct(),
    ServicingProduct(
        code="strict",
        charge_off_days=60,
        defaults=DefaultTerms(grace_days=0, late_fee=1500, late_fee_cap=4000),
    ),
    ServicingProduct(code="lenient", defaults=DefaultTerms(grace_days=5), charge_off_days=90),
]


def terms(
    principal: str,
    periods: int,
    rate: str = "0.18",
    *,
    start: date = START,
    method: RepaymentMethod = RepaymentMethod.EQUAL_INSTALLMENT,
    **kw: object,
) -> LoanTerms:
    return LoanTerms(Money.of(principal), Decimal(rate), periods, method, start, **kw)  # type: ignore[arg-type]


def open_book(engine, count: int = 6, *, start: date = START) -> list[int]:
    """``count`` loans of mixed shapes: methods, products, subsidies, down payments."""
    ids = []
    for k in range(count):
        method = [
            RepaymentMethod.EQUAL_INSTALLMENT,
            RepaymentMethod.EQUAL_PRINCIPAL,
            RepaymentMethod.ZERO_INTEREST,
        ][k % 3]
        rate = "0" if method is RepaymentMethod.ZERO_INTEREST else ["0.12", "0.18", "0.2399"][k % 3]
        loan = open_and_disburse(
            engine,
            terms(str(3000 + 1000 * k), 3 + k % 10, rate, method=method, start=start),
            product=PRODUCTS[k % 3],
            subsidy=Money.of("50") if method is RepaymentMethod.ZERO_INTEREST else None,
            down_payment=Money.of("100") if k % 4 == 1 else None,
        )
        ids.append(loan.loan_id)
    return ids


def replayed(engine, loan_id: int, through: date):
    """The loan rebuilt in Python from its opening and events, closed to ``through``."""
    with UnitOfWork(engine) as uow:
        stored = uow.loans.get(loan_id)
        events = [e for _, e in stored_events(uow, loan_id)]
    return stored.account, replay(rebuild_opening(stored), events, through).loan


def day_after(d: date) -> date:
    return d + timedelta(days=1)
