"""Real databases for the storage and HTTP tests: every one runs on SQLite and PostgreSQL.

PostgreSQL is the server at 127.0.0.1:5432 (user postgres, database test), or
``THINFILE_TEST_POSTGRES_URL``. Each test gets its own schema, dropped afterwards. In CI
(``CI=true``) an unreachable server fails the tests; elsewhere they skip with a message.
"""

from __future__ import annotations

import functools
import os
import uuid
from collections.abc import Generator
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.support.environment import in_ci

__all__ = ["POSTGRES_URL", "fresh_database_url", "postgres_available", "require_postgres"]

POSTGRES_URL = os.environ.get(
    "THINFILE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


@functools.cache
def postgres_available() -> bool:
    try:
        engine = sa.create_engine(POSTGRES_URL, connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
        engine.dispose()
    except sa.exc.OperationalError:
        return False
    return True


def require_postgres() -> None:
    if postgres_available():
        return
    message = f"PostgreSQL is not reachable at {POSTGRES_URL}"
    if in_ci():
        pytest.fail(message + " (CI must run PostgreSQL tests; .ci/services.sh starts it)")
    pytest.skip(message)


def fresh_database_url(backend: str, tmp_path: Path) -> Generator[str, None, None]:
    """A URL to an empty database of ``backend``; cleaned up after the test."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'thinfile.sqlite'}"
        return
    require_postgres()
    schema = f"t_{uuid.uuid4().hex[:16]}"
    admin = sa.create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in POSTGRES_URL else "?"
    try:
        yield f"{POSTGRES_URL}{separator}options=-csearch_path%3D{schema}"
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
