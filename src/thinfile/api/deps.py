"""Who is calling, and may they: the dependencies every route uses.

* :func:`current_principal` — the signed-in caller, from ``Authorization: Bearer <token>``
  (borrowers and staff) or ``X-API-Key: <key>`` (merchants and systems); 401 otherwise.
* :func:`require_roles` — the caller must hold one of the roles; 403 otherwise.
* :func:`require_owner_or_role` — **the one ownership check**: every owned resource named in the
  path (``{applicant_id}``, ``{consent_id}``, and whatever is added with
  :func:`register_owned_resource`) must belong to the caller, unless the caller holds one of the
  given staff roles. Anything not theirs looks exactly like something that does not exist (404),
  so a borrower cannot even learn that another borrower's id is valid.
* :func:`ensure_owner_or_role` — the same check for an id that arrives in a request body.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, TypeVar

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader, HTTPBearer
from starlette.concurrency import run_in_threadpool

from thinfile.api.context import AppContext, context_dependency, get_context
from thinfile.errors import AuthenticationError, NotFoundError, PermissionDeniedError
from thinfile.security.roles import Role
from thinfile.services import consent, identity, ownership
from thinfile.services.identity_records import Actor
from thinfile.services.ownership import OwnerResolver

__all__ = [
    "API_KEY",
    "BEARER",
    "Context",
    "OwnerResolver",
    "Principal",
    "authenticating",
    "client_address",
    "current_principal",
    "ensure_owner_or_role",
    "owned_resources",
    "register_owned_resource",
    "require_owner_or_role",
    "require_roles",
    "requires_sign_in",
]

Context = Annotated[AppContext, Depends(context_dependency)]

# The dependencies below are ``async``: FastAPI runs a plain ``def`` dependency in the thread
# pool, a round trip per dependency per request. They do database work (an API key, an owner
# not yet known) in the pool explicitly. Each reads the request itself rather than through
# sub-dependencies: FastAPI solves every dependency of every request anew, and the chain of
# small ones (context, bearer scheme, key scheme, principal) cost more than the decision it
# guarded. The two schemes are documented in the OpenAPI spec by :func:`document_security`.

BEARER = HTTPBearer(auto_error=False, description="Access token from POST /v1/auth/sign-in")
API_KEY = APIKeyHeader(name="X-API-Key", auto_error=False,
                       description="API key of a merchant or system (made by an admin)")
F = TypeVar("F", bound=Callable[..., object])
_AUTHENTICATING: set[Callable[..., object]] = set()
"""Dependencies that authenticate the caller: their routes document the two schemes."""


def authenticating(dependency: F) -> F:
    """Mark ``dependency`` as one that authenticates (see :func:`document_security`)."""
    _AUTHENTICATING.add(dependency)
    return dependency


def requires_sign_in(call: Callable[..., object] | None) -> bool:
    """Whether ``call`` is a dependency that authenticates the caller."""
    return call in _AUTHENTICATING

_OWNED: dict[str, OwnerResolver] = {
    "applicant_id": identity.owner_of_applicant,
    "consent_id": consent.owner_of_consent,
}
_STABLE = {"applicant_id", "consent_id"}


def register_owned_resource(path_param: str, resolver: OwnerResolver, *,
                            stable: bool = False) -> None:
    """Declare that ``{path_param}`` names a resource owned by a user (e.g. ``loan_id``).

    ``stable``: once the resource exists its owner never changes (ids are never reused), so
    each process remembers the owners it has looked up and asks the database only once.
    """
    _OWNED[path_param] = resolver
    if stable:
        _STABLE.add(path_param)
    else:
        _STABLE.discard(path_param)


def owned_resources() -> frozenset[str]:
    """The path parameters the ownership check knows."""
    return frozenset(_OWNED)


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


_PRINCIPAL = "thinfile.principal"


@authenticating
async def current_principal(request: Request) -> Actor:
    """The caller, authenticated by token (a signature check, no database) or API key; once
    per request, however many dependencies ask."""
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
        claims = context.tokens.verify(token)
        return Actor(user_id=claims.user_id, role=claims.role)
    api_key = request.headers.get("x-api-key")
    if api_key:
        return await run_in_threadpool(identity.authenticate_api_key, context.engine, api_key)
    raise AuthenticationError("sign in first",
                              remedy="send Authorization: Bearer <token> or X-API-Key: <key>")


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
                extra={"allowed_roles": sorted(r.value for r in allowed)})
        return principal

    return dependency


def _not_found(name: str, value: str) -> NotFoundError:
    return NotFoundError(f"no such {name.removesuffix('_id')}", field=name, value=value)


def ensure_owner_or_role(context: AppContext, principal: Actor, resources: dict[str, str],
                         roles: frozenset[Role]) -> None:
    """Raise unless every resource in ``resources`` (param name → id) is the caller's, or the
    caller holds one of ``roles``. Unknown parameter names fail closed."""
    if principal.role in roles:
        return
    unknown = {}
    for name, value in resources.items():
        if name not in _OWNED:
            raise PermissionDeniedError(f"{name} is not an owned resource; staff only")
        owner = context.owners.get((name, value))
        if owner is None:
            unknown[name] = value
        elif owner != principal.user_id:
            raise _not_found(name, value)
    if not unknown:
        return
    asked = list(unknown.items())
    owners = ownership.owners_of(context.engine, [(_OWNED[name], value) for name, value in asked])
    for (name, value), owner in zip(asked, owners, strict=True):
        if owner is not None and name in _STABLE:
            context.owners.remember((name, value), owner)
        if owner != principal.user_id:
            raise _not_found(name, value)


def _known_owner(context: AppContext, principal: Actor, resources: dict[str, str]) -> bool:
    """True when every resource is registered and remembered as the caller's."""
    return all(name in _OWNED and context.owners.get((name, value)) == principal.user_id
               for name, value in resources.items())


def require_owner_or_role(*roles: Role) -> Callable[[Request], Awaitable[Actor]]:
    """A dependency admitting the owner of every resource in the path, or staff in ``roles``.

    On a route without owned path parameters it admits only ``roles``.
    """
    allowed = frozenset(roles)

    @authenticating
    async def dependency(request: Request) -> Actor:
        context = get_context(request)
        principal = await current_principal(request)
        named = {k: str(v) for k, v in request.path_params.items() if k.endswith("_id")}
        if not named and principal.role not in allowed:
            raise PermissionDeniedError(f"a {principal.role.value} may not do this")
        if principal.role not in allowed and not _known_owner(context, principal, named):
            await run_in_threadpool(ensure_owner_or_role, context, principal, named, allowed)
        return principal

    return dependency
