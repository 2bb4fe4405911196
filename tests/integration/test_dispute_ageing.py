"""Arrears do not age while the borrower's dispute of the purchase is open (DOMAIN §11, the
lender pauses the borrower's payments while it investigates), on SQLite and PostgreSQL: a
dispute rejected after weeks leaves the loan as many days past due as it was when the dispute
was opened — not weeks later in a worse bucket, nor charged off days after the rejection —
and the grace before penalty interest runs again after it. Expected days are counted here
from the calendar; close of business (the set-based night) and the per-loan replay
(``thinfile ledger verify``) must agree."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
from alembic import command

from tests.integration.servicing_helpers import terms
from tests.integration.test_collections_conduct_rules import disputed_purchase
from thinfile.loanmath import DefaultTerms
from thinfile.money import Money
from thinfile.security.roles import Role
from thinfile.services import business_date, disputes
from thinfile.services.cob import run_cob
from thinfile.services.identity_records import Actor
from thinfile.services.ledger import verify_ledger
from thinfile.services.loans import get_loan, open_and_disburse
from thinfile.services.payments import post_payment
from thinfile.services.uow import UnitOfWork
from thinfile.servicing import ServicingProduct
from thinfile.store import make_engine, upgrade
from thinfile.store.migrate import alembic_config
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


def _charged_off_the_day_after(engine, loan_id: int, last_active: date) -> None:
    """Active through ``last_active``, charged off at the next close, the ledger whole."""
    run_cob(engine, last_active)
    assert get_loan(engine, loan_id).account.status.value == "active"
    run_cob(engine, last_active + timedelta(days=1))
    assert get_loan(engine, loan_id).account.status.value == "charged-off"
    report = verify_ledger(engine)
    assert report.ok, report.problems


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
    _charged_off_the_day_after(engine, loan_id, last_active)


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


def _days(first: date, end: date) -> list[date]:
    return [first + timedelta(days=k) for k in range((end - first).days)]


def _aged_days(due: date, on: date, held: list[date]) -> int:
    """Days past due of an installment unpaid since ``due``, counted by hand: the days from
    its due date up to ``on`` on which its arrears aged — every one but the held ones."""
    return sum(1 for day in _days(due, on) if day not in held)


def test_paying_the_oldest_installment_leaves_the_next_as_old_as_its_own_pause(engine):
    """The second installment falls due inside the dispute: once the first is paid after the
    rejection, the loan is as old as the second's own unpaused days — not aged from its due
    date, nor from the day the first installment's pause moved the loan's clock to."""
    loan_id = _loan(engine)
    opened, rejected = date(2025, 2, 20), date(2025, 3, 20)
    held = _days(opened, rejected)
    _dispute(engine, loan_id, opened, rejected)
    paid_on = date(2025, 3, 25)
    run_cob(engine, paid_on - timedelta(days=1))
    first, second = get_loan(engine, loan_id).account.installments[:2]
    assert first.due == FIRST_DUE and opened < second.due < rejected
    # all that is due but the second installment's principal (the waterfall may take the
    # second's interest before the first's principal)
    owed = first.arrears + first.unpaid.penalty + second.arrears + second.unpaid.penalty
    post_payment(engine, loan_id, Money(owed - second.unpaid.principal), paid_on)
    first, second = get_loan(engine, loan_id).account.installments[:2]
    assert first.arrears == 0 and second.arrears > 0
    for day in (paid_on, paid_on + timedelta(days=20)):
        run_cob(engine, day)
        account = get_loan(engine, loan_id).account
        expected = _aged_days(second.due, day, held)
        assert account.days_past_due(day) == expected, day
        assert account.bucket == PRODUCT.bucket_for(expected)
    # charged off at the product's days past due of the second installment, counted by hand
    last_active = next(
        d
        for d in _days(rejected, rejected + timedelta(days=200))
        if _aged_days(second.due, d, held) == PRODUCT.charge_off_days - 1
    )
    _charged_off_the_day_after(engine, loan_id, last_active)


LATE_FEE = 1  # a fen: within the all-in allowance, so the day's penalty is charged beside it
LATE = ServicingProduct(
    code="late-60",
    charge_off_days=60,
    defaults=DefaultTerms(grace_days=GRACE, late_fee=LATE_FEE, late_fee_cap=4 * LATE_FEE),
)


def test_an_installment_falling_due_inside_a_dispute_has_its_grace_after_it(engine):
    """The loan is 10 days late when its purchase is disputed; the second installment falls
    due while the dispute is open. After the rejection the first is charged penalty at once
    (its grace was over before the dispute), the second only once its own grace days are
    over, counted by hand without the dispute's days — with its late fee that day, once."""
    loan_id = open_and_disburse(engine, terms("3000", 6, start=START), product=LATE).loan_id
    opened, rejected = date(2025, 2, 11), date(2025, 3, 20)
    held = _days(opened, rejected)
    _dispute(engine, loan_id, opened, rejected)
    run_cob(engine, rejected)
    first, second = get_loan(engine, loan_id).account.installments[:2]
    assert opened < second.due < rejected
    assert first.penalty_due > 0 and first.fee_due == LATE_FEE  # its late fee, before
    assert second.penalty_due == 0 and second.fee_due == 0
    grace_over = next(  # the first day the second installment is past its grace days
        d
        for d in _days(rejected, rejected + timedelta(days=30))
        if _aged_days(second.due, d, held) == GRACE + 1
    )
    assert grace_over > rejected + timedelta(days=1)
    run_cob(engine, grace_over - timedelta(days=1))
    second = get_loan(engine, loan_id).account.installments[1]
    assert second.penalty_due == 0 and second.fee_due == 0
    run_cob(engine, grace_over)
    second = get_loan(engine, loan_id).account.installments[1]
    assert second.fee_due == LATE_FEE and second.penalty_due > 0
    run_cob(engine, grace_over + timedelta(days=5))
    second = get_loan(engine, loan_id).account.installments[1]
    assert second.fee_due == LATE_FEE  # one late fee
    report = verify_ledger(engine)
    assert report.ok, report.problems


