"""API models of merchant webhooks: the endpoint, its secret (shown once), the events of the
delivery log and their attempts."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt

from thinfile.commerce.webhooks import (
    MAX_URL_LENGTH,
    WebhookEventStatus,
    WebhookEventType,
)

__all__ = [
    "SecretRotation",
    "WebhookAttemptPublic",
    "WebhookEndpointPublic",
    "WebhookEndpointPut",
    "WebhookEndpointWithSecret",
    "WebhookEventDetailPublic",
    "WebhookEventPublic",
]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class WebhookEndpointPut(_In):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "url": "https://shop.example/thinfile/events",
                    "event_types": ["checkout.authorized", "checkout.captured"],
                    "enabled": True,
                }
            ]
        }
    )

    url: str = Field(
        min_length=1,
        max_length=MAX_URL_LENGTH,
        description="https:// to a public host (development also: http://127.0.0.1 or localhost)",
    )
    event_types: list[str] = Field(
        default_factory=lambda: [t.value for t in WebhookEventType],
        min_length=1,
        max_length=len(WebhookEventType),
        description="Event types to send (default: all): " + ", ".join(WebhookEventType),
    )
    enabled: StrictBool = True


class SecretRotation(_In):
    model_config = ConfigDict(json_schema_extra={"examples": [{"overlap_hours": 24}]})

    overlap_hours: StrictInt = Field(
        default=24, ge=0, le=168, description="Hours the retired secret also signs (0–168)"
    )


class WebhookEndpointPublic(BaseModel):
    merchant_id: str
    url: str
    event_types: list[WebhookEventType]
    enabled: bool
    secret_hint: str = Field(description="The signing secret's last four characters")
    previous_secret_until: datetime | None = Field(
        description="While a rotation's overlap runs: when the retired secret stops signing"
    )
    created_at: datetime
    updated_at: datetime


class WebhookEndpointWithSecret(BaseModel):
    endpoint: WebhookEndpointPublic
    secret: str | None = Field(
        description="The signing secret (whsec_…), shown this once; null when it did not change"
    )


class WebhookEventPublic(BaseModel):
    id: str
    merchant_id: str
    type: WebhookEventType
    status: WebhookEventStatus
    created_at: datetime
    attempts: int
    next_attempt_at: datetime | None
    last_attempt_at: datetime | None
    delivered_at: datetime | None


class WebhookAttemptPublic(BaseModel):
    number: int
    started_at: datetime
    url: str
    duration_ms: int
    status_code: int | None
    error: str | None
    response_excerpt: str | None = Field(description="The first 500 characters of the answer")
    outcome: Literal["delivered", "retry", "failed"]


class WebhookEventDetailPublic(BaseModel):
    event: WebhookEventPublic
    body: str = Field(description="The body exactly as sent and signed")
    payload: dict[str, Any] = Field(
        description="The body parsed: an event envelope whose data depends on the event type "
        "(docs/webhooks.md); merchants verify and parse the signed body, not this"
    )
    attempts: list[WebhookAttemptPublic]
