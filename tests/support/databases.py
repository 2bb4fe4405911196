"""Real databases for the storage and HTTP tests: every one runs on SQLite and PostgreSQL.

PostgreSQL is the server at 127.0.0.1:5432 (user postgres, database test), or
``THINFILE_TEST_POSTGRES_URL``. In CI (``CI=true``) an unreachable server fails the tests;
elsewhere they skip with a message.

Each test gets a database of its own, dropped afterwards. A migrated one
(:func:`migrated_database_url`) is a copy of a template the migrations built once per test
process — the SQLite file copied, a PostgreSQL database created from the template database
(``CREATE DATABASE … TEMPLATE``, tens of milliseconds where running the migrations takes a
second or two per test); the migrations themselves are tested on empty databases
(:func:`fresh_database_url`: a file, or a schema of the server's database).
"""

from __future__ import annotations

import atexit
import functools
import os
import shutil
import tempfile
import uuid
from collections.abc import Generator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from tests.support.environment import in_ci
from thinfile.store import make_engine, upgrade

__all__ = [
    "POSTGRES_URL",
    "fresh_database_url",
    "migrated_database_url",
    "postgres_available",
    "require_postgres",
]

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


def _database_of(name: str) -> str:
    return make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)


def _admin() -> sa.Engine:
    return sa.create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")


def _migrate(url: str) -> None:
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()  # a template database takes no connection while it is copied


@functools.cache
def _sqlite_template() -> Path:
    """A SQLite file the migrations built, for this test process."""
    path = Path(tempfile.mkdtemp(prefix="thinfile-template-")) / "template.sqlite"
    _migrate(f"sqlite:///{path}")
    atexit.register(shutil.rmtree, path.parent, True)
    return path


def _drop_database(name: str) -> None:
    admin = _admin()
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _drop_orphan_templates(conn: sa.Connection) -> None:
    """Templates left by test processes of this machine that are gone (killed runs)."""
    names = conn.execute(
        sa.text("SELECT datname FROM pg_database WHERE datname LIKE 'thinfile_tmpl_%'")
    ).scalars()
    for name in list(names):
        pid = int(name.split("_")[2])
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        except PermissionError:
            continue


@functools.cache
def _postgres_template() -> str | None:
    """A PostgreSQL database the migrations built, for this test process; None when the
    server does not let this user create databases (each test then migrates a schema)."""
    name = f"thinfile_tmpl_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin = _admin()
    try:
        with admin.connect() as conn:
            _drop_orphan_templates(conn)
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except sa.exc.ProgrammingError:
        return None
    finally:
        admin.dispose()
    atexit.register(_drop_database, name)
    _migrate(_database_of(name))
    return name


def migrated_database_url(backend: str, tmp_path: Path) -> Generator[str, None, None]:
    """A URL to a database of ``backend`` at the newest schema, holding nothing else (a copy
    of this process's template); dropped after the test."""
    if backend == "sqlite":
        path = tmp_path / "thinfile.sqlite"
        shutil.copyfile(_sqlite_template(), path)
        yield f"sqlite:///{path}"
        return
    require_postgres()
    template = _postgres_template()
    if template is None:
        for url in fresh_database_url(backend, tmp_path):
            _migrate(url)
            yield url
        return
    name = f"t_{uuid.uuid4().hex[:16]}"
    admin = _admin()
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}" TEMPLATE "{template}" STRATEGY WAL_LOG'))
    admin.dispose()
    try:
        yield _database_of(name)
    finally:
        _drop_database(name)