def test_the_migration_counts_each_unpaid_installments_paused_days_from_the_disputes(
    empty_database_url,
):
    """A book from before per-installment pauses: the loan's one clock (moved a day per held
    date, then kept by a payment of the oldest installment) and no count per installment.
    The migration counts each unpaid installment's paused days from the disputes' dates and
    the loan then ages as if the rule had always held; the nights after it agree with the
    replay from the loan's history."""
    engine = make_engine(empty_database_url)
    try:
        upgrade(engine)
        loan_id = _loan(engine)
        opened, rejected = date(2025, 2, 20), date(2025, 3, 20)
        _dispute(engine, loan_id, opened, rejected)
        paid_on = date(2025, 3, 25)
        run_cob(engine, paid_on - timedelta(days=1))
        first, second = get_loan(engine, loan_id).account.installments[:2]
        owed = first.arrears + first.unpaid.penalty + second.arrears + second.unpaid.penalty
        post_payment(engine, loan_id, Money(owed - second.unpaid.principal), paid_on)
        run_cob(engine, paid_on)
        now = get_loan(engine, loan_id).account
        assert now.installments[1].paused_days > 0
        with engine.begin() as conn:  # the one clock: the oldest unpaid due date, or later
            conn.execute(
                sa.text("UPDATE servicing_loans SET overdue_since_day = :d WHERE id = :l"),
                {"d": to_day(now.installments[1].due), "l": loan_id},
            )
        command.downgrade(alembic_config(engine), "servicing_0024_claimed_at")
        upgrade(engine)
        migrated = get_loan(engine, loan_id).account
        # the unpaid ones as counted night by night; a paid one's count no longer matters
        assert [replace(i, paused_days=0) for i in migrated.installments] == [
            replace(i, paused_days=0) for i in now.installments
        ]
        assert [i.paused_days for i in migrated.installments if i.arrears > 0] == [
            i.paused_days for i in now.installments if i.arrears > 0
        ]
        assert migrated.overdue_since == now.overdue_since
        run_cob(engine, paid_on + timedelta(days=10))
        report = verify_ledger(engine)
        assert report.ok, report.problems
    finally:
        engine.dispose()
