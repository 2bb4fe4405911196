import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from tests.support.databases import POSTGRES_URL, require_postgres
from thinfile.store import (  # the table modules declare the tables in db.metadata
    campaign_tables,  # noqa: F401
    checkout_tables,  # noqa: F401
    collections_tables,  # noqa: F401
    commerce_tables,  # noqa: F401
    db,
    decisioning_tables,  # noqa: F401
    dispute_tables,  # noqa: F401
    document_tables,  # noqa: F401
    identity_tables,  # noqa: F401
    limits_tables,  # noqa: F401
    make_engine,
    notification_tables,  # noqa: F401
    payment_tables,  # noqa: F401
    promotion_tables,  # noqa: F401
    reconciliation_tables,  # noqa: F401
    sales_tables,  # noqa: F401
    servicing_tables,  # noqa: F401
    settlement_tables,  # noqa: F401
    upgrade,
    verification_tables,  # noqa: F401
    webhook_tables,  # noqa: F401
    working_capital_tables,  # noqa: F401
)


def test_migrations_apply_and_are_idempotent_on_both_backends(database_url):
    engine = make_engine(database_url)
    upgrade(engine)
    upgrade(engine)  # a second run finds nothing to do
    with engine.connect() as conn:
        versions = conn.execute(sa.text("SELECT version_num FROM alembic_version")).all()
    engine.dispose()
    assert isinstance(versions, list)


def test_the_migrated_schema_is_the_one_the_tables_declare(engine):
    """Tables, columns, indexes and constraints after all migrations match the table
    definitions the code uses: a change to one without the other fails here."""
    with engine.connect() as conn:
        differences = compare_metadata(MigrationContext.configure(conn), db.metadata)
    assert differences == []


def test_each_test_gets_an_empty_isolated_database(engine):
    with engine.connect() as conn:
        names = sa.inspect(conn).get_table_names()
    assert "scratch" not in names
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE scratch (id INTEGER PRIMARY KEY)"))


def _backend_pid(engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(sa.text("SELECT pg_backend_pid()")).scalar())


def _terminate(pid: int) -> None:
    admin = sa.create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    admin.dispose()


def test_an_idle_pooled_connection_that_died_is_replaced_before_use(monkeypatch):
    require_postgres()
    monkeypatch.setattr(db, "PING_AFTER_IDLE_SECONDS", 0.0)
    engine = make_engine(POSTGRES_URL, pool_size=1)
    try:
        dead = _backend_pid(engine)
        _terminate(dead)
        assert _backend_pid(engine) != dead  # pinged on checkout, replaced, no error
    finally:
        engine.dispose()


def test_a_connection_in_steady_use_is_not_pinged(monkeypatch):
    require_postgres()
    monkeypatch.setattr(db, "PING_AFTER_IDLE_SECONDS", 3600.0)
    engine = make_engine(POSTGRES_URL, pool_size=1)
    try:
        _terminate(_backend_pid(engine))
        with pytest.raises(sa.exc.DBAPIError), engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))  # handed out unchecked: the loss shows here
        assert _backend_pid(engine) > 0  # and the pool has replaced it for the next caller
    finally:
        engine.dispose()
