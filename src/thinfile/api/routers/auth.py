"""Sign up, sign in, and who am I."""

from __future__ import annotations

from fastapi import APIRouter, Request

from thinfile.api.deps import Principal
from thinfile.api.models import SignIn, SignUp, TokenPublic, UserPublic
from thinfile.api.ratelimits import LimitSignUp
from thinfile.http import Context, client_address
from thinfile.security.tokens import TokenClaims
from thinfile.services import identity
from thinfile.services.identity_records import UserRecord

router = APIRouter(prefix="/auth", tags=["auth"])


def user_public(user: UserRecord) -> UserPublic:
    return UserPublic(id=user.id, email=user.email, role=user.role, created_at=user.created_at)


@router.post(
    "/sign-up",
    status_code=201,
    response_model=UserPublic,
    dependencies=[LimitSignUp],
    summary="Open a borrower account",
)
def sign_up(body: SignUp, context: Context) -> UserPublic:
    return user_public(
        identity.create_user(
            context.engine, context.hasher, email=body.email, password=body.password
        )
    )


@router.post("/sign-in", response_model=TokenPublic, summary="Get a short-lived access token")
def sign_in(body: SignIn, request: Request, context: Context) -> TokenPublic:
    address = client_address(request)
    context.limiter.hit("sign_in", f"ip:{address}")
    context.limiter.hit("sign_in", f"email:{body.email.lower()}")
    user = identity.sign_in(
        context.engine, context.hasher, email=body.email, password=body.password, client=address
    )
    token = context.tokens.issue(TokenClaims(user_id=user.id, role=user.role))
    return TokenPublic(access_token=token, expires_in=context.tokens.ttl_seconds, role=user.role)


@router.get("/me", response_model=UserPublic, summary="The signed-in account")
def me(principal: Principal, context: Context) -> UserPublic:
    return user_public(identity.get_user(context.engine, principal.user_id))
