"""Borrower notifications: the borrower's message centre (``/v1/me/messages``, mark read) and
choices (``/v1/me/notification-preferences``); delivery status for staff
(``/v1/notifications/deliveries``). The rules live in :mod:`thinfile.services.notifications`."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query

from thinfile.api.deps import require_roles
from thinfile.api.models_notifications import (
    DeliveryPublic,
    MessageCentrePublic,
    MessagePublic,
    NotificationPreferences,
)
from thinfile.comms import MessageKind
from thinfile.http import Context
from thinfile.security.roles import STAFF_ROLES, Role
from thinfile.services import notifications
from thinfile.services.identity_records import Actor
from thinfile.services.notifications import InboxMessage

router = APIRouter(tags=["notifications"])

Borrower = Annotated[Actor, Depends(require_roles(Role.BORROWER))]
Staff = Annotated[Actor, Depends(require_roles(*sorted(STAFF_ROLES)))]
SERIAL_MAX = 2**63 - 1
MessageId = Annotated[int, Path(ge=1, le=SERIAL_MAX, description="A message's number")]
Limit = Annotated[int, Query(ge=1, le=200)]
Offset = Annotated[int, Query(ge=0, le=1_000_000)]


def message_public(m: InboxMessage) -> MessagePublic:
    return MessagePublic(
        id=m.id,
        kind=MessageKind(m.kind),
        subject=m.subject,
        body=m.body,
        language="en" if m.language == "en" else "zh",
        loan_id=m.loan_id,
        delivered_at=m.delivered_at,
        read_at=m.read_at,
    )


@router.get("/me/messages", response_model=MessageCentrePublic, summary="My message centre")
def my_messages(
    borrower: Borrower, context: Context, limit: Limit = 50, offset: Offset = 0
) -> MessageCentrePublic:
    engine, user = context.engine, borrower.user_id
    items = notifications.list_messages(engine, user, limit=limit, offset=offset)
    return MessageCentrePublic(
        unread=notifications.unread_count(engine, user),
        messages=[message_public(m) for m in items],
    )


@router.post(
    "/me/messages/{message_id}/read", response_model=MessagePublic, summary="Mark a message read"
)
def read_message(message_id: MessageId, borrower: Borrower, context: Context) -> MessagePublic:
    return message_public(
        notifications.mark_message_read(context.engine, borrower.user_id, message_id)
    )


@router.get(
    "/me/notification-preferences",
    response_model=NotificationPreferences,
    summary="My language, time zone and in-app-only choice",
)
def my_preferences(borrower: Borrower, context: Context) -> NotificationPreferences:
    p = notifications.get_preferences(context.engine, borrower.user_id)
    return NotificationPreferences(
        language="en" if p.language == "en" else "zh",
        time_zone=p.time_zone,
        in_app_only=p.in_app_only,
    )


@router.put(
    "/me/notification-preferences",
    response_model=NotificationPreferences,
    summary="Set my language, time zone and in-app-only choice",
)
def set_my_preferences(
    body: NotificationPreferences, borrower: Borrower, context: Context
) -> NotificationPreferences:
    notifications.set_preferences(
        context.engine,
        borrower,
        borrower.user_id,
        language=body.language,
        time_zone=body.time_zone,
        in_app_only=body.in_app_only,
    )
    return body


@router.get(
    "/notifications/deliveries",
    response_model=list[DeliveryPublic],
    summary="Delivery of borrower notifications, newest first (staff)",
)
def deliveries(
    staff: Staff,
    context: Context,
    status: Literal["pending", "delivered", "failed", "skipped"] | None = None,
    channel: Literal["in_app", "email", "sms"] | None = None,
    user_id: Annotated[str | None, Query(max_length=32)] = None,
    loan_id: Annotated[int | None, Query(ge=1, le=SERIAL_MAX)] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> list[DeliveryPublic]:
    found = notifications.list_deliveries(
        context.engine,
        limit=limit,
        offset=offset,
        status=status,
        channel=channel,
        user_id=user_id,
        loan_id=loan_id,
    )
    return [DeliveryPublic.model_validate(d, from_attributes=True) for d in found]


@router.get(
    "/notifications/deliveries/summary",
    response_model=dict[str, dict[str, int]],
    summary="How many deliveries each channel has in each status (staff)",
)
def delivery_summary(staff: Staff, context: Context) -> dict[str, dict[str, int]]:
    return notifications.delivery_counts(context.engine)
