"""Auto-debit (代扣) on SQLite and PostgreSQL against the sandbox gateway running as a real local
HTTP service: close of business queues one intent for what falls due (or is past due on a
retry day), never more than owed, none while another is unsettled; the sender submits them and
the gateway's signed notification — delivered over HTTP to a receiver in this process — posts
each success once. The expected amounts are read from the installment rows and the schedule is
checked against an annuity computed here."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from tests.integration.test_cards import bind, borrower
from tests.integration.test_payment_intents import LostAnswers
from tests.support.cli import run
from tests.support.gateway import GATEWAY_KEY, card_with_prefix
from tests.support.gateway_fixtures import Target
from thinfile.adapters.gateway_signature import SIGNATURE_HEADER, sign
from thinfile.adapters.sandbox_gateway_client import SandboxGatewayClient
from thinfile.errors import ConflictError, InvalidInputError, PaymentGatewayUnavailableError
from thinfile.loanmath import LoanTerms, RepaymentMethod
from thinfile.money import Money
from thinfile.security.crypto import PiiCipher
from thinfile.services import consent, ledger, loans, payments
from thinfile.services.auto_debit import send_queued_debits
from thinfile.services.business_date import current_business_date
from thinfile.services.cob import run_cob
from thinfile.services.cob_steps import auto_debit_step
from thinfile.services.credit_lines import draw, open_credit_line
from thinfile.services.identity_records import Actor
from thinfile.services.payment_intents import (
    IntentKind,
    IntentRequest,
    IntentStatus,
    create_payment_intent,
)
from thinfile.services.payment_status_queries import refresh_payment_intent
from thinfile.services.uow import UnitOfWork
from thinfile.store.payment_tables import payment_intents
from thinfile.store.servicing_tables import installments, transactions

CARD = card_with_prefix("622588")
PRINCIPAL_FEN = 300_000
EPOCH = date(1970, 1, 1)


@dataclass
class Book:
    engine: Engine
    actor: Actor
    loan_id: int
    opened: date


def applicants_of(engine: Engine, actor: Actor) -> str:
    with engine.connect() as conn:
        return str(
            conn.execute(
                sa.text("SELECT id FROM applicants WHERE user_id = :u"), {"u": actor.user_id}
            ).scalar_one()
        )


def _own(engine: Engine, actor: Actor, loan_id: int) -> None:
    """Record that the borrower's accepted offer opened the loan (as acceptance does)."""
    with engine.begin() as conn:
        applicant = conn.execute(
            sa.text("SELECT id FROM applicants WHERE user_id = :u"), {"u": actor.user_id}
        ).scalar_one()
        conn.execute(
            sa.text(
                "INSERT INTO applications (id, applicant_id, user_id, submitted_at, decided_on,"
                " status, outcome, purpose, segment, requested_amount, grade, pd, score,"
                " model_version, policy_version, arm, id_number_hash, phone_hash,"
                " decision_json, pii_enc, loan_id, version) VALUES (:id, :a, :u, :at, :on,"
                " 'accepted', 'approve', 'consumption', 'thin', 300000, 'B', '0.05', 600,"
                " 'm', 'p', 'champion', :h, :h, '{}', 'x', :loan, 1)"
            ),
            {
                "id": uuid.uuid4().hex,
                "a": applicant,
                "u": actor.user_id,
                "at": datetime.now(UTC),
                "on": date(2026, 1, 1),
                "h": uuid.uuid4().hex,
                "loan": str(loan_id),
            },
        )


def _book(
    engine: Engine, cipher: PiiCipher, gateway: SandboxGatewayClient, phone: str, *, card: bool
) -> Book:
    actor = borrower(engine, cipher, phone)
    if card:
        bind(engine, cipher, gateway, actor, CARD)
    on = current_business_date(engine)
    terms = LoanTerms(
        Money(PRINCIPAL_FEN), Decimal("0.18"), 6, RepaymentMethod.EQUAL_INSTALLMENT, on
    )
    loan = loans.open_and_disburse(engine, terms)
    _own(engine, actor, loan.loan_id)
    return Book(engine, actor, loan.loan_id, on)


@pytest.fixture
def book(
    engine: Engine, cipher: PiiCipher, notifying: SandboxGatewayClient, target: Target
) -> Iterator[Book]:
    with target.serving(engine, notifying):
        yield _book(engine, cipher, notifying, "13700137300", card=True)


def due_days(book: Book) -> list[date]:
    with book.engine.connect() as conn:
        days = conn.execute(
            sa.select(installments.c.due_day)
            .where(installments.c.loan_id == book.loan_id)
            .order_by(installments.c.n)
        ).scalars()
        return [EPOCH + timedelta(days=int(d)) for d in days]


def unpaid_fallen_due(book: Book, on: date) -> int:
    """The oracle: what the installment rows say has fallen due by ``on`` and is unpaid."""
    with book.engine.connect() as conn:
        rows = conn.execute(
            sa.select(installments).where(
                installments.c.loan_id == book.loan_id,
                installments.c.due_day <= (on - EPOCH).days,
            )
        ).mappings()
        return sum(
            int(r[f"{part}_due"]) - int(r[f"{part}_paid"])
            for r in rows
            for part in ("principal", "interest", "fee", "penalty")
        )


