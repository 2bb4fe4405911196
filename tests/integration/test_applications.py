"""Applying for credit end to end through the services, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import os
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from tests.support.decisioning import DECIDED_ON, ChosenPD, application, id_number
from thinfile.adapters import SandboxRealNameVerifier
from thinfile.decisioning import PolicyBook, load_policy
from thinfile.errors import ConflictError, InvalidInputError, NotFoundError, ThinfileError
from thinfile.security.crypto import PiiCipher
from thinfile.security.passwords import PasswordHasher
from thinfile.security.roles import Role
from thinfile.services import applicants, application_reviews, identity, real_name
from thinfile.services import applications as apps
from thinfile.services.identity_records import Actor
from thinfile.services.ownership import owners_of
from thinfile.services.policies import DecisionRuntime, ensure_default_policy, register_model
from thinfile.services.reasons import REVIEW_NOTE_MAX_CHARS
from thinfile.store import applications_repo
from thinfile.store.decisioning_tables import applications

STAFF = Actor("staff-1", Role.UNDERWRITER)
INTRUDER = Actor("intruder", Role.BORROWER)


@pytest.fixture
def world(engine):
    cipher = PiiCipher({"k1": os.urandom(32)}, active_key_id="k1", lookup_key=b"L" * 32)
    hasher = PasswordHasher(time_cost=1, memory_kib=8)
    user = identity.create_user(engine, hasher, email="rider@example.com", password="pw-123456!")
    actor = Actor(user.id, Role.BORROWER)
    profile = applicants.register_applicant(
        engine, cipher, actor=actor, name="王小明", id_number=id_number(), phone="13800138000"
    )
    real_name.verify_real_name(
        engine, cipher, SandboxRealNameVerifier(), applicant_id=profile.id, actor=actor
    )
    ensure_default_policy(engine, actor=STAFF)
    return engine, cipher, actor, profile.id


def form(**overrides):
    data = application(**overrides)
    for field in ("name", "id_number", "phone", "applicant_id"):
        data.pop(field, None)
    return data


def runtime(pd=0.01):
    policy = load_policy()
    return DecisionRuntime(PolicyBook(policy), ChosenPD(pd), ("test",))


def submit(world, rt=None, **fields):
    """The world's applicant applies with the standard form (``fields`` changed)."""
    db, cipher, actor, applicant_id = world
    return apps.apply_for_credit(
        db,
        cipher,
        rt or runtime(),
        actor=actor,
        applicant_id=applicant_id,
        form={**form(), **fields},
        on=DECIDED_ON,
        consents_recorded=False,
    )


def accept(world, record, *, offer=0, seconds_read=12, confirmed=True, actor=None):
    db, _cipher, owner, _applicant_id = world
    return apps.accept_offer(
        db,
        record.id,
        actor=actor or owner,
        offer=offer,
        seconds_read=seconds_read,
        confirmed=confirmed,
        on=DECIDED_ON,
    )


def loans_written(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(sa.text("SELECT count(*) FROM servicing_loans")).scalar_one())


def test_an_approved_application_is_stored_with_its_decision_and_no_plaintext_pii(world, engine):
    db, cipher, *_ = world
    record = submit(world)
    assert record.status == "approved" and record.decision["offers"]
    with engine.connect() as conn:
        raw = json.dumps(
            [list(r) for r in conn.execute(sa.text("SELECT * FROM applications"))],
            default=str,
            ensure_ascii=False,
        )
    assert id_number() not in raw and "13800138000" not in raw and "王小明" not in raw
    opened: dict[str, Any] = apps.get_application(db, cipher, record.id, reveal=True).decision
    assert opened["inputs"]["application"]["id_number"] == id_number()
    masked: dict[str, Any] = apps.get_application(db, cipher, record.id, reveal=False).decision
    assert masked["inputs"]["application"]["phone"] != "13800138000"


def test_a_stored_decision_replays_identically(world):
    db, cipher, *_ = world
    rt = runtime(0.04)
    record = submit(world, rt)
    result = application_reviews.replay_application(db, cipher, rt, record.id, actor=STAFF)
    assert result["identical"] is True and result["replayed_outcome"] == record.outcome


def test_velocity_counts_earlier_applications_of_the_same_person(world):
    db, _cipher, actor, _applicant_id = world
    rt = runtime()
    outcomes = [submit(world, rt).status for _ in range(5)]
    assert outcomes == ["approved"] * 4 + ["declined"]
    last: dict[str, Any] = apps.list_applications(db, user_id=actor.user_id, limit=1)[0].decision
    assert "KO_VELOCITY_ID" in last["reason_codes"]


def test_a_deny_listed_phone_is_knocked_out(world):
    db, cipher, *_ = world
    application_reviews.add_to_deny_list(
        db, cipher, kind="phone", value="138 0013 8000", reason="fraud", actor=STAFF
    )
    record = submit(world)
    assert record.status == "declined"
    declined: dict[str, Any] = record.decision
    assert "KO_DENY_LIST" in declined["reason_codes"]


