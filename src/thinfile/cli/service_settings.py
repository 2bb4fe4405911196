"""Settings and database access shared by the service's commands."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from pydantic import ValidationError
from sqlalchemy.orm import Session, sessionmaker

from thinfile.errors import FieldProblem, InvalidInputError
from thinfile.settings import Settings
from thinfile.store import make_engine, upgrade

__all__ = ["load_settings", "open_sessions"]


def load_settings() -> Settings:
    """Settings from the environment, validated; one readable error when they are wrong."""
    try:
        settings = Settings()
    except ValidationError as exc:
        problems = [FieldProblem("THINFILE_" + ".".join(map(str, e["loc"])).upper(), e["msg"])
                    for e in exc.errors()]
        raise InvalidInputError("the THINFILE_* settings are not valid",
                                problems=problems) from None
    return settings.check_secrets()


@contextmanager
def open_sessions(settings: Settings) -> Iterator[sessionmaker[Session]]:
    """Sessions on the configured database, brought to the newest schema first."""
    engine = make_engine(settings.database_url)
    try:
        upgrade(engine)
        yield sessionmaker(engine, expire_on_commit=False)
    finally:
        engine.dispose()
