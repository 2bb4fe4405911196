"""A card debit the gateway completed on a date close of business has closed since is booked at
that date (its value date), on SQLite and PostgreSQL, against the sandbox gateway running as a
real local HTTP service that keeps its notifications back (``silent``): the late word is
delivered signed, as the provider would deliver it, or comes in the gateway's reconciliation
file.

The oracle is a twin loan of the same terms whose payments were posted on their dates at the
counter, on time, and which went through the same closes of business: after the late word the
loan must be the twin — installments, status, bucket, what was charged — and its ledger must
hold what the twin's holds, account by account. Without value dating the loan would be
overdue, charged penalty, and a payoff would leave a day's interest owing."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from tests.integration.test_auto_debit import Book, _book, due_days, intents, posted_on
from tests.integration.test_payment_intents import signed
from tests.support.gateway_fixtures import Target
from thinfile.adapters.sandbox_gateway_client import SandboxGatewayClient
from thinfile.loanmath import LoanTerms, RepaymentMethod
from thinfile.money import Money
from thinfile.security.crypto import PiiCipher
from thinfile.services import business_date, ledger, loans, payments
from thinfile.services.auto_debit import send_queued_debits
from thinfile.services.business_date import current_business_date
from thinfile.services.cob import run_cob
from thinfile.services.credit_lines import draw, open_credit_line
from thinfile.services.gateway_port import RECONCILIATION_COLUMNS
from thinfile.services.loan_adjustments import waive_loan_fees
from thinfile.services.payment_intents import IntentKind, IntentRequest, create_payment_intent
from thinfile.services.payment_notifications import receive_notification
from thinfile.services.payment_reversals import reverse_payment
from thinfile.services.reconciliation import reconcile_payments
from thinfile.services.uow import UnitOfWork
from thinfile.servicing import LoanAccount, LoanStatus
from thinfile.store.limits_tables import limit_line_months
from thinfile.store.servicing_codec import to_day
from thinfile.store.servicing_tables import (
    bucket_history,
    journal_entries,
    journal_lines,
    month_ends,
    transactions,
)

PRINCIPAL_FEN = 300_000
RECONCILIATION_HEADER = ",".join(RECONCILIATION_COLUMNS)
CST = timedelta(hours=8)


def twin(engine: Engine, opened: date) -> int:
    terms = LoanTerms(
        Money(PRINCIPAL_FEN), Decimal("0.18"), 6, RepaymentMethod.EQUAL_INSTALLMENT, opened
    )
    return loans.open_and_disburse(engine, terms).loan_id


def account(engine: Engine, loan_id: int) -> LoanAccount:
    return loans.get_loan(engine, loan_id).account


def state(engine: Engine, loan_id: int) -> tuple[object, ...]:
    a = account(engine, loan_id)
    return (
        a.installments,
        a.status,
        a.bucket,
        a.overdue_since,
        a.credit,
        a.closed_on,
        a.late_fees_charged,
        a.cob_date,
    )


def entries(engine: Engine, loan_id: int) -> list[tuple[str, str, dict[str, int]]]:
    """The loan's own journal entries (close of business books its days for the whole book,
    in entries of no loan): kind, memo and lines by account, in order."""
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(
                journal_entries.c.id,
                journal_entries.c.kind,
                journal_entries.c.memo,
                journal_lines.c.account,
                journal_lines.c.amount,
            )
            .join(journal_lines, journal_lines.c.entry_id == journal_entries.c.id)
            .where(journal_entries.c.loan_id == loan_id)
            .order_by(journal_entries.c.id, journal_lines.c.account)
        ).all()
    out: dict[int, tuple[str, str, dict[str, int]]] = {}
    for entry_id, kind, memo, line_account, amount in rows:
        out.setdefault(entry_id, (str(kind), str(memo), {}))[2][str(line_account)] = int(amount)
    return list(out.values())


def splits(engine: Engine, loan_id: int) -> list[tuple[int, ...]]:
    """What each payment in force paid (principal, interest, fee, penalty, held), by date."""
    c = transactions.c
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(
                c.day, c.amount, c.paid_principal, c.paid_interest, c.paid_fee, c.paid_penalty
            )
            .add_columns(c.overpayment)
            .where(
                c.loan_id == loan_id,
                c.kind.in_(("repayment", "prepayment")),
                c.reversed.is_(False),
            )
            .order_by(c.day, c.id)
        )
        return [tuple(int(x) for x in r) for r in rows]


def penalty(engine: Engine, loan_id: int) -> int:
    return sum(i.penalty_due for i in account(engine, loan_id).installments)


def late_word(
    engine: Engine,
    gateway: SandboxGatewayClient,
    intent: dict[str, object],
    completed: date,
    at: time = time(2),
) -> str:
    """The gateway's signed success for ``intent``, completed on ``completed`` at ``at`` UTC
    (10:00 China Standard Time unless said), delivered now."""
    when = datetime.combine(completed, at, tzinfo=UTC)
    body = {
        "gateway_txn_id": intent["gateway_txn_id"],
        "request_id": intent["id"],
        "kind": "debit",
        "status": "succeeded",
        "amount_fen": int(str(intent["amount"])),
        "failure": None,
        "original_txn_id": None,
        "completed_at": when.isoformat(),
        "notification_id": f"ntf_{uuid.uuid4().hex}",
    }
    headers, raw = signed(body)
    return receive_notification(
        engine, gateway, headers=headers, body=raw, now=datetime.now(UTC)
    ).outcome


def test_an_auto_debit_paid_on_its_due_date_and_heard_of_days_later_was_paid_on_time(
    engine: Engine, cipher: PiiCipher, silent: SandboxGatewayClient, target: Target
) -> None:
    with target.serving(engine, silent):
        late = _book(engine, cipher, silent, "13700138100", card=True)
        again = _book(engine, cipher, silent, "13700138200", card=True)
        waived = _book(engine, cipher, silent, "13700138600", card=True)
        window = _book(engine, cipher, silent, "13700138500", card=True)
        kept_back = card_payment(engine, silent, window)
        on_time, paid_twice, unpaid, counter_only = (twin(engine, late.opened) for _ in range(4))
        first = due_days(late)[0]
        run_cob(engine, first - timedelta(days=1))  # the eve queues both auto-debits
        send_queued_debits(engine, silent, today=first)  # taken, the word kept back
        (debit,) = intents(late)
        (other,) = intents(again)
        (forgiven,) = intents(waived)
        amount = Money(int(str(debit["amount"])))
        payments.post_payment(engine, on_time, amount, first)
        payments.post_payment(engine, paid_twice, amount, first)
        run_cob(engine, first + timedelta(days=1))
        counter = Money(10_000)  # 100.00 paid at the counter on day 2, seeing the notice
        payments.post_payment(engine, again.loan_id, counter, first + timedelta(days=2))
        payments.post_payment(engine, paid_twice, counter, first + timedelta(days=2))
        payments.post_payment(engine, counter_only, counter, first + timedelta(days=2))
        run_cob(engine, first + timedelta(days=6))
        # what the late word found: the loan overdue and charged penalty from day 4
        assert account(engine, late.loan_id).overdue_since == first
        charged = penalty(engine, late.loan_id)
        assert charged > 0 and penalty(engine, on_time) == 0
        today = current_business_date(engine)
        assert today == first + timedelta(days=7)
        # staff forgave one borrower's penalty before the word came ("I paid on time")
        charged_too = Money(penalty(engine, waived.loan_id))
        reason = "paid on the due date; the bank's word is late"
        waive_loan_fees(engine, waived.loan_id, charged_too, today, reason=reason)

        # completed at 15:30 UTC on the due date (23:30 in China): the business calendar's
        # day is the due date
        assert late_word(engine, silent, debit, first, time(15, 30)) == "posted"
        assert late_word(engine, silent, other, first) == "posted"
        assert late_word(engine, silent, forgiven, first) == "posted"

        assert posted_on(engine, debit["id"]) == first
        assert state(engine, late.loan_id) == state(engine, on_time)
        assert account(engine, late.loan_id).overdue_since is None
        assert penalty(engine, late.loan_id) == 0
        assert state(engine, again.loan_id) == state(engine, paid_twice)
        # the counter payment made since is allocated as the twin's was: to what was left
        assert splits(engine, again.loan_id) == splits(engine, paid_twice)
        assert posted_on(engine, forgiven["id"]) == first
        assert state(engine, waived.loan_id) == state(engine, on_time)  # nothing left to forgive
        # the ledger: the payment's own entry is the on-time twin's, booked today with its
        # value date; the adjustment takes back what the closes since charged the loan
        # beyond the twin: the penalty, and the due date's interest, which the payment
        # recognised itself (the twin's close of the due date found it paid)
        (*_, own, adjustment) = entries(engine, late.loan_id)
        (*_, twins) = entries(engine, on_time)
        assert own == ("repayment", f"value date {first}", twins[2])
        extra_interest = -twins[2]["interest_income"]
        assert extra_interest > 0
        assert adjustment == (
            "replay-adjustment",
            "",
            {
                "interest_income": extra_interest,
                "interest_receivable": -extra_interest,
                "penalty_income": charged,
                "penalty_receivable": -charged,
            },
        )
        assert ledger.verify_ledger(engine).ok  # the whole book against every loan's state

        # a duplicate of the word posts nothing more
        assert late_word(engine, silent, debit, first) == "duplicate"
        # reversing the value-dated payment leaves the loan as if never paid
        reverse_payment(engine, int(str(intents(late)[0]["txn_id"])), today, reason="test")
        assert state(engine, late.loan_id) == state(engine, unpaid)
        # and reversing the other: its counter payment is allocated as if it came alone
        reverse_payment(engine, int(str(intents(again)[0]["txn_id"])), today, reason="test")
        assert state(engine, again.loan_id) == state(engine, counter_only)
        assert splits(engine, again.loan_id) == splits(engine, counter_only)
        # a payment made on the first day and completed the next, heard of 37 days later
        # (over 31), posts today
        completed = window.opened + timedelta(days=1)
        assert (today - completed).days > 31
        assert on_a_word_of(engine, silent, window, kept_back, completed) == today
        assert ledger.verify_ledger(engine).ok


def test_a_payoff_paid_on_a_day_whose_file_came_after_its_close_closes_the_loan_that_day(
    engine: Engine, cipher: PiiCipher, silent: SandboxGatewayClient, target: Target
) -> None:
    with target.serving(engine, silent):
        book = _book(engine, cipher, silent, "13700138300", card=True)
        other = twin(engine, book.opened)
        paid = book.opened + timedelta(days=9)
        run_cob(engine, paid - timedelta(days=1))
        request = IntentRequest(book.loan_id, IntentKind.PAYOFF, None, uuid.uuid4().hex)
        view = create_payment_intent(engine, silent, actor=book.actor, request=request)
        quote = loans.quote_payoff(engine, book.loan_id, paid)
        assert view.amount == quote
        payments.prepay_loan(engine, other, quote, paid)
        run_cob(engine, paid + timedelta(days=2))  # the day closes before the word comes
        (intent,) = intents(book)
        # the word comes in the gateway's reconciliation file of that day
        at = (datetime.combine(paid, time(10), tzinfo=UTC) - CST).isoformat()
        line = f"{intent['gateway_txn_id']},{intent['id']},debit,succeeded,{quote.fen},,,{at}"
        data = f"{RECONCILIATION_HEADER}\n{line}\n".encode()
        done = reconcile_payments(engine, paid, data, actor="system")
        assert done.counts == {"posted": 1}
        closed = account(engine, book.loan_id)
        assert (closed.status, closed.closed_on) == (LoanStatus.CLOSED, paid)
        assert closed.outstanding.total == 0 and closed.credit == 0
        assert state(engine, book.loan_id) == state(engine, other)
        own, twins = entries(engine, book.loan_id)[-2], entries(engine, other)[-1]
        assert own == ("prepayment", f"value date {paid}", twins[2])
        assert ledger.verify_ledger(engine).ok


def test_a_completion_dated_before_the_payment_was_made_posts_on_the_business_date(
    engine: Engine, cipher: PiiCipher, silent: SandboxGatewayClient, target: Target
) -> None:
    with target.serving(engine, silent):
        book = _book(engine, cipher, silent, "13700138400", card=True)
        run_cob(engine, book.opened + timedelta(days=2))
        today = current_business_date(engine)
        for completed in (book.opened - timedelta(days=1), book.opened + timedelta(days=1)):
            intent = card_payment(engine, silent, book)
            assert on_a_word_of(engine, silent, book, intent, completed) == today


def card_payment(engine: Engine, gateway: SandboxGatewayClient, book: Book) -> dict[str, object]:
    """50.00 paid by card today, the gateway's word kept back."""
    request = IntentRequest(book.loan_id, IntentKind.PAYMENT, Money(5_000), uuid.uuid4().hex)
    view = create_payment_intent(engine, gateway, actor=book.actor, request=request)
    return next(i for i in intents(book) if i["id"] == view.id)


