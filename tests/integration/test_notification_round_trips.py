"""What a gateway notification costs PostgreSQL: the statements one success sends, counted at
the driver (the benchmark in bench/notifications_bench.py measures their time). A new
statement on this path is a round trip for every repayment, so it should be a choice."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest
from sqlalchemy.engine import Engine

from tests.integration.test_payment_intents import (
    Book,
    _book,
    deliver,
    notification,
    pay,
)
from thinfile.adapters.sandbox_gateway_client import SandboxGatewayClient
from thinfile.security.crypto import PiiCipher


@pytest.fixture
def quiet_book(engine: Engine, cipher: PiiCipher, silent: SandboxGatewayClient) -> Book:
    return _book(engine, cipher, silent, "13700137300")


@pytest.mark.parametrize("backend", ["postgresql"])  # round trips are PostgreSQL's cost
def test_a_posted_notification_is_seven_statements_and_a_duplicate_two(
    quiet_book: Book, silent: SandboxGatewayClient, backend: str, monkeypatch: Any
) -> None:
    """Intent (locked), loan (locked, with the posting gate and the business date), installments,
    the posting's combined write, the borrower's message, the intent's row with the
    delivery and the audit chain's head, the audit row; a duplicate: the intent and the
    delivery.
    (BEGIN and COMMIT go besides.)"""
    intent = pay(quiet_book, silent, "100.00")
    report = silent.debit_status(intent.id)
    assert report
    body = notification(intent.id, report.gateway_txn_id, "succeeded", 10_000)
    sent: list[str] = []
    execute = psycopg.Cursor.execute

    def counted(self: psycopg.Cursor[Any], query: Any, *args: Any, **kwargs: Any) -> Any:
        sent.append(str(query).split(None, 1)[0].upper())
        return execute(self, query, *args, **kwargs)

    monkeypatch.setattr(psycopg.Cursor, "execute", counted)
    assert deliver(quiet_book, silent, body) == "posted"
    posted = list(sent)
    sent.clear()
    assert deliver(quiet_book, silent, body, seconds_ago=1) == "duplicate"
    assert len(posted) == 7, posted
    assert sent == ["SELECT", "INSERT"]
