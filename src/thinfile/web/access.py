"""Who is looking at a page, and may they — read from the session cookie.

The session cookie holds the same signed access token the API takes as a bearer token, and
the ownership check is the one the API uses (:func:`thinfile.http.ensure_owner_or_role`):
every owned resource named in the path (``{application_id}``, ``{applicant_id}``, …) must be
the caller's unless the caller holds one of the staff roles, and anything not theirs looks
exactly like something that does not exist.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request

from thinfile.errors import AuthenticationError, PermissionDeniedError, ThinfileError
from thinfile.http import Context, actor_of_token, ensure_owner_or_role, path_ids
from thinfile.security.roles import (
    COLLECTION_ROLES,
    POLICY_ROLES,
    SERVICING_ROLES,
    STAFF_ROLES,
    UNDERWRITING_ROLES,
    Role,
)
from thinfile.services.identity_records import Actor
from thinfile.web.config import get_web
from thinfile.web.security import CSRF_FIELD, check_csrf

__all__ = [
    "Borrower",
    "Collector",
    "Form",
    "MaybeSignedIn",
    "MerchantUser",
    "OwnerOrStaff",
    "OwningBorrower",
    "PolicyAdmin",
    "Servicer",
    "SignedIn",
    "Staff",
    "Underwriter",
    "web_roles",
]


def optional_actor(request: Request, context: Context) -> Actor | None:
    """The signed-in caller, or None when there is no valid session cookie."""
    token = request.cookies.get(get_web(request).cookies.session_name)
    if not token:
        return None
    try:
        return actor_of_token(context, token)
    except ThinfileError:
        return None


MaybeSignedIn = Annotated[Actor | None, Depends(optional_actor)]


def signed_in(actor: MaybeSignedIn) -> Actor:
    if actor is None:
        raise AuthenticationError("sign in first", remedy="sign in to see this page")
    return actor


SignedIn = Annotated[Actor, Depends(signed_in)]


def web_roles(*roles: Role) -> Callable[[Actor], Actor]:
    allowed = frozenset(roles)

    def dependency(actor: SignedIn) -> Actor:
        if actor.role not in allowed:
            raise PermissionDeniedError(f"a {actor.role.value} may not open this page")
        return actor

    return dependency


def owner_or_staff(request: Request, context: Context, actor: SignedIn) -> Actor:
    """The owner of every ``*_id`` in the path, or staff."""
    ensure_owner_or_role(context, actor, path_ids(request), STAFF_ROLES)
    return actor


def owning_borrower(request: Request, context: Context, actor: SignedIn) -> Actor:
    """A borrower who owns every ``*_id`` in the path: staff may look, but not act for them."""
    if actor.role is not Role.BORROWER:
        raise PermissionDeniedError("only the borrower can do this")
    ensure_owner_or_role(context, actor, path_ids(request), frozenset())
    return actor


async def checked_form(request: Request) -> dict[str, str]:
    """The submitted form's text fields, after the CSRF check (files are left out)."""
    form = await request.form()
    web = get_web(request)
    token = form.get(CSRF_FIELD)
    check_csrf(web.csrf_key, request, web.cookies, token if isinstance(token, str) else None)
    return {key: value for key, value in form.items() if isinstance(value, str)}


Borrower = Annotated[Actor, Depends(web_roles(Role.BORROWER))]
Staff = Annotated[Actor, Depends(web_roles(*STAFF_ROLES))]
Underwriter = Annotated[Actor, Depends(web_roles(*UNDERWRITING_ROLES))]
Servicer = Annotated[Actor, Depends(web_roles(*SERVICING_ROLES))]
Collector = Annotated[Actor, Depends(web_roles(*COLLECTION_ROLES))]
PolicyAdmin = Annotated[Actor, Depends(web_roles(*POLICY_ROLES))]
MerchantUser = Annotated[Actor, Depends(web_roles(Role.MERCHANT))]
OwnerOrStaff = Annotated[Actor, Depends(owner_or_staff)]
OwningBorrower = Annotated[Actor, Depends(owning_borrower)]
Form = Annotated[dict[str, str], Depends(checked_form)]
FormCheck = Callable[[Request], Awaitable[dict[str, str]]]
