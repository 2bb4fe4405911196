"""How an interest coupon's cost is booked, as its batch says, on SQLite and PostgreSQL, checked
against balances worked out here from the offer's own schedule: ``marketing_expense`` (the
default) expenses the coupon's value when the loan opens and defers it as income the loan
recognises as interest; ``reduced_interest_income`` books nothing for the coupon — the loan's
interest income is simply what the borrower pays. Either way the ledger balances."""

from __future__ import annotations

import os
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from tests.integration.test_promotions import STAFF, _accept, _approved
from tests.support.decisioning import DECIDED_ON
from thinfile.decisioning.interest_coupons import (
    CouponCostBooking,
    CouponKind,
    InterestCouponTerms,
)
from thinfile.errors import InvalidInputError
from thinfile.money import Money
from thinfile.security.crypto import PiiCipher
from thinfile.services import applications as apps
from thinfile.services import interest_coupons as batches
from thinfile.services import promotions
from thinfile.services.cob import run_cob
from thinfile.services.ledger import verify_ledger
from thinfile.services.policies import ensure_default_policy

FREE_30 = InterestCouponTerms(CouponKind.FREE_DAYS, days=30)


@pytest.fixture
def world(engine: Engine) -> tuple[Engine, PiiCipher]:
    cipher = PiiCipher({"k1": os.urandom(32)}, active_key_id="k1", lookup_key=b"L" * 32)
    ensure_default_policy(engine, actor=STAFF)
    return engine, cipher


def _balances(engine: Engine) -> dict[str, int]:
    """Net debit balance per account, summed here from the journal lines."""
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text("SELECT account, SUM(amount) FROM servicing_journal_lines GROUP BY account")
        ).all()
    return {str(account): int(total) for account, total in rows}


def _draft(booking: Any) -> batches.CouponBatchDraft:
    return batches.CouponBatchDraft(
        name="首贷30天免息券",
        terms=FREE_30,
        valid_from=DECIDED_ON,
        valid_to=DECIDED_ON + timedelta(days=60),
        per_borrower_limit=1,
        budget=Money.of("5000.00"),
        cost_booking=booking,
    )


@pytest.mark.parametrize("booking", list(CouponCostBooking))
def test_a_coupon_is_booked_as_its_batch_says(world, booking):
    engine, _cipher = world
    actor, record = _approved(world, 51)
    batch = batches.create_coupon_batch(engine, STAFF, _draft(booking))
    assert batch.cost_booking == booking.value
    coupon = batches.issue_batch_coupon(engine, STAFF, batch.id, actor.user_id, on=DECIDED_ON)
    plain = apps.quote_offer(engine, record.id, actor=actor, offer=0, on=DECIDED_ON)
    first = plain.schedule.installments[0]
    assert (first.due_date - DECIDED_ON).days <= 31
    # 30 interest-free days over the first month: its whole interest and fee, when it is 30
    # days long; otherwise its share of the days, truncated to the fen
    days = (first.due_date - DECIDED_ON).days
    cut_interest = first.interest if days <= 30 else first.interest * 30 // days
    cut_fee = first.fee if days <= 30 else first.fee * 30 // days
    value = cut_interest + cut_fee
    assert value > 0
    accepted = _accept(engine, actor, record, coupon_id=coupon.id)
    assert accepted.loan_id is not None
    principal = plain.terms.principal.fen

    opened = _balances(engine)
    expensed = value if booking is CouponCostBooking.MARKETING_EXPENSE else 0
    assert opened.get("loans_receivable", 0) == principal
    assert opened.get("marketing_expense", 0) == expensed
    assert opened.get("deferred_subsidy_income", 0) == -expensed  # a credit (liability)
    assert opened.get("interest_income", 0) == 0

    # close of business through the first due date: the interest accrued is what the
    # borrower owes for the month (less the cut); a deferred coupon adds what it recognised
    run_cob(engine, first.due_date)
    closed = _balances(engine)
    owed_interest = first.interest - cut_interest
    recognised = expensed + closed.get("deferred_subsidy_income", 0)
    if booking is CouponCostBooking.REDUCED_INTEREST_INCOME:
        assert recognised == 0
    else:
        assert 0 < recognised <= value
    assert closed.get("interest_income", 0) == -(owed_interest + recognised)
    assert closed.get("marketing_expense", 0) == expensed
    assert promotions.check_promotions(engine) == []
    ledger = verify_ledger(engine)
    assert ledger.ok, ledger.problems


def test_an_unknown_cost_booking_is_refused_naming_the_field(world):
    engine, _cipher = world
    with pytest.raises(InvalidInputError) as refused:
        batches.create_coupon_batch(engine, STAFF, _draft("expense_later"))
    assert refused.value.field == "cost_booking"
