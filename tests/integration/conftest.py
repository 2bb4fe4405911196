"""The migrated engine fixtures of the storage tests (``backend`` and ``database_url`` come
from tests/conftest.py; the database helpers from tests/support/databases.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from tests.support.databases import fresh_database_url
from thinfile.store import make_engine, upgrade


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """A migrated engine on an empty database of each backend."""
    eng = make_engine(database_url)
    upgrade(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def postgres_engine(tmp_path: Path) -> Iterator[Engine]:
    """A migrated engine on a fresh PostgreSQL schema, for what only PostgreSQL does
    (``FOR UPDATE SKIP LOCKED`` between concurrent workers); dropped afterwards."""
    urls = fresh_database_url("postgresql", tmp_path)
    eng = make_engine(next(urls))
    upgrade(eng)
    yield eng
    eng.dispose()
    next(urls, None)  # drops the schema
