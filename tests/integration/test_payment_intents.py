"""Payment intents on SQLite and PostgreSQL against the sandbox gateway running as a real local
HTTP service (``thinfile gateway serve``, as the contract tests run it): a card payment is
pending until the gateway's signed notification — delivered over HTTP to a receiver in this
process that hands it to :func:`receive_notification` — posts it once; refusals keep their
reason; a lost answer is settled by a status query; late, duplicated and out-of-order words
post once; forged and replayed notifications are refused. The ledger balances after each."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from tests.integration.test_cards import bind, borrower
from tests.support.gateway import GATEWAY_KEY, card_with_prefix
from tests.support.gateway_fixtures import Target
from thinfile.adapters.gateway_signature import SIGNATURE_HEADER, sign
from thinfile.adapters.sandbox_gateway_client import SandboxGatewayClient
from thinfile.errors import (
    CloseOfBusinessRunning,
    ConflictError,
    InvalidInputError,
    NotificationRejectedError,
    NotificationReplayedError,
    PaymentGatewayUnavailableError,
)
from thinfile.loanmath import LoanTerms, RepaymentMethod
from thinfile.money import Money
from thinfile.security.crypto import PiiCipher
from thinfile.services import ledger, loans, payments
from thinfile.services.business_date import current_business_date
from thinfile.services.gateway_port import DebitAnswer
from thinfile.services.identity_records import Actor
from thinfile.services.payment_intents import (
    IntentKind,
    IntentRequest,
    IntentStatus,
    IntentView,
    create_payment_intent,
    get_payment_intent,
)
from thinfile.services.payment_notifications import receive_notification
from thinfile.services.payment_status_queries import refresh_payment_intent, settle_stale_intents
from thinfile.store.payment_tables import payment_intents
from thinfile.store.servicing_tables import transactions

CARD = card_with_prefix("622588")
PRINCIPAL_FEN = 300_000


@dataclass
class Book:
    engine: Engine
    actor: Actor
    card_id: str
    loan_id: int


def _book(engine: Engine, cipher: PiiCipher, gateway: SandboxGatewayClient, phone: str) -> Book:
    actor = borrower(engine, cipher, phone)
    card = bind(engine, cipher, gateway, actor, CARD)
    on = current_business_date(engine)
    terms = LoanTerms(
        Money(PRINCIPAL_FEN), Decimal("0.18"), 6, RepaymentMethod.EQUAL_INSTALLMENT, on
    )
    loan = loans.open_and_disburse(engine, terms)
    return Book(engine, actor, card.id, loan.loan_id)


@pytest.fixture
def book(
    engine: Engine, cipher: PiiCipher, notifying: SandboxGatewayClient, target: Target
) -> Iterator[Book]:
    with target.serving(engine, notifying):
        yield _book(engine, cipher, notifying, "13700137100")


@pytest.fixture
def quiet_book(engine: Engine, cipher: PiiCipher, silent: SandboxGatewayClient) -> Book:
    return _book(engine, cipher, silent, "13700137200")


def pay(
    book: Book,
    gateway: SandboxGatewayClient,
    yuan: str | None,
    *,
    kind: IntentKind = IntentKind.PAYMENT,
    key: str | None = None,
) -> IntentView:
    request = IntentRequest(
        loan_id=book.loan_id,
        kind=kind,
        amount=None if yuan is None else Money.of(yuan),
        idempotency_key=key or uuid.uuid4().hex,
    )
    return create_payment_intent(book.engine, gateway, actor=book.actor, request=request)


def settled(book: Book, intent_id: str) -> IntentView:
    end = time.monotonic() + 30
    while time.monotonic() < end:
        intent = get_payment_intent(book.engine, book.loan_id, intent_id)
        if intent.status in (IntentStatus.SUCCEEDED, IntentStatus.FAILED):
            return intent
        time.sleep(0.05)
    raise AssertionError(f"intent {intent_id} was not settled")


def postings(engine: Engine, loan_id: int) -> list[tuple[str, int, str | None]]:
    """The loan's money received: (kind, amount in fen, idempotency key), in order."""
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(transactions.c.kind, transactions.c.amount, transactions.c.idempotency_key)
            .where(
                transactions.c.loan_id == loan_id,
                transactions.c.kind.in_(("repayment", "prepayment")),
            )
            .order_by(transactions.c.id)
        )
        return [(str(k), int(a), key) for k, a, key in rows]


