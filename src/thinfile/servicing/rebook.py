"""Rebooking (重算分录): a loan's journal recomputed from its transactions by the posting rules.

The journal is derived data: each transaction (disbursement, repayment, prepayment, refund,
waiver, reversal …) books what the posting rules make of it on the loan as it stood, and close
of business books what closing each day makes of the loan. :func:`rebook` walks a loan's
transactions in posting order, exactly as the use cases posted them, and returns the entries
each transaction should have booked and the close-of-business entries the days between them
should have booked. Comparing them with the stored journal line by line catches a line
relabelled (interest income booked as fee income) or a transaction edited after it was booked
(a repayment's amount raised), which balanced entries alone cannot show.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from thinfile.servicing.account import LoanAccount, Outcome
from thinfile.servicing.cob import Held, close_through
from thinfile.servicing.ledger import JournalEntry
from thinfile.servicing.replay import (
    Event,
    apply_event,
    replay,
    replay_inserting,
    reversal_entries,
    value_dated_entries,
)

__all__ = ["Posting", "Rebooked", "rebook"]

DISBURSEMENT = "disbursement"
REVERSAL = "reversal"


@dataclass(frozen=True, slots=True)
class Posting:
    """A stored transaction: its id, and either an ``event`` (payments, refunds, waivers …),
    the disbursement (``kind`` ``disbursement``) or a reversal of ``reversal_of``."""

    txn_id: int
    kind: str
    on: date
    event: Event | None = None
    reversal_of: int | None = None
    booked: date | None = None
    """The business date it was booked on, when after ``on`` (a payment booked at its value
    date: the loan replayed with it)."""


@dataclass(frozen=True, slots=True)
class Rebooked:
    """What the loan's journal should hold: per transaction id its entries, in order; the
    entries close of business books between transactions (no transaction of their own); the
    loan at the end; and the transactions the rules do not know (``unknown``)."""

    by_txn: dict[int, tuple[JournalEntry, ...]]
    closing: tuple[JournalEntry, ...]
    loan: LoanAccount
    unknown: tuple[int, ...] = ()


def _reverse(
    opening: Outcome,
    events: list[tuple[int, Event]],
    posting: Posting,
    original: JournalEntry | None,
    held: Held,
) -> tuple[tuple[JournalEntry, ...], Outcome]:
    """The entries of a reversal, as ``reverse_in_unit`` books them, and the loan after it."""
    through = posting.on - timedelta(days=1)
    before = replay(opening, [e for _, e in events], through, held)
    after = replay(opening, [e for t, e in events if t != posting.reversal_of], through, held)
    if original is None:
        return (), after
    return reversal_entries(before, after, original, posting.on), after


def _value_dated(
    opening: Outcome, events: list[tuple[int, Event]], event: Event, booked: date, held: Held
) -> tuple[tuple[JournalEntry, ...], Outcome]:
    """The entries of a payment booked after its value date, as
    ``services.value_dated.post_late_in_unit`` books them, and the loan after it."""
    through = booked - timedelta(days=1)
    before = replay(opening, [e for _, e in events], through, held)
    done = replay_inserting(opening, [e for _, e in events], event, through, held)
    return value_dated_entries(before, done.after, done.own, booked), done.after


def rebook(
    opening: Outcome, postings: Sequence[Posting], through: date, held: Held = ()
) -> Rebooked:
    """Walk ``postings`` (in posting order) from ``opening``; close the days to ``through``
    (default steps held on the dates of ``held``). The events replayed for a reversal or a
    payment booked at its value date are kept in date order."""
    by_txn: dict[int, tuple[JournalEntry, ...]] = {}
    closing: list[JournalEntry] = []
    unknown: list[int] = []
    events: list[tuple[int, Event]] = []
    loan = opening.loan
    for posting in postings:
        if posting.kind == DISBURSEMENT:
            by_txn[posting.txn_id] = opening.entries
            continue
        if posting.event is None and posting.kind != REVERSAL:
            unknown.append(posting.txn_id)
            continue
        booked = max(posting.on, posting.booked or posting.on)
        late = booked > posting.on
        closed = close_through(loan, booked - timedelta(days=1), held)
        closing.extend(closed.entries)
        if posting.event is not None and late:
            entries, done = _value_dated(opening, events, posting.event, booked, held)
            by_txn[posting.txn_id] = entries
            events = sorted([*events, (posting.txn_id, posting.event)], key=lambda t: t[1].on)
        elif posting.event is not None:
            done = apply_event(closed.loan, posting.event, held)
            by_txn[posting.txn_id] = done.entries
            events.append((posting.txn_id, posting.event))
        else:
            original = by_txn.get(posting.reversal_of or 0, ())
            first = original[0] if original else None
            entries, done = _reverse(opening, events, posting, first, held)
            by_txn[posting.txn_id] = entries
            events = [(t, e) for t, e in events if t != posting.reversal_of]
        loan = done.loan
    closed = close_through(loan, through, held)
    closing.extend(closed.entries)
    return Rebooked(by_txn, tuple(closing), closed.loan, tuple(unknown))
