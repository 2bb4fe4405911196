"""Settings and database access shared by the service's commands."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.orm import Session, sessionmaker

from thinfile.settings import Settings, load_settings
from thinfile.store import make_engine, upgrade

__all__ = ["load_settings", "open_sessions"]


@contextmanager
def open_sessions(settings: Settings) -> Iterator[sessionmaker[Session]]:
    """Sessions on the configured database, brought to the newest schema first."""
    engine = make_engine(settings.database_url)
    try:
        upgrade(engine)
        yield sessionmaker(engine, expire_on_commit=False)
    finally:
        engine.dispose()
