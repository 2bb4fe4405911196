"""Campaigns and coupons: staff create and run them and see their budgets (and warnings);
a borrower lists the coupons usable now at ``/v1/me/coupons``.

State changes take an ``Idempotency-Key``: a repeat replays the first response. The checkout
reserves budgets and redeems coupons through the services, inside its own requests.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Response

from thinfile.api.deps import require_roles
from thinfile.api.idempotency import Idempotent
from thinfile.api.models_applications import YUAN
from thinfile.api.models_campaigns import (
    CampaignCreate,
    CampaignPublic,
    CampaignStatusPut,
    CouponCreate,
    CouponIssue,
    CouponPublic,
    CouponStatusPut,
    HeldCouponPublic,
)
from thinfile.commerce import CampaignStatus, CouponStatus
from thinfile.http import Context
from thinfile.money import Money
from thinfile.security.roles import STAFF_ROLES, Role
from thinfile.services import campaigns, coupons
from thinfile.services.campaign_records import (
    CampaignDraft,
    CampaignRecord,
    CouponDraft,
    CouponRecord,
    HeldCoupon,
)
from thinfile.services.identity_records import Actor

router = APIRouter(tags=["campaigns"])

Staff = Annotated[Actor, Depends(require_roles(*STAFF_ROLES))]
Borrower = Annotated[Actor, Depends(require_roles(Role.BORROWER))]
Id = Annotated[str, Path(pattern="^[0-9a-f]{32}$", description="An id")]
Limit = Annotated[int, Query(ge=1, le=200)]
Offset = Annotated[int, Query(ge=0, le=1_000_000)]


def campaign_public(record: CampaignRecord) -> CampaignPublic:
    c = record.campaign
    return CampaignPublic(
        id=record.id,
        name=c.name,
        status=record.status,
        starts_on=c.starts_on,
        ends_on=c.ends_on,
        merchant_ids=list(c.merchant_ids),
        terms=list(c.terms),
        min_order=str(c.min_order),
        max_order=str(c.max_order),
        merchant_share=str(c.merchant_share),
        budget=str(c.budget),
        warning_threshold=str(c.warning_threshold),
        spent=str(record.spent),
        remaining=str(record.remaining),
        budget_state=record.budget_state,
        warned_at=record.warned_at,
        created_at=record.created_at,
        created_by=record.created_by,
    )


def coupon_public(record: CouponRecord) -> CouponPublic:
    r = record.rules
    return CouponPublic(
        id=record.id,
        name=r.name,
        status=record.status,
        amount_off=str(r.amount_off),
        threshold=str(r.threshold),
        valid_from=r.valid_from,
        valid_to=r.valid_to,
        per_borrower_limit=r.per_borrower_limit,
        budget=str(r.budget),
        issued=str(record.issued),
        redeemed=str(record.redeemed),
        remaining=str(record.remaining),
        funded_by=r.funded_by,
        merchant_ids=list(r.merchant_ids),
        campaign_id=record.campaign_id,
        created_at=record.created_at,
    )


def held_public(held: HeldCoupon) -> HeldCouponPublic:
    r = held.rules
    return HeldCouponPublic(
        id=held.id,
        coupon_id=held.coupon_id,
        name=r.name,
        status=held.status,
        amount_off=str(r.amount_off),
        threshold=str(r.threshold),
        valid_from=r.valid_from,
        valid_to=r.valid_to,
        funded_by=r.funded_by,
        merchant_ids=list(r.merchant_ids),
        issued_at=held.issued_at,
    )


@router.post(
    "/staff/campaigns",
    status_code=201,
    response_model=CampaignPublic,
    summary="Create an interest-free campaign (staff): window, merchants, terms, budget",
)
def create_campaign(body: CampaignCreate, staff: Staff, idem: Idempotent) -> Response:
    draft = CampaignDraft(
        **{
            **body.model_dump(),
            "merchant_ids": tuple(body.merchant_ids),
            "terms": tuple(body.terms),
        }
    )
    return idem.once(
        lambda uow: campaigns.create_campaign_in_unit(uow, staff, draft),
        render=campaign_public,
        status_code=201,
    )


@router.get(
    "/staff/campaigns",
    response_model=list[CampaignPublic],
    summary="Campaigns with their budget use (staff); warning=true: those past the threshold",
)
def list_campaigns(
    _staff: Staff,
    context: Context,
    status: Annotated[CampaignStatus | None, Query()] = None,
    warning: Annotated[bool, Query()] = False,
    limit: Limit = 50,
    offset: Offset = 0,
) -> list[CampaignPublic]:
    found = campaigns.list_campaigns(
        context.engine, limit=limit, offset=offset, status=status, warning_only=warning
    )
    return [campaign_public(c) for c in found]


@router.get("/staff/campaigns/{campaign_id}", response_model=CampaignPublic, summary="A campaign")
def get_campaign(campaign_id: Id, _staff: Staff, context: Context) -> CampaignPublic:
    return campaign_public(campaigns.get_campaign(context.engine, campaign_id))


@router.put(
    "/staff/campaigns/{campaign_id}/status",
    response_model=CampaignPublic,
    summary="Pause, resume or end a campaign (staff); an ended one stays ended",
)
def set_status(
    campaign_id: Id, body: CampaignStatusPut, staff: Staff, idem: Idempotent
) -> Response:
    return idem.once(
        lambda uow: campaigns.set_campaign_status_in_unit(uow, staff, campaign_id, body.status),
        render=campaign_public,
    )


@router.post(
    "/staff/coupons",
    status_code=201,
    response_model=CouponPublic,
    summary="Create a coupon (满减券, staff): amount off above a threshold, budget, funder",
)
def create_coupon(body: CouponCreate, staff: Staff, idem: Idempotent) -> Response:
    draft = CouponDraft(**{**body.model_dump(), "merchant_ids": tuple(body.merchant_ids)})
    return idem.once(
        lambda uow: coupons.create_coupon_in_unit(uow, staff, draft),
        render=coupon_public,
        status_code=201,
    )


@router.get("/staff/coupons", response_model=list[CouponPublic], summary="Coupons (staff)")
def list_coupons(
    _staff: Staff,
    context: Context,
    status: Annotated[CouponStatus | None, Query()] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> list[CouponPublic]:
    found = coupons.list_coupons(context.engine, limit=limit, offset=offset, status=status)
    return [coupon_public(c) for c in found]


@router.get("/staff/coupons/{coupon_id}", response_model=CouponPublic, summary="A coupon")
def get_coupon(coupon_id: Id, _staff: Staff, context: Context) -> CouponPublic:
    return coupon_public(coupons.get_coupon(context.engine, coupon_id))


@router.put(
    "/staff/coupons/{coupon_id}/status",
    response_model=CouponPublic,
    summary="End a coupon (staff): none issued any more; those held stay usable",
)
def set_coupon_status(
    coupon_id: Id, body: CouponStatusPut, staff: Staff, idem: Idempotent
) -> Response:
    return idem.once(
        lambda uow: coupons.set_coupon_status_in_unit(uow, staff, coupon_id, body.status),
        render=coupon_public,
    )


@router.post(
    "/staff/coupons/{coupon_id}/issues",
    status_code=201,
    response_model=HeldCouponPublic,
    summary="Issue the coupon to a borrower (staff), within its budget and per-borrower limit",
)
def issue_coupon(coupon_id: Id, body: CouponIssue, staff: Staff, idem: Idempotent) -> Response:
    return idem.once(
        lambda uow: coupons.issue_coupon_in_unit(
            uow, staff, coupon_id, body.borrower_id, reference=body.reference
        ),
        render=held_public,
        status_code=201,
    )


@router.get(
    "/me/coupons",
    response_model=list[HeldCouponPublic],
    summary="My coupons usable today; with order_amount (and merchant_id), those for the order",
)
def my_coupons(
    borrower: Borrower,
    context: Context,
    order_amount: Annotated[str | None, Query(pattern=YUAN)] = None,
    merchant_id: Annotated[str | None, Query(pattern="^[0-9a-f]{32}$")] = None,
) -> list[HeldCouponPublic]:
    amount = None if order_amount is None else Money.of(order_amount, field="order_amount")
    found = coupons.my_coupons(
        context.engine, borrower, order_amount=amount, merchant_id=merchant_id
    )
    return [held_public(h) for h in found]