@pytest.mark.parametrize(
    ("note", "kept"),
    [
        pytest.param("", None, id="empty"),
        pytest.param("   ", None, id="spaces only"),
        pytest.param("x" * (REVIEW_NOTE_MAX_CHARS + 1), None, id="too long"),
        pytest.param("  income verified  ", "income verified", id="stripped"),
        pytest.param("x" * REVIEW_NOTE_MAX_CHARS, "x" * REVIEW_NOTE_MAX_CHARS, id="longest"),
    ],
)
def test_a_review_needs_a_note_for_the_file(world, note, kept):
    """Approving or declining a referral records a note of 1 to 500 characters (stripped);
    a refused note leaves the application waiting in the queue."""
    db, *_ = world
    record = submit(world, runtime(0.10))
    if kept is None:
        with pytest.raises(InvalidInputError) as err:
            application_reviews.review_referral(
                db, record.id, actor=STAFF, approve=False, note=note
            )
        assert err.value.field == "note"
        assert [r.id for r in apps.list_applications(db, status="referred")] == [record.id]
        return
    reviewed = application_reviews.review_referral(
        db, record.id, actor=STAFF, approve=False, note=note
    )
    assert reviewed.status == "declined" and reviewed.review_note == kept


def test_a_referral_is_reviewed_once(world):
    db, *_ = world
    record = submit(world, runtime(0.10))
    assert record.status == "referred"
    queue = apps.list_applications(db, status="referred")
    assert [r.id for r in queue] == [record.id]
    reviewed = application_reviews.review_referral(
        db, record.id, actor=STAFF, approve=True, note="ok"
    )
    assert reviewed.status == "approved"
    with pytest.raises(ConflictError):
        application_reviews.review_referral(db, record.id, actor=STAFF, approve=False, note="again")


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        pytest.param({"phone": "1"}, "phone", id="identity field overridden by the form"),
        pytest.param({"requested_amount": "-5"}, None, id="bad form field"),
    ],
)
def test_a_refused_form_writes_nothing(world, fields, field):
    db, *_ = world
    with pytest.raises(InvalidInputError) as err:
        submit(world, **fields)
    assert err.value.field == field
    assert apps.list_applications(db) == []


def test_model_registry_activates_the_first_model(world, tmp_path):
    db, *_ = world
    register_model(db, "m1", tmp_path, actor=STAFF)
    register_model(db, "m2", tmp_path, actor=STAFF)
    with db.connect() as conn:
        rows = conn.execute(
            sa.text("SELECT version, status FROM model_versions ORDER BY version")
        ).all()
    assert [tuple(r) for r in rows] == [("m1", "active"), ("m2", "candidate")]


def test_the_runtime_follows_the_registry_and_its_challenger(world, tmp_path):
    import shutil

    from thinfile.decisioning.policy import DEFAULT_POLICY_DIR
    from thinfile.services.policies import (
        decision_runtime,
        list_policies,
        register_policy,
        set_challenger,
    )

    db, *_ = world
    register_model(db, "m1", tmp_path, actor=STAFF)
    first = decision_runtime(db, lambda _path: ChosenPD())
    assert first.book.challenger is None
    folder = tmp_path / "challenger"
    shutil.copytree(DEFAULT_POLICY_DIR, folder)
    settings = json.loads((folder / "policy.json").read_text())
    settings["max_offers"] = 1
    (folder / "policy.json").write_text(json.dumps(settings))
    candidate = load_policy(folder)
    register_policy(db, candidate, actor=STAFF)
    set_challenger(db, candidate.version, "0.25", actor=STAFF)
    second = decision_runtime(db, lambda _path: ChosenPD())
    assert second.book.challenger is not None
    assert second.book.challenger.version == candidate.version
    assert second.book.share == Decimal("0.25")
    assert {p.status for p in list_policies(db)} == {"active", "challenger"}
    for share in ("1.5", "150%", "NaN", "Infinity", "1e-1", "-0.1"):
        with pytest.raises(InvalidInputError) as err:
            set_challenger(db, candidate.version, share, actor=STAFF)
        assert err.value.field == "share"
    assert decision_runtime(db, lambda _path: ChosenPD()).book.share == Decimal("0.25")


def test_accepting_an_offer_opens_and_disburses_the_loan_in_one_transaction(world, engine):
    from thinfile.services.loans import get_loan

    _db, _cipher, actor, _applicant_id = world
    record = submit(world)
    accepted = accept(world, record)
    view = get_loan(engine, accepted.loan_id)
    decision: dict[str, Any] = record.decision
    offer = decision["offers"][0]
    assert view.account.principal == int(Decimal(offer["amount"]) * 100)
    assert apps.loans_of_user(engine, actor.user_id) == [(record.id, accepted.loan_id)]
    assert owners_of(engine, [(apps.owner_of_loan, str(accepted.loan_id))]) == [actor.user_id]
    with pytest.raises(ConflictError):
        accept(world, record)


