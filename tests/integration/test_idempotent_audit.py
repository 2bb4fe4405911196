"""An audited request under an idempotency key stores its response and appends its audit row
once; on PostgreSQL the key's insert also takes the audit chain's head (one round trip fewer),
and only after the key is kept, so requests racing on one key neither deadlock nor leave a
gap in the chain."""

from __future__ import annotations

import threading
from typing import Any

import psycopg
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from thinfile.services.audit import AuditDraft, chain_of, verify_audit_chain
from thinfile.services.idempotency import IdempotencyClaim, run_once
from thinfile.services.uow import UnitOfWork


def _audit_rows(engine: Engine, subject: str) -> list[tuple[int, int]]:
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text("SELECT chain, chain_seq FROM audit_log WHERE subject = :s ORDER BY seq"),
            {"s": subject},
        )
        return [(int(c), int(n)) for c, n in rows]


def _head(engine: Engine, chain: int) -> int:
    with engine.connect() as conn:
        return int(
            conn.execute(
                sa.text("SELECT last_seq FROM audit_head WHERE id = :c"), {"c": chain}
            ).scalar_one()
        )


def _work(subject: str, calls: list[str]) -> Any:
    def work(uow: UnitOfWork) -> tuple[str, AuditDraft]:
        calls.append(subject)
        return subject, AuditDraft("tester", "test.act", subject, {"n": len(calls)})

    return work


def test_a_keyed_audited_request_appends_one_row_and_a_replay_none(engine: Engine) -> None:
    subject = "application:keyed-1"
    claim = IdempotencyClaim("tester:/v1/test", "key-1", "f" * 64)
    chain = chain_of(subject)
    before = _head(engine, chain)
    calls: list[str] = []
    first = run_once(engine, claim, _work(subject, calls), render=lambda r: f'"{r}"')
    again = run_once(engine, claim, _work(subject, calls), render=lambda r: f'"{r}"')
    assert (first.replayed, again.replayed) == (False, True)
    assert again.body == first.body == f'"{subject}"'
    assert len(calls) == 2  # the work ran again, but the second unit rolled back
    assert _audit_rows(engine, subject) == [(chain, before + 1)]
    assert _head(engine, chain) == before + 1  # the replay's head advance was rolled back
    assert verify_audit_chain(engine).is_intact


def test_another_body_under_the_same_key_is_refused_and_appends_nothing(engine: Engine) -> None:
    subject = "application:keyed-2"
    calls: list[str] = []
    run_once(engine, IdempotencyClaim("s", "k", "a" * 64), _work(subject, calls), render=str)
    with pytest.raises(Exception, match=r"(?i)idempotency|key"):
        run_once(engine, IdempotencyClaim("s", "k", "b" * 64), _work(subject, calls), render=str)
    assert len(_audit_rows(engine, subject)) == 1
    assert verify_audit_chain(engine).is_intact


@pytest.mark.parametrize("backend", ["postgresql"])  # round trips are PostgreSQL's cost
def test_the_key_and_the_audit_head_are_one_statement(
    engine: Engine, backend: str, monkeypatch: Any
) -> None:
    sent: list[str] = []
    execute = psycopg.Cursor.execute

    def counted(self: psycopg.Cursor[Any], query: Any, *args: Any, **kwargs: Any) -> Any:
        sent.append(" ".join(str(query).split()))
        return execute(self, query, *args, **kwargs)

    monkeypatch.setattr(psycopg.Cursor, "execute", counted)
    run_once(engine, IdempotencyClaim("s", "one", "c" * 64), _work("loan:7", []), render=str)
    keys = [s for s in sent if "idempotency_keys" in s]
    heads = [s for s in sent if "SET last_seq = last_seq + 1" in s]  # a head taken
    assert len(keys) == 1 and heads == keys, sent  # the head came with the key
    assert sum("INSERT INTO audit_log" in s for s in sent) == 1, sent
    assert len(sent) == 2, sent


@pytest.mark.parametrize("backend", ["postgresql"])  # SQLite has one writer at a time
def test_sixteen_requests_racing_on_one_key_append_one_row(engine: Engine, backend: str) -> None:
    """Each waits on the first one's key, holding no chain head meanwhile: the first commits,
    the others replay its response; one audit row, no deadlock, no gap in the chain."""
    subject = "application:raced"
    claim = IdempotencyClaim("racer", "same-key", "d" * 64)
    chain = chain_of(subject)
    before = _head(engine, chain)
    ready = threading.Barrier(16)
    answers: list[Any] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            ready.wait(timeout=20)
            answers.append(run_once(engine, claim, _work(subject, []), render=str))
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=run) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    assert sorted(a.replayed for a in answers) == [False] + [True] * 15
    assert _audit_rows(engine, subject) == [(chain, before + 1)]
    assert _head(engine, chain) == before + 1
    assert verify_audit_chain(engine).is_intact
