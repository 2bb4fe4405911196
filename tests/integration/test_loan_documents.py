"""The loan contract signed at acceptance and the borrower's downloads, on SQLite and
PostgreSQL: the exact signed text is stored once with its SHA-256 and signature, the database
refuses to change it, a change made behind its back is detected, and the settlement certificate
is issued only for a loan repaid in full."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os

import pytest
import sqlalchemy as sa

from tests.integration.test_applications import STAFF, submit
from tests.support.decisioning import DECIDED_ON, id_number
from tests.support.pdf_text import compact_pdf_text
from thinfile.adapters import SandboxRealNameVerifier
from thinfile.errors import ConflictError, DecryptionError, InvariantViolation, NotFoundError
from thinfile.money import Money
from thinfile.security.crypto import PiiCipher
from thinfile.security.passwords import PasswordHasher
from thinfile.security.roles import Role
from thinfile.services import applicants, documents, identity, real_name
from thinfile.services import applications as apps
from thinfile.services.identity_records import Actor
from thinfile.services.loans import get_loan, quote_payoff
from thinfile.services.payments import prepay_loan
from thinfile.services.policies import ensure_default_policy

DEVICE = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0) thinfile-test"


@pytest.fixture
def world(engine):
    """A real-name-verified borrower 王小明 and the default policy (as in test_applications)."""
    cipher = PiiCipher({"k1": os.urandom(32)}, active_key_id="k1", lookup_key=b"L" * 32)
    hasher = PasswordHasher(time_cost=1, memory_kib=8)
    user = identity.create_user(engine, hasher, email="signer@example.com", password="pw-123456!")
    actor = Actor(user.id, Role.BORROWER)
    profile = applicants.register_applicant(
        engine, cipher, actor=actor, name="王小明", id_number=id_number(), phone="13800138000"
    )
    real_name.verify_real_name(
        engine, cipher, SandboxRealNameVerifier(), applicant_id=profile.id, actor=actor
    )
    ensure_default_policy(engine, actor=STAFF)
    return engine, cipher, actor, profile.id


def sign_and_accept(world, *, language="zh"):
    engine, cipher, actor, _applicant = world
    record = submit(world)
    signing = documents.Signing(
        cipher, "示例小额贷款有限公司", language=language, ip="203.0.113.7", device=DEVICE
    )
    accepted = apps.accept_offer(
        engine,
        record.id,
        actor=actor,
        offer=0,
        seconds_read=12,
        confirmed=True,
        on=DECIDED_ON,
        signing=signing,
    )
    return record, accepted


def stored_row(engine, loan_id):
    with engine.connect() as conn:
        return (
            conn.execute(sa.text("SELECT * FROM loan_documents WHERE loan_id = :l"), {"l": loan_id})
            .mappings()
            .one()
        )


def test_accepting_stores_the_signed_contract_with_its_hash_and_signature(world, engine):
    _db, cipher, _actor, _applicant = world
    record, accepted = sign_and_accept(world)
    row = stored_row(engine, accepted.loan_id)
    text = cipher.decrypt(
        row["body_enc"], context=f"loan-document:{accepted.loan_id}:loan-contract"
    )
    assert hashlib.sha256(text.encode("utf-8")).hexdigest() == row["sha256"]
    assert row["sha256"] == accepted.contract_sha256
    assert (row["template"], row["language"], row["kind"]) == (
        "loan-contract/3",
        "zh",
        "loan-contract",
    )
    assert (row["signer_ip"], row["signer_device"]) == ("203.0.113.7", DEVICE)
    assert row["application_id"] == record.id and row["signed_at"] is not None
    assert "王小明" in text and "示例小额贷款有限公司" in text
    assert "王小明" not in row["body_enc"]  # sealed at rest
    amount = get_loan(engine, accepted.loan_id).account.principal
    assert f"{amount // 100:,}.{amount % 100:02d}" in text
    with engine.connect() as conn:
        details = conn.execute(
            sa.text("SELECT details FROM audit_log WHERE action = 'application.accept_offer'")
        ).scalar_one()
    assert json.loads(details)["contract_sha256"] == row["sha256"]


def test_a_second_acceptance_signs_nothing_more(world, engine):
    record, _accepted = sign_and_accept(world)
    _db, cipher, actor, _applicant = world
    with pytest.raises(ConflictError):
        apps.accept_offer(
            engine,
            record.id,
            actor=actor,
            offer=0,
            seconds_read=12,
            confirmed=True,
            on=DECIDED_ON,
            signing=documents.Signing(cipher, "x"),
        )
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM loan_documents")).scalar_one() == 1


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE loan_documents SET sha256 = 'f' || substr(sha256, 2)",
        "UPDATE loan_documents SET signer_ip = '198.51.100.1'",
        "DELETE FROM loan_documents",
    ],
)
def test_the_database_refuses_to_change_a_signed_contract(world, engine, statement):
    _record, accepted = sign_and_accept(world)
    before = dict(stored_row(engine, accepted.loan_id))
    with pytest.raises(sa.exc.DatabaseError, match="immutable"), engine.begin() as conn:
        conn.execute(sa.text(statement))
    assert dict(stored_row(engine, accepted.loan_id)) == before


def _bypass_guards(engine) -> None:
    """What an intruder with the database owner's rights could do: drop the guards."""
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(sa.text("DROP TRIGGER loan_documents_immutable ON loan_documents"))
        else:
            conn.execute(sa.text("DROP TRIGGER loan_documents_no_update"))


