"""Card payments booked at their value date: the day the gateway completed the debit.

A debit the gateway completed on business date D whose word (notification, status query,
reconciliation file) arrives after close of business closed D is the borrower's payment of
D: the money left their card that day. Posted on the current date instead, the loan would
be recorded late — overdue notices, penalty, a bucket move, a payoff quote of D leaving a
day's interest owing — for a borrower who paid on time. So the payment takes its place among
the loan's events at D and the loan is replayed to the current date (reverse-and-replay, as
a reversal does): the ledger gets the payment's own entry and one adjustment for what the
days since change (penalty not charged, interest not accrued, later payments allocated
otherwise), both booked on the current date, the value date in the memo. Messages already
sent stay sent.

The value date is the completion's date on the business calendar: its UTC date, as the
current business date reads the wall clock
(:func:`~thinfile.services.business_date.business_date_in`; a gateway's reconciliation file
lists a China Standard Time day, a grouping of transactions only). A date before the
business date the intent was made for (a clock's error) or the loan opened, or more than
:data:`VALUE_DATE_DAYS` back (a word lost for over a month) is not used: the payment posts on
the current date, as does one a replay cannot take (the loan repaid meanwhile by another
payment: reconciliation returns the money). A fee waiver or re-age posted since replays on
what is left to waive or re-age.

The loan's delinquency record from the value date on — its bucket moves, its month-end
snapshots and its credit line's — is rewritten as the replay finds it: a borrower who paid on
time shows no delinquency in roll rates, vintages or the next limit reviews because the
gateway's word was late.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta

from thinfile.errors import ThinfileError
from thinfile.money import Money
from thinfile.services.business_date import lender_date
from thinfile.services.loan_postings import (
    Receipt,
    catch_up,
    month_end_row,
    payment_row,
    rebuild_opening,
    rewrite_history,
    split_of,
    stored_events,
)
from thinfile.services.notifications import notify_payment_received_in_unit
from thinfile.services.uow import UnitOfWork
from thinfile.servicing import (
    BucketMove,
    Event,
    LoanStatus,
    Outcome,
    replay,
    replay_inserting,
    value_dated_entries,
)
from thinfile.servicing.cob import Held
from thinfile.store.payment_intents_repo import StoredIntent
from thinfile.store.servicing_codec import to_day
from thinfile.store.servicing_repo import StoredLoan

__all__ = ["VALUE_DATE_DAYS", "intent_value_date", "post_late_in_unit", "value_date_of"]

log = logging.getLogger("thinfile.payments")

VALUE_DATE_DAYS = 31
"""How far back a completed debit is booked at its value date."""


def value_date_of(completed_at: datetime | None) -> date | None:
    """The business date of a completion time (its date on the lender's calendar, Asia/Shanghai,
    as :func:`~thinfile.services.business_date.lender_today` reads the clock), if the gateway
    gave one."""
    return None if completed_at is None else lender_date(completed_at)


def intent_value_date(intent: StoredIntent, completed_at: datetime | None) -> date | None:
    """The value date of a payment intent's debit the gateway completed at ``completed_at``;
    None when the gateway gave no time or dated it before the business date the intent was
    made for (a clock's error, not a value date; intents made before that date was kept
    have none)."""
    on = value_date_of(completed_at)
    if on is None or intent.business_day is None or to_day(on) < intent.business_day:
        return None
    return on


def post_late_in_unit(
    uow: UnitOfWork,
    stored: StoredLoan,
    event: Event,
    key: str | None,
    on: date,
    borrower: str | None = None,
) -> Receipt | None:
    """Post ``event`` (a repayment or prepayment of a completed debit) at its date on the
    loan ``stored`` (locked; its key checked) when that date is before the business date
    ``on`` and within :data:`VALUE_DATE_DAYS` of it; None when it is not, or the replay
    cannot take it, for the caller to post on ``on``."""
    loan_id = stored.account.loan_id
    money = Money(event.amount, stored.account.currency)
    if not on - timedelta(days=VALUE_DATE_DAYS) <= event.on < on:
        return None
    if stored.account.status is not LoanStatus.ACTIVE or event.on < stored.account.disbursed_on:
        return None
    stored = catch_up(uow, stored, on)
    events = stored_events(uow, loan_id)
    opening, through = rebuild_opening(stored), on - timedelta(days=1)
    held = uow.disputes.held_of_loan(loan_id)
    evs = [e for _, e in events]
    at = sum(1 for e in evs if e.on <= event.on)  # where replay_inserting puts it
    before = replay(opening, evs, through, held)
    if before.loan != stored.account:
        log.error("loan %s cannot be replayed to its state: paid on %s", loan_id, on)
        return None
    try:
        done = replay_inserting(opening, evs, event, through, held)
    except ThinfileError as refused:
        log.warning(
            "loan %s refuses a payment at %s (%s): posted on %s",
            loan_id,
            event.on,
            refused.code,
            on,
        )
        return None
    paid, overpayment = split_of(done.prior, done.own.loan)
    row = payment_row(
        event.kind, event.on, money, key, event.mode, paid, overpayment, held=event.hold
    )
    txn = row | {"booked_day": to_day(on)}
    entries = value_dated_entries(before, done.after, done.own, on)
    steps = [(t, e, s) for (t, e), s in zip(events, done.steps, strict=True)]
    txn_id, _ = rewrite_history(uow, stored, done.after.loan, entries, txn, on, steps)
    ordered = [*evs[:at], event, *evs[at:]]
    _rewrite_delinquency(uow, opening, ordered, done.after.moves, event.on, through, held)
    notify_payment_received_in_unit(uow, loan_id, txn_id, money, borrower=borrower)
    log.info(
        "loan %s: a payment completed on %s booked on %s at its value date", loan_id, event.on, on
    )
    return Receipt(
        txn_id,
        loan_id,
        event.kind,
        event.on,
        event.amount,
        money.currency,
        paid,
        overpayment,
        done.after.loan.status,
    )


def _rewrite_delinquency(
    uow: UnitOfWork,
    opening: Outcome,
    ordered: list[Event],
    moves: tuple[BucketMove, ...],
    since: date,
    through: date,
    held: Held,
) -> None:
    """The loan's bucket moves from ``since`` (replacing what close of business and the
    posting recorded) and each month-end snapshot from ``since`` to ``through`` as the replay
    of ``ordered`` finds the loan at that month-end's close — with its credit line's
    month-end snapshot, which limit reviews read. The reviews already decided on the old
    snapshot stand; the next ones read the new."""
    loan_id = opening.loan.loan_id
    history = uow.delinquency_history
    history.replace_moves_since(loan_id, since, [m for m in moves if m.on >= since])
    line_id = opening.loan.credit_line_id
    for day in history.month_ends_since(loan_id, since):
        if day > through:
            break
        loan = replay(opening, [e for e in ordered if e.on <= day], day, held).loan
        history.rewrite_month_end(loan_id, month_end_row(loan, day), day)
        if line_id is not None:  # the line's month-end snapshot, read by its limit reviews
            uow.limits.month_snapshot_again(line_id, to_day(day), to_day(day.replace(day=1)))
