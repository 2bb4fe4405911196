"""A write that loses a race on a unique key is the same conflict a use case's own check
reports, not a server error.

A use case checks first (``has_email``, ``has_user_or_id_number``) and then inserts; two
concurrent requests can both pass the check, and the database's unique index refuses the
second insert. :func:`duplicate_is_conflict` turns that refusal into the use case's typed
:class:`~thinfile.errors.ConflictError`, chained to nothing, so neither the statement nor its
parameters (ciphertexts, lookup hashes) reach the response or the logs::

    with UnitOfWork(engine) as uow, duplicate_is_conflict(_email_taken):
        if uow.users.has_email(email):
            raise _email_taken()
        …
        uow.commit()
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy.exc import IntegrityError

from thinfile.errors import ConflictError

__all__ = ["duplicate_is_conflict"]


@contextmanager
def duplicate_is_conflict(conflict: Callable[[], ConflictError]) -> Iterator[None]:
    """Raise ``conflict()`` instead of a unique-key violation from the block."""
    try:
        yield
    except IntegrityError:
        raise conflict() from None