def balanced(engine: Engine) -> None:
    report = ledger.verify_ledger(engine)
    assert report.ok, report


def signed(
    body: dict[str, object], *, seconds_ago: int = 0, base: datetime | None = None
) -> tuple[dict[str, str], bytes]:
    raw = json.dumps(body, sort_keys=True).encode()
    at = (base or datetime.now(UTC)) - timedelta(seconds=seconds_ago)
    return {SIGNATURE_HEADER: sign(GATEWAY_KEY, raw, at=at)}, raw


def notification(
    intent_id: str, txn: str, status: str, fen: int, **extra: object
) -> dict[str, object]:
    return {
        "gateway_txn_id": txn,
        "request_id": intent_id,
        "kind": "debit",
        "status": status,
        "amount_fen": fen,
        "failure": extra.get("failure"),
        "original_txn_id": None,
        "completed_at": datetime.now(UTC).isoformat(),
        "notification_id": extra.get("notification_id", f"ntf_{uuid.uuid4().hex}"),
    }


def deliver(
    book: Book,
    gateway: SandboxGatewayClient,
    body: dict[str, object],
    seconds_ago: int = 0,
    base: datetime | None = None,
) -> str:
    """Sign ``body`` ``seconds_ago`` before ``base``: two signings of one body are distinct only
    when their seconds differ, so a test that re-sends passes one ``base`` to both."""
    headers, raw = signed(body, seconds_ago=seconds_ago, base=base)
    return receive_notification(
        book.engine, gateway, headers=headers, body=raw, now=datetime.now(UTC)
    ).outcome


def test_a_card_payment_is_pending_until_the_signed_notification_posts_it_once(
    book: Book, notifying: SandboxGatewayClient
) -> None:
    key = uuid.uuid4().hex
    first = pay(book, notifying, "100.00", key=key)
    assert first.status in (IntentStatus.PENDING, IntentStatus.SUCCEEDED)
    assert first.amount == Money(10_000) and not first.replayed
    done = settled(book, first.id)
    assert done.status is IntentStatus.SUCCEEDED and done.failure is None
    assert done.txn_id is not None and done.gateway_txn_id is not None
    again = pay(book, notifying, "100.00", key=key)  # the same key: found, never a 2nd debit
    assert (again.id, again.replayed, again.status) == (first.id, True, IntentStatus.SUCCEEDED)
    with pytest.raises(ConflictError):
        pay(book, notifying, "200.00", key=key)  # the key of another payment
    time.sleep(1.5)  # room for a duplicate delivery of the notification
    assert postings(book.engine, book.loan_id) == [("repayment", 10_000, f"intent:{first.id}")]
    report = notifying.debit_status(first.id)
    assert report is not None and report.gateway_txn_id == done.gateway_txn_id
    balanced(book.engine)


def test_insufficient_funds_a_frozen_card_and_a_timeout_fail_with_their_reasons(
    book: Book, notifying: SandboxGatewayClient
) -> None:
    at_once = {"100.51": "insufficient_funds", "100.52": "card_frozen"}
    for yuan, reason in at_once.items():
        refused = pay(book, notifying, yuan)
        assert refused.status is IntentStatus.FAILED and refused.failure
        assert refused.failure.value == reason
    later = {"100.54": "timeout", "100.55": "insufficient_funds"}
    for yuan, reason in later.items():
        failed = settled(book, pay(book, notifying, yuan).id)
        assert failed.status is IntentStatus.FAILED and failed.failure
        assert (failed.failure.value, failed.txn_id) == (reason, None)
    assert postings(book.engine, book.loan_id) == []
    whole = settled(book, pay(book, notifying, None, kind=IntentKind.PAYOFF).id)
    assert whole.status is IntentStatus.SUCCEEDED  # failed intents hold nothing back
    assert whole.amount == Money(PRINCIPAL_FEN)  # paid off the day it was paid out: principal
    assert loans.get_loan(book.engine, book.loan_id).account.status.value == "closed"
    balanced(book.engine)


