"""Contract tests of the provider ports (``thinfile.services.ports``): every adapter, the
sandboxes included, must pass them. Add a new adapter to the ``ADAPTERS`` lists."""

from __future__ import annotations

import os
from collections.abc import Callable

import pytest
from sqlalchemy.engine import Engine

from tests.support.decisioning import id_number
from thinfile.adapters import SandboxRealNameVerifier, SandboxSmsSender
from thinfile.security.crypto import PiiCipher
from thinfile.services.ports import RealNameVerifier, SmsSender, SmsTemplate

SMS_ADAPTERS: dict[str, Callable[[Engine, PiiCipher], SmsSender]] = {
    "sandbox": SandboxSmsSender,
}
REAL_NAME_ADAPTERS: dict[str, Callable[[], RealNameVerifier]] = {
    "sandbox": SandboxRealNameVerifier,
}


@pytest.fixture
def cipher() -> PiiCipher:
    return PiiCipher({"k1": os.urandom(32)}, active_key_id="k1", lookup_key=b"L" * 32)


@pytest.mark.parametrize("name", sorted(SMS_ADAPTERS))
def test_an_sms_sender_answers_each_message_with_a_delivery_id_of_its_own(
    name: str, engine: Engine, cipher: PiiCipher
) -> None:
    sender = SMS_ADAPTERS[name](engine, cipher)
    assert sender.provider == name
    params = {"code": "042917", "minutes": "5"}
    ids = [sender.send("13800138000", SmsTemplate.SIGN_IN_CODE, params) for _ in range(3)]
    assert all(isinstance(i, str) and 0 < len(i) <= 64 for i in ids)
    assert len(set(ids)) == 3


def test_the_sandbox_sms_keeps_the_rendered_message_with_the_phone_masked(
    engine: Engine, cipher: PiiCipher
) -> None:
    sender = SandboxSmsSender(engine, cipher)
    delivery = sender.send(
        "13800138000", SmsTemplate.SIGN_IN_CODE, {"code": "042917", "minutes": "5"}
    )
    sender.send("13900139000", SmsTemplate.SIGN_IN_CODE, {"code": "111111", "minutes": "5"})
    [message] = sender.inbox("+86 138-0013-8000")
    assert message.id == delivery and message.phone_masked == "138****8000"
    assert "042917" in message.body and "5分钟" in message.body
    assert message.params == {"code": "042917", "minutes": "5"}
    assert len(sender.inbox()) == 2


@pytest.mark.parametrize("name", sorted(REAL_NAME_ADAPTERS))
def test_a_real_name_verifier_answers_the_same_question_the_same_way(name: str) -> None:
    verifier = REAL_NAME_ADAPTERS[name]()
    assert verifier.provider == name
    first = verifier.verify("王小明", id_number())
    assert first == verifier.verify("王小明", id_number())
    assert first.is_match and 0 < len(first.reference) <= 100


@pytest.mark.parametrize("name", sorted(REAL_NAME_ADAPTERS))
def test_a_real_name_verifier_never_matches_an_empty_name_or_a_broken_number(name: str) -> None:
    verifier = REAL_NAME_ADAPTERS[name]()
    broken = id_number()[:17] + ("0" if id_number()[-1] != "0" else "1")
    assert not verifier.verify("", id_number()).is_match
    assert not verifier.verify("王小明", broken).is_match
