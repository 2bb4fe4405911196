"""Borrower communications: the outbox messages are written to, the borrower's choices and
message centre, and what staff see of delivery.

* **Outbox.** A use case that a borrower must hear about calls one of the ``notify_…_in_unit``
  helpers (or :func:`enqueue_notification_in_unit`) inside its own unit of work: the message
  and one delivery row per channel commit with the change, or not at all. The worker
  (:mod:`thinfile.services.notification_delivery`) sends them later; close of business writes
  the reminders and overdue notices set-based (:mod:`thinfile.services.reminders`).
* **Rules** (:mod:`thinfile.comms.policy`): a message of one kind about one subject and due
  date is written once; its channels follow the kind, the borrower's in-app-only choice
  (except for notices the law requires) and, for marketing, the separate marketing consent
  (``consent`` purpose ``marketing``, category ``contact``); quiet hours and daily caps are
  applied by the worker.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy.engine import Engine

from thinfile.comms import (
    KINDS,
    Channel,
    MessageKind,
    Preferences,
    channel_choices,
    channels_for,
    dedupe_key,
    zone_of,
)
from thinfile.errors import InvalidInputError, NotFoundError
from thinfile.money import Money, format_yuan
from thinfile.services.audit import record_audit
from thinfile.services.consent import DataCategory, Purpose, has_consent
from thinfile.services.identity_records import Actor, now_utc
from thinfile.services.ownership import owner_of_any_loan, owner_of_line
from thinfile.services.uow import UnitOfWork
from thinfile.servicing import LoanAccount
from thinfile.store.notifications_repo import StoredMessage, StoredPreferences
from thinfile.store.servicing_codec import from_day, to_day

__all__ = [
    "LANGUAGES",
    "DeliveryRecord",
    "InboxMessage",
    "delivery_counts",
    "enqueue_notification_in_unit",
    "get_preferences",
    "inbox_message",
    "list_deliveries",
    "list_messages",
    "mark_message_read",
    "marketing_consent_in",
    "message_params",
    "notify_auto_debit_failed_in_unit",
    "notify_contract_ready_in_unit",
    "notify_limit_changed_in_unit",
    "notify_limit_frozen_in_unit",
    "notify_payment_received_in_unit",
    "notify_plan_changed_in_unit",
    "notify_settlement_ready_in_unit",
    "preferences_from",
    "preferences_in",
    "set_preferences",
    "unread_count",
]

LANGUAGES = ("zh", "en")
_PARAM_CHARS = 200


def preferences_in(uow: UnitOfWork, user_id: str) -> Preferences:
    """The borrower's choices (the defaults until they set any)."""
    stored = uow.notifications.preferences(user_id)
    return preferences_from(stored)


def preferences_from(stored: StoredPreferences | None) -> Preferences:
    if stored is None:
        return Preferences()
    return Preferences(stored.language, stored.time_zone, bool(stored.in_app_only))


def marketing_consent_in(uow: UnitOfWork, user_id: str) -> bool:
    applicant = uow.applicants.id_of_user(user_id)
    return applicant is not None and has_consent(
        uow, applicant, DataCategory.CONTACT, Purpose.MARKETING
    )


def _checked_params(params: Mapping[str, str]) -> dict[str, str]:
    out = {}
    for key, value in params.items():
        if not isinstance(value, str) or len(value) > _PARAM_CHARS:
            raise InvalidInputError(
                f"a message parameter is text of at most {_PARAM_CHARS} characters",
                field=str(key),
                value=str(value)[:40],
            )
        out[str(key)] = value
    return out


