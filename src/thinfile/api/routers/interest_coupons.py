"""Interest coupons (利息券): staff define a coupon batch and issue it to a borrower or, for a
campaign, to a segment; a borrower lists the coupons they hold at ``/v1/me/interest-coupons``
and prices an offer with one (``/v1/applications/{application_id}/price``) before accepting
it with the same ``coupon_id``.

State changes take an ``Idempotency-Key``: a repeat replays the first response.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Response

from thinfile.api.deps import require_owner_or_role, require_roles
from thinfile.api.idempotency import Idempotent
from thinfile.api.mappers_promotions import (
    batch_public,
    interest_coupon_public,
    offer_price_public,
    segment_public,
)
from thinfile.api.models_interest_coupons import (
    CouponBatchCreate,
    CouponBatchIssue,
    CouponBatchPublic,
    InterestCouponPublic,
    OfferPricePublic,
    SegmentIssueCreate,
    SegmentIssuePublic,
)
from thinfile.decisioning.interest_coupons import InterestCouponTerms
from thinfile.http import Context
from thinfile.money import Money
from thinfile.security.roles import STAFF_ROLES, Role
from thinfile.services import applications, promotions
from thinfile.services import interest_coupons as batches
from thinfile.services.identity_records import Actor

router = APIRouter(tags=["interest coupons"])

Staff = Annotated[Actor, Depends(require_roles(*STAFF_ROLES))]
Borrower = Annotated[Actor, Depends(require_roles(Role.BORROWER))]
Owner = Annotated[Actor, Depends(require_owner_or_role())]
BatchId = Annotated[str, Path(pattern="^[0-9a-f]{32}$", description="A coupon batch's id")]
Limit = Annotated[int, Query(ge=1, le=200)]
Offset = Annotated[int, Query(ge=0, le=1_000_000)]


@router.post(
    "/staff/interest-coupon-batches",
    status_code=201,
    response_model=CouponBatchPublic,
    summary="Define an interest coupon (staff): terms, validity, per-borrower limit, budget",
)
def create_batch(body: CouponBatchCreate, staff: Staff, idem: Idempotent) -> Response:
    """The budget caps what the batch's redeemed coupons take off loans in all (the lender's
    cost: marketing expense, or reduced interest income as ``cost_booking`` says); once
    spent, its coupons are refused and it issues no more."""
    draft = batches.CouponBatchDraft(
        name=body.name,
        terms=InterestCouponTerms.from_dict(body.terms.model_dump(exclude_none=True)),
        valid_from=body.valid_from,
        valid_to=body.valid_to,
        per_borrower_limit=body.per_borrower_limit,
        budget=Money.of(body.budget, field="budget"),
        cost_booking=body.cost_booking,
    )
    return idem.once(
        lambda uow: batches.create_coupon_batch_in_unit(uow, staff, draft),
        render=batch_public,
        status_code=201,
    )


@router.get(
    "/staff/interest-coupon-batches",
    response_model=list[CouponBatchPublic],
    summary="Interest coupon batches with their budget use (staff), newest first",
)
def list_batches(
    _staff: Staff, context: Context, limit: Limit = 50, offset: Offset = 0
) -> list[CouponBatchPublic]:
    found = batches.list_coupon_batches(context.engine, limit=limit, offset=offset)
    return [batch_public(b) for b in found]


@router.get(
    "/staff/interest-coupon-batches/{batch_id}",
    response_model=CouponBatchPublic,
    summary="An interest coupon batch (staff)",
)
def get_batch(batch_id: BatchId, _staff: Staff, context: Context) -> CouponBatchPublic:
    return batch_public(batches.get_coupon_batch(context.engine, batch_id))


@router.post(
    "/staff/interest-coupon-batches/{batch_id}/issues",
    status_code=201,
    response_model=InterestCouponPublic,
    summary="Give a borrower one coupon of the batch (staff), within its limit and budget",
)
def issue(batch_id: BatchId, body: CouponBatchIssue, staff: Staff, idem: Idempotent) -> Response:
    """Refused with 409 `coupon_unavailable` when the batch has ended or expired or the
    borrower holds its limit (`details.field` = `borrower_id`), and `coupon_budget_exhausted`
    when its budget is spent."""
    return idem.once(
        lambda uow: batches.issue_batch_coupon_in_unit(
            uow, staff, batch_id, body.borrower_id, reference=body.reference
        ),
        render=interest_coupon_public,
        status_code=201,
    )


@router.post(
    "/staff/interest-coupon-batches/{batch_id}/segment-issues",
    response_model=SegmentIssuePublic,
    summary="A campaign: one coupon of the batch to every borrower of a segment (staff)",
)
def issue_to_segment(
    batch_id: BatchId, body: SegmentIssueCreate, staff: Staff, idem: Idempotent
) -> Response:
    """Every borrower who applied as `segment` (with `first_loan_only`: who has no loan yet)
    is given one coupon, once per `reference`; borrowers at the batch's limit are skipped,
    and issuing stops when its budget is spent."""
    return idem.once(
        lambda uow: batches.issue_to_segment_in_unit(
            uow,
            staff,
            batch_id,
            segment=body.segment.value,
            reference=body.reference,
            first_loan_only=body.first_loan_only,
        ),
        render=segment_public,
    )


@router.get(
    "/me/interest-coupons",
    response_model=list[InterestCouponPublic],
    summary="My interest coupons, used or not, oldest first",
)
def my_interest_coupons(borrower: Borrower, context: Context) -> list[InterestCouponPublic]:
    found = promotions.my_interest_coupons(context.engine, actor=borrower)
    return [interest_coupon_public(c) for c in found]


@router.get(
    "/applications/{application_id}/price",
    response_model=OfferPricePublic,
    summary="What accepting an offer today signs for, with an interest coupon or at the "
    "standard price",
)
def offer_price(
    application_id: str,
    owner: Owner,
    context: Context,
    offer: Annotated[int, Query(ge=0, le=20, description="The offer's index")] = 0,
    coupon_id: Annotated[
        str | None, Query(pattern="^[0-9a-f]{32}$", description="One of my interest coupons")
    ] = None,
    standard_price: Annotated[
        bool, Query(description="The price before the offer's programme")
    ] = False,
) -> OfferPricePublic:
    """The schedule, annualized rate and all-in cost statement of the offer on the current
    business date: under its programme while the programme's budget pays the discount, else
    at the standard price with the reason `PROGRAMME_BUDGET_EXHAUSTED` (accept it with
    `standard_price: true`); with `coupon_id` the coupon's cut taken off. Writes nothing."""
    price = applications.quote_today(
        context.engine,
        application_id,
        actor=owner,
        offer=offer,
        coupon_id=coupon_id,
        standard_price=standard_price,
    )
    return offer_price_public(application_id, offer, price)
