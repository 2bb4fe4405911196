import re

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


def test_migrations_apply_and_are_idempotent_on_both_backends(empty_database_url):
    engine = make_engine(empty_database_url)
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


def test_the_lists_of_open_payment_intents_read_an_index_not_the_table(engine):
    """Every payment ever made stays in ``payment_intents`` (a million more a night for a
    large book); the lists of the few still open — queued, claimed and unanswered, unsettled
    — must be answered from an index, never by reading the table through. Each list's own
    statement is captured as the repository sends it and explained by the database."""
    from datetime import UTC, datetime

    from thinfile.services.uow import UnitOfWork

    sent: list[tuple[str, object]] = []

    def keep(conn, cursor, statement, parameters, context, executemany):
        if "FROM payment_intents" in statement:
            sent.append((statement, parameters))

    sa.event.listen(engine, "before_cursor_execute", keep)
    try:
        with UnitOfWork(engine) as uow:
            uow.payment_intents.queued("ad:", limit=500)
            uow.payment_intents.unsettled(before=datetime.now(UTC), unsent_queue="ad:")
            uow.payment_intents.unanswered("ad:", limit=500)
    finally:
        sa.event.remove(engine, "before_cursor_execute", keep)
    assert len(sent) == 3
    postgres = engine.dialect.name == "postgresql"
    plans = []
    with engine.connect() as conn:
        if postgres:  # an empty table is cheaper to read through: ask what the indexes can do
            conn.exec_driver_sql("SET enable_seqscan = off")
        explain = "EXPLAIN " if postgres else "EXPLAIN QUERY PLAN "
        for statement, parameters in sent:
            rows = conn.exec_driver_sql(explain + statement, parameters)
            plans.append(" | ".join(" ".join(str(part) for part in row) for row in rows))
    for plan in plans:  # SQLite's "SCAN t USING INDEX i" reads the index alone
        assert "Seq Scan" not in plan and not re.search(r"SCAN payment_intents(?! USING)", plan)
    queued, unsettled, _ = plans
    assert "ix_payment_intents_open" in queued and "ix_payment_intents_open" in unsettled


def test_a_borrowers_messages_are_found_by_index_without_indexing_each_pending_delivery(engine):
    """Close of business writes a night's deliveries by the million, pending: none of them is
    indexed by borrower. The message centre (delivered in-app rows) reads a partial index of
    those rows alone, whatever plan PostgreSQL caches for the statement (its condition is
    written as literals), and the staff list of a borrower's messages reads the messages'
    index by borrower."""
    from thinfile.services.uow import UnitOfWork

    sent: list[tuple[str, object]] = []

    def keep(conn, cursor, statement, parameters, context, executemany):
        if "FROM notification_deliveries" in statement:
            sent.append((statement, parameters))

    sa.event.listen(engine, "before_cursor_execute", keep)
    try:
        with UnitOfWork(engine) as uow:
            uow.notifications.inbox("u" * 32, limit=20, offset=0)
            uow.notifications.unread("u" * 32)
            uow.notifications.page(limit=20, offset=0, user_id="u" * 32)
    finally:
        sa.event.remove(engine, "before_cursor_execute", keep)
    assert len(sent) == 3
    for statement, _ in sent[:2]:
        assert "channel = 'in_app' AND notification_deliveries.status = 'delivered'" in statement
    postgres = engine.dialect.name == "postgresql"
    plans = []
    with engine.connect() as conn:
        if postgres:
            conn.exec_driver_sql("SET enable_seqscan = off")
        explain = "EXPLAIN " if postgres else "EXPLAIN QUERY PLAN "
        for statement, parameters in sent:
            rows = conn.exec_driver_sql(explain + statement, parameters)
            plans.append(" | ".join(" ".join(str(part) for part in row) for row in rows))
        indexes = sa.inspect(conn).get_indexes("notification_deliveries")
    inbox, unread, staff = plans
    assert "ix_notification_deliveries_inbox" in inbox
    assert "ix_notification_deliveries_inbox" in unread
    assert "ix_notifications_user" in staff
    assert {i["name"] for i in indexes} == {
        "ix_notification_deliveries_due",
        "ix_notification_deliveries_inbox",
    }
