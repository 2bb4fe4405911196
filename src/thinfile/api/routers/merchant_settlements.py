"""A merchant's daily settlements (``thinfile merchants settle`` makes them): read by its own
users, or staff, newest first."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query

from thinfile.api.deps import require_owner_or_role
from thinfile.api.models_settlements import SettlementPublic, SettlementsPublic
from thinfile.http import Context
from thinfile.security.roles import STAFF_ROLES
from thinfile.services.identity_records import Actor
from thinfile.services.settlements import SettlementRecord, settlements_for_merchant

__all__ = ["router"]

router = APIRouter(tags=["merchant settlements"])

MerchantId = Annotated[str, Path(min_length=1, max_length=32, description="A merchant's id")]
OwnerOrStaff = Annotated[Actor, Depends(require_owner_or_role(*STAFF_ROLES))]


def settlement_public(record: SettlementRecord) -> SettlementPublic:
    s = record.settlement
    return SettlementPublic(
        merchant_id=s.merchant_id,
        settlement_date=s.settlement_date,
        currency=record.currency,
        captured=str(s.captured),
        refunded=str(s.refunded),
        subsidy=str(s.subsidy),
        subsidy_returned=str(s.subsidy_returned),
        coupons=str(s.coupons),
        net=str(s.net),
        event_id=record.event_id,
    )


@router.get(
    "/merchants/{merchant_id}/settlements",
    response_model=SettlementsPublic,
    summary="The merchant's daily settlements, newest first (its own users, or staff)",
)
def merchant_settlements(
    merchant_id: MerchantId,
    _caller: OwnerOrStaff,
    context: Context,
    limit: Annotated[int, Query(ge=1, le=366)] = 100,
) -> SettlementsPublic:
    found = settlements_for_merchant(context.engine, merchant_id, limit=limit)
    return SettlementsPublic(settlements=[settlement_public(r) for r in found])