def held_credit(book: Book) -> int:
    with book.engine.connect() as conn:
        return int(
            conn.execute(
                sa.text("SELECT credit FROM servicing_loans WHERE id = :i"), {"i": book.loan_id}
            ).scalar_one()
        )


def intents(book: Book) -> list[dict[str, object]]:
    with book.engine.connect() as conn:
        rows = conn.execute(
            sa.select(payment_intents)
            .where(payment_intents.c.loan_id == book.loan_id)
            .order_by(payment_intents.c.created_at, payment_intents.c.id)
        ).mappings()
        return [dict(r) for r in rows]


def postings(engine: Engine, loan_id: int) -> list[tuple[int, str | None]]:
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(transactions.c.amount, transactions.c.idempotency_key)
            .where(transactions.c.loan_id == loan_id, transactions.c.kind == "repayment")
            .order_by(transactions.c.id)
        )
        return [(int(a), k) for a, k in rows]


def final(book: Book, intent_id: str) -> str:
    end = time.monotonic() + 30
    while time.monotonic() < end:
        with book.engine.connect() as conn:
            status = conn.execute(
                sa.select(payment_intents.c.status).where(payment_intents.c.id == intent_id)
            ).scalar_one()
        if status in ("succeeded", "failed"):
            return str(status)
        time.sleep(0.05)
    raise AssertionError(f"intent {intent_id} was not settled")


def annuity_fen(principal: int, yearly: Decimal, n: int) -> int:
    r = yearly / 12
    level = Decimal(principal) * r * (1 + r) ** n / ((1 + r) ** n - 1)
    return int(level.quantize(Decimal(1), rounding=ROUND_HALF_EVEN))


def overdue_notices(book: Book) -> list[str]:
    with book.engine.connect() as conn:
        kinds = conn.execute(
            sa.text("SELECT kind FROM notifications WHERE loan_id = :l AND kind LIKE 'overdue%'"),
            {"l": book.loan_id},
        ).scalars()
        return [str(k) for k in kinds]


def overdue_since(book: Book) -> int | None:
    with book.engine.connect() as conn:
        day = conn.execute(
            sa.text("SELECT overdue_since_day FROM servicing_loans WHERE id = :i"),
            {"i": book.loan_id},
        ).scalar_one()
        return None if day is None else int(day)


def posted_on(engine: Engine, intent_id: object) -> date:
    with engine.connect() as conn:
        day = conn.execute(
            sa.select(transactions.c.day).where(
                transactions.c.idempotency_key == f"intent:{intent_id}"
            )
        ).scalar_one()
        return EPOCH + timedelta(days=int(day))


def test_the_eve_of_the_due_day_queues_the_installment_and_the_debit_pays_it_on_its_due_day(
    book: Book, notifying: SandboxGatewayClient
) -> None:
    first = due_days(book)[0]
    run_cob(book.engine, first - timedelta(days=2))
    assert intents(book) == []  # nothing falls due on the next day
    run_cob(book.engine, first - timedelta(days=1))
    run_cob(book.engine, first - timedelta(days=1))  # the date is closed: never a second queue
    queued = intents(book)
    assert len(queued) == 1
    amount = int(str(queued[0]["amount"]))
    assert amount == unpaid_fallen_due(book, first)  # the installment falling due, all of it
    assert unpaid_fallen_due(book, first - timedelta(days=1)) == 0
    assert abs(amount - annuity_fen(PRINCIPAL_FEN, Decimal("0.18"), 6)) <= 200
    assert queued[0]["status"] == "created" and queued[0]["kind"] == "payment"
    assert amount <= loans.quote_payoff(book.engine, book.loan_id, first).fen
    assert current_business_date(book.engine) == first  # the queue goes on the due date
    report = send_queued_debits(book.engine, notifying, today=first)
    assert [v.id for v in report.sent] == [queued[0]["id"]] and report.cancelled == ()
    assert final(book, str(queued[0]["id"])) == "succeeded"
    time.sleep(0.5)  # duplicates of the notification arrive: still one posting
    assert postings(book.engine, book.loan_id) == [(amount, f"intent:{queued[0]['id']}")]
    assert posted_on(book.engine, queued[0]["id"]) == first
    assert (
        send_queued_debits(book.engine, notifying, today=first).sent == ()
    )  # nothing queued is sent again
    run_cob(book.engine, first)  # the due date closes with the installment paid on it
    assert overdue_since(book) is None and overdue_notices(book) == []
    run_cob(book.engine, first + timedelta(days=6))  # retry eves, but nothing is past due
    assert len(intents(book)) == 1
    assert overdue_notices(book) == []
    assert ledger.verify_ledger(book.engine).ok


