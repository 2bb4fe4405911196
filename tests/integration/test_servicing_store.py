"""Servicing on both databases: loans stored and reloaded, payments, reversal, bad input."""

from __future__ import annotations

import json
from datetime import date

import pytest
import sqlalchemy as sa

from tests.integration.servicing_helpers import START, open_book, replayed, terms
from tests.support.environment import shared_path
from thinfile.errors import ConflictError, CurrencyMismatchError, InvalidInputError, NotFoundError
from thinfile.loanmath import DayCount, build_schedule
from thinfile.money import Money
from thinfile.services.cob import run_cob
from thinfile.services.credit_lines import change_line_limit, draw, get_line, open_credit_line
from thinfile.services.ledger import verify_ledger
from thinfile.services.loan_adjustments import record_merchant_refund
from thinfile.services.loans import get_loan, open_and_disburse, quote_payoff
from thinfile.services.payment_reversals import reverse_payment
from thinfile.services.payments import post_payment, prepay_loan
from thinfile.servicing import LoanStatus, PrepaymentMode


def _counts(engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {
            t: conn.execute(sa.text(f"SELECT COUNT(*) FROM {t}")).scalar_one()
            for t in (
                "servicing_transactions",
                "servicing_journal_entries",
                "servicing_installments",
            )
        }


@pytest.mark.parametrize("vector", ["V26", "V25", "V10"])
def test_schedule_vectors_hold_after_a_loan_is_stored_and_reloaded(engine, vector):
    data = {
        v["id"].split("-")[0]: v
        for v in json.loads(shared_path("vectors", "loan-vectors.json").read_text())
    }
    v = data[vector]
    from tests.unit.test_loan_vectors import loan as vector_loan  # the vector's own terms

    built = {
        "V26": lambda: vector_loan("100", "0.094822", 6),
        "V25": lambda: vector_loan("100", "0.094822", 6, day_count=DayCount.THIRTY_360),
        "V10": lambda: vector_loan("125000", "0.035", 360),
    }[vector]()
    schedule = build_schedule(built)
    loan = open_and_disburse(engine, built)
    again = get_loan(engine, loan.loan_id).account
    stored = [(i.due, i.principal_due, i.interest_due) for i in again.installments]
    assert stored == [(i.due_date, i.principal, i.interest) for i in schedule.installments]
    assert v["id"]


def test_a_payment_allocates_posts_and_keeps_the_ledger_verified(engine):
    [loan_id] = open_book(engine, 1)
    run_cob(engine, date(2025, 2, 1))
    receipt = post_payment(engine, loan_id, Money.of("400"), date(2025, 2, 2))
    assert receipt.paid.total + receipt.overpayment == 40000
    assert verify_ledger(engine).ok
    stored, rebuilt = replayed(engine, loan_id, date(2025, 2, 1))
    assert stored == rebuilt


def test_bad_input_gets_a_typed_error_and_writes_nothing(engine):
    [loan_id] = open_book(engine, 1)
    before = _counts(engine)
    cases = [
        (InvalidInputError, lambda: post_payment(engine, loan_id, Money(-100), START)),
        (NotFoundError, lambda: post_payment(engine, 999, Money(100), START)),
        (CurrencyMismatchError, lambda: post_payment(engine, loan_id, Money(100, "USD"), START)),
        (InvalidInputError, lambda: post_payment(engine, loan_id, Money(100), date(2024, 12, 1))),
        (InvalidInputError, lambda: open_and_disburse(engine, terms("0", 3))),
    ]
    for error, call in cases:
        with pytest.raises(error):
            call()
    assert _counts(engine) == before


def test_a_closed_business_date_refuses_postings(engine):
    [loan_id] = open_book(engine, 1)
    run_cob(engine, date(2025, 1, 10))
    with pytest.raises(ConflictError):
        post_payment(engine, loan_id, Money(100), date(2025, 1, 5))


def test_reversing_a_payment_replays_the_loan_and_balances_the_books(engine):
    [loan_id] = open_book(engine, 1)
    run_cob(engine, date(2025, 2, 1))
    first = post_payment(engine, loan_id, Money.of("1200"), date(2025, 2, 2))
    run_cob(engine, date(2025, 3, 5))
    post_payment(engine, loan_id, Money.of("300"), date(2025, 3, 6))
    reversal = reverse_payment(engine, first.txn_id, date(2025, 3, 6), reason="bounced")
    assert reversal.adjusted  # the later payment and penalty are re-allocated
    assert verify_ledger(engine).ok
    stored, rebuilt = replayed(engine, loan_id, date(2025, 3, 5))
    assert stored == rebuilt
    with pytest.raises(NotFoundError):
        reverse_payment(engine, first.txn_id, date(2025, 3, 6))


def test_prepayment_payoff_and_merchant_refund_keep_the_books(engine):
    ids = open_book(engine, 3)
    run_cob(engine, date(2025, 1, 20))
    on = date(2025, 1, 21)
    prepay_loan(engine, ids[0], Money.of("1000"), on, mode=PrepaymentMode.SHORTEN_TERM)
    quote = quote_payoff(engine, ids[1], on)
    assert prepay_loan(engine, ids[1], quote, on).status == LoanStatus.CLOSED.value
    record_merchant_refund(engine, ids[2], Money.of("500"), on)
    run_cob(engine, date(2025, 4, 1))
    report = verify_ledger(engine)
    assert report.ok, report.problems
    for loan_id in ids:
        stored, rebuilt = replayed(engine, loan_id, date(2025, 4, 1))
        assert stored == rebuilt


def test_an_idempotency_key_replays_only_the_same_kind_of_payment(engine):
    """A key replays the payment it was first posted with: sent again for a repayment
    against a prepayment, or for a prepayment re-planned another way, it is refused and
    writes nothing (before, the first receipt came back as if it were the second payment)."""
    [loan_id] = open_book(engine, 1)
    run_cob(engine, date(2025, 1, 20))
    on, amount = date(2025, 1, 21), Money.of("1000")
    first = prepay_loan(
        engine, loan_id, amount, on, mode=PrepaymentMode.REDUCE_INSTALLMENT, idempotency_key="k1"
    )
    again = prepay_loan(
        engine, loan_id, amount, on, mode=PrepaymentMode.REDUCE_INSTALLMENT, idempotency_key="k1"
    )
    assert (again.txn_id, again.replayed) == (first.txn_id, True)
    paid = post_payment(engine, loan_id, amount, on, idempotency_key="k2")
    before = _counts(engine)
    for other in (
        lambda: prepay_loan(
            engine, loan_id, amount, on, mode=PrepaymentMode.SHORTEN_TERM, idempotency_key="k1"
        ),
        lambda: prepay_loan(engine, loan_id, amount, on, idempotency_key="k1"),
        lambda: post_payment(engine, loan_id, amount, on, idempotency_key="k1"),
        lambda: prepay_loan(engine, loan_id, amount, on, idempotency_key="k2"),
    ):
        with pytest.raises(ConflictError) as refused:
            other()
        assert refused.value.field == "idempotency_key"
    assert _counts(engine) == before
    assert post_payment(engine, loan_id, amount, on, idempotency_key="k2").txn_id == paid.txn_id


@pytest.mark.parametrize("amount", ["interest", "principal"])
def test_the_verifier_finds_an_amount_carried_beyond_what_an_installment_asks(engine, amount):
    """A re-age's carried interest (principal) is part of the installment's interest
    (principal): a row carrying more than it asks (or a negative amount) is out of range."""
    (loan_id,) = open_book(engine, 1)
    assert verify_ledger(engine).ok
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                f"UPDATE servicing_installments SET {amount}_carried = {amount}_due + 1"
                " WHERE loan_id = :l AND n = 2"
            ),
            {"l": loan_id},
        )
    assert verify_ledger(engine).problems == (
        "no_negative_balances: 1 installment(s) out of range",
    )


