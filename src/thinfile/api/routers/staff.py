"""Admin work: staff and merchant accounts, API keys, checking the audit chain."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response

from thinfile.api.deps import require_roles
from thinfile.api.models import (
    ApiKeyCreate,
    ApiKeyCreated,
    AuditReportPublic,
    StaffUserCreate,
    UserPublic,
)
from thinfile.api.routers.auth import user_public
from thinfile.http import Context
from thinfile.security.roles import Role
from thinfile.services import audit, identity
from thinfile.services.identity_records import Actor

router = APIRouter(prefix="/staff", tags=["staff"])

Admin = Annotated[Actor, Depends(require_roles(Role.ADMIN))]


@router.post(
    "/users",
    status_code=201,
    response_model=UserPublic,
    summary="Create a staff, merchant or borrower account (admin)",
)
def create_user(body: StaffUserCreate, admin: Admin, context: Context) -> UserPublic:
    user = identity.create_user(
        context.engine,
        context.hasher,
        email=body.email,
        password=body.password,
        role=body.role,
        actor=admin,
    )
    return user_public(user)


@router.post(
    "/users/{user_id}/deactivate",
    status_code=204,
    response_class=Response,
    summary="Deactivate an account (admin): it cannot sign in, and its tokens stop at once",
)
def deactivate_user(user_id: str, admin: Admin, context: Context) -> Response:
    identity.deactivate_user(context.engine, user_id=user_id, actor=admin)
    return Response(status_code=204)


@router.post(
    "/api-keys",
    status_code=201,
    response_model=ApiKeyCreated,
    summary="Issue an API key for an account (admin); the key is shown once",
)
def create_api_key(body: ApiKeyCreate, admin: Admin, context: Context) -> ApiKeyCreated:
    key_id, key = identity.create_api_key(
        context.engine, user_id=body.user_id, name=body.name, actor=admin
    )
    return ApiKeyCreated(
        id=key_id, user_id=body.user_id, name=body.name, prefix=key.prefix, key=key.secret
    )


@router.delete(
    "/api-keys/{key_id}",
    status_code=204,
    response_class=Response,
    summary="Revoke an API key (admin)",
)
def revoke_api_key(key_id: str, admin: Admin, context: Context) -> Response:
    identity.revoke_api_key(context.engine, key_id=key_id, actor=admin)
    return Response(status_code=204)


@router.get(
    "/audit/verify",
    response_model=AuditReportPublic,
    summary="Check the audit log's hash chain (admin)",
)
def verify_audit(_admin: Admin, context: Context) -> AuditReportPublic:
    report = audit.verify_audit_chain(context.engine)
    return AuditReportPublic(
        rows_checked=report.rows_checked, intact=report.is_intact, problems=list(report.problems)
    )