def test_never_more_than_owed_counting_the_payments_still_pending(
    quiet_book: Book, silent: SandboxGatewayClient, engine: Engine, cipher: PiiCipher
) -> None:
    book = quiet_book
    pending = pay(book, silent, "2000.00")
    assert pending.status is IntentStatus.PENDING  # no notification comes from this sandbox
    with pytest.raises(InvalidInputError) as refused:
        pay(book, silent, "1000.01")
    assert refused.value.field == "amount"
    assert refused.value.extra == {"owed_fen": PRINCIPAL_FEN, "in_flight_fen": 200_000}
    assert pay(book, silent, "1000.00").status is IntentStatus.PENDING
    with pytest.raises(ConflictError):
        pay(book, silent, None, kind=IntentKind.PAYOFF)
    for hostile in ("0", "-5.00"):
        with pytest.raises(InvalidInputError):
            pay(book, silent, hostile)
    stranger = borrower(engine, cipher, "13700137300")
    with pytest.raises(ConflictError):  # no card of theirs, and mine is not theirs
        create_payment_intent(
            engine,
            silent,
            actor=stranger,
            request=IntentRequest(
                book.loan_id, IntentKind.PAYMENT, Money(100), "k" * 16, card_id=book.card_id
            ),
        )
    assert postings(engine, book.loan_id) == []


class LostAnswers:
    """The sandbox, but the answer to a debit is lost on the way back (a timeout): after the
    gateway took the request (``reaches``), or before it (not ``reaches``)."""

    def __init__(self, inner: SandboxGatewayClient, *, reaches: bool) -> None:
        self.inner, self.reaches, self.provider = inner, reaches, inner.provider

    def debit(self, agreement_token: str, amount_fen: int, request_id: str) -> DebitAnswer:
        if self.reaches:
            self.inner.debit(agreement_token, amount_fen, request_id)
        raise PaymentGatewayUnavailableError("the payment gateway did not answer (ReadTimeout)")

    def __getattr__(self, name: str) -> object:
        return getattr(self.inner, name)


def test_a_lost_answer_is_settled_by_a_status_query_and_the_late_notification_posts_nothing(
    quiet_book: Book, silent: SandboxGatewayClient
) -> None:
    book = quiet_book
    lost = pay(book, LostAnswers(silent, reaches=True), "300.00")  # type: ignore[arg-type]
    assert (lost.status, lost.gateway_txn_id) == (IntentStatus.PENDING, None)
    queried = refresh_payment_intent(book.engine, silent, lost.id)
    assert queried.status is IntentStatus.SUCCEEDED and queried.gateway_txn_id
    late = notification(lost.id, queried.gateway_txn_id, "succeeded", 30_000)
    assert deliver(book, silent, late) == "duplicate"
    assert postings(book.engine, book.loan_id) == [("repayment", 30_000, f"intent:{lost.id}")]
    never = pay(book, LostAnswers(silent, reaches=False), "400.00")  # type: ignore[arg-type]
    assert silent.debit_status(never.id) is None
    assert refresh_payment_intent(book.engine, silent, never.id).status is IntentStatus.PENDING
    swept = settle_stale_intents(book.engine, silent, older_than=timedelta(0))
    assert [(i.id, i.status) for i in swept] == [(never.id, IntentStatus.SUCCEEDED)]
    assert [p[1] for p in postings(book.engine, book.loan_id)] == [30_000, 40_000]
    balanced(book.engine)


def _audited(engine: Engine, action: str) -> list[str]:
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text("SELECT details FROM audit_log WHERE action = :a"), {"a": action}
        )
        return [str(r[0]) for r in rows]


