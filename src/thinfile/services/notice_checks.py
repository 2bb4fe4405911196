"""A reminder or an overdue notice checked when it is sent, not only when close of business
wrote it: the borrower may have paid, or the loan closed, between the night and the morning —
and a notice held back by quiet hours or the daily cap goes later still. A message about money
no longer owed is not sent (DOMAIN §16: notices are about real arrears); one about less than
it was written for says what is owed now.

What each kind is about: a reminder (D−3, D0), the installments due on its date; an overdue
notice ``overdue_N`` (written at the close of the (N−1)th day past due), every installment
due by that close.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date

from thinfile.comms import OVERDUE_DAYS, REMINDER_DAYS_BEFORE, MessageKind
from thinfile.services.uow import UnitOfWork
from thinfile.store.notice_arrears import LoanArrears, arrears_of
from thinfile.store.notifications_repo import StoredMessage
from thinfile.store.servicing_codec import to_day

__all__ = ["Checked", "check_notices"]

_REMINDERS = frozenset({MessageKind.DUE_SOON.value, MessageKind.DUE_TODAY.value})
_OVERDUE = {kind.value: days for days, kind in OVERDUE_DAYS.items()}

Checked = tuple[StoredMessage | None, str | None]
"""The message to send (its amount what is owed now), or None with the reason it is not."""


def _span(message: StoredMessage) -> tuple[int | None, int] | None:
    """The due days (first, last) a message's amount is owed on (first None: every due day up
    to the last); None when the message is not about arrears."""
    if message.loan_id is None or message.ref_day is None or message.amount_fen is None:
        return None
    if message.kind in _REMINDERS:
        return message.ref_day, message.ref_day
    days = _OVERDUE.get(message.kind)
    if days is None:
        return None
    return None, message.ref_day + days - 1


def check_notices(
    uow: UnitOfWork, messages: Sequence[StoredMessage], *, today: date | None = None
) -> dict[tuple[int, str], Checked]:
    """Each reminder and overdue notice among ``messages`` (by notification id and channel,
    as a worker claims them) checked against its loan now: skipped when the loan is no longer
    active or the amount is paid, lowered to what is still owed; a reminder held back is
    skipped once its day has passed (``today``, the lender's date: "due in 3 days" deferred by
    the daily cap is not sent two days before, nor "due today" the day after); other messages
    are not in the answer, and a message about a loan not on the book is left as it is."""
    spans = {m.notification_id: s for m in messages if (s := _span(m)) is not None}
    if not spans:
        return {}
    about = [m for m in messages if m.notification_id in spans]
    through = max(last for _, last in spans.values())
    arrears = arrears_of(uow.conn, [m.loan_id for m in about if m.loan_id is not None], through)
    return {
        (m.notification_id, m.channel): _checked(m, spans[m.notification_id], arrears, today)
        for m in about
    }


def _past_its_day(message: StoredMessage, today: date) -> bool:
    """Whether a reminder held back (by the daily cap, quiet hours or a failed try) is read
    after the day it speaks of: D−3's "due in 3 days" after D−3, D0's "due today" after D.
    Overdue notices are sent late rather than not at all; a first try goes as written."""
    assert message.ref_day is not None
    if message.deferred is None and message.attempts == 0:
        return False
    if message.kind == MessageKind.DUE_SOON.value:
        return to_day(today) > message.ref_day - REMINDER_DAYS_BEFORE
    if message.kind == MessageKind.DUE_TODAY.value:
        return to_day(today) > message.ref_day
    return False


def _checked(
    message: StoredMessage,
    span: tuple[int | None, int],
    arrears: dict[int, LoanArrears],
    today: date | None,
) -> Checked:
    assert message.loan_id is not None and message.amount_fen is not None
    loan = arrears.get(message.loan_id)
    if loan is None:  # no such loan on the book (a message written by hand): nothing to check
        return message, None
    if today is not None and _past_its_day(message, today):
        return None, "out of date"
    if loan.status != "active":
        return None, "loan no longer active"
    first, last = span
    owed = sum(
        u
        for day, u in loan.unpaid_by_due_day.items()
        if (first is None or first <= day) and day <= last
    )
    if owed <= 0:
        return None, "paid since"
    return replace(message, amount_fen=min(owed, message.amount_fen)), None