def test_insufficient_funds_fails_and_the_eve_of_the_next_retry_day_queues_what_is_past_due(
    engine: Engine,
    cipher: PiiCipher,
    notifying: SandboxGatewayClient,
    target: Target,
) -> None:
    with target.serving(engine, notifying):
        book = _book(engine, cipher, notifying, "13700137700", card=False)
        first = due_days(book)[0]
        run_cob(engine, first)
        assert intents(book) == []  # no card with an agreement: nothing queued
        assert overdue_since(book) == (first - EPOCH).days
        run_cob(engine, first + timedelta(days=1))  # the eve of day 2 past due: no retry day
        on = first + timedelta(days=2)
        left = unpaid_fallen_due(book, first) - held_credit(book)
        # paid at the counter until ¥x.51 is left: the sandbox's insufficient funds
        for _ in range(3):
            if left % 100 == 51:
                break
            payments.post_payment(engine, book.loan_id, Money((left % 100 - 51) % 100), on)
            left = unpaid_fallen_due(book, on) - held_credit(book)
        assert left % 100 == 51
        bind(engine, cipher, notifying, book.actor, CARD)
        run_cob(engine, on)  # the eve of retry day 3
        (retried,) = intents(book)
        assert int(str(retried["amount"])) == left
        send_queued_debits(engine, notifying, today=on + timedelta(days=1))
        assert final(book, str(retried["id"])) == "failed"
        assert intents(book)[0]["failure"] == "insufficient_funds"
        # refused at once (not by a later notification): the borrower is told all the same
        with engine.connect() as conn:
            told = conn.execute(
                sa.text(
                    "SELECT amount_fen FROM notifications "
                    "WHERE loan_id = :l AND kind = 'auto_debit_failed'"
                ),
                {"l": book.loan_id},
            ).all()
        assert [int(r[0]) for r in told] == [left]
        assert postings(engine, book.loan_id)[-1][1] is None  # only the counter's
        run_cob(engine, first + timedelta(days=5))  # the eves of days 4 to 6: no retry days
        assert len(intents(book)) == 1
        expected = unpaid_fallen_due(book, first) - held_credit(book)
        if 51 <= expected % 100 <= 55:  # the sandbox's failure cents: pay a few at the counter
            cents = Money(expected % 100 - 50)
            payments.post_payment(engine, book.loan_id, cents, first + timedelta(days=6))
            expected = unpaid_fallen_due(book, first) - held_credit(book)
        run_cob(engine, first + timedelta(days=6))  # the eve of retry day 7
        seventh = intents(book)[1]
        amount = int(str(seventh["amount"]))
        assert amount == expected  # what is past due, penalty included, never more
        payoff = loans.quote_payoff(engine, book.loan_id, first + timedelta(days=7))
        assert amount <= payoff.fen
        send_queued_debits(engine, notifying, today=first + timedelta(days=7))
        assert final(book, str(seventh["id"])) == "succeeded"
        time.sleep(0.5)  # duplicated notifications arrive: still one posting
        posted = postings(engine, book.loan_id)
        assert posted[-1] == (amount, f"intent:{seventh['id']}")
        assert [k for _, k in posted].count(f"intent:{seventh['id']}") == 1
        assert posted_on(engine, seventh["id"]) == first + timedelta(days=7)
        # only the penalty of day 6, charged after the step queued the debit, is left
        assert 0 <= unpaid_fallen_due(book, first) < 100
        assert ledger.verify_ledger(engine).ok


def test_the_first_retry_is_queued_whichever_of_due_and_auto_debit_runs_first(
    engine: Engine, cipher: PiiCipher, silent: SandboxGatewayClient
) -> None:
    """The due date's debit was refused: the close of that date queues the retry of day 1,
    also when its ``auto-debit`` step runs before its ``due`` step (PostgreSQL runs them at
    the same time) — the statement reads the arrears beginning that day from the
    installments, not from the date the ``due`` step records."""
    book = _book(engine, cipher, silent, "13700137850", card=True)
    first = due_days(book)[0]
    run_cob(engine, first - timedelta(days=1))
    (queued,) = intents(book)
    amount = int(str(queued["amount"]))
    cash = (amount % 100 - 51) % 100 or 100  # leaves ¥x.51: refused at once
    payments.post_payment(engine, book.loan_id, Money(cash), first)
    (sent,) = send_queued_debits(engine, silent, today=first).sent
    assert sent.status is IntentStatus.FAILED and sent.amount.fen % 100 == 51
    assert overdue_since(book) is None  # the due step of the date has not run
    with UnitOfWork(engine) as uow:  # the auto-debit lane, before the due step
        day = (first - EPOCH).days
        params = {"x": day, "prev": day - 1, "lo": 0}
        assert auto_debit_step(uow, first, params) == 1
        uow.commit()
    retry = intents(book)[1]
    assert int(str(retry["amount"])) == sent.amount.fen  # what is past due, never more
    assert str(retry["idempotency_key"]) == f"auto-debit:{day}:{book.loan_id}"
    run_cob(engine, first)  # the rest of the close: nothing queued twice
    assert overdue_since(book) == (first - EPOCH).days
    assert len(intents(book)) == 2


