"""Borrowers sign up and in with a mobile number and a one-time SMS code, and verify their
real name (实名认证) before a first application. Staff keep e-mail and password."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request

from thinfile.api.deps import require_owner_or_role
from thinfile.api.models_phone import (
    PhoneTokenPublic,
    RealNamePublic,
    SmsCodeRequest,
    SmsCodeSentPublic,
    SmsSignIn,
)
from thinfile.http import Context, client_address
from thinfile.http.limits import limit_sign_in
from thinfile.security.roles import STAFF_ROLES
from thinfile.security.tokens import TokenClaims
from thinfile.services import phone_sign_in, real_name
from thinfile.services.identity_records import Actor
from thinfile.services.real_name import RealNameStatus

router = APIRouter(tags=["auth"])

Owner = Annotated[Actor, Depends(require_owner_or_role())]
OwnerOrStaff = Annotated[Actor, Depends(require_owner_or_role(*STAFF_ROLES))]


@router.post(
    "/auth/sms-codes",
    status_code=202,
    response_model=SmsCodeSentPublic,
    summary="Text me a one-time sign-in code",
)
def send_sign_in_code(
    body: SmsCodeRequest, request: Request, context: Context
) -> SmsCodeSentPublic:
    sent = phone_sign_in.request_sign_in_code(
        context.engine,
        context.cipher,
        context.sms,
        phone=body.phone,
        client=client_address(request),
        policy=context.codes,
        device=body.device_token,
    )
    return SmsCodeSentPublic(
        phone=sent.phone_masked, expires_in=sent.expires_in, resend_after=sent.resend_after
    )


@router.post(
    "/auth/sms-sign-in",
    response_model=PhoneTokenPublic,
    summary="Sign in (or sign up) with the SMS code; a short-lived access token",
)
def sign_in_with_code(body: SmsSignIn, request: Request, context: Context) -> PhoneTokenPublic:
    address = client_address(request)
    # The limit counts the number, not its spelling: "+86 139…" and "139-…" are one bucket.
    phone = phone_sign_in.phone_number(body.phone)
    limit_sign_in(context, request, f"phone:{phone}")
    signed_in = phone_sign_in.sign_in_with_code(
        context.engine,
        context.cipher,
        phone=phone,
        code=body.code,
        client=address,
        policy=context.codes,
        device=body.device_token,
    )
    user = signed_in.user
    claims = TokenClaims(user_id=user.id, role=user.role, version=user.token_version)
    return PhoneTokenPublic(
        access_token=context.tokens.issue(claims),
        expires_in=context.tokens.ttl_seconds,
        role=user.role,
        device_token=signed_in.device_token,
    )


def real_name_public(status: RealNameStatus) -> RealNamePublic:
    return RealNamePublic(
        applicant_id=status.applicant_id,
        verified=status.is_verified,
        provider=status.provider,
        reference=status.reference,
        verified_at=status.verified_at,
    )


@router.post(
    "/applicants/{applicant_id}/real-name",
    response_model=RealNamePublic,
    summary="Verify my real name (实名认证): the profile's name and ID number, checked once",
)
def verify_real_name(applicant_id: str, owner: Owner, context: Context) -> RealNamePublic:
    return real_name_public(
        real_name.verify_real_name(
            context.engine,
            context.cipher,
            context.real_name,
            applicant_id=applicant_id,
            actor=owner,
        )
    )


@router.get(
    "/applicants/{applicant_id}/real-name",
    response_model=RealNamePublic,
    summary="Whether the applicant's real name is verified (owner or staff)",
)
def real_name_status(applicant_id: str, caller: OwnerOrStaff, context: Context) -> RealNamePublic:
    return real_name_public(
        real_name.real_name_status(context.engine, applicant_id=applicant_id, actor=caller)
    )