def enqueue_notification_in_unit(
    uow: UnitOfWork,
    user_id: str,
    kind: MessageKind,
    *,
    subject: str,
    day: int | None = None,
    loan_id: int | None = None,
    amount: Money | None = None,
    params: Mapping[str, str] | None = None,
) -> int | None:
    """Write one message for ``user_id`` into the outbox, inside the caller's unit of work;
    its id, or None when it was written before (same kind, ``subject`` and ``day``) or goes
    by no channel (marketing without consent)."""
    if not isinstance(kind, MessageKind):
        raise InvalidInputError("unknown message kind", field="kind", value=str(kind))
    values = _checked_params(params or {})
    rule = KINDS[kind]
    if rule.marketing and not marketing_consent_in(uow, user_id):
        return None
    at = now_utc()
    message = {
        "user_id": user_id,
        "kind": kind.value,
        "loan_id": loan_id,
        "ref_day": day,
        "dedupe_key": dedupe_key(kind, subject, day),
        "amount_fen": None if amount is None else amount.fen,
        "currency": None if amount is None else amount.currency,
        "params": json.dumps(values, sort_keys=True, ensure_ascii=False),
        "legally_required": rule.legally_required,
        "cob_day": None,
        "created_at": at,
    }
    if uow.notifications.writes_message_at_once:  # the choice applied in the statement
        choices = [(c.value, kept) for c, kept in channel_choices(kind)]
        return uow.notifications.add_with_deliveries(message, choices) if choices else None
    channels = channels_for(kind, preferences_in(uow, user_id), marketing_consent=True)
    if not channels:
        return None
    notification_id = uow.notifications.add(message)
    if notification_id is None:
        return None
    uow.notifications.add_deliveries(
        [
            {
                "notification_id": notification_id,
                "channel": channel.value,
                "user_id": user_id,
                "status": "pending",
                "attempts": 0,
                "next_attempt_at": at,
                "created_at": at,
            }
            for channel in channels
        ]
    )
    return notification_id


def _owner(uow: UnitOfWork, loan_id: int) -> str | None:
    return owner_of_any_loan(uow, str(loan_id))


def notify_payment_received_in_unit(
    uow: UnitOfWork, loan_id: int, txn_id: int, amount: Money, *, borrower: str | None = None
) -> int | None:
    """``payment_received`` for the loan's borrower — ``borrower`` when the caller knows it,
    else looked up (none for a loan nobody owns)."""
    user_id = borrower or _owner(uow, loan_id)
    if user_id is None:
        return None
    return enqueue_notification_in_unit(
        uow,
        user_id,
        MessageKind.PAYMENT_RECEIVED,
        subject=f"txn:{txn_id}",
        loan_id=loan_id,
        amount=amount,
    )


def notify_auto_debit_failed_in_unit(
    uow: UnitOfWork, user_id: str, loan_id: int, intent_id: str, amount: Money, failure: str
) -> int | None:
    """``auto_debit_failed`` for the borrower whose automatic repayment failed."""
    return enqueue_notification_in_unit(
        uow,
        user_id,
        MessageKind.AUTO_DEBIT_FAILED,
        subject=f"intent:{intent_id}",
        loan_id=loan_id,
        amount=amount,
        params={"failure": failure},
    )


def notify_limit_changed_in_unit(
    uow: UnitOfWork, line_id: int, old: Money, new: Money, change: str
) -> int | None:
    """``limit_changed`` for the line's borrower; ``change`` names this change (once)."""
    user_id = owner_of_line(uow, str(line_id))
    if user_id is None or old.fen == new.fen:
        return None
    return enqueue_notification_in_unit(
        uow,
        user_id,
        MessageKind.LIMIT_CHANGED,
        subject=f"line:{line_id}:{change}",
        params={"limit": format_yuan(new.fen), "old_limit": format_yuan(old.fen)},
    )


def notify_limit_frozen_in_unit(
    uow: UnitOfWork, line_id: int, limit: Money, change: str
) -> int | None:
    """``limit_frozen`` for the line's borrower; ``change`` names this freeze (once)."""
    user_id = owner_of_line(uow, str(line_id))
    if user_id is None:
        return None
    return enqueue_notification_in_unit(
        uow,
        user_id,
        MessageKind.LIMIT_FROZEN,
        subject=f"line:{line_id}:{change}",
        params={"limit": format_yuan(limit.fen)},
    )