def test_a_change_made_behind_the_guards_is_detected(world, engine):
    _db, cipher, _actor, _applicant = world
    _record, accepted = sign_and_accept(world)
    assert documents.signed_contract(engine, cipher, accepted.loan_id).sha256 == (
        accepted.contract_sha256
    )
    _bypass_guards(engine)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE loan_documents SET sha256 = :h"), {"h": "0" * 64})
    with pytest.raises(InvariantViolation, match="does not match its SHA-256"):
        documents.signed_contract(engine, cipher, accepted.loan_id)
    forged = cipher.encrypt("# 借款合同\n改过的文本", context="loan-document:999:loan-contract")
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE loan_documents SET body_enc = :b"), {"b": forged})
    with pytest.raises(DecryptionError):
        documents.signed_contract(engine, cipher, accepted.loan_id)


def test_the_plan_csv_is_the_schedule_as_serviced(world, engine):
    _record, accepted = sign_and_accept(world)
    account = get_loan(engine, accepted.loan_id).account
    rows = list(csv.DictReader(io.StringIO(documents.repayment_plan_csv(engine, accepted.loan_id))))
    assert len(rows) == len(account.installments) >= 1
    for row, inst in zip(rows, account.installments, strict=True):
        assert int(row["installment"]) == inst.n and row["due_date"] == inst.due.isoformat()
        assert row["principal_due"] == f"{inst.principal_due // 100}.{inst.principal_due % 100:02d}"
        assert row["interest_due"] == f"{inst.interest_due // 100}.{inst.interest_due % 100:02d}"
    # the principal parts add up to the amount lent, to the fen
    assert sum(round(float(r["principal_due"]) * 100) for r in rows) == account.principal


def test_the_settlement_certificate_only_for_a_loan_repaid_in_full(world, engine):
    _db, cipher, _actor, _applicant = world
    _record, accepted = sign_and_accept(world)
    loan_id = accepted.loan_id

    def certificate() -> bytes:
        return documents.settlement_certificate_pdf(
            engine, cipher, loan_id, lender="示例小额贷款有限公司", language="zh", font=None
        )

    with pytest.raises(ConflictError, match="repaid in full") as refused:
        certificate()
    assert refused.value.field == "loan_id" and "payoff" in (refused.value.remedy or "")
    payoff = quote_payoff(engine, loan_id, DECIDED_ON)
    prepay_loan(engine, loan_id, payoff, DECIDED_ON, idempotency_key="payoff-1")
    assert get_loan(engine, loan_id).account.closed_on == DECIDED_ON
    text = compact_pdf_text(certificate())
    assert "结清证明" in text and "王小明" in text and DECIDED_ON.isoformat() in text
    assert Money(payoff.fen).fen > 0


def test_a_loan_without_a_contract_has_none_to_download(world, engine):
    _db, cipher, actor, _applicant = world
    accepted = apps.accept_offer(
        engine,
        submit(world).id,
        actor=actor,
        offer=0,
        seconds_read=12,
        confirmed=True,
        on=DECIDED_ON,
    )
    assert accepted.contract_sha256 is None
    with pytest.raises(NotFoundError, match="no signed contract"):
        documents.signed_contract(engine, cipher, accepted.loan_id)
