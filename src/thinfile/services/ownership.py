"""Who owns what: the owner resolvers of the API's ownership check and a user's loans and lines.

An application belongs to the user who applied; a loan to the user who accepted the offer that
opened it, or who owns the credit line it was drawn from; a line to the user who accepted the
offer that opened it. None of these ever changes once it exists.

A resolver (:data:`OwnerResolver`) answers inside a unit of work; :func:`owners_of` runs any
number of them in one, for the interfaces' ownership check.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from sqlalchemy.engine import Engine

from thinfile.services.uow import UnitOfWork
from thinfile.text import whole_number

__all__ = [
    "OwnerResolver",
    "Owners",
    "is_owned_by",
    "lines_of_user",
    "loan_ids_of_user",
    "loans_of_user",
    "owner_of_any_loan",
    "owner_of_application",
    "owner_of_line",
    "owner_of_loan",
    "owners_of",
]

Owners = str | frozenset[str]
"""Who owns a resource: one user id, or the ids of the users who share it (a merchant's)."""
OwnerResolver = Callable[[UnitOfWork, str], Owners | None]
"""Given a unit of work and a resource id, the user id that owns it (or the user ids sharing
it) — or None if there is none."""

_MAX_SERIAL = 2**31 - 1


def _serial(value: str) -> int | None:
    serial = whole_number(value)
    return serial if serial is not None and 0 < serial <= _MAX_SERIAL else None


def is_owned_by(owners: Owners | None, user_id: str) -> bool:
    """Whether ``user_id`` is the owner, or one of the owners."""
    return (
        owners == user_id if isinstance(owners, str) else owners is not None and user_id in owners
    )


def owners_of(engine: Engine, lookups: Sequence[tuple[OwnerResolver, str]]) -> list[Owners | None]:
    """The owner of each (resolver, resource id), in order, read in one unit of work."""
    with UnitOfWork(engine) as uow:
        return [resolve(uow, value) for resolve, value in lookups]


def owner_of_application(uow: UnitOfWork, application_id: str) -> str | None:
    return uow.applications.owner(application_id)


def owner_of_loan(uow: UnitOfWork, loan_id: str) -> str | None:
    """The user who accepted the offer that opened ``loan_id``."""
    return uow.applications.owner_of_loan(str(loan_id))


def owner_of_line(uow: UnitOfWork, line_id: str) -> str | None:
    """The user who accepted the offer that opened credit line ``line_id``."""
    return uow.applications.owner_of_line(str(line_id))


def owner_of_any_loan(uow: UnitOfWork, loan_id: str) -> str | None:
    """The owner of ``loan_id``: opened by accepting an offer, or drawn from their line."""
    owner = owner_of_loan(uow, loan_id)
    serial = _serial(str(loan_id))
    if owner is not None or serial is None:
        return owner
    line = uow.loans.credit_line_of(serial)
    return None if line is None else owner_of_line(uow, str(line))


def loans_of_user(engine: Engine, user_id: str) -> list[tuple[str, int]]:
    """(application id, loan id) of every loan the user has, newest first."""
    with UnitOfWork(engine) as uow:
        return uow.applications.loans_of_user(user_id)


def lines_of_user(engine: Engine, user_id: str) -> list[int]:
    """The credit lines the user opened by accepting offers, newest first."""
    with UnitOfWork(engine) as uow:
        return uow.applications.lines_of_user(user_id)


def loan_ids_of_user(engine: Engine, user_id: str) -> list[int]:
    """Every loan the user has — opened from an offer or drawn from a line — newest first."""
    with UnitOfWork(engine) as uow:
        opened = [loan for _, loan in uow.applications.loans_of_user(user_id)]
        lines = uow.applications.lines_of_user(user_id)
        drawn = uow.loans.drawn_from(lines) if lines else []
    return sorted(set(opened) | set(drawn), reverse=True)
