"""Payment intents (支付意图): a borrower's payment taken from a bound card through the
:class:`~thinfile.services.ports.PaymentGateway`, posted to the ledger once the gateway
confirms it (DOMAIN.md §15).

The life of an intent::

    create ─► created ─► debit sent ─► pending ─► succeeded (posted once, txn_id)
                              │                └► failed (the gateway's DebitFailure)
                              └► failed at once (insufficient funds, card frozen, limit …)

1. **Create** (:func:`create_payment_intent`): the borrower's ``Idempotency-Key`` is unique per
   borrower, so a second create with it finds the first intent (``replayed``) and never a second
   debit; a key reused for another payment is a 409. The amount is checked under the loan's
   row lock against what the loan owes today (the payoff quote, 提前结清金额) less what other
   unsettled intents of the loan are already taking (an auto-debit still queued is not one:
   its sender checks it again and takes only what is then left due): never more than owed. A
   payoff takes the quote itself. The card is the one chosen or the borrower's default.
2. **Send**: the debit goes to the gateway under the intent's id as its ``request_id`` (the
   gateway's own idempotency key), outside any transaction. An answer lost on the way (a
   timeout) leaves the intent ``pending`` without a gateway transaction id; a status query
   (:mod:`thinfile.services.payment_settlement`) finds what became of it, or
   sends it again under the same ``request_id`` when the gateway never received it.
3. **Settle** (:mod:`thinfile.services.payment_settlement`, on the signed notification —
   :mod:`thinfile.services.payment_notifications` — or a status query): a success is posted
   once through the payments' own in-unit functions, a failure keeps the gateway's reason.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from thinfile.errors import (
    ConflictError,
    InvalidInputError,
    NotFoundError,
    PaymentGatewayUnavailableError,
)
from thinfile.money import Money
from thinfile.security.roles import Role
from thinfile.services.audit import record_audit
from thinfile.services.business_date import business_date_in
from thinfile.services.gateway_port import DebitAnswer, DebitFailure, TransactionStatus
from thinfile.services.identity_records import Actor, now_utc
from thinfile.services.loan_postings import check_business_day
from thinfile.services.notifications import notify_auto_debit_failed_in_unit
from thinfile.services.ports import PaymentGateway
from thinfile.services.uow import UnitOfWork
from thinfile.servicing import (
    LoanAccount,
    LoanStatus,
    PrepaymentMode,
    close_through,
    payoff_quote,
)
from thinfile.store.cob_statements import AUTO_DEBIT_PREFIX
from thinfile.store.payment_intents_repo import StoredIntent
from thinfile.store.servicing_codec import to_day

__all__ = [
    "IntentKind",
    "IntentRequest",
    "IntentStatus",
    "IntentView",
    "borrower_label",
    "create_payment_intent",
    "fallen_due_today",
    "get_payment_intent",
    "intent_view",
    "list_payment_intents",
    "owed_today",
    "owner_of_intent",
    "send_debit",
    "tell_debit_failed",
]

log = logging.getLogger("thinfile.payments")


class IntentKind(StrEnum):
    PAYMENT = "payment"
    """Pay now (还款): the payments' waterfall."""
    PAYOFF = "payoff"
    """Repay everything (提前结清): the payoff quote, as a prepayment."""
    PREPAYMENT = "prepayment"
    """Repay part early (部分提前还款), re-amortized by the mode."""


class IntentStatus(StrEnum):
    CREATED = "created"
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    HELD = "held"
    """The gateway's final word named another amount (or another transaction): nothing
    posted, the loan free for other payments, the day's reconciliation file settles it (its
    word of the intent's own amount posts it) or staff resolve its break."""


@dataclass(frozen=True, slots=True)
class IntentRequest:
    """What a borrower asks: ``amount`` None for a payoff (the quote is taken)."""

    loan_id: int
    kind: IntentKind
    amount: Money | None
    idempotency_key: str
    mode: PrepaymentMode | None = None
    card_id: str | None = None

    @property
    def fingerprint(self) -> str:
        text = f"{self.loan_id}|{self.kind}|{self.amount}|{self.mode}|{self.card_id}"
        return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class IntentView:
    """An intent as its borrower sees it."""

    id: str
    loan_id: int
    kind: IntentKind
    mode: PrepaymentMode | None
    amount: Money
    status: IntentStatus
    failure: DebitFailure | None
    card_id: str
    gateway_txn_id: str | None
    txn_id: int | None
    created_at: datetime
    settled_at: datetime | None
    replayed: bool = False
    automatic: bool = False
    """An auto-debit (代扣) close of business queued under the card agreement, not a payment
    the borrower started."""


