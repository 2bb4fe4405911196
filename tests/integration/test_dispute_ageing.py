"""Arrears do not age while the borrower's dispute of the purchase is open (DOMAIN §11, the
lender pauses the borrower's payments while it investigates), on SQLite and PostgreSQL: a
dispute rejected after weeks leaves the loan as many days past due as it was when the dispute
was opened — not weeks later in a worse bucket, nor charged off days after the rejection —
and the grace before penalty interest runs again after it. Expected days are counted here
from the calendar; close of business (the set-based night) and the per-loan replay
(``thinfile ledger verify``) must agree."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from tests.integration.servicing_helpers import terms
from tests.integration.test_collections_conduct_rules import disputed_purchase
from thinfile.loanmath import DefaultTerms
from thinfile.security.roles import Role
from thinfile.services import business_date, disputes
from thinfile.services.cob import run_cob
from thinfile.services.identity_records import Actor
from thinfile.services.ledger import verify_ledger
from thinfile.services.loans import get_loan, open_and_disburse
from thinfile.services.uow import UnitOfWork
from thinfile.servicing import ServicingProduct
from thinfile.store.servicing_codec import to_day

AGENT = Actor("agent-1", Role.SERVICING_AGENT)
START = date(2025, 1, 1)
FIRST_DUE = date(2025, 2, 1)
GRACE = 3
PRODUCT = ServicingProduct(
    code="strict-60", charge_off_days=60, defaults=DefaultTerms(grace_days=GRACE)
)


@pytest.fixture(autouse=True)
def calendar_of_2025(monkeypatch):
    monkeypatch.setattr(business_date, "now_utc", lambda: datetime(2025, 1, 1, tzinfo=UTC))


def _loan(engine) -> int:
    return open_and_disburse(engine, terms("3000", 6, start=START), product=PRODUCT).loan_id


def _dispute(engine, loan_id: int, opened: date, rejected: date) -> None:
    """The purchase disputed on ``opened`` and the dispute rejected on ``rejected``, with
    close of business every night between."""
    run_cob(engine, opened - timedelta(days=1))
    dispute_id = disputed_purchase(engine, loan_id)
    run_cob(engine, rejected - timedelta(days=1))
    with UnitOfWork(engine) as uow:
        disputes.resolve_in_unit(uow, AGENT, dispute_id, "reject", "the goods were delivered")
        uow.commit()


@pytest.mark.parametrize(
    ("opened", "rejected", "age_at_opening"),
    [
        (date(2025, 1, 20), date(2025, 3, 25), 0),  # opened before the first due date
        (date(2025, 2, 11), date(2025, 4, 20), 10),  # opened 10 days past due
    ],
)
def test_a_rejected_dispute_leaves_the_arrears_as_old_as_when_it_was_opened(
    engine, opened, rejected, age_at_opening
):
    loan_id = _loan(engine)
    _dispute(engine, loan_id, opened, rejected)
    for later in (0, 8, 40):
        day = rejected + timedelta(days=later)
        run_cob(engine, day)
        account = get_loan(engine, loan_id).account
        assert account.days_past_due(day) == age_at_opening + later, day
        assert account.status.value == "active"
        assert account.bucket == PRODUCT.bucket_for(age_at_opening + later)
    # the charge-off comes at the product's days past due, counted without the dispute
    last_active = rejected + timedelta(days=PRODUCT.charge_off_days - age_at_opening - 1)
    run_cob(engine, last_active)
    assert get_loan(engine, loan_id).account.status.value == "active"
    run_cob(engine, last_active + timedelta(days=1))
    assert get_loan(engine, loan_id).account.status.value == "charged-off"
    report = verify_ledger(engine)
    assert report.ok, report.problems


def test_penalty_interest_waits_for_the_grace_days_again_after_a_dispute(engine):
    loan_id = _loan(engine)
    opened, rejected = date(2025, 1, 20), date(2025, 3, 25)
    _dispute(engine, loan_id, opened, rejected)
    run_cob(engine, rejected + timedelta(days=GRACE))
    assert all(i.penalty_due == 0 for i in get_loan(engine, loan_id).account.installments)
    run_cob(engine, rejected + timedelta(days=GRACE + 1))
    first = get_loan(engine, loan_id).account.installments[0]
    assert first.due == FIRST_DUE and first.penalty_due > 0
    report = verify_ledger(engine)
    assert report.ok, report.problems


def test_the_loan_month_table_never_reads_a_paused_loan_as_negative_days_past_due(engine):
    """An installment falling due inside the dispute has its day moved past the month-end:
    the month's row says 0 days past due, as the loan does."""
    loan_id = _loan(engine)
    run_cob(engine, date(2025, 1, 19))
    disputed_purchase(engine, loan_id)
    run_cob(engine, date(2025, 2, 28))
    assert get_loan(engine, loan_id).account.overdue_since == date(2025, 3, 1)
    with engine.connect() as conn:
        row = conn.execute(
            sa.text(
                "SELECT days_past_due FROM servicing_month_ends"
                " WHERE loan_id = :l AND month_end_day = :d"
            ),
            {"l": loan_id, "d": to_day(date(2025, 2, 28))},
        ).scalar_one()
    assert row == 0