def test_a_credit_line_draws_up_to_its_limit_and_records_limit_changes(engine):
    line = open_credit_line(engine, Money.of("5000"), __import__("decimal").Decimal("0.18"), START)
    draw(engine, line.line.line_id, Money.of("3000"), 3, START)
    assert get_line(engine, line.line.line_id).available == Money.of("2000")
    with pytest.raises(ConflictError):
        draw(engine, line.line.line_id, Money.of("2500"), 3, START)
    raised = change_line_limit(engine, line.line.line_id, Money.of("8000"), "limit review", START)
    assert raised.available == Money.of("5000")
    assert verify_ledger(engine).ok


def test_the_verifier_finds_a_reference_kept_without_a_foreign_key_that_resolves_nowhere(engine):
    """Payment intents, month-end rows and deliveries carry their references without
    foreign-key triggers (written by the million at night): the verifier checks them."""
    from thinfile.services.identity_records import now_utc
    from thinfile.store.notification_tables import notification_deliveries
    from thinfile.store.payment_tables import payment_intents
    from thinfile.store.servicing_tables import month_ends

    [loan_id] = open_book(engine, 1)
    run_cob(engine, date(2025, 1, 31))  # a month-end: the loan's snapshot row
    assert verify_ledger(engine).ok
    at = now_utc()
    with engine.begin() as conn:
        conn.execute(
            sa.insert(payment_intents).values(
                id="ghost-intent", loan_id=loan_id, user_id="nobody", card_id="no-card",
                kind="payment", amount=100, currency="CNY", status="created",
                idempotency_key="k", request_hash="h", created_at=at,
            )
        )  # fmt: skip
        conn.execute(
            sa.insert(notification_deliveries).values(
                notification_id=987654, channel="sms", user_id="nobody", status="pending",
                attempts=0, created_at=at,
            )
        )  # fmt: skip
        conn.execute(
            sa.insert(month_ends).values(
                loan_id=loan_id + 1000, month_end_day=20119, status="active", days_past_due=0,
                principal_balance=0,
            )
        )  # fmt: skip
    problems = verify_ledger(engine).problems
    assert sorted(p.split(" name ")[0] for p in problems) == [
        "references_resolve: 1 row(s) of notification_deliveries.notification_id",
        "references_resolve: 1 row(s) of payment_intents.card_id",
        "references_resolve: 1 row(s) of payment_intents.user_id",
        "references_resolve: 1 row(s) of servicing_month_ends.loan_id",
    ]
