"""Reverse-and-replay (冲正重算): rebuild a loan from its opening and its events.

A loan's state is a function of how it was opened, the events posted to it (payments,
prepayments, refunds …) and the business dates closed. To reverse a payment, replay without it:
the books get the exact reversal of the original entry plus one adjustment entry for whatever
the replay changed downstream (penalty no longer charged, a later payment allocated
differently …). Every amount stays balanced because each side is a sum of balanced entries.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from thinfile.errors import InvalidInputError
from thinfile.money import Money
from thinfile.servicing.account import LoanAccount, Outcome
from thinfile.servicing.cob import Held, close_through
from thinfile.servicing.ledger import (
    JournalEntry,
    account_balances,
    difference,
    reversal_of,
)
from thinfile.servicing.lifecycle import charge_off, recover, refund_overpayment, write_off
from thinfile.servicing.payments import merchant_refund, pay, prepay, settle
from thinfile.servicing.product import PrepaymentMode
from thinfile.servicing.purchase_refund import SubsidyOnRefund, Unwound
from thinfile.servicing.reschedule import payment_holiday, re_age, term_extension
from thinfile.servicing.waiver import WaiverTarget, waivable, waive_fees

__all__ = [
    "Event",
    "EventKind",
    "Inserted",
    "ReplayStep",
    "apply_event",
    "replay",
    "replay_inserting",
    "replay_steps",
    "reversal_entries",
    "value_dated_entries",
]


class EventKind(enum.StrEnum):
    REPAYMENT = "repayment"
    PREPAYMENT = "prepayment"
    MERCHANT_REFUND = "merchant-refund"
    CHARGE_OFF = "charge-off"
    WRITE_OFF = "write-off"
    RECOVERY = "recovery"
    OVERPAYMENT_REFUND = "overpayment-refund"
    FEE_WAIVER = "fee-waiver"
    PAYMENT_HOLIDAY = "payment-holiday"
    """``amount`` is the holiday's months (no money moves)."""
    RE_AGE = "re-age"
    TERM_EXTENSION = "term-extension"
    """``amount`` is the months added (no money moves)."""
    SETTLEMENT = "settlement"
    """``amount`` is the money received; the rest is written off (``payments.settle``)."""


@dataclass(frozen=True, slots=True)
class Event:
    """A posted business event, in fen; ``mode`` only for prepayments, ``waive`` only for
    fee waivers (``None``: penalty first, then fees), ``unearned`` only for merchant refunds."""

    kind: EventKind
    on: date
    amount: int = 0
    mode: PrepaymentMode | None = None
    waive: WaiverTarget | None = None
    unearned: SubsidyOnRefund | None = None
    """Only for a checkout's merchant refund: what it does with the unearned subsidy."""
    unwound: Unwound | None = None
    """Only for a checkout's merchant refund: the subsidy it unwound and the lender's part,
    as first posted (None: worked out again, for refunds stored before they were kept)."""
    hold: bool = False
    """Only for a repayment: money beyond what was due held as overpayment (an automatic
    debit's, :func:`~thinfile.servicing.payments.pay` ``hold_extra``)."""


def _money(loan: LoanAccount, e: Event) -> Money:
    return Money(e.amount, loan.currency)


def _waive_replayed(loan: LoanAccount, e: Event) -> Outcome:
    """A fee waiver replayed waives what it waived, or what is left of it to waive: a payment
    replayed before it (one booked at its value date) may have kept the penalty it forgave
    from being charged at all."""
    fen = min(e.amount, waivable(loan, e.waive))
    if fen <= 0:
        return Outcome(loan)
    return waive_fees(loan, Money(fen, loan.currency), e.on, reason="replayed", target=e.waive)


def _re_age_replayed(loan: LoanAccount, e: Event) -> Outcome:
    """A re-age replayed spreads the arrears there are on its date; none (a payment replayed
    before it cured them), it has nothing to do."""
    if not any(i.due <= e.on and i.arrears > 0 for i in loan.installments):
        return Outcome(loan)
    return re_age(loan, e.on)


_HANDLERS: dict[EventKind, Callable[[LoanAccount, Event], Outcome]] = {
    EventKind.REPAYMENT: lambda loan, e: pay(loan, _money(loan, e), e.on, hold_extra=e.hold),
    EventKind.PREPAYMENT: lambda loan, e: prepay(loan, _money(loan, e), e.on, mode=e.mode),
    EventKind.MERCHANT_REFUND: lambda loan, e: merchant_refund(
        loan, _money(loan, e), e.on, unearned=e.unearned, unwound=e.unwound
    ),
    EventKind.CHARGE_OFF: lambda loan, e: charge_off(loan, e.on, reason="manual"),
    EventKind.WRITE_OFF: lambda loan, e: write_off(loan, e.on),
    EventKind.RECOVERY: lambda loan, e: recover(loan, _money(loan, e), e.on),
    EventKind.OVERPAYMENT_REFUND: lambda loan, e: refund_overpayment(loan, _money(loan, e), e.on),
    EventKind.FEE_WAIVER: _waive_replayed,
    EventKind.PAYMENT_HOLIDAY: lambda loan, e: payment_holiday(loan, e.on, e.amount),
    EventKind.RE_AGE: _re_age_replayed,
    EventKind.TERM_EXTENSION: lambda loan, e: term_extension(loan, e.on, e.amount),
    EventKind.SETTLEMENT: lambda loan, e: settle(loan, _money(loan, e), e.on, reason="replayed"),
}