def test_a_retry_is_for_what_was_owed_before_the_nights_penalty_even_when_it_reads_last(
    engine: Engine,
    cipher: PiiCipher,
    silent: SandboxGatewayClient,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """On PostgreSQL the auto-debit step runs beside the steps that charge the night's late
    fee and penalty interest; it reads the book in one snapshot taken before they begin. Here
    its statement is held until the penalty step has committed (the worst order): the retry
    is still for what was owed before that penalty, as when the steps run one after another
    (SQLite)."""
    import thinfile.services.cob as cob

    book = _book(engine, cipher, silent, "13700137870", card=False)
    first = due_days(book)[0]
    eve = first + timedelta(days=6)  # the eve of retry day 7, past the grace days
    run_cob(engine, eve - timedelta(days=1))
    bind(engine, cipher, silent, book.actor, CARD)
    expected = unpaid_fallen_due(book, eve + timedelta(days=1)) - held_credit(book)
    real = auto_debit_step

    def after_the_penalty(uow: UnitOfWork, x: date, p: dict[str, int], **kw: object) -> int:
        if engine.dialect.name == "postgresql":
            marker = sa.text(
                "SELECT COUNT(*) FROM servicing_cob_steps WHERE business_day = :d"
                " AND step = 'penalty'"
            )
            end = time.monotonic() + 60
            while time.monotonic() < end:
                with engine.connect() as conn:
                    if conn.execute(marker, {"d": (x - EPOCH).days}).scalar_one():
                        break
                time.sleep(0.05)
            else:
                raise AssertionError("the penalty step never committed beside auto-debit")
        return real(uow, x, p, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(cob, "auto_debit_step", after_the_penalty)
    run_cob(engine, eve)
    (retry,) = intents(book)
    assert int(str(retry["amount"])) == expected
    assert unpaid_fallen_due(book, eve) - held_credit(book) > expected  # the night's penalty


def test_a_pending_intent_blocks_another_and_no_card_no_intent(
    engine: Engine, cipher: PiiCipher, silent: SandboxGatewayClient
) -> None:
    book = _book(engine, cipher, silent, "13700137400", card=True)
    cardless = _book(engine, cipher, silent, "13700137500", card=False)
    first = due_days(book)[0]
    assert due_days(cardless)[0] == first
    run_cob(engine, first - timedelta(days=2))
    request = IntentRequest(book.loan_id, IntentKind.PAYMENT, Money(100), uuid.uuid4().hex)
    mine = create_payment_intent(engine, silent, actor=book.actor, request=request)
    assert mine.status is IntentStatus.PENDING  # the silent gateway never says more
    run_cob(engine, first + timedelta(days=1))
    assert [i["id"] for i in intents(book)] == [mine.id]
    assert intents(cardless) == []


def test_revoking_the_bank_card_consent_ends_the_cards_debits(
    engine: Engine, cipher: PiiCipher, silent: SandboxGatewayClient
) -> None:
    """The separate consent a card rests on (bank_account for loan_servicing, PIPL art. 29)
    revoked after the eve queued the installment: the queued debit fails as the agreement's
    without reaching the gateway, no retry is queued, and the card is unbound (binding again
    asks for the consent again). The debit was sent and taken from the card."""
    book = _book(engine, cipher, silent, "13700137600", card=True)
    first = due_days(book)[0]
    run_cob(engine, first - timedelta(days=1))
    [queued] = intents(book)
    applicant = applicants_of(engine, book.actor)
    [card_consent] = [
        c
        for c in consent.list_consents(engine, applicant_id=applicant, actor=book.actor)
        if c.is_active and c.data_category == consent.DataCategory.BANK_ACCOUNT
    ]
    consent.revoke_consent(
        engine, applicant_id=applicant, consent_id=card_consent.id, actor=book.actor
    )
    report = send_queued_debits(engine, silent, today=first)
    [failed] = intents(book)
    assert (failed["id"], failed["status"], failed["failure"]) == (
        queued["id"],
        "failed",
        "agreement_invalid",
    ), report
    assert silent.debit_status(str(queued["id"])) is None  # never reached the gateway
    assert postings(engine, book.loan_id) == []
    run_cob(engine, first + timedelta(days=7))  # the retry eves pass
    assert len(intents(book)) == 1
    with UnitOfWork(engine) as uow:
        assert uow.payment_cards.of_user(book.actor.user_id) == []


def _own_line(engine: Engine, actor: Actor, line_id: int) -> None:
    """Record that the borrower's accepted offer opened the credit line (the application names
    the line, not the loans drawn from it)."""
    _own(engine, actor, 0)
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "UPDATE applications SET loan_id = NULL, credit_line_id = :line"
                " WHERE user_id = :u AND loan_id = '0'"
            ),
            {"line": str(line_id), "u": actor.user_id},
        )


def test_a_draw_on_a_line_is_debited_from_the_lines_borrowers_card_and_others_are_not(
    engine: Engine, cipher: PiiCipher, silent: SandboxGatewayClient
) -> None:
    """The borrower of a draw is the borrower of its line's application; a loan nobody's
    application names, or whose borrower has no card, is queued nothing."""
    actor = borrower(engine, cipher, "13700137600")
    card_id = bind(engine, cipher, silent, actor, CARD).id
    on = current_business_date(engine)
    line = open_credit_line(engine, Money.of("5000"), Decimal("0.18"), on).line.line_id
    _own_line(engine, actor, line)
    drawn = draw(engine, line, Money.of("1200"), 6, on)
    orphan = loans.open_and_disburse(
        engine,
        LoanTerms(Money(PRINCIPAL_FEN), Decimal("0.18"), 6, RepaymentMethod.EQUAL_INSTALLMENT, on),
    )
    cardless = _book(engine, cipher, silent, "13700137700", card=False)
    first = due_days(cardless)[0]
    run_cob(engine, first - timedelta(days=1))
    with engine.connect() as conn:
        queued = conn.execute(
            sa.select(
                payment_intents.c.loan_id, payment_intents.c.user_id, payment_intents.c.card_id
            )
        ).all()
    assert [tuple(q) for q in queued] == [(drawn.loan_id, actor.user_id, card_id)]
    assert orphan.loan_id != drawn.loan_id


