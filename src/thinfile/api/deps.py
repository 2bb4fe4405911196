"""Who is calling the API, and may they: the dependencies every route uses.

* :func:`current_principal` — the signed-in caller, from ``Authorization: Bearer <token>``
  (borrowers and staff) or ``X-API-Key: <key>`` (merchants and systems); 401 otherwise.
* :func:`require_roles` — the caller must hold one of the roles; 403 otherwise.
* :func:`require_owner_or_role` — the shared ownership check
  (:mod:`thinfile.http.ownership`) on every ``*_id`` in the path, unless the caller holds one
  of the given staff roles. For an id in a request body, call
  :func:`thinfile.http.ensure_owner_or_role`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, TypeVar

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader, HTTPBearer
from starlette.concurrency import run_in_threadpool

from thinfile.errors import AuthenticationError, PermissionDeniedError
from thinfile.http import actor_of_bearer, ensure_owner_or_role, get_context, path_ids
from thinfile.security.roles import Role
from thinfile.services import identity
from thinfile.services.identity_records import Actor

__all__ = [
    "API_KEY",
    "BEARER",
    "Principal",
    "authenticating",
    "current_principal",
    "require_owner_or_role",
    "require_roles",
    "requires_sign_in",
    "roles_of",
]

# The dependencies below are ``async``: FastAPI runs a plain ``def`` dependency in the thread
# pool, a round trip per dependency per request. They do database work (an API key, an owner
# not yet known) in the pool explicitly. Each reads the request itself rather than through
# sub-dependencies: FastAPI solves every dependency of every request anew, and the chain of
# small ones (context, bearer scheme, key scheme, principal) cost more than the decision it
# guarded. The two schemes are documented in the OpenAPI spec by
# :func:`thinfile.api.app.document_security`.

BEARER = HTTPBearer(auto_error=False, description="Access token from POST /v1/auth/sign-in")
API_KEY = APIKeyHeader(
    name="X-API-Key",
    auto_error=False,
    description="API key of a merchant or system (made by an admin)",
)
F = TypeVar("F", bound=Callable[..., object])
_AUTHENTICATING: set[Callable[..., object]] = set()
"""Dependencies that authenticate the caller: their routes document the two schemes."""


def authenticating(dependency: F) -> F:
    """Mark ``dependency`` as one that authenticates (see ``document_security``)."""
    _AUTHENTICATING.add(dependency)
    return dependency


def requires_sign_in(call: Callable[..., object] | None) -> bool:
    """Whether ``call`` is a dependency that authenticates the caller."""
    return call in _AUTHENTICATING


_ADMITS: dict[Callable[..., object], tuple[frozenset[Role], bool]] = {}
"""The roles each role-checking dependency admits, and whether it admits the owner too."""


def admits_as(dependency: F, check: Callable[..., object]) -> F:
    """Record that ``dependency`` admits whom ``check`` admits (it runs ``check`` first and
    returns its caller), so the operation descriptions say so."""
    _ADMITS[dependency] = _ADMITS[check]
    return dependency


def roles_of(call: Callable[..., object] | None) -> tuple[frozenset[Role], bool] | None:
    """The roles ``call`` admits and whether it admits the owner of the path's resources;
    ``None`` when ``call`` checks no role (the operation descriptions say so)."""
    return _ADMITS.get(call) if call is not None else None


_PRINCIPAL = "thinfile.principal"


@authenticating
async def current_principal(request: Request) -> Actor:
    """The caller, authenticated by token (a signature check now, the account's token version
    in the request's first unit of work) or API key; once per request, however many
    dependencies ask."""
    known: Actor | None = request.scope.get(_PRINCIPAL)  # the scope is this request's own
    if known is None:
        known = await _authenticate(request)
        request.scope[_PRINCIPAL] = known
    return known


async def _authenticate(request: Request) -> Actor:
    context = get_context(request)
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    token = token.strip()
    if scheme.lower() == "bearer" and token:
        return actor_of_bearer(context, token)
    api_key = request.headers.get("x-api-key")
    if api_key:
        return await run_in_threadpool(identity.authenticate_api_key, context.engine, api_key)
    raise AuthenticationError(
        "sign in first", remedy="send Authorization: Bearer <token> or X-API-Key: <key>"
    )


Principal = Annotated[Actor, Depends(current_principal)]


def require_roles(*roles: Role) -> Callable[[Request], Awaitable[Actor]]:
    """A dependency admitting only callers holding one of ``roles``."""
    allowed = frozenset(roles)

    @authenticating
    async def dependency(request: Request) -> Actor:
        principal = await current_principal(request)
        if principal.role not in allowed:
            raise PermissionDeniedError(
                f"a {principal.role.value} may not do this",
                extra={"allowed_roles": sorted(r.value for r in allowed)},
            )
        return principal

    _ADMITS[dependency] = (allowed, False)
    return dependency


def require_owner_or_role(*roles: Role) -> Callable[[Request], Awaitable[Actor]]:
    """A dependency admitting the owner of every resource in the path, or staff in ``roles``.

    On a route without owned path parameters it admits only ``roles``.
    """
    allowed = frozenset(roles)

    @authenticating
    async def dependency(request: Request) -> Actor:
        context = get_context(request)
        principal = await current_principal(request)
        named = path_ids(request)
        if not named and principal.role not in allowed:
            raise PermissionDeniedError(f"a {principal.role.value} may not do this")
        if principal.role not in allowed and not context.ownership.is_known_owner(principal, named):
            await run_in_threadpool(ensure_owner_or_role, context, principal, named, allowed)
        return principal

    _ADMITS[dependency] = (allowed, True)
    return dependency
