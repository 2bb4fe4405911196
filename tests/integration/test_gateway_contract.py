"""The payment gateway contract (``adapters/docs.md``): every adapter of
:class:`~thinfile.services.ports.PaymentGateway` must pass these tests. The sandbox runs as a
real subprocess (``thinfile gateway serve``) on a free port and posts its notifications to a
receiver in this process; the tests go through the adapter only."""

from __future__ import annotations

import csv
import io
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.support.gateway import GATEWAY_KEY, card_with_prefix, free_port, start_sandbox, stop
from thinfile.adapters.gateway_signature import SIGNATURE_HEADER, sign
from thinfile.adapters.sandbox_gateway_client import SandboxGatewayClient
from thinfile.errors import (
    CardVerificationFailedError,
    NotificationRejectedError,
    PaymentGatewayUnavailableError,
)
from thinfile.services.gateway_port import (
    RECONCILIATION_COLUMNS,
    BoundCard,
    DebitFailure,
    PaymentNotification,
    TransactionKind,
    TransactionStatus,
)
from thinfile.services.ports import PaymentGateway

KEY = GATEWAY_KEY
NAME, ID_NUMBER, PHONE = "张三", "11010519491231002X", "13800138000"
CST = timedelta(hours=8)


GOOD_CARD = card_with_prefix("622202")


@dataclass
class Receiver:
    """The lender's notification endpoint, reduced to keeping what arrives (and answering 200)."""

    url: str = ""
    arrived: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    lock: threading.Condition = field(default_factory=threading.Condition)

    def wait_for(
        self, gateway: PaymentGateway, request_id: str, copies: int = 1
    ) -> list[tuple[dict[str, str], bytes, PaymentNotification]]:
        end = time.monotonic() + 20
        with self.lock:
            while True:
                found = [
                    (headers, body, gateway.parse_notification(headers, body, now=_now()))
                    for headers, body in self.arrived
                    if f'"request_id": "{request_id}"'.encode() in body
                ]
                if len(found) >= copies or time.monotonic() > end:
                    return found
                self.lock.wait(0.1)