def test_a_payment_never_received_is_not_sent_again_once_the_loan_was_repaid_otherwise(
    quiet_book: Book, silent: SandboxGatewayClient
) -> None:
    """The borrower's payment never reached the gateway; the loan was then repaid in full at
    the counter. The status query closes the payment without sending it: the card is never
    debited for a loan that owes nothing."""
    book = quiet_book
    never = pay(book, LostAnswers(silent, reaches=False), "400.00")  # type: ignore[arg-type]
    assert never.status is IntentStatus.PENDING and silent.debit_status(never.id) is None
    on = current_business_date(book.engine)
    payments.prepay_loan(
        book.engine, book.loan_id, loans.quote_payoff(book.engine, book.loan_id, on), on
    )
    queried = refresh_payment_intent(book.engine, silent, never.id)
    assert (queried.status, queried.gateway_txn_id) == (IntentStatus.FAILED, None)
    assert silent.debit_status(never.id) is None  # nothing was sent
    assert postings(book.engine, book.loan_id) == [("prepayment", PRINCIPAL_FEN, None)]
    assert len(_audited(book.engine, "payment.cancelled")) == 1
    balanced(book.engine)


def test_a_payment_never_received_is_lowered_to_what_is_left_once_its_request_is_stale(
    quiet_book: Book, silent: SandboxGatewayClient
) -> None:
    """2,000.00 asked, never received; 1,500.00 paid at the counter since, so the loan can
    take 1,500.00 (its payoff the same day). Once the first request would be refused as stale
    the payment is sent again for 1,500.00, and its success closes the loan."""
    book = quiet_book
    never = pay(book, LostAnswers(silent, reaches=False), "2000.00")  # type: ignore[arg-type]
    on = current_business_date(book.engine)
    payments.post_payment(book.engine, book.loan_id, Money.of("1500.00"), on)
    left = loans.quote_payoff(book.engine, book.loan_id, on)
    assert left == Money.of("1500.00")
    with book.engine.begin() as conn:
        conn.execute(
            sa.update(payment_intents)
            .where(payment_intents.c.id == never.id)
            .values(created_at=datetime.now(UTC) - silent.request_expiry - timedelta(seconds=1))
        )
    queried = refresh_payment_intent(book.engine, silent, never.id)
    assert queried.amount == left
    report = silent.debit_status(never.id)
    assert report is not None and report.amount_fen == left.fen
    assert len(_audited(book.engine, "payment.lowered")) == 1
    swept = settle_stale_intents(book.engine, silent, older_than=timedelta(0))
    assert [(i.id, i.status) for i in swept] == [(never.id, IntentStatus.SUCCEEDED)]
    assert [p[1] for p in postings(book.engine, book.loan_id)] == [150_000, 150_000]
    assert loans.get_loan(book.engine, book.loan_id).account.status.value == "closed"
    balanced(book.engine)


