"""Someone who can write the database edits the books and covers their tracks: the verifiers
still catch it (audit log: keyed chains and heads saved outside the database; ledger: every
loan rebooked from its transactions)."""

from __future__ import annotations

import base64
from datetime import date

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from tests.integration.servicing_helpers import open_book
from thinfile.money import Money
from thinfile.services.audit import audit_heads, chain_of, record_audit, verify_audit_chain
from thinfile.services.cob import run_cob
from thinfile.services.ledger import verify_ledger
from thinfile.services.payments import post_payment
from thinfile.services.uow import UnitOfWork
from thinfile.settings import DEV_PII_KEY, Settings
from thinfile.store import make_engine, upgrade
from thinfile.store.audit_repo import row_hash

SUBJECT = "loan:7"


def _as_intruder(engine: Engine, *statements: tuple[str, dict[str, object]]) -> None:
    """Run ``statements`` with the append-only guard of ``audit_log`` switched off."""
    with engine.begin() as conn:
        if conn.dialect.name == "sqlite":
            conn.execute(sa.text("DROP TRIGGER IF EXISTS audit_log_no_update"))
            conn.execute(sa.text("DROP TRIGGER IF EXISTS audit_log_no_delete"))
        else:
            conn.execute(sa.text("ALTER TABLE audit_log DISABLE TRIGGER USER"))
        for sql, params in statements:
            conn.execute(sa.text(sql), params)


def _three_payments_audited(engine: Engine) -> None:
    with UnitOfWork(engine) as uow:
        for n in range(3):
            record_audit(uow, "staff:1", "payment.post", SUBJECT, {"amount_fen": 1000 + n})
        uow.commit()


def _rewrite_chain(engine: Engine, *, unkeyed: bool) -> None:
    """Raise the first payment's amount and recompute the chain's SHA-256 hashes and head."""
    chain = chain_of(SUBJECT)
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text("SELECT * FROM audit_log WHERE chain = :c ORDER BY chain_seq"), {"c": chain}
        ).all()
    statements = []
    prev = rows[0].prev_hash
    for k, row in enumerate(rows):
        details = '{"amount_fen":99000}' if k == 0 else row.details
        digest = row_hash(
            row.chain_seq, row.occurred_at, row.actor, row.action, row.subject, details, prev
        )
        set_key = ", key_id = NULL" if unkeyed else ""
        statements.append(
            (
                f"UPDATE audit_log SET details = :d, prev_hash = :p, row_hash = :h{set_key} "
                "WHERE seq = :s",
                {"d": details, "p": prev, "h": digest, "s": row.seq},
            )
        )
        prev = digest
    statements.append(
        ("UPDATE audit_head SET last_hash = :h WHERE id = :c", {"h": prev, "c": chain})
    )
    _as_intruder(engine, *statements)


def test_an_audit_row_edited_with_its_chain_rehashed_and_head_moved_is_caught(
    engine: Engine,
) -> None:
    _three_payments_audited(engine)
    assert verify_audit_chain(engine).is_intact
    _rewrite_chain(engine, unkeyed=False)
    problems = verify_audit_chain(engine).problems
    assert any("was edited" in p for p in problems), problems


def test_a_chain_rewritten_as_old_unkeyed_rows_is_caught(engine: Engine) -> None:
    _three_payments_audited(engine)
    _rewrite_chain(engine, unkeyed=True)
    problems = verify_audit_chain(engine).problems
    assert any("is unkeyed but chain" in p for p in problems), problems


def test_cutting_the_newest_row_and_moving_the_head_back_fails_against_saved_heads(
    engine: Engine,
) -> None:
    _three_payments_audited(engine)
    saved = audit_heads(engine)
    chain = chain_of(SUBJECT)
    with engine.connect() as conn:
        newest, before = conn.execute(
            sa.text(
                "SELECT seq, chain_seq, row_hash FROM audit_log WHERE chain = :c "
                "ORDER BY chain_seq DESC LIMIT 2"
            ),
            {"c": chain},
        ).all()
    _as_intruder(
        engine,
        ("DELETE FROM audit_log WHERE seq = :s", {"s": newest.seq}),
        (
            "UPDATE audit_head SET last_seq = :n, last_hash = :h WHERE id = :c",
            {"n": before.chain_seq, "h": before.row_hash, "c": chain},
        ),
    )
    assert verify_audit_chain(engine).is_intact  # nothing inside the database shows it …
    problems = verify_audit_chain(engine, against=saved).problems  # … the saved heads do
    assert list(problems) == [
        f"chain {chain} was cut back: it ends at position {before.chain_seq}, but a saved "
        f"head records position {newest.chain_seq}"
    ]