def notify_contract_ready_in_unit(
    uow: UnitOfWork, user_id: str, loan_id: int, contract: str
) -> int | None:
    """``contract_ready`` once the signed contract of ``loan_id`` is stored."""
    return enqueue_notification_in_unit(
        uow,
        user_id,
        MessageKind.CONTRACT_READY,
        subject=f"loan:{loan_id}",
        loan_id=loan_id,
        params={"contract": contract},
    )


def notify_plan_changed_in_unit(
    uow: UnitOfWork, loan: LoanAccount, plan_id: int, on: date
) -> int | None:
    """``plan_changed`` for the borrower of ``loan`` (as re-planned by hardship plan
    ``plan_id``): the next installment not yet due, and what paying it in full takes — with
    whatever is still unpaid of earlier ones (a re-age leaves their penalty, a holiday their
    arrears), which a payment settles first, less the credit the loan holds: paid, the loan
    is current on that date."""
    user_id = _owner(uow, loan.loan_id)
    upcoming = [i for i in loan.installments if i.due > on and i.arrears > 0]
    if user_id is None or not upcoming:
        return None
    nxt = upcoming[0]
    owed = sum(i.unpaid.total for i in loan.installments if i.due <= nxt.due)
    return enqueue_notification_in_unit(
        uow,
        user_id,
        MessageKind.PLAN_CHANGED,
        subject=f"plan:{plan_id}",
        day=to_day(nxt.due),
        loan_id=loan.loan_id,
        amount=loan.money(max(0, owed - loan.credit)),
    )


def notify_settlement_ready_in_unit(uow: UnitOfWork, loan_id: int) -> int | None:
    """``settlement_ready`` once ``loan_id`` is repaid in full (once per loan)."""
    user_id = _owner(uow, loan_id)
    if user_id is None:
        return None
    return enqueue_notification_in_unit(
        uow, user_id, MessageKind.SETTLEMENT_READY, subject=f"loan:{loan_id}", loan_id=loan_id
    )


def message_params(message: StoredMessage) -> dict[str, str]:
    """What a template is filled with: the stored parameters, the loan, the amount in yuan,
    the due date."""
    params = {str(k): str(v) for k, v in json.loads(message.params).items()}
    if message.loan_id is not None:
        params.setdefault("loan", str(message.loan_id))
    if message.amount_fen is not None:
        params.setdefault("amount", format_yuan(message.amount_fen))
    if message.ref_day is not None:
        params.setdefault("due_date", from_day(message.ref_day).isoformat())
    return params


# the borrower's choices


def get_preferences(engine: Engine, user_id: str) -> Preferences:
    with UnitOfWork(engine) as uow:
        return preferences_in(uow, user_id)


def set_preferences(
    engine: Engine,
    actor: Actor,
    user_id: str,
    *,
    language: str,
    time_zone: str,
    in_app_only: bool,
) -> Preferences:
    """Set the borrower's language (zh or en), time zone and in-app-only choice."""
    if language not in LANGUAGES:
        raise InvalidInputError("the language is zh or en", field="language", value=language)
    zone_of(time_zone)
    if not isinstance(in_app_only, bool):
        raise InvalidInputError("in_app_only is true or false", field="in_app_only")
    with UnitOfWork(engine) as uow:
        uow.notifications.set_preferences(
            {
                "user_id": user_id,
                "language": language,
                "time_zone": time_zone,
                "in_app_only": in_app_only,
                "updated_at": now_utc(),
            }
        )
        details = {"language": language, "time_zone": time_zone, "in_app_only": in_app_only}
        record_audit(uow, actor.label, "notifications.preferences", f"user:{user_id}", details)
        uow.commit()
    return Preferences(language, time_zone, in_app_only)


# the message centre


@dataclass(frozen=True, slots=True)
class InboxMessage:
    id: int
    kind: str
    subject: str
    body: str
    language: str
    loan_id: int | None
    delivered_at: datetime
    read_at: datetime | None
    sent_at: datetime | None = None
    """When the message was written for the borrower: the close of business that wrote it
    ended its business date then (never later, however late the close ran), any other
    message at its own ``created_at`` — not when the in-app delivery was made."""