def test_late_and_out_of_order_words_post_each_debit_once_and_the_money_wins(
    quiet_book: Book, silent: SandboxGatewayClient
) -> None:
    book = quiet_book
    first, second = pay(book, silent, "100.00"), pay(book, silent, "200.00")
    one, two = (silent.debit_status(i.id) for i in (first, second))
    assert one and two
    # the second debit's word arrives before the first's
    assert deliver(book, silent, notification(second.id, two.gateway_txn_id, "succeeded", 20_000))
    assert deliver(book, silent, notification(first.id, one.gateway_txn_id, "succeeded", 10_000))
    assert [p[1] for p in postings(book.engine, book.loan_id)] == [20_000, 10_000]
    # a failure after a success changes nothing
    failed_late = notification(first.id, one.gateway_txn_id, "failed", 10_000, failure="timeout")
    assert deliver(book, silent, failed_late) == "conflict"
    assert get_payment_intent(book.engine, book.loan_id, first.id).status.value == "succeeded"
    # a success after a failure: the card was debited, so it is posted (once)
    third = pay(book, silent, "300.00")
    three = silent.debit_status(third.id)
    assert three
    fail = notification(third.id, three.gateway_txn_id, "failed", 30_000, failure="timeout")
    assert deliver(book, silent, fail) == "failed"
    assert get_payment_intent(book.engine, book.loan_id, third.id).failure
    succeed = notification(third.id, three.gateway_txn_id, "succeeded", 30_000)
    signed_at = datetime.now(UTC)
    assert deliver(book, silent, succeed, base=signed_at) == "conflict"
    assert deliver(book, silent, succeed, seconds_ago=1, base=signed_at) == "duplicate"
    view = get_payment_intent(book.engine, book.loan_id, third.id)
    assert (view.status, view.failure) == (IntentStatus.SUCCEEDED, None)
    # a word of another amount is not posted
    fourth = pay(book, silent, "400.00")
    four = silent.debit_status(fourth.id)
    assert four
    wrong = notification(fourth.id, four.gateway_txn_id, "succeeded", 40_001)
    assert deliver(book, silent, wrong) == "mismatch"
    assert [p[1] for p in postings(book.engine, book.loan_id)] == [20_000, 10_000, 30_000]
    balanced(book.engine)


def test_forged_replayed_and_unknown_notifications(
    quiet_book: Book, silent: SandboxGatewayClient
) -> None:
    book = quiet_book
    intent = pay(book, silent, "100.00")
    report = silent.debit_status(intent.id)
    assert report
    body = notification(intent.id, report.gateway_txn_id, "succeeded", 10_000)
    headers, raw = signed(body)
    forged = json.dumps({**body, "amount_fen": 99_999_00}, sort_keys=True).encode()
    now = datetime.now(UTC)
    with pytest.raises(NotificationRejectedError):
        receive_notification(book.engine, silent, headers=headers, body=forged, now=now)
    stale_headers, stale_raw = signed(body, seconds_ago=400)
    with pytest.raises(NotificationRejectedError):
        receive_notification(book.engine, silent, headers=stale_headers, body=stale_raw, now=now)
    done = receive_notification(book.engine, silent, headers=headers, body=raw, now=now)
    assert done.outcome == "posted"
    with pytest.raises(NotificationReplayedError):
        receive_notification(book.engine, silent, headers=headers, body=raw, now=now)
    # the same signed request with its header spelt otherwise is the same replay
    ((name, value),) = headers.items()
    stamp, entry = value.split(",")
    for spelt in (f"{stamp}, {entry}", f"{entry},{stamp}", f"{stamp},{entry},v1=00ff"):
        with pytest.raises(NotificationReplayedError):
            receive_notification(book.engine, silent, headers={name: spelt}, body=raw, now=now)
    stranger = notification(uuid.uuid4().hex, "txn_unknown", "succeeded", 10_000)
    assert deliver(book, silent, stranger) == "unknown"
    assert postings(book.engine, book.loan_id) == [("repayment", 10_000, f"intent:{intent.id}")]
    balanced(book.engine)


def test_twenty_concurrent_deliveries_of_one_success_post_it_once(
    quiet_book: Book, silent: SandboxGatewayClient
) -> None:
    """Each thread its own connection (the engine's pool); on PostgreSQL the deliveries
    really race for the intent's row lock."""
    book = quiet_book
    intent = pay(book, silent, "100.00")
    report = silent.debit_status(intent.id)
    assert report
    body = notification(intent.id, report.gateway_txn_id, "succeeded", 10_000)
    base = datetime.now(UTC)
    copies = [signed(body, seconds_ago=k % 10, base=base) for k in range(20)]
    outcomes: list[str] = []
    start = threading.Barrier(20)

    def one(headers: dict[str, str], raw: bytes) -> None:
        start.wait()
        try:
            done = receive_notification(
                book.engine, silent, headers=headers, body=raw, now=datetime.now(UTC)
            )
            outcomes.append(done.outcome)
        except NotificationReplayedError:
            outcomes.append("replayed")

    threads = [threading.Thread(target=one, args=copy) for copy in copies]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == sorted(["posted"] + ["duplicate"] * 9 + ["replayed"] * 10)
    assert postings(book.engine, book.loan_id) == [("repayment", 10_000, f"intent:{intent.id}")]
    with book.engine.connect() as conn:
        status = conn.execute(
            sa.select(payment_intents.c.status).where(payment_intents.c.id == intent.id)
        ).scalar_one()
    assert status == "succeeded"
    balanced(book.engine)


