"""Paying on the business date read with the loan's lock (what a settled payment intent
does) posts exactly what :func:`pay_in_unit` posts on :func:`business_date_in`'s date: before
any close of business, with the book closed ahead of the wall clock, and behind it."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from tests.integration.servicing_helpers import terms
from thinfile.money import Money
from thinfile.services.business_date import business_date_in
from thinfile.services.cob import run_cob
from thinfile.services.loans import open_and_disburse
from thinfile.services.payments import pay_in_unit, pay_on_business_date_in_unit
from thinfile.services.uow import UnitOfWork

START = date(2025, 1, 1)


@pytest.mark.parametrize(
    ("closed_through", "today", "business_date"),
    [
        (None, date(2025, 2, 20), date(2025, 2, 20)),
        (date(2025, 3, 10), date(2025, 2, 1), date(2025, 3, 11)),
        (date(2025, 3, 10), date(2025, 3, 20), date(2025, 3, 20)),
    ],
)
def test_paying_on_the_business_date_read_with_the_loan_posts_what_pay_in_unit_posts(
    engine, closed_through, today, business_date
):
    first, second = (
        open_and_disburse(engine, terms("6000", 6, start=START)).loan_id for _ in range(2)
    )
    if closed_through is not None:
        run_cob(engine, closed_through)
    amount = Money.of("1234.56")
    with UnitOfWork(engine) as uow:
        read_with_the_loan = pay_on_business_date_in_unit(uow, first, amount, "k-1", today=today)
        on = business_date_in(uow, today=today)
        read_on_its_own = pay_in_unit(uow, second, amount, on, "k-2")
        uow.commit()
    assert read_with_the_loan.on == on == business_date
    assert replace(read_with_the_loan, txn_id=0, loan_id=0) == replace(
        read_on_its_own, txn_id=0, loan_id=0
    )
