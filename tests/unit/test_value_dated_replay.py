"""A payment booked at its value date replays the loan with the payment in its place; what
staff did since on the arrears it prevents — a penalty waived, the arrears re-aged — has
nothing left to act on and must not refuse the replay.

The oracle is the loan paid on time with nothing else done to it: after the replay the loan
must be that loan, installment for installment, with no penalty charged and no arrears; and
the history as it happened (no payment, penalty waived, arrears re-aged) must have charged
penalty and moved the arrears, so the test would see a replay that ignored the payment."""

from __future__ import annotations

from datetime import timedelta

from tests.unit.test_servicing_money_rules import issue_loan
from thinfile.servicing import (
    Event,
    EventKind,
    Outcome,
    ServicingProduct,
    WaiverTarget,
    open_loan,
    replay,
    replay_inserting,
)


def test_a_waiver_and_a_re_age_since_the_value_date_replay_on_what_is_left() -> None:
    opening = open_loan(1, issue_loan().schedule, ServicingProduct())
    first = opening.loan.installments[0]
    due, owed = first.due, first.principal_due + first.interest_due
    waived_on, re_aged_on, through = (due + timedelta(days=d) for d in (10, 20, 25))
    charged = replay(opening, [], waived_on - timedelta(days=1))
    penalty = sum(i.penalty_due for i in charged.loan.installments)
    assert penalty > 0
    waiver = Event(EventKind.FEE_WAIVER, waived_on, penalty, waive=WaiverTarget.PENALTY)
    events = [waiver, Event(EventKind.RE_AGE, re_aged_on)]
    happened = replay(opening, events, through)
    assert happened.loan.installments[0].principal_due < first.principal_due  # re-aged

    payment = Event(EventKind.REPAYMENT, due, owed)
    done = replay_inserting(opening, events, payment, through)
    on_time: Outcome = replay(opening, [payment], through)
    assert done.after.loan == on_time.loan
    assert done.prior.installments[0].principal_paid == 0  # posted on the loan as it stood
    assert done.own.loan.installments[0].is_settled
    assert sum(i.penalty_due for i in done.after.loan.installments) == 0
    assert done.after.loan.overdue_since is None
