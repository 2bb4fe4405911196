"""Fixtures of the HTTP API tests: a fresh app on an empty database of each backend, and
the people who use it (tests/e2e/api_harness.py holds the builders)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.api_harness import (
    TestClient,
    World,
    build_app,
    make_borrower,
    make_staff,
    quick_settings,
)
from thinfile.security.roles import Role
from thinfile.settings import Settings


@pytest.fixture
def api_settings(database_url: str) -> Settings:
    return quick_settings(database_url)


@pytest.fixture
def api(api_settings: Settings, tmp_path: Path) -> Iterator[TestClient]:
    """A client of a fresh app on an empty, migrated database of each backend, with the
    shipped policy and a deterministic test model registered."""
    with TestClient(build_app(api_settings, tmp_path)) as client:
        yield client


@pytest.fixture
def world(api: TestClient) -> World:
    """Two borrowers with profiles and consents, an admin and an underwriter."""
    return World(
        make_borrower(api),
        make_borrower(api),
        make_staff(api, Role.ADMIN),
        make_staff(api, Role.UNDERWRITER),
    )