def apply_event(loan: LoanAccount, event: Event, held: Held = ()) -> Outcome:
    """Close the loan's days up to the event's date (default steps held on the dates of
    ``held``), then post the event."""
    done = close_through(loan, event.on - timedelta(days=1), held)
    return done.then(_HANDLERS[event.kind](done.loan, event))


def replay(opening: Outcome, events: Sequence[Event], through: date, held: Held = ()) -> Outcome:
    """The loan after ``events`` in order, with every business date to ``through`` closed."""
    done = opening
    for event in events:
        done = done.then(apply_event(done.loan, event, held))
    return done.then(close_through(done.loan, through, held))


def reversal_entries(
    before: Outcome, after: Outcome, original: JournalEntry, on: date
) -> tuple[JournalEntry, ...]:
    """The exact reversal of ``original`` and the replay adjustment bringing the books to
    ``after``; the adjustment is left out when the replay changed nothing else."""
    if original.loan_id != before.loan.loan_id:
        raise InvalidInputError("the entry belongs to another loan", field="entry")
    undo = reversal_of(original, on)
    booked = account_balances((*before.entries, undo))
    adjust = difference(account_balances(after.entries), booked, before.loan.currency)
    extra = (
        ()
        if adjust.is_empty()
        else (adjust.build("replay-adjustment", on, loan_id=original.loan_id),)
    )
    return (undo, *extra)


@dataclass(frozen=True, slots=True)
class ReplayStep:
    """One event of a replay: the loan as it stood when the event was posted (its date's
    earlier days closed), and what the event did alone (its entries only)."""

    prior: LoanAccount
    own: Outcome


def replay_steps(
    opening: Outcome, events: Sequence[Event], through: date, held: Held = ()
) -> tuple[Outcome, tuple[ReplayStep, ...]]:
    """:func:`replay`, with each event's :class:`ReplayStep` (what it paid, replayed, is told by
    its prior loan and its own outcome)."""
    done, steps = opening, []
    for event in events:
        done = done.then(close_through(done.loan, event.on - timedelta(days=1), held))
        own = _HANDLERS[event.kind](done.loan, event)
        steps.append(ReplayStep(done.loan, own))
        done = done.then(own)
    return done.then(close_through(done.loan, through, held)), tuple(steps)


@dataclass(frozen=True, slots=True)
class Inserted:
    """A loan replayed with an event inserted at its date (:func:`replay_inserting`)."""

    after: Outcome
    """The loan replayed with the event, to the date replayed through."""
    prior: LoanAccount
    """The loan as it stood when the event was posted (its date's earlier days closed)."""
    own: Outcome
    """What the event did alone: its entries only."""
    steps: tuple[ReplayStep, ...] = ()
    """The other events' steps, in the order given."""


def replay_inserting(
    opening: Outcome, events: Sequence[Event], new: Event, through: date, held: Held = ()
) -> Inserted:
    """The loan replayed with ``new`` posted at its own date — after the events of that day
    and before the later ones (``events`` in date order) — to ``through``. A posting that
    arrives after its value date (a debit completed on a date since closed) is booked so."""
    at = sum(1 for e in events if e.on <= new.on)
    after, steps = replay_steps(opening, [*events[:at], new, *events[at:]], through, held)
    return Inserted(after, steps[at].prior, steps[at].own, steps[:at] + steps[at + 1 :])


def value_dated_entries(
    before: Outcome, after: Outcome, own: Outcome, on: date
) -> tuple[JournalEntry, ...]:
    """The entries of a posting booked on ``on`` after its value date: its own entries (as
    on its value date, dated ``on``, the value date in the memo) and the replay adjustment
    bringing the books from ``before`` to ``after`` (the days closed since, which it changes:
    penalty not charged, interest not accrued, later payments allocated otherwise); the
    adjustment is left out when nothing else changed."""
    posted = tuple(
        JournalEntry(e.kind, on, e.lines, e.loan_id, f"value date {e.on.isoformat()}")
        for e in own.entries
    )
    booked = account_balances((*before.entries, *posted))
    adjust = difference(account_balances(after.entries), booked, before.loan.currency)
    if adjust.is_empty():
        return posted
    return (*posted, adjust.build("replay-adjustment", on, loan_id=before.loan.loan_id))
