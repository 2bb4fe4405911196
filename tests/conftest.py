"""Fixtures shared by every tier: a real database of each backend (SQLite and PostgreSQL)
for the tests that ask for one. Paths and CI detection live in tests/support/environment.py."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.databases import fresh_database_url, migrated_database_url

pytest_plugins = ["tests.support.gateway_fixtures"]


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def database_url(backend: str, tmp_path: Path) -> Iterator[str]:
    """A database of each backend at the newest schema and holding nothing else (a copy of
    a migrated template: tests/support/databases.py), dropped afterwards."""
    yield from migrated_database_url(backend, tmp_path)


@pytest.fixture
def empty_database_url(backend: str, tmp_path: Path) -> Iterator[str]:
    """An empty database of each backend (its own PostgreSQL schema), for the tests of the
    migrations themselves; dropped afterwards."""
    yield from fresh_database_url(backend, tmp_path)
