"""Who owns what a path names: the one ownership check of the pages and the API.

A request naming an owned resource (``{applicant_id}``, ``{consent_id}``,
``{application_id}``, ``{loan_id}``, ``{line_id}``, ``{card_id}``, ``{intent_id}``,
``{merchant_id}`` and ``{webhook_event_id}`` — shared by the merchant's users) is admitted
when every one of them is the
caller's, or the caller holds one of the roles the route allows. Anything not theirs looks
exactly like something that does not exist (404), so a borrower cannot even learn that another
borrower's id is valid. A ``*_id`` that is not an owned resource fails closed (403).

The owned resources are a table, :data:`OWNED_RESOURCES`: a path parameter and the service
function that finds its owner. ``thinfile.app.create_app`` builds the app's
:class:`Ownership` from it (a test may pass another table); nothing is registered at import
time. To own a new kind of resource, add a row.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING

from starlette.requests import HTTPConnection

from thinfile.errors import NotFoundError, PermissionDeniedError
from thinfile.security.roles import Role
from thinfile.services import (
    applicants,
    cards,
    consent,
    merchants,
    ownership,
    payment_intents,
    webhooks,
)
from thinfile.services.identity_records import Actor
from thinfile.services.ownership import OwnerResolver, Owners, is_owned_by

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from thinfile.http.context import AppContext

__all__ = ["OWNED_RESOURCES", "OwnedResource", "Ownership", "ensure_owner_or_role", "path_ids"]


@dataclass(frozen=True, slots=True)
class OwnedResource:
    """A kind of resource a user owns: ``owner_of(uow, id)`` is its owner's user id (or the
    ids of the users sharing it), or None when there is no such resource. ``stable``: once
    it exists its owner never changes (ids are never reused), so each process remembers the
    owners it has found."""

    owner_of: OwnerResolver
    stable: bool = True


OWNED_RESOURCES: Mapping[str, OwnedResource] = MappingProxyType(
    {
        "applicant_id": OwnedResource(applicants.owner_of_applicant),
        "consent_id": OwnedResource(consent.owner_of_consent),
        "application_id": OwnedResource(ownership.owner_of_application),
        "loan_id": OwnedResource(ownership.owner_of_any_loan),
        "line_id": OwnedResource(ownership.owner_of_line),
        # shared by the merchant's users; a user may be added later, so never remembered
        "merchant_id": OwnedResource(merchants.users_of_merchant, stable=False),
        "card_id": OwnedResource(cards.owner_of_card),
        "intent_id": OwnedResource(payment_intents.owner_of_intent),
        # the users of the event's merchant; never remembered, as for merchant_id
        "webhook_event_id": OwnedResource(webhooks.users_of_webhook_event, stable=False),
    }
)
"""Every path parameter naming a resource a user owns, with the lookup of its owner."""


class _OwnerMemo:
    """Owners of stable resources as this process has found them (bounded)."""

    def __init__(self, capacity: int) -> None:
        self._owners: dict[tuple[str, str], Owners] = {}
        self._capacity = capacity

    def get(self, resource: tuple[str, str]) -> Owners | None:
        return self._owners.get(resource)

    def remember(self, resource: tuple[str, str], owner: Owners) -> None:
        if len(self._owners) >= self._capacity:
            self._owners.clear()
        self._owners[resource] = owner


def _not_found(name: str, value: str) -> NotFoundError:
    return NotFoundError(f"no such {name.removesuffix('_id')}", field=name, value=value)


class Ownership:
    """One app's owned resources and the owners it has found; ``AppContext.ownership``."""

    def __init__(
        self, resources: Mapping[str, OwnedResource], *, memo_capacity: int = 200_000
    ) -> None:
        self._resources = MappingProxyType(dict(resources))
        self._memo = _OwnerMemo(memo_capacity)

    @property
    def names(self) -> frozenset[str]:
        """The path parameters this app treats as owned resources."""
        return frozenset(self._resources)

    def is_known_owner(self, principal: Actor, resources: Mapping[str, str]) -> bool:
        """True when every resource is owned and remembered as the caller's (no I/O)."""
        return all(
            name in self._resources
            and is_owned_by(self._memo.get((name, value)), principal.user_id)
            for name, value in resources.items()
        )

    def ensure(
        self, engine: Engine, principal: Actor, resources: Mapping[str, str], roles: frozenset[Role]
    ) -> None:
        """Raise unless every resource in ``resources`` (parameter name → id) is the
        caller's, or the caller holds one of ``roles``; reads owners not yet remembered in
        one unit of work."""
        if principal.role in roles:
            return
        unknown = {}
        for name, value in resources.items():
            if name not in self._resources:
                raise PermissionDeniedError(f"{name} is not an owned resource; staff only")
            owner = self._memo.get((name, value))
            if owner is None:
                unknown[name] = value
            elif not is_owned_by(owner, principal.user_id):
                raise _not_found(name, value)
        if not unknown:
            return
        asked = list(unknown.items())
        owners = ownership.owners_of(
            engine, [(self._resources[name].owner_of, value) for name, value in asked]
        )
        for (name, value), owner in zip(asked, owners, strict=True):
            if owner is not None and self._resources[name].stable:
                self._memo.remember((name, value), owner)
            if not is_owned_by(owner, principal.user_id):
                raise _not_found(name, value)


def ensure_owner_or_role(
    context: AppContext, principal: Actor, resources: Mapping[str, str], roles: frozenset[Role]
) -> None:
    """The app's ownership check (:meth:`Ownership.ensure`): for the ids in a path, or an id
    that arrives in a request body (``{"loan_id": body.loan_id}``)."""
    context.ownership.ensure(context.engine, principal, resources, roles)


def path_ids(connection: HTTPConnection) -> dict[str, str]:
    """The request's path parameters ending in ``_id``: what the ownership check looks at."""
    return {k: str(v) for k, v in connection.path_params.items() if k.endswith("_id")}