def test_a_queued_debit_above_what_is_due_now_is_lowered_before_it_is_sent(
    engine: Engine, cipher: PiiCipher, silent: SandboxGatewayClient
) -> None:
    """The borrower paid part of the installment at the counter on its due date, after close
    of business queued the debit: the card is debited for the rest of it, not for more."""
    book = _book(engine, cipher, silent, "13700137600", card=True)
    first = due_days(book)[0]
    run_cob(engine, first - timedelta(days=1))
    (queued,) = intents(book)
    amount = int(str(queued["amount"]))
    payments.post_payment(engine, book.loan_id, Money(amount - 1_000), first)  # most of it
    left = unpaid_fallen_due(book, first) - held_credit(book)
    assert left == 1_000
    assert loans.quote_payoff(engine, book.loan_id, first).fen > amount  # the loan owes more
    report = send_queued_debits(engine, silent, batch=5, today=first)
    assert len(report.sent) == 1 and report.sent[0].amount == Money(left)
    report_gateway = silent.debit_status(str(queued["id"]))
    assert report_gateway is not None and report_gateway.amount_fen == left


def test_an_installment_paid_before_the_queue_is_sent_is_not_debited_again(
    engine: Engine, cipher: PiiCipher, silent: SandboxGatewayClient
) -> None:
    """Paid in full at the counter on the due date: the agreement takes what is due, never the
    next installment ahead of its date — the queued debit closes without reaching the card."""
    book = _book(engine, cipher, silent, "13700137800", card=True)
    first = due_days(book)[0]
    run_cob(engine, first - timedelta(days=1))
    (queued,) = intents(book)
    amount = int(str(queued["amount"]))
    payments.post_payment(engine, book.loan_id, Money(amount), first)
    assert unpaid_fallen_due(book, first) - held_credit(book) == 0
    report = send_queued_debits(engine, silent, batch=5, today=first)
    assert report.sent == () and report.cancelled == (queued["id"],)
    assert silent.debit_status(str(queued["id"])) is None  # the gateway never saw it
    (closed,) = intents(book)
    assert closed["status"] == "failed" and int(str(closed["amount"])) == amount
    assert postings(engine, book.loan_id) == [(amount, None)]  # the counter's, alone


def test_a_borrower_pays_off_on_the_due_day_before_the_queue_is_sent_and_is_debited_nothing(
    engine: Engine, cipher: PiiCipher, notifying: SandboxGatewayClient, target: Target
) -> None:
    """A debit queued overnight neither blocks the borrower's own payoff on the due date nor
    takes anything after it: the sender finds the loan closed."""
    with target.serving(engine, notifying):
        book = _book(engine, cipher, notifying, "13700137900", card=True)
        first = due_days(book)[0]
        run_cob(engine, first - timedelta(days=1))
        (queued,) = intents(book)
        quote = loans.quote_payoff(engine, book.loan_id, first)
        request = IntentRequest(book.loan_id, IntentKind.PAYOFF, None, uuid.uuid4().hex)
        mine = create_payment_intent(engine, notifying, actor=book.actor, request=request)
        assert mine.amount == quote  # the whole quote: the queued debit takes none of it
        assert final(book, mine.id) == "succeeded"
        assert loans.get_loan(engine, book.loan_id).account.status.value == "closed"
        report = send_queued_debits(engine, notifying, today=first)
        assert report.sent == () and report.cancelled == (queued["id"],)
        assert notifying.debit_status(str(queued["id"])) is None
        with engine.connect() as conn:
            keyed = conn.execute(
                sa.select(transactions.c.amount, transactions.c.idempotency_key).where(
                    transactions.c.loan_id == book.loan_id,
                    transactions.c.idempotency_key.is_not(None),
                )
            ).all()
        assert [(int(a), k) for a, k in keyed] == [(quote.fen, f"intent:{mine.id}")]
        assert ledger.verify_ledger(engine).ok


def test_a_debit_claimed_for_sending_counts_against_the_borrowers_own_payment(
    engine: Engine, cipher: PiiCipher, silent: SandboxGatewayClient
) -> None:
    """Once the sender has checked a queued debit it is ``pending`` (claimed) before the
    gateway answers: a payment the borrower starts then is bounded by it."""
    book = _book(engine, cipher, silent, "13700137950", card=True)
    first = due_days(book)[0]
    run_cob(engine, first - timedelta(days=1))
    (queued,) = intents(book)
    (sent,) = send_queued_debits(engine, silent, today=first).sent
    assert sent.status is IntentStatus.PENDING and sent.id == queued["id"]
    quote = loans.quote_payoff(engine, book.loan_id, first)
    request = IntentRequest(book.loan_id, IntentKind.PAYOFF, None, uuid.uuid4().hex)
    with pytest.raises(ConflictError):  # a payment of the loan is still pending
        create_payment_intent(engine, silent, actor=book.actor, request=request)
    room = quote.fen - int(str(queued["amount"]))
    too_much = IntentRequest(book.loan_id, IntentKind.PAYMENT, Money(room + 1), uuid.uuid4().hex)
    with pytest.raises(InvalidInputError):
        create_payment_intent(engine, silent, actor=book.actor, request=too_much)
    assert [i["id"] for i in intents(book)] == [queued["id"]]