def intent_view(intent: StoredIntent, *, replayed: bool = False) -> IntentView:
    return IntentView(
        id=intent.id,
        loan_id=intent.loan_id,
        kind=IntentKind(intent.kind),
        mode=PrepaymentMode(intent.mode) if intent.mode else None,
        amount=Money(intent.amount, intent.currency),
        status=IntentStatus(intent.status),
        failure=DebitFailure(intent.failure) if intent.failure else None,
        card_id=intent.card_id,
        gateway_txn_id=intent.gateway_txn_id,
        txn_id=intent.txn_id,
        created_at=intent.created_at,
        settled_at=intent.settled_at,
        replayed=replayed,
        automatic=intent.idempotency_key.startswith(AUTO_DEBIT_PREFIX),
    )


def owner_of_intent(uow: UnitOfWork, intent_id: str) -> str | None:
    """The borrower who created ``intent_id``; the ownership table's lookup."""
    intent = uow.payment_intents.get(intent_id)
    return None if intent is None else intent.user_id


def owed_today(uow: UnitOfWork, loan_id: int, *, today: date | None = None) -> tuple[Money, int]:
    """Under the loan's row lock: what closes it on the business date (its own missed days
    closed in memory, nothing written), and the fen its unsettled intents are taking — but an
    auto-debit still queued, not yet sent: the borrower's own payment comes first, and the
    sender then finds less due (:mod:`thinfile.services.auto_debit`).
    ``today`` is the caller's date when it is not the wall clock's (a replay): see
    :func:`~thinfile.services.business_date.business_date_in`."""
    stored = uow.loans.get(loan_id, lock=True)
    if stored.account.status is not LoanStatus.ACTIVE:
        raise ConflictError(
            f"loan {loan_id} is {stored.account.status.value}: nothing is owed",
            field="loan_id",
            value=loan_id,
        )
    account, on, _ = _closed_to_yesterday(uow, stored.account, loan_id, today)
    in_flight = uow.payment_intents.in_flight(loan_id, unsent_queue=AUTO_DEBIT_PREFIX)
    return payoff_quote(account, on), in_flight


def fallen_due_today(
    uow: UnitOfWork, loan_id: int, *, today: date | None = None
) -> tuple[int, int]:
    """Under the loan's row lock: the fen fallen due by the business date and unpaid (its own
    missed days closed in memory), less overpayment held — what an auto-debit agreement
    (代扣) may take; never an installment not yet due — and the fen its unsettled intents are
    taking. A loan no longer active owes nothing due, nor does a purchase under a dispute
    open on the business date: its payments are paused while the lender investigates (the
    borrower may still pay it)."""
    stored = uow.loans.get(loan_id, lock=True)
    in_flight = uow.payment_intents.in_flight(loan_id)
    if stored.account.status is not LoanStatus.ACTIVE:
        return 0, in_flight
    account, on, held = _closed_to_yesterday(uow, stored.account, loan_id, today)
    if any(opened <= on and (ended is None or on < ended) for opened, ended in held):
        return 0, in_flight
    due = sum(row.unpaid.total for row in account.installments if row.due <= on)
    return max(0, due - account.credit), in_flight


def _closed_to_yesterday(
    uow: UnitOfWork, account: LoanAccount, loan_id: int, today: date | None
) -> tuple[LoanAccount, date, tuple[tuple[date, date | None], ...]]:
    """``account`` with its missed days closed in memory (nothing written), the business
    date ``today`` (the wall clock's when None: a replay passes its own), and the spans its
    purchase was under dispute (``DisputeRepository.held_of_loan``)."""
    on = business_date_in(uow, today=today)
    check_business_day(uow, on)
    held = uow.disputes.held_of_loan(loan_id)
    return close_through(account, on - timedelta(days=1), held).loan, on, held