def test_a_debit_confirmed_after_the_loan_was_repaid_otherwise_is_kept_unposted(
    quiet_book: Book, silent: SandboxGatewayClient
) -> None:
    """Money taken but refused by the loan (repaid in full meanwhile, at the counter) is not
    lost: the intent says succeeded, with no posting, for reconciliation to return it."""
    book = quiet_book
    intent = pay(book, silent, "100.00")
    report = silent.debit_status(intent.id)
    assert report
    on = current_business_date(book.engine)
    payoff = loans.quote_payoff(book.engine, book.loan_id, on)
    assert payoff == Money(PRINCIPAL_FEN)
    payments.prepay_loan(book.engine, book.loan_id, payoff, on)
    word = notification(intent.id, report.gateway_txn_id, "succeeded", 10_000)
    assert deliver(book, silent, word) == "unposted"
    view = get_payment_intent(book.engine, book.loan_id, intent.id)
    assert (view.status, view.txn_id) == (IntentStatus.SUCCEEDED, None)
    assert postings(book.engine, book.loan_id) == [("prepayment", PRINCIPAL_FEN, None)]
    balanced(book.engine)


def test_ten_concurrent_creates_under_one_key_make_one_intent_and_one_debit(
    quiet_book: Book, silent: SandboxGatewayClient
) -> None:
    """A borrower's double-tapped button, ten times at once, each its own connection."""
    book = quiet_book
    key = uuid.uuid4().hex
    ids: list[str] = []
    start = threading.Barrier(10)

    def one() -> None:
        start.wait()
        ids.append(pay(book, silent, "100.00", key=key).id)

    threads = [threading.Thread(target=one) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(ids) == 10 and len(set(ids)) == 1
    with book.engine.connect() as conn:
        count = conn.execute(
            sa.select(sa.func.count())
            .select_from(payment_intents)
            .where(payment_intents.c.loan_id == book.loan_id)
        ).scalar_one()
    assert count == 1
    report = silent.debit_status(ids[0])
    assert report is not None and report.amount_fen == 10_000
    assert get_payment_intent(book.engine, book.loan_id, ids[0]).status is IntentStatus.PENDING


def test_a_notification_while_close_of_business_runs_is_refused_for_a_later_retry(
    quiet_book: Book, silent: SandboxGatewayClient
) -> None:
    """503 leaves nothing behind — no posting, no replay-store row — so the gateway's retry
    after the run posts it."""
    book = quiet_book
    intent = pay(book, silent, "100.00")
    report = silent.debit_status(intent.id)
    assert report
    running = sa.text(
        "INSERT INTO servicing_cob_runs (business_day, status) VALUES (:d, 'running')"
    )
    day = (current_business_date(book.engine) - date(1970, 1, 1)).days
    with book.engine.begin() as conn:
        conn.execute(running, {"d": day})
    word = notification(intent.id, report.gateway_txn_id, "succeeded", 10_000)
    signed_at = datetime.now(UTC)
    with pytest.raises(CloseOfBusinessRunning):
        deliver(book, silent, word, base=signed_at)
    assert get_payment_intent(book.engine, book.loan_id, intent.id).status is IntentStatus.PENDING
    with book.engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM servicing_cob_runs WHERE business_day = :d"), {"d": day})
    assert deliver(book, silent, word, seconds_ago=1, base=signed_at) == "posted"
    assert postings(book.engine, book.loan_id) == [("repayment", 10_000, f"intent:{intent.id}")]
    balanced(book.engine)
