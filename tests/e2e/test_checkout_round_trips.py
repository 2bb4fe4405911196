"""What a checkout costs PostgreSQL: the statements a merchant's create, the borrower's plans and
the confirmation send, counted at the driver (bench/checkout_bench.py measures their time). Each
is a round trip on every order at the till, so a new one should be a choice: a session is read
once per request, its captures and refunds only once something was captured, and a row written
is read back in the statement that writes it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from tests.e2e.api_harness import TestClient, World, context_of
from tests.e2e.test_api_checkout import confirm, create, read_for, shop


def named(query: str) -> str:
    """A statement as its verb and first table: ``SELECT checkout_sessions``."""
    verb = query.split(None, 1)[0].upper() if query.strip() else ""
    found = re.search(r"\b(?:FROM|INTO|UPDATE)\s+([a-z_]+)", query, re.IGNORECASE)
    return f"{verb} {found.group(1)}" if found and verb != "WITH" else verb


@contextmanager
def counted(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Each statement psycopg sends, named by :func:`named` (BEGIN and COMMIT included)."""
    sent: list[str] = []
    execute = psycopg.Cursor.execute

    def count(self: psycopg.Cursor[Any], query: Any, *args: Any, **kwargs: Any) -> Any:
        sent.append(named(str(query)))
        return execute(self, query, *args, **kwargs)

    with monkeypatch.context() as patch:
        patch.setattr(psycopg.Cursor, "execute", count)
        yield sent


def work(sent: list[str]) -> list[str]:
    """The statements besides BEGIN, COMMIT and ROLLBACK."""
    return [s for s in sent if s.split()[0].upper() not in ("BEGIN", "COMMIT", "ROLLBACK")]


def mentions(sent: list[str], what: str) -> int:
    return sum(what in s for s in sent)


@contextmanager
def through_sqlalchemy(engine: Engine) -> Iterator[list[str]]:
    """The statements that went through SQLAlchemy's execution path (not the driver's)."""
    seen: list[str] = []

    def note(*args: Any) -> None:
        seen.append(named(str(args[2])))

    sa.event.listen(engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        sa.event.remove(engine, "before_cursor_execute", note)


@pytest.mark.parametrize("backend", ["postgresql"])  # round trips are PostgreSQL's cost
def test_a_checkout_reads_each_thing_once(
    api: TestClient, world: World, backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    merchant = shop(api, world.admin)
    with counted(monkeypatch) as sent:
        made = create(api, merchant)
    assert made.status_code == 201, made.text
    session = made.json()["id"]
    created = work(sent)
    # the key's holder, the holder's merchant, the merchant, its latest contract version, the
    # contract with its terms, the order id's uniqueness, the session (written and read back in
    # one), the idempotency key, the audit head and row (the lines go in one executemany)
    assert len(created) <= 10, created
    assert mentions(created, "checkout_captures") == 0, created
    assert mentions(created, "checkout_refunds") == 0, created

    with counted(monkeypatch) as sent, through_sqlalchemy(context_of(api).engine) as slow:
        shown = api.get(f"/v1/me/checkout/{session}/plans", headers=world.alice.headers)
    assert shown.status_code == 200, shown.text
    assert len(shown.json()["plans"]) == 3
    plans = work(sent)
    assert sent.count("BEGIN") <= 2, sent  # the token's check and one unit of work
    assert mentions(plans, "SELECT checkout_sessions") == 1, plans  # read, then claimed
    # the contract with its terms once (not per term), and the latest version for campaigns
    assert mentions(plans, "SELECT merchant_contract") == 2, plans
    assert mentions(plans, "servicing_cob_runs") == 1, plans  # the business date, once
    assert mentions(plans, "checkout_captures") == 0, plans
    # the token, the session (read; claimed and read back), its lines, the contract with its
    # terms, the business date, the merchant and its latest version (for the campaigns), the
    # campaigns, the borrower's coupons
    assert len(plans) <= 10, plans
    # the session's, the merchant's and the promotions' statements are prepared once and run
    # on the driver
    hot = ("checkout_", "merchant", "campaigns", "borrower_coupons")
    assert not [n for n in slow if n.split()[-1].startswith(hot)], slow

    read_for(api, session)
    with counted(monkeypatch) as sent, through_sqlalchemy(context_of(api).engine) as slow:
        done = confirm(api, world.alice, session)
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "authorized", done.json()
    assert [line["sku"] for line in done.json()["lines"]] == ["EB-48V", "HELMET-1"]
    confirmed = work(sent)
    assert mentions(confirmed, "SELECT checkout_sessions") == 1, confirmed  # locked once
    assert mentions(confirmed, "SELECT checkout_lines") == 1, confirmed
    assert mentions(confirmed, "checkout_captures") == 0, confirmed
    assert mentions(confirmed, "checkout_refunds") == 0, confirmed
    assert mentions(confirmed, "SELECT merchant_webhook_endpoints") == 0, (
        confirmed
    )  # with merchants
    assert len(confirmed) <= 24, confirmed
    assert "INSERT servicing_credit_lines" in slow, slow  # (some still go through SQLAlchemy)
    assert not [n for n in slow if n.split()[-1].startswith(hot)], slow
