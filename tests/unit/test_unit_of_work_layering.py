"""One way to open a transaction, owned by the services; services speak to repositories.

The unit of work (``thinfile.services.uow.UnitOfWork``) is the only way a transaction is opened,
and only ``thinfile.services`` opens one: the API, the pages, the command line and every other
package parse, call a service and render. Services reach the database through the
repositories ``thinfile.store`` binds to the unit of work, never through the tables or SQL of
their own. These tests read the source, so a new module is held to the rule the day it lands.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src" / "thinfile"

OPENS_A_TRANSACTION = re.compile(
    r"\.begin\(|\.begin_nested\(|\bUnitOfWork\(|\.connect\(\)|\bsessionmaker\b|\bSession\("
)
"""Ways to open a transaction (or a connection that begins one) in SQLAlchemy and thinfile."""

REACHES_PAST_REPOSITORIES = re.compile(
    r"from thinfile\.store\.\w+_tables import|from thinfile\.store import [^\n]*_tables"
    r"|\bsa\.(select|insert|update|delete|text|func|and_|or_|exists)\b"
    r"|from sqlalchemy import|import sqlalchemy as|from sqlalchemy\.(sql|orm|dialects)"
)
"""A table, a statement or SQL text: what belongs in a repository in ``thinfile.store``."""


def _modules(*, inside: str | None = None, outside: tuple[str, ...] = ()) -> list[Path]:
    root = SRC / inside if inside else SRC
    return sorted(
        p for p in root.rglob("*.py") if not any(p.is_relative_to(SRC / o) for o in outside)
    )


def _offending_lines(path: Path, pattern: re.Pattern[str]) -> list[str]:
    text = path.read_text(encoding="utf-8")
    return [
        f"{path.relative_to(SRC.parent)}:{n}: {line.strip()}"
        for n, line in enumerate(text.splitlines(), start=1)
        if pattern.search(line)
    ]


@pytest.mark.parametrize(
    "path", _modules(outside=("services", "store")), ids=lambda p: str(p.relative_to(SRC))
)
def test_nothing_but_the_services_opens_a_transaction(path: Path) -> None:
    assert _offending_lines(path, OPENS_A_TRANSACTION) == [], (
        "open transactions only in thinfile.services, with UnitOfWork; call a service instead"
    )


@pytest.mark.parametrize(
    "path",
    _modules(inside="services", outside=("services/uow.py",)),
    ids=lambda p: str(p.relative_to(SRC)),
)
def test_services_speak_to_repositories_not_to_tables(path: Path) -> None:
    assert _offending_lines(path, REACHES_PAST_REPOSITORIES) == [], (
        "put the statement in a repository in thinfile.store and call it through the unit of "
        "work (uow.<repository>)"
    )


def test_the_services_open_transactions_only_through_the_unit_of_work() -> None:
    raw = re.compile(r"\.begin\(|\.begin_nested\(|\.connect\(\)|\bsessionmaker\b|\bSession\(")
    found = [
        line
        for path in _modules(inside="services", outside=("services/uow.py",))
        for line in _offending_lines(path, raw)
    ]
    assert found == []


def test_the_patterns_catch_what_they_are_meant_to() -> None:
    for line in (
        "with engine.begin() as conn:",
        "with UnitOfWork(engine) as uow:",
        "with context.sessions.begin() as session:",
        "with engine.connect() as c:",
        "sessions = sessionmaker(engine)",
    ):
        assert OPENS_A_TRANSACTION.search(line), line
    for line in (
        "from thinfile.store.servicing_tables import loans",
        "rows = conn.execute(sa.select(loans)).all()",
        "import sqlalchemy as sa",
        "conn.execute(sa.text('SELECT 1'))",
    ):
        assert REACHES_PAST_REPOSITORIES.search(line), line
    for line in (
        "from sqlalchemy.engine import Engine",
        "with UnitOfWork(engine) as uow:",
        "from sqlalchemy.exc import IntegrityError",
        "uow.loans.get(loan_id)",
    ):
        assert not REACHES_PAST_REPOSITORIES.search(line), line
