"""Merchant webhooks: a merchant's users (or an admin) set the endpoint and rotate its
signing secret; its users (or staff) read the delivery log and replay an event.

The secret is shown once — in the answer that made it — so setting and rotating take no
``Idempotency-Key`` (a response stored under a key would keep the secret). A replay does.
See docs/webhooks.md for what a merchant receives and how it verifies it.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Literal, cast

from fastapi import APIRouter, Depends, Path, Query, Response

from thinfile.api.deps import require_owner_or_role
from thinfile.api.idempotency import Idempotent
from thinfile.api.models_webhooks import (
    SecretRotation,
    WebhookAttemptPublic,
    WebhookEndpointPublic,
    WebhookEndpointPut,
    WebhookEndpointWithSecret,
    WebhookEventDetailPublic,
    WebhookEventPublic,
)
from thinfile.commerce.webhooks import WebhookEventStatus, WebhookEventType
from thinfile.http import Context
from thinfile.security.roles import STAFF_ROLES, Role
from thinfile.services import webhooks
from thinfile.services.identity_records import Actor
from thinfile.services.webhook_records import (
    EndpointSecret,
    WebhookEndpointRecord,
    WebhookEventRecord,
)

AttemptOutcome = Literal["delivered", "retry", "failed"]
router = APIRouter(tags=["merchant webhooks"])

MerchantId = Annotated[str, Path(min_length=1, max_length=32, description="A merchant's id")]
EventId = Annotated[str, Path(min_length=1, max_length=40, description="An event's id (evt_…)")]
OwnerOrStaff = Annotated[Actor, Depends(require_owner_or_role(*STAFF_ROLES))]
OwnerOrAdmin = Annotated[Actor, Depends(require_owner_or_role(Role.ADMIN))]
_ENDPOINT = "/merchants/{merchant_id}/webhook-endpoint"
_EVENTS = "/merchants/{merchant_id}/webhook-events"


def endpoint_public(record: WebhookEndpointRecord) -> WebhookEndpointPublic:
    return WebhookEndpointPublic(
        merchant_id=record.merchant_id,
        url=record.url,
        event_types=list(record.event_types),
        enabled=record.enabled,
        secret_hint=record.secret_hint,
        previous_secret_until=record.previous_secret_until,
        created_at=record.created_at,
        updated_at=record.updated_at,
    )


def _with_secret(made: EndpointSecret) -> WebhookEndpointWithSecret:
    return WebhookEndpointWithSecret(endpoint=endpoint_public(made.endpoint), secret=made.secret)


def event_public(record: WebhookEventRecord) -> WebhookEventPublic:
    return WebhookEventPublic(
        id=record.id,
        merchant_id=record.merchant_id,
        type=record.type,
        status=record.status,
        created_at=record.created_at,
        attempts=record.attempts,
        next_attempt_at=record.next_attempt_at,
        last_attempt_at=record.last_attempt_at,
        delivered_at=record.delivered_at,
    )


@router.get(_ENDPOINT, response_model=WebhookEndpointPublic, summary="The webhook endpoint")
def get_endpoint(
    merchant_id: MerchantId, _caller: OwnerOrStaff, context: Context
) -> WebhookEndpointPublic:
    return endpoint_public(webhooks.get_endpoint(context.engine, merchant_id))


@router.put(
    _ENDPOINT,
    response_model=WebhookEndpointWithSecret,
    summary="Set the webhook endpoint; the first time, its signing secret (shown once)",
)
def set_endpoint(
    merchant_id: MerchantId, body: WebhookEndpointPut, caller: OwnerOrAdmin, context: Context
) -> WebhookEndpointWithSecret:
    made = webhooks.set_endpoint(
        context.engine,
        context.cipher,
        caller,
        merchant_id,
        url=body.url,
        event_types=body.event_types,
        enabled=body.enabled,
        allow_local=context.settings.is_development,
    )
    return _with_secret(made)


@router.post(
    _ENDPOINT + "/secret-rotation",
    response_model=WebhookEndpointWithSecret,
    summary="A new signing secret (shown once); the old one also signs for the overlap",
)
def rotate_secret(
    merchant_id: MerchantId, body: SecretRotation, caller: OwnerOrAdmin, context: Context
) -> WebhookEndpointWithSecret:
    made = webhooks.rotate_secret(
        context.engine,
        context.cipher,
        caller,
        merchant_id,
        overlap=timedelta(hours=body.overlap_hours),
    )
    return _with_secret(made)


@router.get(_EVENTS, response_model=list[WebhookEventPublic], summary="The delivery log")
def list_events(
    merchant_id: MerchantId,
    _caller: OwnerOrStaff,
    context: Context,
    status: Annotated[WebhookEventStatus | None, Query()] = None,
    type: Annotated[WebhookEventType | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> list[WebhookEventPublic]:
    found = webhooks.list_events(
        context.engine, merchant_id, limit=limit, offset=offset, status=status, event_type=type
    )
    return [event_public(e) for e in found]


@router.get(
    _EVENTS + "/{webhook_event_id}",
    response_model=WebhookEventDetailPublic,
    summary="One event with its body and every delivery attempt",
)
def get_event(
    merchant_id: MerchantId, webhook_event_id: EventId, _caller: OwnerOrStaff, context: Context
) -> WebhookEventDetailPublic:
    detail = webhooks.get_event(context.engine, merchant_id, webhook_event_id)
    return WebhookEventDetailPublic(
        event=event_public(detail.event),
        body=detail.body,
        payload=detail.payload,
        attempts=[
            WebhookAttemptPublic(
                number=a.number,
                started_at=a.started_at,
                url=a.url,
                duration_ms=a.duration_ms,
                status_code=a.status_code,
                error=a.error,
                response_excerpt=a.response_excerpt,
                outcome=cast(AttemptOutcome, a.outcome),  # validated by the model
            )
            for a in detail.attempts
        ],
    )


@router.post(
    _EVENTS + "/{webhook_event_id}/replay",
    response_model=WebhookEventPublic,
    summary="Send an event again (a pending one stays as it is)",
)
def replay(
    merchant_id: MerchantId, webhook_event_id: EventId, caller: OwnerOrStaff, idem: Idempotent
) -> Response:
    return idem.once(
        lambda uow: webhooks.replay_in_unit(uow, caller, merchant_id, webhook_event_id),
        render=event_public,
    )
