"""Concurrent payments on PostgreSQL: exact results, and one posting per idempotency key."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import date

import pytest
import sqlalchemy as sa

from tests.integration.servicing_helpers import open_book
from tests.support.databases import fresh_database_url
from thinfile.money import Money
from thinfile.services.cob import run_cob
from thinfile.services.ledger import verify_ledger
from thinfile.services.loans import get_loan
from thinfile.services.payments import post_payment
from thinfile.store import make_engine, upgrade

ON = date(2025, 1, 2)


@pytest.fixture
def pg_engine(tmp_path):
    for url in fresh_database_url("postgresql", tmp_path):
        engine = make_engine(url, pool_size=20)
        upgrade(engine)
        yield engine
        engine.dispose()


def _paid(engine, loan_id: int) -> int:
    loan = get_loan(engine, loan_id).account
    return (
        sum(
            i.principal_paid + i.interest_paid + i.fee_paid + i.penalty_paid
            for i in loan.installments
        )
        + loan.credit
    )


def test_sixteen_threads_paying_one_loan_post_every_fen_exactly_once(pg_engine):
    [loan_id] = open_book(pg_engine, 1)
    run_cob(pg_engine, date(2025, 1, 1))
    with ThreadPoolExecutor(16) as pool:
        receipts = list(
            pool.map(lambda k: post_payment(pg_engine, loan_id, Money(1000 + k), ON), range(48))
        )
    assert len({r.txn_id for r in receipts}) == 48
    assert _paid(pg_engine, loan_id) == sum(1000 + k for k in range(48))
    assert verify_ledger(pg_engine).ok


def test_threads_paying_many_loans_leave_each_loan_exact(pg_engine):
    ids = open_book(pg_engine, 8)
    run_cob(pg_engine, date(2025, 1, 1))
    before = {loan_id: _paid(pg_engine, loan_id) for loan_id in ids}  # down payments
    jobs = [(loan_id, 700 + k) for k in range(6) for loan_id in ids]
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda job: post_payment(pg_engine, job[0], Money(job[1]), ON), jobs))
    for loan_id in ids:
        assert _paid(pg_engine, loan_id) - before[loan_id] == sum(700 + k for k in range(6))
    assert verify_ledger(pg_engine).ok


def test_the_same_idempotency_key_a_hundred_times_at_once_posts_once(pg_engine):
    [loan_id] = open_book(pg_engine, 1)
    run_cob(pg_engine, date(2025, 1, 1))
    with ThreadPoolExecutor(20) as pool:
        receipts = list(
            pool.map(
                lambda _: post_payment(
                    pg_engine, loan_id, Money(5000), ON, idempotency_key="pay-once"
                ),
                range(100),
            )
        )
    assert len({r.txn_id for r in receipts}) == 1
    assert sum(not r.replayed for r in receipts) == 1
    with pg_engine.connect() as conn:
        count = conn.execute(
            sa.text("SELECT COUNT(*) FROM servicing_transactions WHERE kind = 'repayment'")
        ).scalar()
    assert count == 1
    assert _paid(pg_engine, loan_id) == 5000
