"""Sign up, sign in, sign out, change the password, and who am I."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from thinfile.api.deps import Principal
from thinfile.api.models import (
    PasswordChange,
    SignIn,
    SignUp,
    SignUpAccepted,
    TokenPublic,
    UserPublic,
)
from thinfile.api.ratelimits import LimitSignUp
from thinfile.http import Context, client_address, limit_sign_in
from thinfile.http.context import AppContext
from thinfile.security.tokens import TokenClaims
from thinfile.services import identity
from thinfile.services.identity_records import UserRecord

router = APIRouter(prefix="/auth", tags=["auth"])

SIGN_UP_ANSWER = (
    "sign-up received: if this address had no account, it has one now and you can sign in "
    "with the password you chose; if it already had one, sign in with that account's password"
)


def user_public(user: UserRecord) -> UserPublic:
    return UserPublic(id=user.id, email=user.email, role=user.role, created_at=user.created_at)


def _token(context: AppContext, user: UserRecord) -> TokenPublic:
    claims = TokenClaims(user_id=user.id, role=user.role, version=user.token_version)
    return TokenPublic(
        access_token=context.tokens.issue(claims),
        expires_in=context.tokens.ttl_seconds,
        role=user.role,
    )


@router.post(
    "/sign-up",
    status_code=202,
    response_model=SignUpAccepted,
    dependencies=[LimitSignUp],
    summary="Open a borrower account (the answer is the same whether or not the address "
    "already has one)",
)
def sign_up(body: SignUp, context: Context) -> SignUpAccepted:
    """Create a borrower account. The answer is the same whether or not the address already had
    an account (no account enumeration); then sign in. Staff accounts are made by an admin
    (`POST /v1/staff/users`)."""
    identity.sign_up(context.engine, context.hasher, email=body.email, password=body.password)
    return SignUpAccepted(message=SIGN_UP_ANSWER)


@router.post("/sign-in", response_model=TokenPublic, summary="Get a short-lived access token")
def sign_in(body: SignIn, request: Request, context: Context) -> TokenPublic:
    """Exchange e-mail and password for a bearer token (`access_token`, valid `expires_in`
    seconds); send it as `Authorization: Bearer <token>`. Attempts are rate limited per
    account and per client address: over the limit, 429 `rate_limited` with `Retry-After`."""
    limit_sign_in(context, request, body.email)
    user = identity.sign_in(
        context.engine,
        context.hasher,
        email=body.email,
        password=body.password,
        client=client_address(request),
    )
    return _token(context, user)


@router.post(
    "/sign-out",
    status_code=204,
    response_class=Response,
    summary="Sign out everywhere: every token of my account stops working at once",
)
def sign_out(principal: Principal, context: Context) -> Response:
    """End every session of my account: this token and every other one issued before are
    refused from now on (sign in again for a new one). An account opened by phone has no
    password to change: this is how it revokes a token."""
    identity.sign_out(context.engine, actor=principal)
    return Response(status_code=204)


@router.post(
    "/password",
    response_model=TokenPublic,
    summary="Change my password: every earlier token stops working; a new one comes back",
)
def change_password(body: PasswordChange, principal: Principal, context: Context) -> TokenPublic:
    """Change my password; every token issued before is revoked and a new one is returned."""
    user = identity.change_password(
        context.engine,
        context.hasher,
        user_id=principal.user_id,
        current_password=body.current_password,
        new_password=body.new_password,
    )
    return _token(context, user)


@router.get("/me", response_model=UserPublic, summary="The signed-in account")
def me(principal: Principal, context: Context) -> UserPublic:
    return user_public(identity.get_user(context.engine, principal.user_id))