def on_a_word_of(
    engine: Engine,
    gateway: SandboxGatewayClient,
    book: Book,
    intent: dict[str, object],
    completed: date,
) -> date:
    """Deliver the word that ``intent`` completed on ``completed``: the date the payment was
    posted at, after checking it was booked on that date too."""
    assert late_word(engine, gateway, intent, completed) == "posted"
    key = f"intent:{intent['id']}"
    with engine.connect() as conn:
        booked = conn.execute(
            sa.select(transactions.c.booked_day).where(transactions.c.idempotency_key == key)
        ).scalar_one()
    assert booked is None
    return posted_on(engine, intent["id"])


def moves(engine: Engine, loan_id: int) -> list[tuple[int, str, str, int]]:
    b = bucket_history.c
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(b.day, b.from_bucket, b.to_bucket, b.days_past_due)
            .where(b.loan_id == loan_id)
            .order_by(b.day, b.id)
        ).all()
    return [(int(r[0]), str(r[1]), str(r[2]), int(r[3])) for r in rows]


def month_end_rows(engine: Engine, loan_id: int) -> list[tuple[int, str, int, int]]:
    m = month_ends.c
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(m.month_end_day, m.status, m.days_past_due, m.principal_balance)
            .where(m.loan_id == loan_id)
            .order_by(m.month_end_day)
        ).all()
    return [(int(r[0]), str(r[1]), int(r[2]), int(r[3])) for r in rows]