def _amount(request: IntentRequest, owed: Money, in_flight: int) -> Money:
    """The amount to take: a payoff's is the quote; never more than owed less in flight."""
    room = owed.fen - in_flight
    if request.kind is IntentKind.PAYOFF:
        if in_flight:
            raise ConflictError(
                "a payment of this loan is still pending",
                field="kind",
                remedy="wait for it to finish, then pay off what is left",
            )
        if request.amount is not None and request.amount != owed:
            raise InvalidInputError(
                "the payoff amount has changed",
                field="amount",
                value=str(request.amount),
                remedy=f"pay off with {owed}",
            )
        return owed
    amount = request.amount
    if amount is None or amount.fen <= 0:
        raise InvalidInputError("a payment must be positive", field="amount", value=str(amount))
    if amount.currency != owed.currency or amount.fen > room:
        most = Money(max(room, 0), owed.currency)
        raise InvalidInputError(
            f"{amount} is more than you owe: at most {most}",
            field="amount",
            value=str(amount),
            remedy=f"pay at most {most} (the payoff is {owed})",
            extra={"owed_fen": owed.fen, "in_flight_fen": in_flight},
        )
    return amount


def _card_id(uow: UnitOfWork, actor: Actor, card_id: str | None) -> str:
    cards = uow.payment_cards.of_user(actor.user_id)
    chosen = next((c for c in cards if (c.id == card_id if card_id else c.is_default)), None)
    if chosen is None:
        raise ConflictError(
            "no bound card to pay from" if not card_id else "no such card",
            field="card_id",
            value=card_id,
            remedy="bind a bank card first (GET /v1/me/cards, or the cards page)",
        )
    return chosen.id


def _replay(intent: StoredIntent, request: IntentRequest) -> StoredIntent:
    if intent.request_hash != request.fingerprint or intent.loan_id != request.loan_id:
        raise ConflictError(
            "this idempotency key was used for a different payment",
            field="Idempotency-Key",
            value=request.idempotency_key,
            remedy="use a new key for a new payment",
        )
    return intent


def _created(
    engine: Engine, actor: Actor, request: IntentRequest, today: date | None
) -> tuple[StoredIntent, bool]:
    """The intent stored under the borrower's key: the first one (True) or a new one."""
    try:
        with UnitOfWork(engine) as uow:
            first = uow.payment_intents.by_key(actor.user_id, request.idempotency_key)
            if first is not None:
                return _replay(first, request), True
            intent = _new_intent(uow, actor, request, today)
            uow.payment_intents.add(intent)  # a concurrent insert of the key waits, then fails
            details = {"intent": intent.id, "kind": intent.kind, "amount_fen": intent.amount}
            subject = f"loan:{request.loan_id}"
            record_audit(uow, actor.label, "payment_intent.create", subject, details)
            uow.commit()
            return intent, False
    except IntegrityError:  # the same key committed concurrently: answer with its intent
        pass
    with UnitOfWork(engine) as uow:
        first = uow.payment_intents.by_key(actor.user_id, request.idempotency_key)
        if first is None:
            raise ConflictError("the payment could not be created", remedy="retry")
        return _replay(first, request), True


def _new_intent(
    uow: UnitOfWork, actor: Actor, request: IntentRequest, today: date | None
) -> StoredIntent:
    card_id = _card_id(uow, actor, request.card_id)
    owed, in_flight = owed_today(uow, request.loan_id, today=today)
    amount = _amount(request, owed, in_flight)
    on = business_date_in(uow, today=today)
    return StoredIntent(
        id=uuid.uuid4().hex,
        loan_id=request.loan_id,
        user_id=actor.user_id,
        card_id=card_id,
        kind=request.kind.value,
        mode=request.mode.value if request.mode else None,
        amount=amount.fen,
        currency=amount.currency,
        status=IntentStatus.CREATED.value,
        failure=None,
        idempotency_key=request.idempotency_key,
        request_hash=request.fingerprint,
        gateway_txn_id=None,
        txn_id=None,
        created_at=now_utc(),
        settled_at=None,
        business_day=to_day(on),
    )


