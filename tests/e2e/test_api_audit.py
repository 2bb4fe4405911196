"""The audit log is append-only and hash-chained: any edit or deletion is detected."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError

from thinfile.cli.app import main
from thinfile.services.audit import CHAINS, chain_of, record_audit, verify_audit_chain
from thinfile.services.uow import UnitOfWork
from thinfile.store import make_engine


def _sql(url: str, *statements: str, bypass_guard: bool = False) -> None:
    """Run ``statements`` as someone with direct database access would."""
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            if bypass_guard and connection.dialect.name == "sqlite":
                connection.execute(sa.text("DROP TRIGGER audit_log_no_update"))
                connection.execute(sa.text("DROP TRIGGER audit_log_no_delete"))
            elif bypass_guard:
                connection.execute(sa.text("ALTER TABLE audit_log DISABLE TRIGGER USER"))
            for statement in statements:
                connection.execute(sa.text(statement))
    finally:
        engine.dispose()


def _report(api):
    return verify_audit_chain(api.app.state.context.engine)


def test_sign_ins_profile_views_and_consents_leave_an_intact_chain(api, world):
    report = _report(api)
    actions = _actions(api)
    assert report.is_intact and report.rows_checked == len(actions)
    assert {"auth.sign_in", "applicant.register", "consent.grant"} <= set(actions)


def _actions(api) -> list[str]:
    with api.app.state.context.engine.connect() as conn:
        return list(conn.execute(sa.text("SELECT action FROM audit_log ORDER BY seq")).scalars())


def test_a_failed_sign_in_is_audited_too(api, world):
    api.post("/v1/auth/sign-in", json={"email": world.alice.email, "password": "wrong-password"})
    assert _actions(api)[-1] == "auth.sign_in_failed"


def test_the_database_refuses_updates_and_deletes_of_audit_rows(api, api_settings, world):
    for statement in ("UPDATE audit_log SET actor = 'someone else'", "DELETE FROM audit_log"):
        with pytest.raises(DBAPIError):
            _sql(api_settings.database_url, statement)
    assert _report(api).is_intact


def _linked_pair(api) -> tuple[int, int]:
    """Two rows of one chain, the second right after the first (``seq`` of each)."""
    with UnitOfWork(api.app.state.context.engine) as uow:
        for _ in range(2):  # rows about one subject share a chain
            record_audit(uow, "system", "loan.note", "loan:audit-test", {"n": 1})
        pair = tuple(
            uow.conn.execute(
                sa.text(
                    "SELECT a.seq, b.seq FROM audit_log a JOIN audit_log b "
                    "ON b.chain = a.chain AND b.chain_seq = a.chain_seq + 1 "
                    "ORDER BY a.seq LIMIT 1"
                )
            ).one()
        )
        uow.commit()
    return pair


def test_an_edited_row_is_detected(api, api_settings, world):
    first, _ = _linked_pair(api)
    _sql(
        api_settings.database_url,
        f"UPDATE audit_log SET details = details || ' ' WHERE seq = {first}",
        bypass_guard=True,
    )
    report = _report(api)
    assert not report.is_intact
    assert any(f"row {first} was edited" in p for p in report.problems)


def test_an_edit_that_also_rewrites_the_rows_hash_breaks_the_next_link(api, api_settings, world):
    first, second = _linked_pair(api)
    _sql(
        api_settings.database_url,
        "UPDATE audit_log SET row_hash = CASE WHEN substr(row_hash, 1, 1) = 'f' THEN 'e' "
        f"ELSE 'f' END || substr(row_hash, 2) WHERE seq = {first}",
        bypass_guard=True,
    )
    problems = _report(api).problems
    assert any(f"row {second} does not link" in p for p in problems)


def test_a_deleted_row_in_the_middle_is_detected(api, api_settings, world):
    first, second = _linked_pair(api)
    _sql(api_settings.database_url, f"DELETE FROM audit_log WHERE seq = {first}", bypass_guard=True)
    problems = _report(api).problems
    assert any("missing" in p for p in problems) and any(
        f"row {second} does not link" in p for p in problems
    )


def test_deleting_the_newest_rows_is_detected_by_the_head(api, api_settings, world):
    _sql(
        api_settings.database_url,
        "DELETE FROM audit_log WHERE seq = (SELECT MAX(seq) FROM audit_log)",
        bypass_guard=True,
    )
    assert any("newest rows" in p for p in _report(api).problems)


def test_moving_a_row_to_another_chain_is_detected(api, api_settings, world):
    first, _ = _linked_pair(api)
    _sql(
        api_settings.database_url,
        f"UPDATE audit_log SET chain = chain % {CHAINS} + 1, chain_seq = 1000000 "
        f"WHERE seq = {first}",
        bypass_guard=True,
    )
    assert not _report(api).is_intact


def test_rows_spread_over_the_chains_and_one_subject_stays_in_one(api, world):
    with UnitOfWork(api.app.state.context.engine) as uow:
        entries = [
            record_audit(uow, "system", "loan.note", f"loan:{n % 40}", {"n": n}) for n in range(80)
        ]
        uow.commit()
    by_subject: dict[str, set[int]] = {}
    for entry in entries:
        by_subject.setdefault(entry.subject, set()).add(entry.chain)
        assert entry.chain == chain_of(entry.subject)
    assert all(len(chains) == 1 for chains in by_subject.values())
    assert len({entry.chain for entry in entries}) >= CHAINS // 2
    assert _report(api).is_intact


def test_record_audit_joins_the_callers_transaction(api, world):
    engine = api.app.state.context.engine
    before = _report(api).rows_checked
    with pytest.raises(RuntimeError), UnitOfWork(engine) as uow:
        record_audit(uow, "system", "payment.post", "loan:1", {"amount_fen": 100})
        raise RuntimeError("the payment failed after auditing it")
    with UnitOfWork(engine) as uow:
        record_audit(uow, "system", "payment.post", "loan:1", {"amount_fen": 100})
        uow.commit()
    report = _report(api)
    assert report.is_intact and report.rows_checked == before + 1


def test_the_audit_verify_command_exits_1_on_tampering(
    api, api_settings, world, monkeypatch, capsys
):
    monkeypatch.setenv("THINFILE_DATABASE_URL", api_settings.database_url)
    main(["audit", "verify"])
    assert "intact" in capsys.readouterr().out
    _sql(
        api_settings.database_url,
        "UPDATE audit_log SET actor = 'x' WHERE seq = (SELECT MIN(seq) FROM audit_log)",
        bypass_guard=True,
    )
    with pytest.raises(SystemExit) as exited:
        main(["audit", "verify"])
    assert exited.value.code == 1
    assert "was edited" in capsys.readouterr().err
