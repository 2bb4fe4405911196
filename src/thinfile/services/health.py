"""Whether the service can do its work: the database answers."""

from __future__ import annotations

from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from thinfile.services.uow import UnitOfWork

__all__ = ["database_is_reachable"]


def database_is_reachable(engine: Engine) -> bool:
    """True when a unit of work opens and the database answers one round trip."""
    try:
        with UnitOfWork(engine) as uow:
            uow.ping()
    except SQLAlchemyError:
        return False
    return True
