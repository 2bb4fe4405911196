"""API models of borrower notifications: the message centre, the borrower's choices, and
delivery as staff see it."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool

from thinfile.comms import MessageKind

__all__ = [
    "DeliveryPublic",
    "MessageCentrePublic",
    "MessagePublic",
    "NotificationPreferences",
]


class MessagePublic(BaseModel):
    id: int
    kind: MessageKind
    subject: str
    body: str
    language: Literal["zh", "en"]
    loan_id: int | None
    delivered_at: datetime
    read_at: datetime | None


class MessageCentrePublic(BaseModel):
    unread: int
    messages: list[MessagePublic]


class NotificationPreferences(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"language": "zh", "time_zone": "Asia/Shanghai", "in_app_only": False}]
        },
    )

    language: Literal["zh", "en"] = Field(description="The language of every message")
    time_zone: str = Field(
        min_length=1,
        max_length=64,
        description="IANA zone of the quiet hours (22:00–08:00), Asia/Shanghai",
    )
    in_app_only: StrictBool = Field(
        description="Service messages only in the message centre (legally required notices"
        " still come by e-mail and SMS)"
    )


class DeliveryPublic(BaseModel):
    notification_id: int
    channel: Literal["in_app", "email", "sms"]
    user_id: str
    kind: MessageKind
    loan_id: int | None
    status: Literal["pending", "delivered", "failed", "skipped"]
    attempts: int
    next_attempt_at: datetime | None
    deferred: str | None = Field(description="quiet_hours or daily_cap while it waits")
    last_error: str | None
    provider_ref: str | None
    created_at: datetime
    delivered_at: datetime | None