def last_of_month(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


def test_a_payment_paid_on_time_and_heard_of_late_leaves_no_delinquency_on_record(
    engine: Engine, cipher: PiiCipher, silent: SandboxGatewayClient, target: Target
) -> None:
    """The debit of the due date is heard of after a month-end's close: the delinquency the
    closes recorded meanwhile — a bucket move, a month-end past due — is not on record once
    it is booked at its value date; the loan's record is the on-time twin's, and the
    installment left unpaid by a third twin keeps its own."""
    with target.serving(engine, silent):
        late = _book(engine, cipher, silent, "13700138700", card=True)
        on_time, unpaid = twin(engine, late.opened), twin(engine, late.opened)
        first = due_days(late)[0]
        month_end = last_of_month(first)
        if month_end == first:  # the next month's end: within 31 days
            month_end = last_of_month(first + timedelta(days=1))
        run_cob(engine, first - timedelta(days=1))
        send_queued_debits(engine, silent, today=first)  # taken, the word kept back
        (debit,) = intents(late)
        payments.post_payment(engine, on_time, Money(int(str(debit["amount"]))), first)
        run_cob(engine, month_end + timedelta(days=1))
        assert (current_business_date(engine) - first).days <= 31
        # what the closes recorded before the word came: delinquent, as the unpaid twin
        assert moves(engine, late.loan_id) == moves(engine, unpaid) != []
        assert month_end_rows(engine, late.loan_id) == month_end_rows(engine, unpaid)
        assert any(dpd > 0 for _, _, dpd, _ in month_end_rows(engine, late.loan_id))

        assert late_word(engine, silent, debit, first) == "posted"
        assert posted_on(engine, debit["id"]) == first
        assert state(engine, late.loan_id) == state(engine, on_time)
        assert moves(engine, late.loan_id) == moves(engine, on_time) == []
        assert month_end_rows(engine, late.loan_id) == month_end_rows(engine, on_time)
        assert all(dpd == 0 for _, _, dpd, _ in month_end_rows(engine, late.loan_id))
        assert moves(engine, unpaid) != []  # the unpaid twin's record is its own
        assert ledger.verify_ledger(engine).ok


def test_a_draw_paid_on_time_and_heard_of_after_the_month_end_leaves_its_line_clean(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two lines draw alike; the twin's installment is paid at the counter on its due date,
    the other's by card that day, its word heard of only after the month-end closed (the
    line's behaviour snapshot taken, its limit reviewed). Booked at its value date, the
    line's month-end snapshot — what the next limit reviews read: balance, days past due,
    worst, paid — is the twin's."""
    clock = {"now": datetime(2024, 12, 27, 9, tzinfo=UTC)}
    monkeypatch.setattr(business_date, "now_utc", lambda: clock["now"])
    opened = date(2024, 12, 27)
    late_line, twin_line = (
        open_credit_line(engine, Money.of("5000"), Decimal("0.18"), opened).line.line_id
        for _ in range(2)
    )
    late = draw(engine, late_line, Money.of("4000"), 12, opened).loan_id
    twin_loan = draw(engine, twin_line, Money.of("4000"), 12, opened).loan_id
    first = account(engine, late).installments[0]
    amount = Money(first.principal_due + first.interest_due + first.fee_due)

    def close_to(day: date) -> None:
        clock["now"] = datetime.combine(day + timedelta(days=1), time(), tzinfo=UTC)
        run_cob(engine, day)

    close_to(first.due - timedelta(days=1))
    payments.post_payment(engine, twin_loan, amount, first.due)
    month_end = date(2025, 1, 31)
    close_to(month_end + timedelta(days=1))
    assert snapshot(engine, late_line, month_end)[1] > 0  # past due at the month-end
    with UnitOfWork(engine) as uow:
        payments.pay_on_business_date_in_unit(
            uow, late, amount, "late-word", today=date(2025, 2, 2), value_on=first.due
        )
        uow.commit()
    assert snapshot(engine, late_line, month_end) == snapshot(engine, twin_line, month_end)
    assert snapshot(engine, late_line, month_end)[1:3] == (0, 0)
    assert ledger.verify_ledger(engine).ok


def snapshot(engine: Engine, line_id: int, day: date) -> tuple[int, ...]:
    """A line's month-end snapshot: balance, days past due, worst, paid, prepaid."""
    m = limit_line_months.c
    with engine.connect() as conn:
        row = conn.execute(
            sa.select(m.balance, m.days_past_due, m.worst_dpd, m.amount_paid, m.prepaid).where(
                m.line_id == line_id, m.day == to_day(day)
            )
        ).one()
    return tuple(int(x) for x in row)
