"""Bank cards for repayments (绑卡): bind with four-element verification and an SMS code, choose
the default card, unbind — through the :class:`~thinfile.services.ports.PaymentGateway` port.

The card holder is the borrower: the name and the ID number sent to the gateway are those of
the borrower's real-name-verified applicant profile, never typed again. thinfile keeps the
gateway's agreement token, the bank's name and the last four digits; the card number only
passes through to the gateway (DOMAIN.md §15). Each step is audited, refusals included.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.engine import Engine

from thinfile.bank_card import card_number as parse_card_number
from thinfile.bank_card import last_four
from thinfile.errors import (
    CardVerificationFailedError,
    ConflictError,
    ConsentRequiredError,
    NotFoundError,
    RealNameRequiredError,
)
from thinfile.security.crypto import PiiCipher
from thinfile.services.audit import record_audit
from thinfile.services.consent import DataCategory, Purpose, has_consent
from thinfile.services.identity_records import Actor, now_utc
from thinfile.services.phone_sign_in import phone_number
from thinfile.services.ports import PaymentGateway
from thinfile.services.uow import UnitOfWork
from thinfile.store.payment_cards_repo import StoredCard

__all__ = [
    "BindingStarted",
    "CardView",
    "confirm_card_binding",
    "list_cards",
    "owner_of_card",
    "set_default_card",
    "start_card_binding",
    "unbind_card",
]


@dataclass(frozen=True, slots=True)
class CardView:
    """A bound card as its owner sees it."""

    id: str
    bank_name: str
    last_four: str
    is_default: bool
    bound_at: datetime


@dataclass(frozen=True, slots=True)
class BindingStarted:
    """A binding waiting for the code texted to the card's reserved phone."""

    card_id: str
    phone_masked: str
    sandbox_sms_code: str | None
    """Shown only by a sandbox gateway."""


def _view(card: StoredCard) -> CardView:
    assert card.bank_name is not None and card.bound_at is not None
    return CardView(card.id, card.bank_name, card.last_four, card.is_default, card.bound_at)


def owner_of_card(uow: UnitOfWork, card_id: str) -> str | None:
    """The user who bound (or is binding) ``card_id``; the ownership table's lookup."""
    card = uow.payment_cards.get(card_id)
    return None if card is None else card.user_id


def _owned(uow: UnitOfWork, card_id: str, actor: Actor, *, status: str) -> StoredCard:
    card = uow.payment_cards.get(card_id, lock=True)
    if card is None or card.user_id != actor.user_id:
        raise NotFoundError("no such card", field="card_id", value=card_id)
    if card.status != status:
        raise ConflictError(
            f"this card is {card.status}, not {status}",
            field="card_id",
            value=card_id,
            remedy="list your cards with GET /v1/me/cards",
        )
    return card


def _holder(uow: UnitOfWork, cipher: PiiCipher, actor: Actor) -> tuple[str, str]:
    """The verified name and ID number of the borrower's applicant profile, once they have
    given the separate consent a bank card needs (sensitive personal information, PIPL
    art. 29)."""
    applicant_id = uow.applicants.id_of_user(actor.user_id)
    if applicant_id is None or uow.real_names.get(applicant_id) is None:
        raise RealNameRequiredError(
            "verify your real name before binding a card",
            remedy="create your applicant profile and verify your real name first",
        )
    if not has_consent(uow, applicant_id, DataCategory.BANK_ACCOUNT, Purpose.LOAN_SERVICING):
        raise ConsentRequiredError(
            "the borrower has not given separate consent to the use of a bank card",
            field="consent",
            value=f"{DataCategory.BANK_ACCOUNT.value}:{Purpose.LOAN_SERVICING.value}",
            remedy="give the separate consent to the use of your bank card for repayments "
            "(bank_account for loan_servicing), then bind it",
        )
    row = uow.applicants.get(applicant_id)
    assert row is not None
    name = cipher.decrypt(str(row.name_enc), context=f"applicant:{applicant_id}:name")
    id_number = cipher.decrypt(
        str(row.id_number_enc), context=f"applicant:{applicant_id}:id_number"
    )
    return name, id_number


def _refused(
    uow: UnitOfWork, actor: Actor, action: str, subject: str, error: CardVerificationFailedError
) -> None:
    record_audit(uow, actor.label, action, subject, {"reason": str(error.extra.get("reason"))})
    uow.commit()


