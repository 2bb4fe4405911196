"""Hot statements give the same rows, errors and transactions as SQLAlchemy, on both stores."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from tests.support.databases import POSTGRES_URL, require_postgres
from thinfile.services.applications import _ALT_SCOPE, _CREDIT_SCOPE
from thinfile.store import (
    applications_repo,
    audit_repo,
    cob_statements,
    disputes_repo,
    idempotency_repo,
    make_engine,
    servicing_repo,
)
from thinfile.store.decisioning_tables import applications
from thinfile.store.hot import Hot
from thinfile.store.identity_tables import idempotency_keys

_ROW = {
    "scope": "u1:POST:/v1/x",
    "key": "key-0001",
    "request_hash": "h1",
    "status_code": 201,
    "response_body": '{"ok":true}',
    "created_at": datetime(2026, 11, 25, 8, 0, tzinfo=UTC),
}
_INSERT = Hot(sa.insert(idempotency_keys))
_BY_KEY = Hot(
    sa.select(
        idempotency_keys.c.key, idempotency_keys.c.status_code, idempotency_keys.c.created_at
    ).where(idempotency_keys.c.key == sa.bindparam("k", type_=sa.String))
)


def test_rows_come_back_as_sqlalchemy_returns_them(engine):
    with engine.begin() as conn:
        _INSERT.run(conn, _ROW)
        assert _BY_KEY.first(conn, {"k": "missing"}) is None
        row = _BY_KEY.one(conn, {"k": "key-0001"})
        expected = conn.execute(_BY_KEY.statement, {"k": "key-0001"}).one()
    assert (row.key, row.status_code) == ("key-0001", 201)
    assert row.created_at == expected.created_at
    with engine.connect() as conn, pytest.raises(sa.exc.NoResultFound):
        _BY_KEY.one(conn, {"k": "missing"})


def test_a_hot_statement_is_part_of_the_callers_transaction(engine):
    with engine.connect() as conn:
        with conn.begin() as transaction:
            _INSERT.run(conn, _ROW)
            transaction.rollback()
        assert _BY_KEY.first(conn, {"k": "key-0001"}) is None


def test_a_driver_error_is_sqlalchemys_error_and_the_transaction_rolls_back(engine):
    with engine.begin() as conn:
        _INSERT.run(conn, _ROW)
    with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:
        _INSERT.run(conn, {**_ROW, "request_hash": "h2"})
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(idempotency_keys)).scalar() == 1


def test_statements_after_a_driver_error_run_in_a_fresh_transaction(engine):
    """The cursor a connection keeps for its hot statements survives an error: the next
    transaction on the connection runs on it as before."""
    with engine.connect() as conn:
        with conn.begin():
            _INSERT.run(conn, _ROW)
        with pytest.raises(sa.exc.IntegrityError), conn.begin():
            _INSERT.run(conn, _ROW)
        with conn.begin():
            assert _BY_KEY.one(conn, {"k": "key-0001"}).status_code == 201
            assert _BY_KEY.first(conn, {"k": "missing"}) is None


def test_an_expanding_parameter_still_runs_through_sqlalchemy(engine):
    expanding = Hot(
        sa.select(idempotency_keys.c.key).where(
            idempotency_keys.c.key.in_(sa.bindparam("keys", expanding=True))
        )
    )
    with engine.begin() as conn:
        _INSERT.run(conn, _ROW)
        assert expanding.one(conn, {"keys": ["key-0001", "other"]}).key == "key-0001"


@pytest.mark.parametrize(
    ("hot", "names"),
    [
        (
            applications_repo._facts(True, _CREDIT_SCOPE, _ALT_SCOPE),
            {"applicant_id", "since_30d", "since_1d", "device"},
        ),
        (applications_repo._INSERT, {c.name for c in applications.c}),
        (idempotency_repo._KEEP["postgresql"], set(_ROW)),
        (idempotency_repo._LOOKUP, {"k_scope", "k_key"}),
        (
            audit_repo._APPEND_PG,
            {"chain", "tail", "occurred_at", "actor", "action", "subject", "details"},
        ),
        (cob_statements._LAST_CLOSED, set()),
        (servicing_repo._HOT_POSTING, {"loan_id", "day", "key"}),
        (servicing_repo._HOT_LOADS[True], {"loan_id"}),
        (servicing_repo._INSTALLMENTS, {"loan_id"}),
        (applications_repo._OWNER_OF["loan_id"], {"value"}),
        (disputes_repo._HELD_OF_LOAN, {"loan_id"}),
    ],
    ids=[
        "facts",
        "application",
        "key",
        "key-lookup",
        "audit-append",
        "business-date",
        "posting-lock",
        "loan",
        "installments",
        "loan-owner",
        "loan-disputes",
    ],
)
def test_every_submission_and_payment_statement_takes_the_driver_path_on_postgresql(hot, names):
    """A type that needs SQLAlchemy's conversions would quietly send a statement back through
    SQLAlchemy; the statements every submission and payment runs must not."""
    dialect = postgresql.psycopg.dialect()
    assert hot._plan(dialect, dict.fromkeys(names)) is not None


def test_a_connection_lost_under_a_hot_statement_is_invalidated_and_replaced():
    """The driver's error for a dropped connection reaches the caller as SQLAlchemy's, and the
    pool does not hand the dead connection out again."""
    require_postgres()
    engine = make_engine(POSTGRES_URL, pool_size=1)
    select_one = Hot(sa.select(sa.literal(1, type_=sa.Integer).label("one")))
    assert select_one._plan(engine.dialect, {}) is not None  # the driver's path
    try:
        with engine.connect() as conn:
            pid = int(conn.execute(sa.text("SELECT pg_backend_pid()")).scalar_one())
            admin = sa.create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
            with admin.connect() as other:
                other.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            admin.dispose()
            with pytest.raises(sa.exc.DBAPIError) as lost:
                select_one.first(conn, {})
            assert lost.value.connection_invalidated
        with engine.connect() as conn:
            assert select_one.one(conn, {}).one == 1
            assert int(conn.execute(sa.text("SELECT pg_backend_pid()")).scalar_one()) != pid
    finally:
        engine.dispose()
