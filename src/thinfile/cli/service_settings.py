"""Settings and database access shared by the service's commands."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.engine import Engine

from thinfile.settings import Settings, load_settings
from thinfile.store import make_engine, upgrade

__all__ = ["load_settings", "open_database"]


@contextmanager
def open_database(settings: Settings) -> Iterator[Engine]:
    """The configured database, brought to the newest schema first (the services open their
    own units of work on it)."""
    engine = make_engine(settings.database_url, settings=settings)
    try:
        upgrade(engine)
        yield engine
    finally:
        engine.dispose()