def test_a_queued_debit_waits_for_its_due_date_to_begin(
    engine: Engine, cipher: PiiCipher, silent: SandboxGatewayClient
) -> None:
    """A close of business run during the day it closes queues the next day's debits: the
    sender keeps them until that day begins (in the lender's time zone), never taking an
    installment the day before it is due."""
    book = _book(engine, cipher, silent, "13700137880", card=True)
    first = due_days(book)[0]
    run_cob(engine, first - timedelta(days=1))
    (queued,) = intents(book)
    early = send_queued_debits(engine, silent, today=first - timedelta(days=1))
    assert early.sent == () and early.cancelled == () and early.waiting == (queued["id"],)
    wall = send_queued_debits(engine, silent)  # the wall clock's date: before the due date
    assert first > date.today() and wall.waiting == (queued["id"],) and wall.sent == ()
    assert silent.debit_status(str(queued["id"])) is None
    assert intents(book)[0]["status"] == "created"
    on_time = send_queued_debits(engine, silent, today=first)
    assert [v.id for v in on_time.sent] == [queued["id"]] and on_time.waiting == ()


def _claim_then_stop(
    engine: Engine, gateway: SandboxGatewayClient, day: date, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The sending of ``day`` claims its debits and stops before the gateway hears of them."""
    import thinfile.services.auto_debit as auto_debit

    def stopped(*args: object, **kw: object) -> None:
        raise RuntimeError("the sending stopped")

    with monkeypatch.context() as patched:
        patched.setattr(auto_debit, "send_debit", stopped)
        with pytest.raises(RuntimeError):
            send_queued_debits(engine, gateway, today=day)


def test_a_claimed_debit_whose_sending_stopped_is_sent_by_the_next_sending_once(
    engine: Engine,
    cipher: PiiCipher,
    silent: SandboxGatewayClient,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The sending stops after claiming a debit and before the gateway hears of it: the next
    sending asks the gateway, finds nothing, and sends it under the same request id — once,
    for the amount claimed."""
    book = _book(engine, cipher, silent, "13700137890", card=True)
    first = due_days(book)[0]
    run_cob(engine, first - timedelta(days=1))
    (queued,) = intents(book)
    _claim_then_stop(engine, silent, first, monkeypatch)
    (claimed,) = intents(book)
    assert claimed["status"] == "pending" and claimed["gateway_txn_id"] is None
    assert silent.debit_status(str(queued["id"])) is None
    again = send_queued_debits(engine, silent, today=first)
    assert again.sent == () and [v.id for v in again.recovered] == [queued["id"]]
    report = silent.debit_status(str(queued["id"]))
    assert report is not None and report.amount_fen == int(str(queued["amount"]))
    (sent,) = intents(book)
    assert sent["status"] == "pending" and sent["gateway_txn_id"] == report.gateway_txn_id
    assert send_queued_debits(engine, silent, today=first).recovered == ()  # answered now


@pytest.mark.parametrize("key", ["auto-debit:20500:1", "AUTO-DEBIT:20500:1"])
def test_a_borrowers_key_in_close_of_business_names_is_refused(
    engine: Engine, cipher: PiiCipher, silent: SandboxGatewayClient, key: str
) -> None:
    """Close of business names its queued debits ``auto-debit:<day>:<loan>``; a borrower's
    payment under such a key would pass for one (or make the night's insert collide)."""
    book = _book(engine, cipher, silent, "13700137990", card=True)
    request = IntentRequest(book.loan_id, IntentKind.PAYMENT, Money(100), key)
    with pytest.raises(InvalidInputError) as refused:
        create_payment_intent(engine, silent, actor=book.actor, request=request)
    assert refused.value.field == "Idempotency-Key"
    assert intents(book) == []


@pytest.mark.parametrize("batch", [0, -1, 10_001, True])
def test_a_batch_outside_its_range_is_refused(
    engine: Engine, silent: SandboxGatewayClient, batch: int
) -> None:
    with pytest.raises(InvalidInputError) as refused:
        send_queued_debits(engine, silent, batch=batch)
    assert refused.value.field == "batch"


@pytest.mark.parametrize("days", [(0,), (-1,), (366,), (True,)])
def test_a_retry_schedule_outside_its_range_is_refused(engine: Engine, days: tuple[int]) -> None:
    with pytest.raises(InvalidInputError) as refused:
        run_cob(engine, date(2026, 1, 1), retry_days=days)
    assert refused.value.field == "retry_days"


def test_queued_debits_never_crowd_a_lost_payment_out_of_the_status_queries(
    engine: Engine,
    cipher: PiiCipher,
    silent: SandboxGatewayClient,
    database_url: str,
    tmp_path: object,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """``thinfile payments query-unsettled`` (掉单查询) asks the gateway about the oldest
    unsettled payments: a night's queued auto-debits, older and many, are the sender's and
    never take the places of a borrower's payment whose answer was lost."""
    book = _book(engine, cipher, silent, "13700137950", card=True)
    first = due_days(book)[0]
    run_cob(engine, first - timedelta(days=1))
    (queued,) = intents(book)  # the eve's debit, queued before the borrower's payment
    assert queued["status"] == "created"
    request = IntentRequest(book.loan_id, IntentKind.PAYMENT, Money(10_000), uuid.uuid4().hex)
    lost_gateway = LostAnswers(silent, reaches=False)
    lost = create_payment_intent(
        engine,
        lost_gateway,  # type: ignore[arg-type]
        actor=book.actor,
        request=request,
    )
    assert lost.status is IntentStatus.PENDING and silent.debit_status(lost.id) is None
    monkeypatch.setenv("THINFILE_DATABASE_URL", database_url)
    monkeypatch.setenv("THINFILE_HOME", str(tmp_path))
    monkeypatch.setenv("THINFILE_PAYMENT_GATEWAY_URL", silent.base_url)
    monkeypatch.setenv("THINFILE_PAYMENT_GATEWAY_KEY", GATEWAY_KEY.decode())
    args = ("payments", "query-unsettled", "--older-than-minutes", "0", "--limit", "1")
    code, out, err = run(capsys, *args)  # never received: sent again under its request id
    assert code == 0, err
    assert f"{lost.id} loan {book.loan_id} 100.00 pending" in out
    assert "asked about 1: pending 1" in out and str(queued["id"]) not in out
    assert silent.debit_status(lost.id) is not None
    code, out, err = run(capsys, *args)  # the next run finds it taken: settled, posted once
    assert code == 0, err
    assert f"{lost.id} loan {book.loan_id} 100.00 succeeded" in out
    assert "asked about 1: succeeded 1" in out and str(queued["id"]) not in out
    assert {i["id"]: i["status"] for i in intents(book)} == {
        queued["id"]: "created",  # still the sender's, for its due date
        lost.id: "succeeded",
    }
    assert postings(engine, book.loan_id) == [(10_000, f"intent:{lost.id}")]
    code, out, err = run(capsys, "payments", "query-unsettled", "--older-than-minutes", "-1")
    assert code == 2 and "--older-than-minutes" in err
    request = IntentRequest(book.loan_id, IntentKind.PAYMENT, Money(5_000), uuid.uuid4().hex)
    create_payment_intent(
        engine,
        LostAnswers(silent, reaches=False),  # type: ignore[arg-type]
        actor=book.actor,
        request=request,
    )
    monkeypatch.setenv("THINFILE_PAYMENT_GATEWAY_URL", "http://127.0.0.1:9")  # nobody there
    code, out, err = run(capsys, *args)
    assert code == 1, (out, err)
    assert "http://127.0.0.1:9 did not answer" in err and "Traceback" not in err + out


class LateOriginal:
    """The sandbox, but the first debit request times out on the way and reaches the gateway
    only after the status query that found nothing — just before the request is sent again."""

    def __init__(self, inner: SandboxGatewayClient) -> None:
        self.inner, self.provider = inner, inner.provider
        self.held: tuple[str, int, str] | None = None
        self.first = True

    def debit(self, agreement_token: str, amount_fen: int, request_id: str) -> object:
        if self.first:
            self.first = False
            self.held = (agreement_token, amount_fen, request_id)
            raise PaymentGatewayUnavailableError("the payment gateway did not answer (timeout)")
        if self.held is not None:
            self.inner.debit(*self.held)  # the first request lands now
            self.held = None
        return self.inner.debit(agreement_token, amount_fen, request_id)

    def __getattr__(self, name: str) -> object:
        return getattr(self.inner, name)


def test_a_claimed_debit_is_sent_again_unchanged_so_a_late_first_request_posts_once(
    engine: Engine, cipher: PiiCipher, silent: SandboxGatewayClient
) -> None:
    """The sender's request times out; the borrower pays most of the installment at the
    counter; the next sending finds nothing at the gateway and sends the debit again — just as
    the first request lands. Sent again for the claimed amount (never lowered), the gateway's
    answer is the first request's and posts once; what it took beyond the installment is held
    as overpayment (refundable), never paid to an installment ahead of its date."""
    book = _book(engine, cipher, silent, "13700137960", card=True)
    first = due_days(book)[0]
    run_cob(engine, first - timedelta(days=1))
    (queued,) = intents(book)
    amount = int(str(queued["amount"]))
    late = LateOriginal(silent)
    send_queued_debits(engine, late, today=first)  # type: ignore[arg-type]
    (claimed,) = intents(book)
    assert claimed["status"] == "pending" and claimed["gateway_txn_id"] is None
    payments.post_payment(engine, book.loan_id, Money(amount - 1_000), first)
    again = send_queued_debits(engine, late, today=first)  # type: ignore[arg-type]
    assert [v.id for v in again.recovered] == [queued["id"]]
    report = silent.debit_status(str(queued["id"]))
    assert report is not None and report.amount_fen == amount  # the first request's
    (resent,) = intents(book)
    assert int(str(resent["amount"])) == amount and resent["gateway_txn_id"] is not None
    settled = refresh_payment_intent(engine, silent, str(queued["id"]))
    assert settled.status is IntentStatus.SUCCEEDED
    assert postings(engine, book.loan_id) == [
        (amount - 1_000, None),
        (amount, f"intent:{queued['id']}"),
    ]
    assert unpaid_fallen_due(book, first) == 0
    # the counter paid all but 1,000 fen of it: the debit's other amount − 1,000 is held
    assert held_credit(book) == amount - 1_000
    assert _principal_paid_ahead(engine, book.loan_id, first) == 0
    assert ledger.verify_ledger(engine).ok


def _principal_paid_ahead(engine: Engine, loan_id: int, on: date) -> int:
    """Principal paid on installments due after ``on``."""
    with engine.connect() as conn:
        return int(
            conn.execute(
                sa.text(
                    "SELECT COALESCE(SUM(principal_paid), 0) FROM servicing_installments "
                    "WHERE loan_id = :l AND due_day > :d"
                ),
                {"l": loan_id, "d": (on - EPOCH).days},
            ).scalar_one()
        )


def test_a_claimed_debit_past_the_gateways_window_is_lowered_to_what_is_still_owed(
    engine: Engine,
    cipher: PiiCipher,
    silent: SandboxGatewayClient,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The sending stops after claiming the installment's debit; the borrower pays most of
    it at the counter. Once the claim is older than the gateway's window on a request's time,
    a first request — had it gone — would be refused as stale: the next sending finds
    nothing at the gateway and sends the debit for what is still owed, not the claimed
    amount, and the borrower is taken nothing beyond the installment."""
    book = _book(engine, cipher, silent, "13700137970", card=True)
    first = due_days(book)[0]
    run_cob(engine, first - timedelta(days=1))
    (queued,) = intents(book)
    amount = int(str(queued["amount"]))
    _claim_then_stop(engine, silent, first, monkeypatch)
    (claimed,) = intents(book)
    assert claimed["status"] == "pending" and claimed["claimed_at"] is not None
    owed_before = loans.quote_payoff(engine, book.loan_id, first).fen
    payments.post_payment(engine, book.loan_id, Money(amount - 1_000), first)
    # the premise: the sandbox refuses a request signed the window ago
    body = b'{"agreement_token": "x", "amount_fen": 1, "request_id": "stale"}'
    signed_at = datetime.now(UTC) - silent.request_expiry
    stale = httpx.post(
        f"{silent.base_url}/v1/debits",
        content=body,
        headers={SIGNATURE_HEADER: sign(GATEWAY_KEY, body, at=signed_at)},
    )
    assert stale.status_code >= 400 and silent.debit_status("stale") is None
    with engine.begin() as conn:  # the claim made the window (and a second) ago
        conn.execute(
            sa.update(payment_intents)
            .where(payment_intents.c.id == queued["id"])
            .values(claimed_at=datetime.now(UTC) - silent.request_expiry - timedelta(seconds=1))
        )
    again = send_queued_debits(engine, silent, today=first)
    assert [v.id for v in again.recovered] == [queued["id"]]
    report = silent.debit_status(str(queued["id"]))
    assert report is not None and report.amount_fen == 1_000  # what was still owed
    refresh_payment_intent(engine, silent, str(queued["id"]))
    assert postings(engine, book.loan_id) == [
        (amount - 1_000, None),
        (1_000, f"intent:{queued['id']}"),
    ]
    assert unpaid_fallen_due(book, first) == 0
    # taken in all: the installment, nothing ahead of it
    assert owed_before - loans.quote_payoff(engine, book.loan_id, first).fen == amount
    assert ledger.verify_ledger(engine).ok


def test_a_fresh_claim_keeps_its_amount_however_old_the_queue(
    engine: Engine, cipher: PiiCipher, silent: SandboxGatewayClient
) -> None:
    """What lowers a claimed debit is the claim's age, not the queue's: a debit queued long
    ago and claimed just now is sent again for the claimed amount."""
    book = _book(engine, cipher, silent, "13700137980", card=True)
    first = due_days(book)[0]
    run_cob(engine, first - timedelta(days=1))
    (queued,) = intents(book)
    amount = int(str(queued["amount"]))
    with engine.begin() as conn:
        conn.execute(
            sa.update(payment_intents)
            .where(payment_intents.c.id == queued["id"])
            .values(created_at=datetime.now(UTC) - timedelta(days=1))
        )
    late = LateOriginal(silent)
    send_queued_debits(engine, late, today=first)  # type: ignore[arg-type]
    payments.post_payment(engine, book.loan_id, Money(amount - 1_000), first)
    send_queued_debits(engine, late, today=first)  # type: ignore[arg-type]
    report = silent.debit_status(str(queued["id"]))
    assert report is not None and report.amount_fen == amount
    (resent,) = intents(book)
    assert int(str(resent["amount"])) == amount
