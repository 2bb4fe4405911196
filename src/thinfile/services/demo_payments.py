"""The demo's payments story (支付): card payers, auto-debit, failures, retries and the daily
reconciliation, against the sandbox gateway, through a replayed year.

- three borrowers bind a debit card through the real binding flow (four elements, the code
  the sandbox "texts"); close of business on the eve of each due date queues its auto-debit
  (代扣) and the story sends the queue on the due date, as ``thinfile payments send-debits``
  does; the gateway's signed notifications post them, so the installment is paid on its due
  date. A card payer's counter payment comes 12 days late (the ``late`` behaviour), so it finds
  the installment collected, or pays what the retries could not;
- the first pays one installment herself by card on its due date (a payment intent, as the loan
  page does), before the queue is sent: the queued debit finds nothing left due and is closed
  without touching her card;
- the second is short of funds twice: a cash payment at the counter leaves ¥x.51 due (the
  queued debit is lowered to it), which the sandbox refuses at once (insufficient funds), and
  later ¥x.55, accepted and then notified as failed; close of business retries what is past due
  on its retry days (1, 3, 7);
- the third pays the loan off at the counter while a debit is on its way (its notification is
  held back, as when the lender's endpoint is down): the card was debited but the loan, repaid,
  refuses the posting. The day's reconciliation flags it (``unposted``, a break); the next
  business day the servicing agent refunds the card at the gateway and resolves the break with
  a reason, and that day's file lists the refund, which no payment intent knows (``unknown``, a
  break the agent resolves at once, naming the refund).

Every replayed day is reconciled against the gateway's file of that day
(:func:`~thinfile.services.reconciliation.reconcile_payments`), after its debits settle.

Dates: the story hands the replayed day to every service that takes the business date from
the wall clock (``today=``) — creating an intent, sending the queue, posting a notification,
reconciling — and the sandbox's clock (:class:`ReplayClock`) stamps a transaction's
``completed_at`` at the replayed day's noon (China Standard Time) plus the seconds since the
day began, so the gateway's file of a replayed day lists that day's transactions. The lender's
own timestamps (an intent's ``created_at`` and ``settled_at``, a delivery's) are the wall
clock's: reconciliation's ``missing-at-gateway`` check, which reads ``settled_at``, finds
nothing on a replayed date.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from time import monotonic, sleep
from typing import TYPE_CHECKING

from sqlalchemy.engine import Engine

from thinfile.bank_card import is_luhn_valid
from thinfile.money import Money
from thinfile.security.crypto import PiiCipher
from thinfile.services.auto_debit import send_queued_debits
from thinfile.services.cards import confirm_card_binding, start_card_binding
from thinfile.services.identity_records import SYSTEM, Actor
from thinfile.services.loans import get_loan, quote_payoff
from thinfile.services.payment_intents import (
    IntentKind,
    IntentRequest,
    IntentStatus,
    create_payment_intent,
    list_payment_intents,
)
from thinfile.services.payments import post_payment, prepay_loan
from thinfile.services.ports import PaymentGateway
from thinfile.services.reconciliation import ReconOutcome, reconcile_payments, resolve_break
from thinfile.servicing import LoanStatus

if TYPE_CHECKING:
    from thinfile.services.demo import DemoBorrower

__all__ = ["CardPayer", "PaymentsStory", "ReplayClock", "payments_story_day"]

CARDS = ("622588", "621700", "621661")
"""The payers' banks in the sandbox (招商银行, 中国建设银行, 中国银行)."""
ROLES = ("pays by card", "short of funds", "pays off twice")
SYNC_FAILURE_CENTS, ASYNC_FAILURE_CENTS = 51, 55
"""The sandbox's amounts for insufficient funds: refused at once, or notified failed."""
FAILURE_CENTS = range(51, 56)
SETTLE_SECONDS = 60.0
LONGEST_DAY = timedelta(hours=10)


@dataclass
class ReplayClock:
    """The replay's clock, read by the sandbox gateway for completion times and by the
    notification receiver for the business date; the wall clock while ``day`` is None.
    ``holding``: the receiver answers 503 (notifications wait)."""

    day: date | None = None
    holding: bool = False
    _began: float = 0.0

    def start_day(self, day: date | None) -> None:
        self.day, self._began = day, monotonic()

    def now(self) -> datetime:
        if self.day is None:
            return datetime.now(UTC)
        elapsed = min(timedelta(seconds=monotonic() - self._began), LONGEST_DAY)
        return datetime.combine(self.day, time(4), tzinfo=UTC) + elapsed  # 12:00 CST on


@dataclass
class CardPayer:
    borrower: DemoBorrower
    role: str
    card_id: str
    bank: str


