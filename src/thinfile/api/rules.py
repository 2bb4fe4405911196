"""Every operation's rules in the OpenAPI spec, read from the route itself.

:func:`describe_operations` adds to each operation's description (the route's docstring, if
any) who may call it — from its role-checking dependency (:func:`thinfile.api.deps.roles_of`)
—, whether it takes an ``Idempotency-Key`` and what a repeat does, and which rate limit
applies; it declares the ``Idempotent-Replayed`` header on the success response of idempotent
operations and ``Retry-After`` on their 429. The rules are derived from the dependencies that
enforce them, so the spec cannot say one thing while the route does another.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

from fastapi import APIRouter
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from thinfile.api.deps import current_principal, requires_sign_in, roles_of
from thinfile.api.errors import RETRY_AFTER_HEADER
from thinfile.api.idempotency import REPLAYED, idempotent_request
from thinfile.api.ratelimits import limit_applications, limit_sign_up
from thinfile.security.roles import Role

__all__ = ["REPLAYED_HEADER", "describe_operations"]

REPLAYED_HEADER: dict[str, Any] = {
    REPLAYED: {
        "description": "true when this is the stored response to an earlier request with the "
        "same Idempotency-Key (nothing was done again); absent otherwise",
        "schema": {"type": "string", "enum": ["true"]},
    }
}
_RATE_LIMITS: dict[Callable[..., object], str] = {
    limit_sign_up: "sign-ups and profile registrations per client address "
    "(THINFILE_RATE_LIMITS sign_up)",
    limit_applications: "applications per account and per applicant, with a ceiling per "
    "client address (THINFILE_RATE_LIMITS applications)",
}
_IDEMPOTENCY = (
    "**Idempotency**: send an `Idempotency-Key` header (8-100 characters of "
    "`A-Za-z0-9_-:.`), one per intended operation. A repeat with the same key and body, at "
    "once or later, does nothing again and answers the first response with "
    "`Idempotent-Replayed: true`; the same key with another body is a 409 "
    "`duplicate_request`. Keys are scoped to the caller and the operation."
)


_ANYONE = "**Who**: anyone; no sign-in."


def _takes_key(operation: dict[str, Any]) -> bool:
    return any(
        p.get("name", "").lower() == "idempotency-key" for p in operation.get("parameters", [])
    )


def _calls(dependant: Dependant) -> Iterator[Callable[..., object]]:
    if dependant.call is not None:
        yield dependant.call
    for sub in dependant.dependencies:
        yield from _calls(sub)


def _roles(names: frozenset[Role]) -> str:
    return ", ".join(f"`{r.value}`" for r in sorted(names, key=lambda r: r.value))


def _who(route: APIRoute, calls: list[Callable[..., object]]) -> str:
    checks = [found for found in map(roles_of, calls) if found is not None]
    if checks:
        roles, owner = checks[0]
        owned = [p for p in route.param_convertors if p.endswith("_id")]
        if owner and owned:
            staff = f"; or staff: {_roles(roles)}" if roles else ""
            return f"**Who**: the owner of {', '.join(f'`{p}`' for p in owned)}{staff}."
        return f"**Who**: {_roles(roles)}." if roles else "**Who**: the owner."
    if current_principal in calls or any(requires_sign_in(c) for c in calls):
        return "**Who**: any signed-in caller (bearer token or API key)."
    return _ANYONE


def _rules(route: APIRoute) -> list[str]:
    calls = list(_calls(route.dependant))
    lines = [_who(route, calls)]
    if idempotent_request in calls:
        lines.append(_IDEMPOTENCY)
    limits = [text for call, text in _RATE_LIMITS.items() if call in calls]
    if limits:
        lines.append(
            "**Rate limit**: "
            + "; ".join(limits)
            + ". Over the limit: 429 `rate_limited` with `Retry-After` (seconds)."
        )
    return lines


def _routes(routers: Iterable[APIRouter]) -> Iterator[APIRoute]:
    for router in routers:
        yield from (r for r in router.routes if isinstance(r, APIRoute) and r.include_in_schema)


def describe_operations(
    spec: dict[str, Any], routers: Iterable[APIRouter], *, prefix: str = ""
) -> None:
    """Add the rules of each operation of ``routers`` (mounted under ``prefix``, or at the
    root) to its description in ``spec``, and its headers to its responses."""
    paths = spec.get("paths", {})
    for route in _routes(routers):
        item = paths.get(prefix + route.path_format) or paths.get(route.path_format) or {}
        for method in route.methods or ():
            operation = item.get(method.lower())
            if operation is None:
                continue
            own = (operation.get("description") or "").strip()
            rules = _rules(route)
            schemes = [name for need in operation.get("security", []) for name in need]
            if rules[0] == _ANYONE and schemes:  # a scheme the route declares itself
                rules[0] = f"**Who**: a caller proving {', '.join(schemes)} (see security)."
            operation["description"] = "\n\n".join(p for p in (own, *rules) if p)
            if _takes_key(operation):
                for status, response in operation.get("responses", {}).items():
                    if status.startswith("2"):
                        response.setdefault("headers", {}).update(REPLAYED_HEADER)
            too_many = operation.get("responses", {}).get("429")
            if too_many is not None:
                too_many.setdefault("headers", {}).update(RETRY_AFTER_HEADER)
