"""A database connection lost under a busy pool: reads and requests with an idempotency key
run once more and succeed, instead of answering 500 (PostgreSQL: SQLite has no pool)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.e2e.api_harness import (
    TestClient,
    accept,
    apply,
    build_app,
    make_borrower,
    quick_settings,
)
from tests.support.databases import POSTGRES_URL, fresh_database_url


@pytest.fixture
def tagged(tmp_path: Path) -> Iterator[tuple[TestClient, str]]:
    """A client whose pooled connections carry a name of their own, so the test can kill
    exactly them (and nobody else's) on the shared server."""
    name = f"thinfile-lost-{uuid.uuid4().hex[:12]}"
    for url in fresh_database_url("postgresql", tmp_path):
        with TestClient(
            build_app(quick_settings(f"{url}&application_name={name}"), tmp_path)
        ) as client:
            yield client, name


def _kill_connections(name: str) -> int:
    admin = sa.create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            return len(
                conn.execute(
                    sa.text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE application_name = :n AND state = 'idle'"
                    ),
                    {"n": name},
                ).all()
            )
    finally:
        admin.dispose()


def test_a_read_and_an_idempotent_payment_survive_a_lost_connection(
    tagged: tuple[TestClient, str],
) -> None:
    api, name = tagged
    alice = make_borrower(api)
    loan_id = accept(api, alice, apply(api, alice).json()["id"], 0).json()["loan_id"]
    assert api.get(f"/v1/loans/{loan_id}", headers=alice.headers).status_code == 200
    assert _kill_connections(name) >= 1  # the pool's idle connections are dead now
    read = api.get(f"/v1/loans/{loan_id}", headers=alice.headers)
    assert read.status_code == 200, read.text
    assert _kill_connections(name) >= 1
    paid = api.post(
        f"/v1/loans/{loan_id}/payments",
        headers={**alice.headers, "Idempotency-Key": "lost-connection-pay-1"},
        json={"amount": "100.00"},
    )
    assert paid.status_code == 201, paid.text
    with api.app.state.context.engine.connect() as conn:  # type: ignore[attr-defined]
        posted = conn.execute(
            sa.text("SELECT count(*) FROM servicing_transactions WHERE kind = 'repayment'")
        ).scalar_one()
    assert posted == 1