@dataclass
class PaymentsStory:
    gateway: PaymentGateway
    clock: ReplayClock
    agent: Actor
    """The servicing agent who resolves breaks (the console's service, with a reason)."""
    keep: int = 4
    """The first loans keep their behaviours (each behaviour shown once); payers come after."""
    payers: list[CardPayer] = field(default_factory=list)
    debits: dict[str, str] = field(default_factory=dict)
    """Every auto-debit sent: intent id → its final status."""
    cancelled: list[str] = field(default_factory=list)
    """Auto-debits closed without reaching the card: what they were queued for was paid
    before the queue was sent."""
    retries: list[str] = field(default_factory=list)
    """Auto-debits sent for a loan whose previous debit failed."""
    card_payment: str | None = None
    """The intent of the installment paid by card from the loan page."""
    unposted: str | None = None
    """The debit whose posting the repaid loan refused."""
    refunds: dict[str, str] = field(default_factory=dict)
    """Refund transaction at the gateway → the debit it gave back."""
    resolved: list[tuple[date, int, str]] = field(default_factory=list)
    """Breaks resolved: the date, the item, the outcome."""
    days: list[date] = field(default_factory=list)
    """The replayed days reconciled."""
    _failed_last: set[int] = field(default_factory=set)
    _open: list[tuple[date, int, str, str, int]] = field(default_factory=list)
    """Unposted breaks for tomorrow's agent: date, item, gateway txn, intent, amount."""


def card_number(prefix: str, n: int) -> str:
    """A 19-digit card number of the bank ``prefix`` passing the Luhn check."""
    body = f"{prefix}{n:012d}"
    return next(body + d for d in "0123456789" if is_luhn_valid(body + d))


def _enrol(
    engine: Engine, cipher: PiiCipher, story: PaymentsStory, people: list[DemoBorrower]
) -> None:
    """Borrowers with a loan after the first ``keep`` who pay on time or late become card
    payers (their counter payments 12 days late), binding a card through the gateway."""
    if len(story.payers) == len(ROLES):
        return
    taken = sorted((b for b in people if b.loan_id is not None), key=lambda b: b.loan_id or 0)
    enrolled = {p.borrower.email for p in story.payers}
    for borrower in taken[story.keep :]:
        if len(story.payers) == len(ROLES):
            return
        if borrower.email in enrolled or borrower.behaviour not in ("on time", "late"):
            continue
        n = len(story.payers)
        started = start_card_binding(
            engine,
            cipher,
            story.gateway,
            actor=borrower.actor,
            card_number=card_number(CARDS[n], 1000 + n),
            phone=f"1391234{n + 1:04d}",
        )
        assert started.sandbox_sms_code is not None  # the sandbox shows what it "texted"
        card = confirm_card_binding(
            engine,
            story.gateway,
            actor=borrower.actor,
            card_id=started.card_id,
            sms_code=started.sandbox_sms_code,
        )
        borrower.behaviour = "late"
        story.payers.append(CardPayer(borrower, ROLES[n], card.id, card.bank_name))


def _payer(story: PaymentsStory, role: str) -> CardPayer | None:
    return next((p for p in story.payers if p.role == role), None)


def _who(story: PaymentsStory, role: str) -> str:
    payer = _payer(story, role)
    assert payer is not None
    return payer.borrower.actor.label


def _active(engine: Engine, payer: CardPayer | None) -> int | None:
    if payer is None or payer.borrower.loan_id is None:
        return None
    loan_id = payer.borrower.loan_id
    return loan_id if get_loan(engine, loan_id).account.status is LoanStatus.ACTIVE else None


def _pay_by_card(engine: Engine, story: PaymentsStory, day: date) -> None:
    """The first payer pays one installment (the 2nd or later) from the loan page on its due
    date — one whose amount the sandbox takes."""
    loan_id = _active(engine, _payer(story, ROLES[0]))
    if story.card_payment is not None or loan_id is None:
        return
    payer = _payer(story, ROLES[0])
    assert payer is not None
    for row in get_loan(engine, loan_id).account.installments:
        owed = row.unpaid.total
        if row.due != day or row.n < 2 or owed <= 0 or owed % 100 in FAILURE_CENTS:
            continue
        request = IntentRequest(loan_id, IntentKind.PAYMENT, Money(owed), f"demo-card-{row.n}")
        intent = create_payment_intent(
            engine, story.gateway, actor=payer.borrower.actor, request=request, today=day
        )
        story.card_payment = intent.id


def _short_of_funds(engine: Engine, story: PaymentsStory, day: date) -> None:
    """On the due dates of the second payer's first two installments, cash at the counter
    leaves what the card cannot cover: ¥x.51 (refused at once), then ¥x.55 (notified failed)."""
    payer = _payer(story, ROLES[1])
    loan_id = _active(engine, payer)
    if payer is None or loan_id is None:
        return
    account = get_loan(engine, loan_id).account
    for row in account.installments:
        if row.due != day or row.n > 2:
            continue
        owed = sum(r.unpaid.total for r in account.installments if r.due <= day) - account.credit
        cents = SYNC_FAILURE_CENTS if row.n == 1 else ASYNC_FAILURE_CENTS
        cash = (owed % 100 - cents) % 100
        if 0 < cash < owed:
            post_payment(
                engine,
                loan_id,
                Money(cash),
                day,
                idempotency_key=f"demo-cash-{loan_id}-{row.n}",
                actor=payer.borrower.actor.label,
            )


