"""Real-name verification asks the (paid) identity provider as little as it can, on SQLite and
PostgreSQL: two verifications at once make one look-up, a name and ID number the provider
refused are not asked about again, and an applicant's look-ups are capped per day."""

from __future__ import annotations

import os
import threading
import time
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from tests.support.decisioning import id_number
from thinfile.adapters import SandboxRealNameVerifier
from thinfile.errors import RateLimitedError, RealNameMismatchError
from thinfile.security.crypto import PiiCipher
from thinfile.security.passwords import PasswordHasher
from thinfile.security.roles import Role
from thinfile.services import real_name
from thinfile.services.applicants import register_applicant
from thinfile.services.audit import record_audit
from thinfile.services.identity import create_user
from thinfile.services.identity_records import Actor, now_utc
from thinfile.services.ports import RealNameAnswer
from thinfile.services.real_name import DAILY_LOOKUPS, RealNameStatus
from thinfile.services.uow import UnitOfWork


class CountingVerifier:
    """The sandbox provider, counting its look-ups; each takes ``seconds``."""

    provider = "sandbox"

    def __init__(self, seconds: float = 0.0) -> None:
        self.calls = 0
        self.asked = threading.Event()
        self.seconds = seconds

    def verify(self, name: str, id_number: str) -> RealNameAnswer:
        self.calls += 1
        self.asked.set()
        time.sleep(self.seconds)
        return SandboxRealNameVerifier().verify(name, id_number)


@pytest.fixture
def cipher() -> PiiCipher:
    return PiiCipher({"k1": os.urandom(32)}, active_key_id="k1", lookup_key=b"L" * 32)


def _applicant(engine: Engine, cipher: PiiCipher, name: str) -> tuple[Actor, str]:
    user = create_user(
        engine,
        PasswordHasher(time_cost=1, memory_kib=8),
        email="owner@example.cn",
        password="pw-1234567",
    )
    actor = Actor(user.id, Role.BORROWER)
    profile = register_applicant(
        engine, cipher, actor=actor, name=name, id_number=id_number(), phone="13700137100"
    )
    return actor, profile.id


def _verify(
    engine: Engine, cipher: PiiCipher, verifier: CountingVerifier, actor: Actor, applicant_id: str
) -> RealNameStatus:
    return real_name.verify_real_name(
        engine, cipher, verifier, applicant_id=applicant_id, actor=actor
    )


def _count(engine: Engine, sql: str) -> int:
    with engine.connect() as conn:
        return int(conn.execute(sa.text(sql)).scalar_one())


def test_two_verifications_at_once_ask_the_provider_once(engine: Engine, cipher: PiiCipher) -> None:
    """The second is sent while the first waits for the provider: it waits for the first,
    then finds the applicant verified (no second look-up, no duplicate row, no 500)."""
    actor, applicant_id = _applicant(engine, cipher, "王小明")
    verifier = CountingVerifier(seconds=0.5)
    answers: list[object] = []

    def verify() -> None:
        try:
            answers.append(_verify(engine, cipher, verifier, actor, applicant_id))
        except Exception as error:  # the test inspects what it was
            answers.append(error)

    first = threading.Thread(target=verify)
    first.start()
    assert verifier.asked.wait(10)
    second = threading.Thread(target=verify)
    second.start()
    first.join(timeout=60)
    second.join(timeout=60)
    assert verifier.calls == 1
    assert [type(a) for a in answers] == [RealNameStatus, RealNameStatus], answers
    statuses = [a for a in answers if isinstance(a, RealNameStatus)]
    assert all(s.is_verified for s in statuses)
    assert statuses[0].reference == statuses[1].reference
    assert _count(engine, "SELECT count(*) FROM real_name_verifications") == 1


def test_a_name_and_id_number_the_provider_refused_are_not_looked_up_again(
    engine: Engine, cipher: PiiCipher
) -> None:
    actor, applicant_id = _applicant(engine, cipher, "王不符")
    verifier = CountingVerifier()
    with pytest.raises(RealNameMismatchError) as first:
        _verify(engine, cipher, verifier, actor, applicant_id)
    again = []
    for _ in range(3):
        with pytest.raises(RealNameMismatchError) as refused:
            _verify(engine, cipher, verifier, actor, applicant_id)
        again.append(refused.value)
    assert verifier.calls == 1
    for refusal in again:
        assert refusal.field == "name" and refusal.extra["reason"] == "already_refused"
        assert refusal.extra["reference"] == first.value.extra["reference"]
        assert "support" in str(refusal.remedy)
    mismatches = "SELECT count(*) FROM audit_log WHERE action = 'applicant.real_name_mismatch'"
    assert _count(engine, mismatches) == 1
    assert not real_name.real_name_status(
        engine, applicant_id=applicant_id, actor=actor
    ).is_verified


def test_an_applicants_look_ups_are_capped_per_day(
    engine: Engine, cipher: PiiCipher, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Five refusals of five other spellings of the profile (had it been corrected five times)
    in the last day: no sixth look-up until the oldest is a day old."""
    actor, applicant_id = _applicant(engine, cipher, "王小明")
    with UnitOfWork(engine) as uow:
        for n in range(DAILY_LOOKUPS):
            details = {"provider": "sandbox", "reference": f"earlier-{n}", "checked": f"other-{n}"}
            record_audit(
                uow,
                actor.label,
                "applicant.real_name_mismatch",
                f"applicant:{applicant_id}",
                details,
            )
        uow.commit()
    verifier = CountingVerifier()
    with pytest.raises(RateLimitedError) as capped:
        _verify(engine, cipher, verifier, actor, applicant_id)
    assert verifier.calls == 0
    assert capped.value.extra["limit"] == "real_name"
    wait = capped.value.extra["retry_after_seconds"]
    assert isinstance(wait, int) and 0 < wait <= 24 * 3600
    a_day_later = now_utc() + timedelta(days=1, minutes=1)
    monkeypatch.setattr(real_name, "now_utc", lambda: a_day_later)
    assert _verify(engine, cipher, verifier, actor, applicant_id).is_verified
    assert verifier.calls == 1
