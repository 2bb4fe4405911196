"""Engines and the shared table metadata. Nothing connects at import time."""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import MetaData, Row, create_engine, event, exc, text
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.pool import NullPool

from thinfile.security.audit_keys import audit_keys
from thinfile.settings import DEFAULT_HOME, Settings
from thinfile.store.audit_keys import bind_audit_keys

__all__ = [
    "DEFAULT_HOME",
    "PING_AFTER_IDLE_SECONDS",
    "StoredRow",
    "database_url",
    "make_engine",
    "metadata",
    "ping",
]

PING_AFTER_IDLE_SECONDS = 2.0
"""A pooled PostgreSQL connection idle longer than this is pinged before it is handed out (a
server restart or an idle timeout drops it quietly); one in steady use is not, which saves a
round trip on every request under load."""

StoredRow = Row[*tuple[Any, ...]]
"""A row a repository hands back, of any shape: columns by attribute (``row.status``)."""

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


def database_url() -> str:
    """``THINFILE_DATABASE_URL``, or a SQLite file under ``THINFILE_HOME`` (default ./var)."""
    settings = Settings.from_environment()
    if not settings.database_url:
        settings.home.mkdir(parents=True, exist_ok=True)
    return settings.effective_database_url()


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _sqlite_begin(conn: Any) -> None:
    # Take the write lock at BEGIN so that two writers never deadlock on lock upgrades.
    conn.exec_driver_sql("BEGIN IMMEDIATE")


def make_engine(
    url: str | None = None,
    *,
    pool_size: int = 10,
    settings: Settings | None = None,
    **kwargs: Any,
) -> Engine:
    """An engine for ``url`` (default: :func:`database_url`) with per-backend settings.

    Its audit rows are sealed with the audit keys of ``settings`` (default: ``THINFILE_*``),
    which never go to the database. Statements' parameters are never shown in errors or logs
    (``hide_parameters``): they hold ciphertexts and lookup hashes of personal data."""
    target = make_url(url or database_url())
    kwargs.setdefault("hide_parameters", True)
    if target.get_backend_name() == "sqlite":
        engine = create_engine(
            target,
            poolclass=NullPool,
            connect_args={"timeout": 30, "check_same_thread": False, "isolation_level": None},
            **kwargs,
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
    else:
        engine = create_engine(target, pool_size=pool_size, max_overflow=pool_size, **kwargs)
        _ping_idle_connections(engine)
    bind_audit_keys(engine, audit_keys(settings or Settings.from_environment()))
    return engine


def _ping_idle_connections(engine: Engine) -> None:
    """Ping a connection on checkout only when it sat in the pool for a while: a dead one is
    replaced (the pool retries the checkout); a busy pool pays nothing."""

    @event.listens_for(engine, "checkin")
    def _idle_from(_dbapi_connection: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping_if_idle(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        since = record.info.pop("idle_since", None)
        if since is None or time.monotonic() - since < PING_AFTER_IDLE_SECONDS:
            return
        try:
            alive = engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as error:
            raise exc.DisconnectionError(
                f"an idle pooled connection was dropped: {error}"
            ) from error
        if not alive:
            raise exc.DisconnectionError("an idle pooled connection did not answer a ping")


def ping(conn: Connection) -> None:
    """One round trip to the database (``SELECT 1``); raises when it does not answer."""
    conn.execute(text("SELECT 1"))