def create_payment_intent(
    engine: Engine,
    gateway: PaymentGateway,
    *,
    actor: Actor,
    request: IntentRequest,
    today: date | None = None,
) -> IntentView:
    """Create the intent (or find the one under the borrower's key) and send its debit.

    An intent created but never sent (the process stopped in between) is sent by its replay;
    the gateway takes one debit per ``request_id`` however often it is asked. ``today`` as in
    :func:`owed_today`. Keys starting ``auto-debit:`` are refused: they name close of
    business's queued debits, which the night's statement and the sender tell apart by them.
    """
    if request.idempotency_key.lower().startswith(AUTO_DEBIT_PREFIX):
        raise InvalidInputError(
            f"keys starting {AUTO_DEBIT_PREFIX!r} are close of business's own",
            field="Idempotency-Key",
            value=request.idempotency_key,
            remedy="use another key, such as a new UUID",
        )
    if request.mode is not None and request.kind is not IntentKind.PREPAYMENT:
        raise InvalidInputError(
            f"a mode re-plans a prepayment; a {request.kind.value} has none",
            field="mode",
            value=request.mode.value,
            remedy="leave mode out, or ask for a prepayment",
        )
    intent, replayed = _created(engine, actor, request, today)
    if intent.status == IntentStatus.CREATED:
        intent = send_debit(engine, gateway, intent)
    return intent_view(intent, replayed=replayed)


def send_debit(engine: Engine, gateway: PaymentGateway, intent: StoredIntent) -> StoredIntent:
    """Send the intent's debit under its id (the gateway's ``request_id``) and record the
    synchronous answer; an unanswered request leaves it ``pending`` for a status query."""
    with UnitOfWork(engine) as uow:
        card = uow.payment_cards.get(intent.card_id)
    assert card is not None
    try:
        if card.agreement_token is None or card.status != "active":
            answer = DebitAnswer(TransactionStatus.FAILED, None, DebitFailure.AGREEMENT_INVALID)
        else:
            answer = gateway.debit(card.agreement_token, intent.amount, intent.id)
    except PaymentGatewayUnavailableError:
        answer = None  # unknown: a status query will tell
    return _record_answer(engine, intent.id, answer)


def tell_debit_failed(uow: UnitOfWork, intent: StoredIntent, reason: str) -> None:
    """Write the borrower's "automatic repayment failed" message for a failed auto-debit
    (refused at once or later); a payment the borrower started gets no such message."""
    if intent.idempotency_key.startswith(AUTO_DEBIT_PREFIX):
        notify_auto_debit_failed_in_unit(
            uow,
            intent.user_id,
            intent.loan_id,
            intent.id,
            Money(intent.amount, intent.currency),
            reason,
        )


def _record_answer(engine: Engine, intent_id: str, answer: DebitAnswer | None) -> StoredIntent:
    """The gateway's synchronous answer to an intent ``created``, or ``pending`` without a
    gateway transaction (claimed by the auto-debit sender); a notification that came first is
    kept."""
    with UnitOfWork(engine) as uow:
        intent = uow.payment_intents.get(intent_id, lock=True)
        assert intent is not None
        claimed = intent.status == IntentStatus.PENDING and intent.gateway_txn_id is None
        if intent.status != IntentStatus.CREATED and not claimed:
            return intent
        values: dict[str, object] = {"status": IntentStatus.PENDING.value}
        if answer is not None:
            values["gateway_txn_id"] = answer.gateway_txn_id
            if answer.status is TransactionStatus.FAILED:
                failure = answer.failure or DebitFailure.TIMEOUT
                values.update(status="failed", failure=failure.value, settled_at=now_utc())
                record_audit(
                    uow,
                    borrower_label(intent),
                    "payment_intent.failed",
                    f"loan:{intent.loan_id}",
                    {"intent": intent.id, "failure": failure.value},
                )
                tell_debit_failed(uow, intent, failure.value)  # as a later "no" is told
        uow.payment_intents.update(intent_id, **values)
        uow.commit()
        stored = uow.payment_intents.get(intent_id)
    assert stored is not None
    return stored


def borrower_label(intent: StoredIntent) -> str:
    return Actor(intent.user_id, Role.BORROWER).label


def get_payment_intent(engine: Engine, loan_id: int, intent_id: str) -> IntentView:
    """One intent of ``loan_id`` (another loan's is not found)."""
    with UnitOfWork(engine) as uow:
        intent = uow.payment_intents.get(intent_id)
    if intent is None or intent.loan_id != loan_id:
        raise NotFoundError("no such payment", field="intent_id", value=intent_id)
    return intent_view(intent)


def list_payment_intents(engine: Engine, loan_id: int) -> list[IntentView]:
    """The loan's intents, the newest first (at most 100)."""
    with UnitOfWork(engine) as uow:
        return [intent_view(i) for i in uow.payment_intents.of_loan(loan_id)]