def _now() -> datetime:
    return datetime.now(UTC)


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    kept = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            with kept.lock:
                kept.arrived.append((dict(self.headers.items()), body))
                kept.lock.notify_all()
            self.send_response(200)
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    kept.url = f"http://127.0.0.1:{server.server_address[1]}/notify"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield kept
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module", params=["sandbox"])
def gateway(
    request: pytest.FixtureRequest, receiver: Receiver, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[PaymentGateway]:
    process, url = start_sandbox(tmp_path_factory.mktemp("gateway"), receiver.url)
    client = SandboxGatewayClient(url, KEY)
    yield client
    client.close()
    stop(process)


def bind(gateway: PaymentGateway, card: str = GOOD_CARD, phone: str = PHONE) -> BoundCard:
    challenge = gateway.start_binding(
        name=NAME, id_number=ID_NUMBER, card_number=card, phone=phone, request_id=_id()
    )
    assert challenge.sandbox_sms_code is not None
    return gateway.confirm_binding(challenge.binding_id, challenge.sandbox_sms_code)


def _id() -> str:
    return uuid.uuid4().hex


@pytest.fixture(scope="module")
def card(gateway: PaymentGateway) -> BoundCard:
    return bind(gateway)


def test_a_card_with_its_four_elements_and_the_sms_code_binds_to_an_agreement_token(
    gateway: PaymentGateway,
) -> None:
    challenge = gateway.start_binding(
        name=NAME, id_number=ID_NUMBER, card_number=GOOD_CARD, phone=PHONE, request_id=_id()
    )
    assert challenge.phone_masked == "138****8000"
    assert challenge.sandbox_sms_code is not None
    bound = gateway.confirm_binding(challenge.binding_id, challenge.sandbox_sms_code)
    assert bound.last_four == GOOD_CARD[-4:]
    assert bound.bank_name == "中国工商银行"
    assert bound.agreement_token and GOOD_CARD not in bound.agreement_token


@pytest.mark.parametrize(
    ("name", "id_number", "card_number", "phone", "reason"),
    [
        (
            NAME,
            ID_NUMBER,
            GOOD_CARD[:-1] + str((int(GOOD_CARD[-1]) + 1) % 10),
            PHONE,
            "card_number_invalid",
        ),
        (NAME, ID_NUMBER, "62220211111", PHONE, "card_number_invalid"),
        (NAME, ID_NUMBER, card_with_prefix("4111", 16), PHONE, "card_unsupported"),
        ("张三不符", ID_NUMBER, GOOD_CARD, PHONE, "identity_mismatch"),
        (NAME, "110105194912310021", GOOD_CARD, PHONE, "identity_mismatch"),
        (NAME, ID_NUMBER, GOOD_CARD, "13800130000", "phone_mismatch"),
    ],
)
def test_each_verification_failure_refuses_the_binding_with_its_reason(
    gateway: PaymentGateway, name: str, id_number: str, card_number: str, phone: str, reason: str
) -> None:
    with pytest.raises(CardVerificationFailedError) as refused:
        gateway.start_binding(
            name=name, id_number=id_number, card_number=card_number, phone=phone, request_id=_id()
        )
    assert refused.value.extra["reason"] == reason


def test_a_wrong_sms_code_is_refused_and_the_third_wrong_try_spends_the_code(
    gateway: PaymentGateway,
) -> None:
    challenge = gateway.start_binding(
        name=NAME, id_number=ID_NUMBER, card_number=GOOD_CARD, phone=PHONE, request_id=_id()
    )
    assert challenge.sandbox_sms_code is not None
    wrong = f"{(int(challenge.sandbox_sms_code) + 1) % 10**6:06d}"
    for _ in range(3):
        with pytest.raises(CardVerificationFailedError) as refused:
            gateway.confirm_binding(challenge.binding_id, wrong)
        assert refused.value.extra["reason"] == "sms_code_rejected"
    with pytest.raises(CardVerificationFailedError):
        gateway.confirm_binding(challenge.binding_id, challenge.sandbox_sms_code)


def test_a_debit_is_accepted_then_notified_succeeded_with_a_valid_signature(
    gateway: PaymentGateway, card: BoundCard, receiver: Receiver
) -> None:
    request_id = _id()
    answer = gateway.debit(card.agreement_token, 123_400, request_id)
    assert answer.status is TransactionStatus.ACCEPTED and answer.failure is None
    [(_, _, notification)] = receiver.wait_for(gateway, request_id)
    assert notification.gateway_txn_id == answer.gateway_txn_id
    assert notification.kind is TransactionKind.DEBIT
    assert notification.status is TransactionStatus.SUCCEEDED
    assert notification.amount_fen == 123_400


@pytest.mark.parametrize(
    ("amount_fen", "failure"),
    [
        (10_051, DebitFailure.INSUFFICIENT_FUNDS),
        (10_052, DebitFailure.CARD_FROZEN),
        (10_053, DebitFailure.LIMIT_EXCEEDED),
        (5_000_100, DebitFailure.LIMIT_EXCEEDED),
    ],
)
def test_each_immediate_failure_refuses_the_debit_with_its_reason(
    gateway: PaymentGateway, card: BoundCard, amount_fen: int, failure: DebitFailure
) -> None:
    answer = gateway.debit(card.agreement_token, amount_fen, _id())
    assert answer.status is TransactionStatus.FAILED
    assert answer.failure is failure


@pytest.mark.parametrize(
    ("amount_fen", "failure"),
    [(10_054, DebitFailure.TIMEOUT), (10_055, DebitFailure.INSUFFICIENT_FUNDS)],
)
def test_a_late_failure_is_accepted_then_notified_failed_with_its_reason(
    gateway: PaymentGateway,
    card: BoundCard,
    receiver: Receiver,
    amount_fen: int,
    failure: DebitFailure,
) -> None:
    request_id = _id()
    answer = gateway.debit(card.agreement_token, amount_fen, request_id)
    assert answer.status is TransactionStatus.ACCEPTED
    [(_, _, notification)] = receiver.wait_for(gateway, request_id)
    assert notification.status is TransactionStatus.FAILED
    assert notification.failure is failure


def test_a_repeated_request_id_gets_the_first_answer_and_no_second_debit(
    gateway: PaymentGateway, card: BoundCard
) -> None:
    request_id = _id()
    first = gateway.debit(card.agreement_token, 20_000, request_id)
    again = gateway.debit(card.agreement_token, 20_000, request_id)
    assert again == first
    refused = gateway.debit(card.agreement_token, 20_051, (other := _id()))
    assert gateway.debit(card.agreement_token, 20_051, other) == refused


def test_a_status_query_tells_a_debits_final_word_and_knows_no_unsent_one(
    gateway: PaymentGateway, card: BoundCard, receiver: Receiver
) -> None:
    paid, late_failure = _id(), _id()
    answer = gateway.debit(card.agreement_token, 20_000, paid)
    gateway.debit(card.agreement_token, 20_055, late_failure)
    receiver.wait_for(gateway, paid)
    receiver.wait_for(gateway, late_failure)
    report = gateway.debit_status(paid)
    assert report is not None and report.gateway_txn_id == answer.gateway_txn_id
    assert (report.request_id, report.status, report.amount_fen, report.failure) == (
        paid,
        TransactionStatus.SUCCEEDED,
        20_000,
        None,
    )
    assert report.completed_at is not None  # when it completed: a late word's value date
    assert abs(report.completed_at - datetime.now(UTC)) < timedelta(minutes=5)
    failed = gateway.debit_status(late_failure)
    assert failed is not None and failed.status is TransactionStatus.FAILED
    assert failed.failure is DebitFailure.INSUFFICIENT_FUNDS
    assert gateway.debit_status(_id()) is None


def test_a_debit_on_an_unbound_agreement_fails(gateway: PaymentGateway) -> None:
    bound = bind(gateway)
    gateway.unbind(bound.agreement_token)
    answer = gateway.debit(bound.agreement_token, 10_000, _id())
    assert answer.status is TransactionStatus.FAILED
    assert answer.failure is DebitFailure.AGREEMENT_INVALID
    unknown = gateway.debit("agr_unknown", 10_000, _id())
    assert unknown.failure is DebitFailure.AGREEMENT_INVALID


def test_forged_stale_or_unsigned_notifications_are_refused(
    gateway: PaymentGateway, card: BoundCard, receiver: Receiver
) -> None:
    request_id = _id()
    gateway.debit(card.agreement_token, 30_000, request_id)
    [(headers, body, _)] = receiver.wait_for(gateway, request_id)
    forged_body = body.replace(b'"amount_fen": 30000', b'"amount_fen": 3000000')
    assert forged_body != body
    unsigned = {k: v for k, v in headers.items() if k.lower() != SIGNATURE_HEADER.lower()}
    wrong_key = {SIGNATURE_HEADER: sign(b"not-the-gateway-key", body, at=_now())}
    forged_and_resigned = {SIGNATURE_HEADER: sign(b"not-the-gateway-key", forged_body, at=_now())}
    for attempt_headers, attempt_body in [
        (headers, forged_body),
        (unsigned, body),
        (wrong_key, body),
        (forged_and_resigned, forged_body),
        ({SIGNATURE_HEADER: "t=abc,v1=00"}, body),
    ]:
        with pytest.raises(NotificationRejectedError):
            gateway.parse_notification(attempt_headers, attempt_body, now=_now())
    with pytest.raises(NotificationRejectedError):  # a replay an hour later
        gateway.parse_notification(headers, body, now=_now() + timedelta(hours=1))
    fresh = {SIGNATURE_HEADER: sign(KEY, b"{not json", at=_now())}
    with pytest.raises(NotificationRejectedError):
        gateway.parse_notification(fresh, b"{not json", now=_now())
    assert gateway.parse_notification(headers, body, now=_now()).amount_fen == 30_000


def test_a_refund_gives_back_part_of_a_payment_and_never_more_than_was_paid(
    gateway: PaymentGateway, card: BoundCard, receiver: Receiver
) -> None:
    debit = gateway.debit(card.agreement_token, 50_000, _id())
    assert debit.gateway_txn_id is not None
    refund_id = _id()
    refund = gateway.refund(debit.gateway_txn_id, 20_000, refund_id)
    assert refund.status is TransactionStatus.ACCEPTED
    [(_, _, notification)] = receiver.wait_for(gateway, refund_id)
    assert notification.kind is TransactionKind.REFUND
    assert notification.status is TransactionStatus.SUCCEEDED
    assert notification.original_txn_id == debit.gateway_txn_id
    assert notification.amount_fen == 20_000
    too_much = gateway.refund(debit.gateway_txn_id, 30_001, _id())
    assert too_much.failure is DebitFailure.REFUND_EXCEEDS_PAYMENT
    failed = gateway.debit(card.agreement_token, 50_051, _id())
    assert failed.gateway_txn_id is not None
    assert gateway.refund(failed.gateway_txn_id, 1, _id()).failure is (
        DebitFailure.REFUND_EXCEEDS_PAYMENT
    )


def test_the_reconciliation_file_lists_the_days_transactions_with_their_outcome(
    gateway: PaymentGateway, card: BoundCard, receiver: Receiver
) -> None:
    paid, refused, late = _id(), _id(), _id()
    paid_answer = gateway.debit(card.agreement_token, 77_700, paid)
    gateway.debit(card.agreement_token, 77_752, refused)
    gateway.debit(card.agreement_token, 77_755, late)
    [(_, _, notification)] = receiver.wait_for(gateway, paid)
    day = (notification.completed_at + CST).date()
    rows = list(csv.reader(io.StringIO(gateway.reconciliation_file(day).decode())))
    assert tuple(rows[0]) == RECONCILIATION_COLUMNS
    by_request = {row[1]: dict(zip(RECONCILIATION_COLUMNS, row, strict=True)) for row in rows[1:]}
    assert by_request[paid]["gateway_txn_id"] == paid_answer.gateway_txn_id
    assert (by_request[paid]["status"], by_request[paid]["amount_fen"]) == ("succeeded", "77700")
    assert (by_request[refused]["status"], by_request[refused]["failure"]) == (
        "failed",
        "card_frozen",
    )
    assert (by_request[late]["status"], by_request[late]["failure"]) == (
        "failed",
        "insufficient_funds",
    )
    other_day = gateway.reconciliation_file(day - timedelta(days=1)).decode()
    assert paid not in other_day


def test_duplicated_notifications_carry_the_same_transaction_and_notification_ids(
    receiver: Receiver, tmp_path: Path
) -> None:
    process, url = start_sandbox(tmp_path, receiver.url, "--duplicate-rate", "1")
    gateway = SandboxGatewayClient(url, KEY)
    try:
        card = bind(gateway)
        request_id = _id()
        answer = gateway.debit(card.agreement_token, 40_000, request_id)
        copies = receiver.wait_for(gateway, request_id, copies=2)
    finally:
        gateway.close()
        stop(process)
    assert len(copies) == 2
    assert {n.gateway_txn_id for _, _, n in copies} == {answer.gateway_txn_id}
    assert len({n.notification_id for _, _, n in copies}) == 1


def test_late_notifications_arrive_out_of_order_each_once(
    receiver: Receiver, tmp_path: Path
) -> None:
    process, url = start_sandbox(
        tmp_path, receiver.url, "--seed", "7", "--late-rate", "0.5", "--late-seconds", "3"
    )
    gateway = SandboxGatewayClient(url, KEY)
    try:
        card = bind(gateway)
        sent = [_id() for _ in range(10)]
        answers = {rid: gateway.debit(card.agreement_token, 10_000, rid) for rid in sent}
        for request_id in sent:
            receiver.wait_for(gateway, request_id)
        time.sleep(0.5)
    finally:
        gateway.close()
        stop(process)
    with receiver.lock:
        arrived = [
            gateway.parse_notification(h, b, now=_now())
            for h, b in receiver.arrived
            if any(rid.encode() in b for rid in sent)
        ]
    order = [n.request_id for n in arrived]
    assert sorted(order) == sorted(sent)
    assert order != sent
    assert all(n.gateway_txn_id == answers[n.request_id].gateway_txn_id for n in arrived)


def test_a_gateway_that_does_not_answer_is_unavailable_not_a_refusal() -> None:
    client = SandboxGatewayClient(f"http://127.0.0.1:{free_port()}", KEY, timeout=2)
    with pytest.raises(PaymentGatewayUnavailableError):
        client.debit("agr_x", 100, _id())
    client.close()