def test_a_saved_head_whose_row_was_replaced_is_no_longer_in_the_chain(engine: Engine) -> None:
    _three_payments_audited(engine)
    saved = audit_heads(engine)
    chain = chain_of(SUBJECT)
    _as_intruder(
        engine,
        (
            "UPDATE audit_log SET row_hash = :h WHERE chain = :c AND chain_seq = :n",
            {"h": "f" * 64, "c": chain, "n": saved[chain][0]},
        ),
        ("UPDATE audit_head SET last_hash = :h WHERE id = :c", {"h": "f" * 64, "c": chain}),
    )
    problems = verify_audit_chain(engine, against=saved).problems
    assert any(f"chain {chain}: the saved head" in p for p in problems), problems


def _a_small_book(engine: Engine) -> list[int]:
    ids = open_book(engine, 3)
    run_cob(engine, date(2025, 2, 3))
    post_payment(engine, ids[0], Money.of("900"), date(2025, 2, 4))
    run_cob(engine, date(2025, 2, 10))
    assert verify_ledger(engine).ok
    return ids


def test_interest_income_relabelled_as_fee_income_is_caught(engine: Engine) -> None:
    _a_small_book(engine)
    with engine.begin() as conn:
        line = conn.execute(
            sa.text(
                "SELECT id, entry_id FROM servicing_journal_lines "
                "WHERE account = 'interest_income' ORDER BY id LIMIT 1"
            )
        ).one()
        conn.execute(
            sa.text("UPDATE servicing_journal_lines SET account = 'fee_income' WHERE id = :i"),
            {"i": line.id},
        )
    problems = verify_ledger(engine).problems
    assert any(
        "journal_matches_postings" in p and str(line.entry_id) in p and "interest_income" in p
        for p in problems
    ), problems


def test_a_repayment_raised_after_booking_is_caught_naming_loan_and_entry(
    engine: Engine,
) -> None:
    ids = _a_small_book(engine)
    with engine.begin() as conn:
        txn = conn.execute(
            sa.text(
                "SELECT id FROM servicing_transactions WHERE kind = 'repayment' AND loan_id = :l"
            ),
            {"l": ids[0]},
        ).scalar_one()
        entry = conn.execute(
            sa.text("SELECT id FROM servicing_journal_entries WHERE txn_id = :t"), {"t": txn}
        ).scalar_one()
        conn.execute(
            sa.text("UPDATE servicing_transactions SET amount = amount + 50000 WHERE id = :t"),
            {"t": txn},
        )
    problems = verify_ledger(engine).problems
    assert any(f"loan {ids[0]}, transaction {txn}: entry {entry} books" in p for p in problems), (
        problems
    )


def test_audit_keys_rotate_and_rows_keep_the_key_that_sealed_them(database_url: str) -> None:
    old = Settings.model_validate({"database_url": database_url})
    rotated = Settings.model_validate(
        {
            "database_url": database_url,
            "pii_keys": {"dev": DEV_PII_KEY, "k2": base64.b64encode(b"k" * 32).decode()},
            "pii_active_key_id": "k2",
        }
    )
    retired_dropped = Settings.model_validate(
        {
            "database_url": database_url,
            "pii_keys": {"k2": base64.b64encode(b"k" * 32).decode()},
            "pii_active_key_id": "k2",
        }
    )
    engines = [make_engine(database_url, settings=s) for s in (old, rotated, retired_dropped)]
    try:
        upgrade(engines[0])
        for engine in engines[:2]:
            with UnitOfWork(engine) as uow:
                record_audit(uow, "system", "consent.grant", SUBJECT, {})
                uow.commit()
        with engines[0].connect() as conn:
            key_ids = conn.execute(sa.text("SELECT key_id FROM audit_log ORDER BY seq")).all()
        assert [k for (k,) in key_ids] == ["dev", "k2"]
        assert verify_audit_chain(engines[1]).is_intact
        problems = verify_audit_chain(engines[2]).problems
        assert any("sealed with key 'dev', which is not configured" in p for p in problems)
    finally:
        for engine in engines:
            engine.dispose()