def _paying_off_now(engine: Engine, story: PaymentsStory) -> int | None:
    """The third payer's loan when a debit the sandbox takes is queued for it (a third or later
    installment), the day to pay it off at the counter as well."""
    payer = _payer(story, ROLES[2])
    loan_id = _active(engine, payer)
    if story.unposted is not None or loan_id is None:
        return None
    account = get_loan(engine, loan_id).account
    if sum(1 for r in account.installments if r.is_settled) < 2:
        return None
    queued = [i for i in list_payment_intents(engine, loan_id) if i.status is IntentStatus.CREATED]
    if len(queued) == 1 and queued[0].amount.fen % 100 not in FAILURE_CENTS:
        return loan_id
    return None


def _settled(engine: Engine, story: PaymentsStory, loan_ids: list[int]) -> None:
    """Wait until the payers' intents have the gateway's final word (their notifications)."""
    deadline = monotonic() + SETTLE_SECONDS
    while True:
        waiting = [
            i.id
            for loan_id in loan_ids
            for i in list_payment_intents(engine, loan_id)
            if i.status in (IntentStatus.CREATED, IntentStatus.PENDING)
        ]
        if not waiting:
            return
        if monotonic() > deadline:
            raise RuntimeError(f"no notification settled {len(waiting)} payments in time")
        sleep(0.05)


def _send(engine: Engine, story: PaymentsStory, day: date) -> None:
    """Send the queue (``thinfile payments send-debits``); the third payer may pay off at the
    counter while a debit is on its way."""
    payoff = _paying_off_now(engine, story)
    story.clock.holding = payoff is not None
    try:
        report = send_queued_debits(engine, story.gateway, today=day)
        if payoff is not None:
            prepay_loan(
                engine,
                payoff,
                quote_payoff(engine, payoff, day),
                day,
                idempotency_key=f"demo-payoff-{payoff}",
                actor=_who(story, ROLES[2]),
            )
            story.unposted = next(v.id for v in report.sent if v.loan_id == payoff)
    finally:
        story.clock.holding = False
    story.cancelled.extend(report.cancelled)
    loans = [p.borrower.loan_id for p in story.payers if p.borrower.loan_id is not None]
    _settled(engine, story, loans)
    for sent in report.sent:
        if sent.loan_id in story._failed_last:
            story.retries.append(sent.id)
        final = next(i for i in list_payment_intents(engine, sent.loan_id) if i.id == sent.id)
        story.debits[sent.id] = final.status.value
        if final.status is IntentStatus.FAILED:
            story._failed_last.add(sent.loan_id)
        else:
            story._failed_last.discard(sent.loan_id)


def _refund_yesterdays(engine: Engine, story: PaymentsStory) -> None:
    """The agent works the open ``unposted`` breaks: refunds the card, resolves the break."""
    for day, n, txn, intent, amount in story._open:
        answer = story.gateway.refund(txn, amount, f"refund-{intent}")
        assert answer.gateway_txn_id is not None, answer
        story.refunds[answer.gateway_txn_id] = txn
        reason = (
            f"Paid off at the counter before this debit landed: refunded {Money(amount)} "
            f"to the card, refund {answer.gateway_txn_id}."
        )
        resolve_break(engine, day, n, reason, actor=story.agent.label)
        story.resolved.append((day, n, ReconOutcome.UNPOSTED.value))
    story._open.clear()


def _reconcile(engine: Engine, story: PaymentsStory, day: date) -> None:
    """Reconcile the day against the gateway's file; a refund the agent made is explained at
    once, an unposted debit waits for the agent's refund tomorrow."""
    data = story.gateway.reconciliation_file(day)
    done = reconcile_payments(engine, day, data, actor=SYSTEM.label, today=day)
    story.days.append(day)
    for item in done.open_breaks:
        if item.outcome == ReconOutcome.UNKNOWN and item.gateway_txn_id in story.refunds:
            debit = story.refunds[item.gateway_txn_id]
            reason = f"Our refund of debit {debit}, for its unposted break."
            resolve_break(engine, day, item.n, reason, actor=story.agent.label)
            story.resolved.append((day, item.n, item.outcome))
        elif item.outcome == ReconOutcome.UNPOSTED and item.gateway_txn_id and item.request_id:
            amount = item.file_amount or 0
            story._open.append((day, item.n, item.gateway_txn_id, item.request_id, amount))


def payments_story_day(
    engine: Engine,
    cipher: PiiCipher,
    story: PaymentsStory | None,
    people: list[DemoBorrower],
    day: date,
) -> None:
    """The payments of a replayed business day, before its close of business: new payers bind
    cards, the agent refunds yesterday's unposted debit, the first payer's card payment, the
    second's cash at the counter, the queue sent and settled, then the day reconciled."""
    if story is None:
        return
    story.clock.start_day(day)
    _enrol(engine, cipher, story, people)
    _refund_yesterdays(engine, story)
    _pay_by_card(engine, story, day)
    _short_of_funds(engine, story, day)
    _send(engine, story, day)
    _reconcile(engine, story, day)
