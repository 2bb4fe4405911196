"""Close of business's ``reminders`` step: the before-due reminders and overdue notices of
the next day, set-based (one ``INSERT … SELECT`` per kind over every loan) and idempotent per
date.

Closing business date ``x`` writes what the borrowers should read on ``d = x + 1``:
``due_soon`` for installments due on ``d + 3`` (D−3), ``due_today`` for those due on ``d``
(D0), and the overdue notice of each loan whose arrears began ``n`` days before ``d`` for
``n`` in 1, 7, 15, 30 (D+1 … D+30) — each only when something is unpaid, and only for a loan
with a borrower. The night writes the messages alone and notes when their deliveries are
due: from the end of ``x`` in the lender's zone (or from now, when the night closes ``x``
before it ends). The delivery worker writes the deliveries from then on (:data:`NIGHT_RULES`:
its kind's channels, in-app only for a borrower who chose it, except the notices the law
requires) and sends them from 08:00 in the borrower's zone (quiet hours). A replayed year
(the demo) thus delivers each night's reminders on its own morning. A message's key (kind,
loan, due date) makes a second run of the date, or a resumed one, write nothing again.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from thinfile.comms import KINDS, OVERDUE_DAYS, REMINDER_DAYS_BEFORE, MessageKind, zone_of
from thinfile.services.identity_records import now_utc
from thinfile.services.uow import UnitOfWork
from thinfile.store.notifications_repo import ChannelRule
from thinfile.store.servicing_codec import to_day

__all__ = ["NIGHT_RULES", "REMINDERS_ON", "reminders_step"]

REMINDERS_ON = True
"""The switch of the ``reminders`` step (off, the night writes no reminder)."""

NIGHT_RULES = tuple(
    ChannelRule(kind.value, channel.value, rule.legally_required)
    for kind, rule in KINDS.items()
    if not rule.marketing
    for channel in rule.channels
)
"""The channels of the kinds close of business writes, by which the worker delivers them."""


def reminders_step(uow: UnitOfWork, x: date) -> int:
    """Write the reminders and notices for the day after ``x``; how many messages."""
    if not REMINDERS_ON:
        return 0
    day, at = to_day(x), now_utc()
    end_of_x = datetime.combine(x + timedelta(days=1), time(0), tzinfo=zone_of(None)).astimezone(
        UTC
    )
    d = day + 1
    repo = uow.notifications
    repo.plan_for_batch()
    written = repo.add_before_due(
        x=day,
        target=d + REMINDER_DAYS_BEFORE,
        kind=MessageKind.DUE_SOON.value,
        required=KINDS[MessageKind.DUE_SOON].legally_required,
        at=at,
    )
    written += repo.add_before_due(
        x=day,
        target=d,
        kind=MessageKind.DUE_TODAY.value,
        required=KINDS[MessageKind.DUE_TODAY].legally_required,
        at=at,
    )
    written += repo.add_overdue(
        x=day, d=d, since=[d - n for n in OVERDUE_DAYS], required=True, at=at
    )
    if written:
        # from the end of x in Beijing, never earlier: a close run during x (the CLI takes
        # today) would otherwise send "due today" the evening before the due date
        repo.add_night(x=day, deliver_from=end_of_x, at=at)
    return written
