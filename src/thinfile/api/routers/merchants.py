"""Merchants: staff onboard them, set their contracts, add their users and issue their API
keys; a merchant user (token or API key) reads its own merchant at ``/v1/merchant/me``.

State changes take an ``Idempotency-Key``: a repeat replays the first response. Issuing an
API key does not (its secret is shown once and stored nowhere, not even under a key).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Response

from thinfile.api.deps import require_owner_or_role, require_roles
from thinfile.api.idempotency import Idempotent
from thinfile.api.models_merchants import (
    MerchantApiKeyCreate,
    MerchantApiKeyCreated,
    MerchantContractPublic,
    MerchantContractPut,
    MerchantCreate,
    MerchantMePublic,
    MerchantPublic,
    MerchantUserCreate,
    MerchantUsersPublic,
    TermPricingPublic,
)
from thinfile.commerce import MerchantStatus
from thinfile.http import Context
from thinfile.security.roles import STAFF_ROLES, Role
from thinfile.services import merchants
from thinfile.services.identity_records import Actor
from thinfile.services.merchant_records import (
    ContractRecord,
    MerchantDraft,
    MerchantRecord,
    TermDraft,
)

router = APIRouter(tags=["merchants"])

MerchantId = Annotated[str, Path(min_length=1, max_length=32, description="A merchant's id")]
Staff = Annotated[Actor, Depends(require_roles(*STAFF_ROLES))]
Admin = Annotated[Actor, Depends(require_roles(Role.ADMIN))]
MerchantUser = Annotated[Actor, Depends(require_roles(Role.MERCHANT))]
MerchantOrStaff = Annotated[Actor, Depends(require_owner_or_role(*STAFF_ROLES))]
_STAFF = "/staff/merchants"


def merchant_public(record: MerchantRecord) -> MerchantPublic:
    return MerchantPublic(
        id=record.id,
        legal_name=record.legal_name,
        credit_code=record.credit_code,
        category=record.category,
        status=record.status,
        settlement_bank=record.settlement_bank,
        settlement_account=record.settlement_account,
        contact_name=record.contact_name,
        contact_phone=record.contact_phone,
        contract_version=record.contract_version,
        created_at=record.created_at,
        updated_at=record.updated_at,
    )


def contract_public(record: ContractRecord) -> MerchantContractPublic:
    contract = record.contract
    return MerchantContractPublic(
        merchant_id=record.merchant_id,
        version=record.version,
        terms=[
            TermPricingPublic(
                periods=t.periods,
                subsidy_rate=str(t.subsidy_rate),
                monthly_fee_rate=str(t.monthly_fee_rate),
                interest_free=t.is_interest_free,
            )
            for t in sorted(contract.terms, key=lambda t: t.periods)
        ],
        unearned_subsidy=contract.unearned_subsidy,
        settlement_days=contract.settlement_days,
        rounding=contract.rounding,
        effective_from=record.effective_from,
        created_at=record.created_at,
    )


@router.post(
    _STAFF,
    status_code=201,
    response_model=MerchantPublic,
    summary="Onboard a merchant (staff): pending until it has a contract and is activated",
)
def onboard(body: MerchantCreate, staff: Staff, idem: Idempotent) -> Response:
    draft = MerchantDraft(**body.model_dump())
    return idem.once(
        lambda uow: merchants.onboard_in_unit(uow, idem.context.cipher, staff, draft),
        render=merchant_public,
        status_code=201,
    )


@router.get(_STAFF, response_model=list[MerchantPublic], summary="Merchants (staff)")
def list_merchants(
    _staff: Staff,
    context: Context,
    status: Annotated[MerchantStatus | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> list[MerchantPublic]:
    found = merchants.list_merchants(context.engine, limit=limit, offset=offset, status=status)
    return [merchant_public(m) for m in found]


@router.get(_STAFF + "/{merchant_id}", response_model=MerchantPublic, summary="A merchant (staff)")
def get_merchant(merchant_id: MerchantId, _staff: Staff, context: Context) -> MerchantPublic:
    return merchant_public(merchants.get_merchant(context.engine, merchant_id))


@router.post(
    _STAFF + "/{merchant_id}/activation",
    response_model=MerchantPublic,
    summary="Activate a merchant that has a contract (staff); an active one stays active",
)
def activate(merchant_id: MerchantId, staff: Staff, idem: Idempotent) -> Response:
    return idem.once(
        lambda uow: merchants.activate_in_unit(uow, staff, merchant_id), render=merchant_public
    )


@router.post(
    _STAFF + "/{merchant_id}/suspension",
    response_model=MerchantPublic,
    summary="Suspend a merchant (staff): it sells nothing new",
)
def suspend(merchant_id: MerchantId, staff: Staff, idem: Idempotent) -> Response:
    return idem.once(
        lambda uow: merchants.suspend_in_unit(uow, staff, merchant_id), render=merchant_public
    )


@router.put(
    _STAFF + "/{merchant_id}/contract",
    response_model=MerchantContractPublic,
    summary="Set or replace a merchant's contract (staff): a new version",
)
def set_contract(
    merchant_id: MerchantId, body: MerchantContractPut, staff: Staff, idem: Idempotent
) -> Response:
    terms = [TermDraft(t.periods, t.subsidy_rate, t.monthly_fee_rate) for t in body.terms]
    return idem.once(
        lambda uow: merchants.set_contract_in_unit(
            uow,
            staff,
            merchant_id,
            terms,
            unearned_subsidy=body.unearned_subsidy,
            settlement_days=body.settlement_days,
            effective_from=body.effective_from,
        ),
        render=contract_public,
    )


@router.post(
    _STAFF + "/{merchant_id}/users",
    status_code=201,
    response_model=MerchantUsersPublic,
    summary="Let a merchant account act for the merchant (staff)",
)
def add_user(
    merchant_id: MerchantId, body: MerchantUserCreate, staff: Staff, idem: Idempotent
) -> Response:
    return idem.once(
        lambda uow: merchants.add_user_in_unit(uow, staff, merchant_id, body.user_id),
        render=lambda ids: MerchantUsersPublic(merchant_id=merchant_id, user_ids=ids),
        status_code=201,
    )


@router.post(
    _STAFF + "/{merchant_id}/api-keys",
    status_code=201,
    response_model=MerchantApiKeyCreated,
    summary="Issue an API key to one of the merchant's users (admin); shown once",
)
def issue_api_key(
    merchant_id: MerchantId, body: MerchantApiKeyCreate, admin: Admin, context: Context
) -> MerchantApiKeyCreated:
    issued = merchants.issue_api_key(
        context.engine, admin, merchant_id, user_id=body.user_id, name=body.name
    )
    return MerchantApiKeyCreated(
        id=issued.id,
        merchant_id=issued.merchant_id,
        user_id=issued.user_id,
        name=issued.name,
        prefix=issued.key.prefix,
        key=issued.key.secret,
    )


@router.get(
    "/merchant/me",
    response_model=MerchantMePublic,
    summary="The merchant I act for, and its current contract (merchant user)",
)
def my_merchant(caller: MerchantUser, context: Context) -> MerchantMePublic:
    merchant, contract = merchants.merchant_of_user(context.engine, caller)
    return MerchantMePublic(
        merchant=merchant_public(merchant),
        contract=None if contract is None else contract_public(contract),
    )


@router.get(
    "/merchants/{merchant_id}",
    response_model=MerchantMePublic,
    summary="A merchant and its current contract (its own users, or staff)",
)
def merchant_for_its_users(
    merchant_id: MerchantId, _caller: MerchantOrStaff, context: Context
) -> MerchantMePublic:
    merchant = merchants.get_merchant(context.engine, merchant_id)
    contract = merchants.current_contract(context.engine, merchant_id)
    return MerchantMePublic(
        merchant=merchant_public(merchant),
        contract=None if contract is None else contract_public(contract),
    )