def _not_bound_yet(uow: UnitOfWork, actor: Actor, card_hash: str) -> None:
    bound = uow.payment_cards.active_with_hash(actor.user_id, card_hash)
    if bound is not None:
        raise ConflictError(
            "this card is bound already",
            field="card_number",
            value=bound.id,
            remedy="use the card you bound, or unbind it before binding it again",
        )


def start_card_binding(
    engine: Engine,
    cipher: PiiCipher,
    gateway: PaymentGateway,
    *,
    actor: Actor,
    card_number: str,
    phone: str,
) -> BindingStarted:
    """Send the four elements to the gateway, which texts a code to the reserved phone. A card
    the borrower has bound already is refused (:class:`ConflictError` naming the card): it
    is bound once, and the existing binding stays as it is."""
    digits, phone = parse_card_number(card_number), phone_number(phone)
    card_id = uuid.uuid4().hex
    card_hash = cipher.lookup_hash("card_number", digits)
    with UnitOfWork(engine) as uow:
        name, id_number = _holder(uow, cipher, actor)
        _not_bound_yet(uow, actor, card_hash)
        subject = f"card:{card_id}"
        try:
            challenge = gateway.start_binding(
                name=name, id_number=id_number, card_number=digits, phone=phone, request_id=card_id
            )
        except CardVerificationFailedError as refused:
            _refused(uow, actor, "card.binding_refused", subject, refused)
            raise
        uow.payment_cards.add_pending(
            card_id=card_id,
            user_id=actor.user_id,
            provider=gateway.provider,
            binding_id=challenge.binding_id,
            last_four=last_four(digits),
            at=now_utc(),
            card_hash=card_hash,
        )
        record_audit(uow, actor.label, "card.binding_started", subject, {"last_four": digits[-4:]})
        uow.commit()
    return BindingStarted(card_id, challenge.phone_masked, challenge.sandbox_sms_code)


def confirm_card_binding(
    engine: Engine, gateway: PaymentGateway, *, actor: Actor, card_id: str, sms_code: str
) -> CardView:
    """Bind the card with the texted code; a borrower's first card becomes the default."""
    with UnitOfWork(engine) as uow:
        card = _owned(uow, card_id, actor, status="pending")
        subject = f"card:{card_id}"
        try:
            bound = gateway.confirm_binding(card.binding_id, sms_code.strip())
        except CardVerificationFailedError as refused:
            _refused(uow, actor, "card.binding_refused", subject, refused)
            raise
        has_default = any(c.is_default for c in uow.payment_cards.of_user(actor.user_id, lock=True))
        card_hash = uow.payment_cards.hash_of(card_id)
        if card_hash is not None:  # two bindings of one card started side by side
            _not_bound_yet(uow, actor, card_hash)
        uow.payment_cards.activate(
            card_id,
            agreement_token=bound.agreement_token,
            bank_name=bound.bank_name,
            is_default=not has_default,
            at=now_utc(),
        )
        record_audit(uow, actor.label, "card.bound", subject, {"bank": bound.bank_name})
        stored = uow.payment_cards.get(card_id)
        uow.commit()
    assert stored is not None
    return _view(stored)


def list_cards(engine: Engine, *, actor: Actor) -> list[CardView]:
    """The borrower's bound cards, the newest first."""
    with UnitOfWork(engine) as uow:
        return [_view(card) for card in uow.payment_cards.of_user(actor.user_id)]


def set_default_card(engine: Engine, *, actor: Actor, card_id: str) -> CardView:
    """Make the card the one that repayments are taken from."""
    with UnitOfWork(engine) as uow:
        _owned(uow, card_id, actor, status="active")
        uow.payment_cards.set_default(actor.user_id, card_id)
        record_audit(uow, actor.label, "card.made_default", f"card:{card_id}", {})
        stored = uow.payment_cards.get(card_id)
        uow.commit()
    assert stored is not None
    return _view(stored)


def unbind_card(engine: Engine, gateway: PaymentGateway, *, actor: Actor, card_id: str) -> None:
    """End the card's agreement at the gateway; the newest other card becomes the default."""
    with UnitOfWork(engine) as uow:
        card = _owned(uow, card_id, actor, status="active")
        assert card.agreement_token is not None
        gateway.unbind(card.agreement_token)
        uow.payment_cards.unbind(card_id, at=now_utc())
        if card.is_default:
            others = uow.payment_cards.of_user(actor.user_id, lock=True)
            uow.payment_cards.set_default(actor.user_id, others[0].id if others else None)
        record_audit(uow, actor.label, "card.unbound", f"card:{card_id}", {})
        uow.commit()
