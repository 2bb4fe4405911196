"""Bank cards as use cases on SQLite and PostgreSQL, against the sandbox gateway running as a
subprocess: bind with the SMS code, default, unbind, refusals audited, and no card number at
rest anywhere in the database."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from tests.integration.test_phone_sign_in import T0, _send, _sign_in
from tests.support.decisioning import id_number
from tests.support.gateway import GATEWAY_KEY, card_with_prefix, start_sandbox, stop
from thinfile.adapters import SandboxRealNameVerifier, SandboxSmsSender
from thinfile.adapters.sandbox_gateway_client import SandboxGatewayClient
from thinfile.errors import (
    CardVerificationFailedError,
    ConflictError,
    ConsentRequiredError,
    InvalidCardNumberError,
    NotFoundError,
    RealNameRequiredError,
)
from thinfile.security.crypto import PiiCipher
from thinfile.security.roles import Role
from thinfile.services import applicants, cards, consent, real_name
from thinfile.services.cards import CardView
from thinfile.services.gateway_port import DebitFailure, TransactionStatus
from thinfile.services.identity_records import Actor

CARD = card_with_prefix("622848")
OTHER_CARD = card_with_prefix("621700")


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxGatewayClient]:
    process, url = start_sandbox(tmp_path_factory.mktemp("gateway"))
    client = SandboxGatewayClient(url, GATEWAY_KEY)
    yield client
    client.close()
    stop(process)


@pytest.fixture
def cipher() -> PiiCipher:
    return PiiCipher({"k1": os.urandom(32)}, active_key_id="k1", lookup_key=b"L" * 32)


def borrower(
    engine: Engine, cipher: PiiCipher, phone: str, *, verified: bool = True, consented: bool = True
) -> Actor:
    code = _send(engine, cipher, SandboxSmsSender(engine, cipher), phone=phone)
    user = _sign_in(engine, cipher, code, at=T0 + timedelta(seconds=5), phone=phone).user.id
    actor = Actor(user, Role.BORROWER)
    profile = applicants.register_applicant(
        engine, cipher, actor=actor, name="王小明", id_number=id_number(seq=phone[-3:]), phone=phone
    )
    if consented:
        consent.grant_consent(
            engine,
            applicant_id=profile.id,
            category=consent.DataCategory.BANK_ACCOUNT,
            purpose=consent.Purpose.LOAN_SERVICING,
            notice_version="v1",
            separate=True,
            actor=actor,
        )
    if verified:
        real_name.verify_real_name(
            engine, cipher, SandboxRealNameVerifier(), applicant_id=profile.id, actor=actor
        )
    return actor


def bind(
    engine: Engine, cipher: PiiCipher, gateway: SandboxGatewayClient, actor: Actor, card: str
) -> CardView:
    started = cards.start_card_binding(
        engine, cipher, gateway, actor=actor, card_number=card, phone="13700137000"
    )
    assert started.sandbox_sms_code is not None
    return cards.confirm_card_binding(
        engine, gateway, actor=actor, card_id=started.card_id, sms_code=started.sandbox_sms_code
    )


def everything_stored(engine: Engine) -> str:
    """Every row of every table, as text."""
    with engine.connect() as conn:
        names = sa.inspect(conn).get_table_names()
        return "\n".join(
            repr(row) for name in names for row in conn.execute(sa.text(f'SELECT * FROM "{name}"'))
        )


def _actions(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        query = "SELECT action FROM audit_log WHERE action LIKE 'card.%' ORDER BY seq"
        return [a for (a,) in conn.execute(sa.text(query))]


def test_a_bound_card_keeps_token_bank_and_last_four_and_its_number_is_nowhere_at_rest(
    engine: Engine, cipher: PiiCipher, gateway: SandboxGatewayClient, database_url: str
) -> None:
    actor = borrower(engine, cipher, "13700137000")
    card = bind(engine, cipher, gateway, actor, f"{CARD[:4]} {CARD[4:8]} {CARD[8:]}")
    assert (card.bank_name, card.last_four, card.is_default) == ("中国农业银行", CARD[-4:], True)
    assert cards.list_cards(engine, actor=actor) == [card]
    stored = everything_stored(engine)
    assert CARD[-4:] in stored
    assert CARD not in stored and CARD[:12] not in stored and CARD[6:] not in stored
    if database_url.startswith("sqlite:///"):
        engine.dispose()
        with open(database_url.removeprefix("sqlite:///"), "rb") as file:
            assert CARD.encode() not in file.read()
    assert _actions(engine) == ["card.binding_started", "card.bound"]


def test_binding_needs_a_verified_real_name_and_a_card_number(
    engine: Engine, cipher: PiiCipher, gateway: SandboxGatewayClient
) -> None:
    unverified = borrower(engine, cipher, "13700137001", verified=False)
    with pytest.raises(RealNameRequiredError):
        bind(engine, cipher, gateway, unverified, CARD)
    with pytest.raises(InvalidCardNumberError):
        bind(engine, cipher, gateway, unverified, CARD[:-1] + str((int(CARD[-1]) + 1) % 10))


def test_binding_needs_the_separate_consent_a_bank_card_is_given(
    engine: Engine, cipher: PiiCipher, gateway: SandboxGatewayClient
) -> None:
    """A bank card is sensitive personal information (PIPL art. 29): no separate consent to
    its use for repayments, no binding — nothing reaches the gateway, nothing is kept."""
    unconsented = borrower(engine, cipher, "13700137009", consented=False)
    with pytest.raises(ConsentRequiredError) as refused:
        bind(engine, cipher, gateway, unconsented, CARD)
    assert refused.value.value == "bank_account:loan_servicing"
    assert cards.list_cards(engine, actor=unconsented) == []
    stored = everything_stored(engine)
    # The last four as a stored value, not as four digits a timestamp happens to contain.
    assert repr(CARD[-4:]) not in stored and CARD[6:] not in stored


def test_a_refused_binding_is_audited_and_keeps_no_card(
    engine: Engine, cipher: PiiCipher, gateway: SandboxGatewayClient
) -> None:
    actor = borrower(engine, cipher, "13700137002")
    with pytest.raises(CardVerificationFailedError) as refused:
        cards.start_card_binding(
            engine, cipher, gateway, actor=actor, card_number=CARD, phone="13700130000"
        )
    assert refused.value.extra["reason"] == "phone_mismatch"
    started = cards.start_card_binding(
        engine, cipher, gateway, actor=actor, card_number=CARD, phone="13700137002"
    )
    with pytest.raises(CardVerificationFailedError):
        cards.confirm_card_binding(
            engine,
            gateway,
            actor=actor,
            card_id=started.card_id,
            sms_code="000000" if started.sandbox_sms_code != "000000" else "111111",
        )
    assert cards.list_cards(engine, actor=actor) == []
    assert _actions(engine) == [
        "card.binding_refused",
        "card.binding_started",
        "card.binding_refused",
    ]


def test_the_first_card_is_the_default_until_another_is_chosen_and_unbinding_moves_it(
    engine: Engine, cipher: PiiCipher, gateway: SandboxGatewayClient
) -> None:
    actor = borrower(engine, cipher, "13700137003")
    first = bind(engine, cipher, gateway, actor, CARD)
    second = bind(engine, cipher, gateway, actor, OTHER_CARD)
    assert (first.is_default, second.is_default) == (True, False)
    cards.set_default_card(engine, actor=actor, card_id=second.id)
    defaults = {c.id: c.is_default for c in cards.list_cards(engine, actor=actor)}
    assert defaults == {first.id: False, second.id: True}
    cards.unbind_card(engine, gateway, actor=actor, card_id=second.id)
    [left] = cards.list_cards(engine, actor=actor)
    assert left.id == first.id and left.is_default
    with pytest.raises(ConflictError):
        cards.unbind_card(engine, gateway, actor=actor, card_id=second.id)
    assert _actions(engine)[-2:] == ["card.made_default", "card.unbound"]


def test_an_unbound_card_cannot_be_debited_at_the_gateway(
    engine: Engine, cipher: PiiCipher, gateway: SandboxGatewayClient
) -> None:
    actor = borrower(engine, cipher, "13700137004")
    card = bind(engine, cipher, gateway, actor, CARD)
    with engine.connect() as conn:
        token = conn.execute(
            sa.text("SELECT agreement_token FROM payment_cards WHERE id = :id"), {"id": card.id}
        ).scalar_one()
    assert gateway.debit(token, 100, "before").status is TransactionStatus.ACCEPTED
    cards.unbind_card(engine, gateway, actor=actor, card_id=card.id)
    assert gateway.debit(token, 100, "after").failure is DebitFailure.AGREEMENT_INVALID


def test_another_borrower_cannot_confirm_default_or_unbind_my_card(
    engine: Engine, cipher: PiiCipher, gateway: SandboxGatewayClient
) -> None:
    mine = borrower(engine, cipher, "13700137005")
    theirs = borrower(engine, cipher, "13700137006")
    started = cards.start_card_binding(
        engine, cipher, gateway, actor=mine, card_number=CARD, phone="13700137005"
    )
    assert started.sandbox_sms_code is not None
    with pytest.raises(NotFoundError):
        cards.confirm_card_binding(
            engine,
            gateway,
            actor=theirs,
            card_id=started.card_id,
            sms_code=started.sandbox_sms_code,
        )
    card = cards.confirm_card_binding(
        engine, gateway, actor=mine, card_id=started.card_id, sms_code=started.sandbox_sms_code
    )
    with pytest.raises(NotFoundError):
        cards.set_default_card(engine, actor=theirs, card_id=card.id)
    with pytest.raises(NotFoundError):
        cards.unbind_card(engine, gateway, actor=theirs, card_id=card.id)
    assert cards.list_cards(engine, actor=theirs) == []


def test_a_card_is_bound_once_and_may_be_bound_again_after_unbinding(
    engine: Engine, cipher: PiiCipher, gateway: SandboxGatewayClient
) -> None:
    actor = borrower(engine, cipher, "13700137000")
    first = bind(engine, cipher, gateway, actor, CARD)
    with pytest.raises(ConflictError) as refused:
        bind(engine, cipher, gateway, actor, f"{CARD[:4]} {CARD[4:]}")
    assert refused.value.field == "card_number" and refused.value.status == 409
    assert cards.list_cards(engine, actor=actor) == [first]
    # two bindings of the card started side by side: the second confirmation is refused
    started = [
        cards.start_card_binding(
            engine, cipher, gateway, actor=actor, card_number=OTHER_CARD, phone="13700137000"
        )
        for _ in range(2)
    ]
    codes = [(s.card_id, str(s.sandbox_sms_code)) for s in started]
    cards.confirm_card_binding(
        engine, gateway, actor=actor, card_id=codes[0][0], sms_code=codes[0][1]
    )
    with pytest.raises(ConflictError):
        cards.confirm_card_binding(
            engine, gateway, actor=actor, card_id=codes[1][0], sms_code=codes[1][1]
        )
    assert len(cards.list_cards(engine, actor=actor)) == 2
    cards.unbind_card(engine, gateway, actor=actor, card_id=first.id)
    again = bind(engine, cipher, gateway, actor, CARD)
    assert again.last_four == CARD[-4:] and len(cards.list_cards(engine, actor=actor)) == 2
