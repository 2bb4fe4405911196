"""A borrower's payments taken from a bound card (payment intents), and the endpoint where the
gateway posts its signed notifications. The rules live in
:mod:`thinfile.services.payment_intents` and :mod:`thinfile.services.payment_notifications`.

``POST /v1/me/loans/{loan_id}/payment-intents`` needs an ``Idempotency-Key``: a repeat finds
the first intent (200 with ``Idempotent-Replayed: true``) and never debits twice.
``POST /v1/gateway/notifications`` takes no user's credentials: the gateway's signature is
the authentication (401 with a typed body when it does not hold, or for a replay).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Path, Request, Security
from fastapi.responses import JSONResponse
from fastapi.security import APIKeyHeader
from starlette.concurrency import run_in_threadpool

from thinfile.api.deps import require_owner_or_role
from thinfile.api.idempotency import KEY_PATTERN, REPLAYED
from thinfile.api.mappers import money
from thinfile.api.models_intents import IntentCreate, IntentPublic, NotificationAck
from thinfile.errors import PayloadTooLargeError
from thinfile.http import Context, get_context
from thinfile.http.ids import SERIAL_MAX
from thinfile.money import Money
from thinfile.security.roles import STAFF_ROLES
from thinfile.services import payment_intents, payment_notifications
from thinfile.services.identity_records import Actor
from thinfile.services.payment_intents import IntentKind, IntentRequest, IntentView
from thinfile.services.payment_settlement import Settlement
from thinfile.servicing import PrepaymentMode
from thinfile.text import whole_number

router = APIRouter(tags=["payments"])

LoanId = Annotated[int, Path(ge=1, le=SERIAL_MAX, description="A loan's number")]
IntentId = Annotated[str, Path(pattern="^[0-9a-f]{32}$", description="A payment intent's id")]
Owner = Annotated[Actor, Depends(require_owner_or_role())]
OwnerOrStaff = Annotated[Actor, Depends(require_owner_or_role(*STAFF_ROLES))]
Key = Annotated[str, Header(pattern=KEY_PATTERN, description="One key per intended payment")]
GATEWAY_SIGNATURE = APIKeyHeader(
    name="Thinfile-Signature",
    scheme_name="GatewaySignature",
    description="The gateway's signature over the timestamp and body (t=…,v1=…): the "
    "notification endpoint's only authentication; checked with the body, 401 otherwise.",
    auto_error=False,
)


def intent_public(intent: IntentView) -> IntentPublic:
    return IntentPublic(
        id=intent.id,
        loan_id=intent.loan_id,
        kind=intent.kind.value,
        mode=intent.mode.value if intent.mode else None,
        amount=money(intent.amount.fen),
        currency=intent.amount.currency,
        status=intent.status.value,
        failure=intent.failure.value if intent.failure else None,
        card_id=intent.card_id,
        txn_id=intent.txn_id,
        created_at=intent.created_at,
        settled_at=intent.settled_at,
    )


@router.post(
    "/me/loans/{loan_id}/payment-intents",
    status_code=201,
    response_model=IntentPublic,
    responses={200: {"model": IntentPublic, "description": "The first intent under this key"}},
    summary="Pay from my bank card: pending until the gateway confirms, then posted once",
)
def create_intent(
    loan_id: LoanId, body: IntentCreate, owner: Owner, context: Context, idempotency_key: Key
) -> JSONResponse:
    """Ask the gateway to debit my bound card for the loan: the intent is pending until the
    gateway's signed notification (or a status query) settles it, and is posted once.

    **Idempotency**: send an `Idempotency-Key` header, one per intended payment. A repeat
    with the same key answers the first intent with 200 and `Idempotent-Replayed: true`;
    nothing is debited again."""
    request = IntentRequest(
        loan_id=loan_id,
        kind=IntentKind(body.kind),
        amount=Money.of(body.amount) if body.amount is not None else None,
        idempotency_key=idempotency_key,
        mode=PrepaymentMode(body.mode) if body.mode else None,
        card_id=body.card_id,
    )
    intent = payment_intents.create_payment_intent(
        context.engine, context.gateway, actor=owner, request=request
    )
    return JSONResponse(
        intent_public(intent).model_dump(mode="json"),
        status_code=200 if intent.replayed else 201,
        headers={REPLAYED: "true"} if intent.replayed else None,
    )


@router.get(
    "/me/loans/{loan_id}/payment-intents",
    response_model=list[IntentPublic],
    summary="My card payments of this loan, the newest first",
)
def list_intents(loan_id: LoanId, _caller: OwnerOrStaff, context: Context) -> list[IntentPublic]:
    return [intent_public(i) for i in payment_intents.list_payment_intents(context.engine, loan_id)]


@router.get(
    "/me/loans/{loan_id}/payment-intents/{intent_id}",
    response_model=IntentPublic,
    summary="One card payment: pending, succeeded, or failed with the reason",
)
def get_intent(
    loan_id: LoanId, intent_id: IntentId, _caller: OwnerOrStaff, context: Context
) -> IntentPublic:
    return intent_public(payment_intents.get_payment_intent(context.engine, loan_id, intent_id))


async def _bounded_body(request: Request) -> bytes:
    limit = payment_notifications.NOTIFICATION_MAX_BYTES
    declared = request.headers.get("content-length", "0")
    too_large = PayloadTooLargeError(
        f"a notification is at most {limit} bytes", remedy="send the gateway's notification"
    )
    size = whole_number(declared)
    if size is None or size > limit:
        raise too_large
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise too_large
    return body


@router.post(
    "/gateway/notifications",
    response_model=NotificationAck,
    summary="The payment gateway's signed notifications (no user credentials: the signature)",
    dependencies=[Security(GATEWAY_SIGNATURE)],
)
async def receive_notification(request: Request) -> NotificationAck:
    body = await _bounded_body(request)
    context = get_context(request)
    receipt = await run_in_threadpool(
        payment_notifications.receive_notification,
        context.engine,
        context.gateway,
        headers=dict(request.headers),
        body=body,
        now=datetime.now(UTC),
    )
    return NotificationAck(received=True, outcome=Settlement(receipt.outcome))