def sent_at(message: StoredMessage) -> datetime:
    """The message's own time (:attr:`InboxMessage.sent_at`)."""
    if message.cob_day is None:
        return message.created_at
    day = from_day(message.cob_day) + timedelta(days=1)
    end = datetime.combine(day, time(0), tzinfo=zone_of(None)).astimezone(UTC)
    return min(message.created_at, end)


def inbox_message(message: StoredMessage) -> InboxMessage:
    """A delivered in-app message as its reader sees it."""
    assert message.delivered_at is not None
    return InboxMessage(
        message.notification_id,
        message.kind,
        message.subject or "",
        message.body or "",
        message.language or "zh",
        message.loan_id,
        message.delivered_at,
        message.read_at,
        sent_at(message),
    )


def list_messages(engine: Engine, user_id: str, *, limit: int, offset: int) -> list[InboxMessage]:
    """The user's in-app messages, newest first."""
    with UnitOfWork(engine) as uow:
        rows = uow.notifications.inbox(user_id, limit=limit, offset=offset)
    return [inbox_message(r) for r in rows]


def unread_count(engine: Engine, user_id: str) -> int:
    with UnitOfWork(engine) as uow:
        return uow.notifications.unread(user_id)


def mark_message_read(engine: Engine, user_id: str, message_id: int) -> InboxMessage:
    """Mark one of the user's messages read (again: no change); another's is not found."""
    with UnitOfWork(engine) as uow:
        if not uow.notifications.mark_read(user_id, message_id, now_utc()):
            raise NotFoundError("no such message", field="message_id", value=str(message_id))
        found = uow.notifications.message(message_id, Channel.IN_APP.value)
        uow.commit()
    assert found is not None
    return inbox_message(found)


# what staff see


@dataclass(frozen=True, slots=True)
class DeliveryRecord:
    notification_id: int
    channel: str
    user_id: str
    kind: str
    loan_id: int | None
    status: str
    attempts: int
    next_attempt_at: datetime | None
    deferred: str | None
    last_error: str | None
    provider_ref: str | None
    created_at: datetime
    delivered_at: datetime | None


def _delivery(m: StoredMessage) -> DeliveryRecord:
    return DeliveryRecord(
        m.notification_id,
        m.channel,
        m.user_id,
        m.kind,
        m.loan_id,
        m.status,
        m.attempts,
        m.next_attempt_at,
        m.deferred,
        m.last_error,
        m.provider_ref,
        m.created_at,
        m.delivered_at,
    )


_STATUSES = ("pending", "delivered", "failed", "skipped")


def list_deliveries(
    engine: Engine,
    *,
    limit: int,
    offset: int,
    status: str | None = None,
    channel: str | None = None,
    user_id: str | None = None,
    loan_id: int | None = None,
) -> list[DeliveryRecord]:
    """Deliveries of every channel, newest message first (staff)."""
    if status is not None and status not in _STATUSES:
        raise InvalidInputError("unknown delivery status", field="status", value=status)
    if channel is not None and channel not in {c.value for c in Channel}:
        raise InvalidInputError("unknown channel", field="channel", value=channel)
    with UnitOfWork(engine) as uow:
        rows = uow.notifications.page(
            limit=limit,
            offset=offset,
            status=status,
            channel=channel,
            user_id=user_id,
            loan_id=loan_id,
        )
    return [_delivery(r) for r in rows]


def delivery_counts(engine: Engine) -> dict[str, dict[str, int]]:
    """How many deliveries each channel has in each status."""
    with UnitOfWork(engine) as uow:
        counts = uow.notifications.status_counts()
    out: dict[str, dict[str, int]] = {c.value: dict.fromkeys(_STATUSES, 0) for c in Channel}
    for (channel, status), n in counts.items():
        out.setdefault(channel, {})[status] = n
    return out