@pytest.mark.parametrize(
    ("changes", "error", "field"),
    [
        pytest.param({"seconds_read": 2}, InvalidInputError, "seconds_read", id="read too briefly"),
        pytest.param({"confirmed": False}, InvalidInputError, "confirm", id="not confirmed"),
        pytest.param(
            {"actor": INTRUDER, "seconds_read": 30}, NotFoundError, "application_id", id="not mine"
        ),
    ],
)
def test_a_refused_acceptance_writes_nothing(world, engine, changes, error, field):
    record = submit(world)
    with pytest.raises(error) as err:
        accept(world, record, **changes)
    assert isinstance(err.value, ThinfileError) and err.value.field == field
    assert loans_written(engine) == 0


def test_a_revolving_line_offer_opens_the_line_and_draws_on_it(world, engine):
    from thinfile.services.credit_lines import get_line

    record = submit(world)
    offers: list[dict[str, Any]] = dict[str, Any](record.decision)["offers"]
    index = next(i for i, o in enumerate(offers) if o["product"] == "revolving_line")
    accepted = accept(world, record, offer=index, seconds_read=15)
    assert accepted.credit_line_id is not None
    line = get_line(engine, accepted.credit_line_id)
    offer = offers[index]
    assert line.line.limit.fen == int(Decimal(offer["credit_limit"]) * 100)
    assert line.outstanding_principal == int(Decimal(offer["amount"]) * 100)


def test_a_payoff_quote_outside_the_loans_life_is_a_typed_error(world, engine):
    from thinfile.services.loans import quote_payoff

    loan = accept(world, submit(world)).loan_id
    assert quote_payoff(engine, loan, DECIDED_ON).fen > 0
    for day in (date(1, 1, 1), date(9999, 12, 31)):
        with pytest.raises(InvalidInputError) as err:
            quote_payoff(engine, loan, day)
        assert err.value.field == "on"


def _plan(conn, statement, params) -> str:
    """The database's plan for ``statement`` as text (PostgreSQL's JSON, SQLite's rows), for
    the SQL and parameters exactly as the driver receives them."""
    sent = []

    def capture(conn_, cursor, sql, parameters, context, executemany):
        sent.append((sql, parameters))

    sa.event.listen(conn, "before_cursor_execute", capture)
    try:
        conn.execute(statement, params).all()
    finally:
        sa.event.remove(conn, "before_cursor_execute", capture)
    sql, parameters = sent[-1]
    cursor = conn.connection.driver_connection.cursor()
    if conn.dialect.name == "postgresql":
        cursor.execute("EXPLAIN (FORMAT JSON) " + sql, parameters)
        return json.dumps(cursor.fetchone()[0])
    cursor.execute("EXPLAIN QUERY PLAN " + sql, parameters)
    return "\n".join(str(row) for row in cursor.fetchall())


def test_velocity_counts_read_one_persons_recent_applications_not_the_books(world, engine):
    """With many recent applications of other people, counting this person's reads their own
    rows through the (hash, submitted_at) index, not the whole window of the book."""
    applicant_id = world[3]
    submit(world)
    with engine.begin() as conn:
        row = dict(conn.execute(sa.select(applications)).mappings().one())
        others = [
            {
                **row,
                "id": f"other-{i}",
                "id_number_hash": f"id-{i}",
                "phone_hash": f"phone-{i}",
                "device_hash": f"device-{i}",
            }
            for i in range(3000)
        ]
        conn.execute(applications.insert(), others)
        conn.exec_driver_sql("ANALYZE")
    now = datetime.now(UTC)
    params = {
        "applicant_id": applicant_id,
        "since_30d": now - timedelta(days=30),
        "since_1d": now - timedelta(days=1),
        "device": "device-1",
    }
    with engine.connect() as conn:
        facts = applications_repo._facts(True, apps._CREDIT_SCOPE, apps._ALT_SCOPE)
        plan = _plan(conn, facts.statement, params)
    for column in ("id_number_hash", "phone_hash", "device_hash"):
        assert f"ix_applications_{column}_submitted_at" in plan
    assert "ix_applications_submitted_at" not in plan


def test_a_device_id_typed_full_width_is_the_same_device(world: Any, engine: Engine) -> None:
    """A device id written with full-width characters hashes as the ASCII it stands for, so
    the device velocity rule counts one device, not two."""
    submit(world, device_id="PX-7731A")
    submit(world, device_id="ＰＸ－７７３１Ａ")
    with engine.connect() as conn:
        hashes = conn.execute(sa.select(applications.c.device_hash)).scalars().all()
    assert len(hashes) == 2 and hashes[0] is not None and len(set(hashes)) == 1


def test_a_device_id_outside_ascii_is_refused_before_anything_is_written(
    world: Any, engine: Engine
) -> None:
    with pytest.raises(ThinfileError) as refused:
        submit(world, device_id="PX-٧٧٣١")
    assert refused.value.field == "device_id"
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(applications)).scalar() == 0
