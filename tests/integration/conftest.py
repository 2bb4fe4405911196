"""The migrated engine fixture of the storage tests (``backend`` and ``database_url`` come
from tests/conftest.py; the database helpers from tests/support/databases.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.engine import Engine

from thinfile.store import make_engine, upgrade


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """A migrated engine on an empty database of each backend."""
    eng = make_engine(database_url)
    upgrade(eng)
    yield eng
    eng.dispose()
