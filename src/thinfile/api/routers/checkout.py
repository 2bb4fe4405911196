"""Checkout sessions: a merchant (API key or token of a merchant user) creates, reads,
captures, voids and refunds its own sessions under ``/v1/checkout/sessions``; the borrower
reads the plans of a session and confirms one under ``/v1/me/checkout/{session_id}``.

Every state change takes an ``Idempotency-Key``: a repeat replays the first response and
posts nothing. Another merchant's or another borrower's session is a 404.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Response

from thinfile.api.deps import require_roles
from thinfile.api.idempotency import Idempotent
from thinfile.api.mappers_checkout import campaign_plan_public, checkout_public, plan_public
from thinfile.api.models_checkout import (
    CaptureCreate,
    CheckoutConfirm,
    CheckoutCreate,
    CheckoutPlansPublic,
    CheckoutPublic,
    RefundCreate,
    RefundReversalCreate,
)
from thinfile.api.routers.campaigns import held_public
from thinfile.api.runtime import Runtime
from thinfile.http import Context
from thinfile.money import Money
from thinfile.security.roles import Role
from thinfile.services import (
    checkout,
    checkout_borrower,
    checkout_refund_reversal,
    checkout_refunds,
)
from thinfile.services.checkout_records import CheckoutDraft, LineDraft
from thinfile.services.identity_records import Actor

router = APIRouter(tags=["checkout"])

SessionId = Annotated[str, Path(min_length=1, max_length=32, description="A checkout session")]
Merchant = Annotated[Actor, Depends(require_roles(Role.MERCHANT))]
Borrower = Annotated[Actor, Depends(require_roles(Role.BORROWER))]
_SESSIONS = "/checkout/sessions"
_ONE = _SESSIONS + "/{session_id}"
_MINE = "/me/checkout/{session_id}"


@router.post(_SESSIONS, status_code=201, response_model=CheckoutPublic, summary="Create a session")
def create(body: CheckoutCreate, merchant: Merchant, idem: Idempotent) -> Response:
    lines = [LineDraft(**line.model_dump()) for line in body.lines]
    draft = CheckoutDraft(**{**body.model_dump(), "lines": lines})
    expires_in = timedelta(minutes=idem.context.settings.checkout_session_minutes)
    return idem.once(
        lambda uow: checkout.create_in_unit(uow, merchant, draft, expires_in=expires_in),
        render=checkout_public,
        status_code=201,
    )


@router.get(_ONE, response_model=CheckoutPublic, summary="A session of my merchant")
def get(session_id: SessionId, merchant: Merchant, context: Context) -> CheckoutPublic:
    return checkout_public(checkout.get_for_merchant(context.engine, merchant, session_id))


@router.post(
    _ONE + "/captures",
    status_code=201,
    response_model=CheckoutPublic,
    summary="Capture (part of) the authorization: the borrower's loan is booked today",
)
def capture(
    session_id: SessionId, body: CaptureCreate, merchant: Merchant, idem: Idempotent
) -> Response:
    amount = Money.of(body.amount)
    return idem.once(
        lambda uow: checkout.capture_in_unit(uow, merchant, session_id, amount),
        render=checkout_public,
        status_code=201,
    )


@router.post(_ONE + "/void", response_model=CheckoutPublic, summary="Void what is not captured")
def void(session_id: SessionId, merchant: Merchant, idem: Idempotent) -> Response:
    return idem.once(
        lambda uow: checkout.void_in_unit(uow, merchant, session_id), render=checkout_public
    )


@router.post(
    _ONE + "/refunds",
    status_code=201,
    response_model=CheckoutPublic,
    summary="Refund (part of) what was captured: the borrower owes less, the subsidy unwinds",
)
def refund(
    session_id: SessionId, body: RefundCreate, merchant: Merchant, idem: Idempotent
) -> Response:
    amount = Money.of(body.amount)
    return idem.once(
        lambda uow: checkout_refunds.refund_in_unit(
            uow, merchant, session_id, amount, reference=body.reference
        ),
        render=checkout_public,
        status_code=201,
    )


@router.post(
    _ONE + "/refunds/{refund_n}/reversal",
    response_model=CheckoutPublic,
    summary="Reverse a refund made in error: the borrower owes it again, the merchant is paid",
)
def reverse_refund(
    session_id: SessionId,
    refund_n: Annotated[int, Path(ge=1, description="The refund's number in the session")],
    body: RefundReversalCreate,
    merchant: Merchant,
    idem: Idempotent,
) -> Response:
    return idem.once(
        lambda uow: checkout_refund_reversal.reverse_refund_in_unit(
            uow, merchant, session_id, refund_n, reason=body.reason
        ),
        render=checkout_public,
    )


@router.get(_MINE, response_model=CheckoutPublic, summary="A checkout session I confirmed")
def my_session(session_id: SessionId, borrower: Borrower, context: Context) -> CheckoutPublic:
    return checkout_public(checkout_borrower.get_for_borrower(context.engine, borrower, session_id))


@router.get(
    _MINE + "/plans",
    response_model=CheckoutPlansPublic,
    summary="The plans for an order: installments, annualized rate, cost, who pays what",
)
def plans(session_id: SessionId, borrower: Borrower, context: Context) -> CheckoutPlansPublic:
    found = checkout_borrower.borrower_plans(context.engine, borrower, session_id)
    return CheckoutPlansPublic(
        session=checkout_public(found.session),
        plans=[plan_public(p) for p in found.plans],
        campaign_plans=[campaign_plan_public(p) for p in found.campaign_plans],
        coupons=[held_public(c) for c in found.coupons],
    )


@router.post(
    _MINE + "/confirmation",
    response_model=CheckoutPublic,
    summary="Confirm a plan after its cost statement: authorized or declined at once",
)
def confirm(
    session_id: SessionId,
    body: CheckoutConfirm,
    borrower: Borrower,
    idem: Idempotent,
    runtime: Runtime,
) -> Response:
    form = body.application.model_dump(exclude_none=True, mode="json") if body.application else {}
    cipher = idem.context.cipher
    return idem.once(
        lambda uow: checkout_borrower.confirm_in_unit(
            uow,
            cipher,
            runtime,
            borrower,
            session_id,
            periods=body.periods,
            claimed_seconds=body.seconds_read,
            confirmed=body.confirm,
            form=form,
            coupon_id=body.coupon_id,
            campaign_id=body.campaign_id,
        ),
        render=checkout_public,
    )
