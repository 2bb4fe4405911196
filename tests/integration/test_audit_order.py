"""Rows of one transaction that fall on several audit chains are appended in chain order, so
two transactions writing to the same two chains lock their heads in the same order: on
PostgreSQL two such transactions, in opposite orders, deadlocked (a checkout confirmation
appends its application's decision and the checkout's authorization)."""

from __future__ import annotations

import threading

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from thinfile.services.audit import AuditDraft, chain_of, verify_audit_chain
from thinfile.services.uow import UnitOfWork


def _two_subjects() -> tuple[str, str]:
    """A subject on a higher chain and one on a lower chain."""
    subjects = [f"application:{n}" for n in range(64)]
    high = max(subjects, key=chain_of)
    low = min(subjects, key=chain_of)
    assert chain_of(high) > chain_of(low)
    return high, low


def _chains_in_order(engine: Engine) -> list[tuple[int, str]]:
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT chain, subject FROM audit_log ORDER BY seq"))
        return [(int(c), str(s)) for c, s in rows]


def test_a_row_and_its_others_are_appended_by_chain_number(engine: Engine) -> None:
    high, low = _two_subjects()
    confirmation = AuditDraft("u1", "checkout.authorize", high)
    decision = AuditDraft("u1", "application.decide", low)
    with UnitOfWork(engine) as uow:
        entry = confirmation.along_with(decision).append(uow)
        uow.commit()
    assert entry.subject == high and entry.chain == chain_of(high)
    assert _chains_in_order(engine) == [(chain_of(low), low), (chain_of(high), high)]
    assert verify_audit_chain(engine).is_intact


def test_two_transactions_on_the_same_two_chains_in_opposite_orders_both_commit(
    engine: Engine,
) -> None:
    """Each holds its first row's chain head while the other waits: without the order, one
    transaction waits for the other's second head while holding the first (PostgreSQL
    reports a deadlock and fails one)."""
    high, low = _two_subjects()
    first = AuditDraft("u1", "checkout.authorize", high).along_with(AuditDraft("u1", "a", low))
    second = AuditDraft("u2", "checkout.authorize", low).along_with(AuditDraft("u2", "b", high))
    errors: list[BaseException] = []
    ready = threading.Barrier(2)

    def run(draft: AuditDraft) -> None:
        try:
            ready.wait(timeout=10)  # both start together (SQLite then takes them in turn)
            with UnitOfWork(engine) as uow:
                draft.append(uow)
                uow.commit()
        except BaseException as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=run, args=(d,)) for d in (first, second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert not errors
    assert len(_chains_in_order(engine)) == 4
    assert verify_audit_chain(engine).is_intact
