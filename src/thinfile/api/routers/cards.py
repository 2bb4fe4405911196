"""A borrower's bank cards for repayments: bind (two steps, with the bank's SMS code), list,
choose the default, unbind. Only the card's owner reaches it; the rules live in
:mod:`thinfile.services.cards`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path

from thinfile.api.deps import require_owner_or_role, require_roles
from thinfile.api.models_cards import (
    CardBindingConfirm,
    CardBindingRequest,
    CardBindingStartedPublic,
    CardPublic,
)
from thinfile.http import Context
from thinfile.security.roles import Role
from thinfile.services import cards
from thinfile.services.cards import CardView
from thinfile.services.identity_records import Actor

router = APIRouter(tags=["cards"])

Borrower = Annotated[Actor, Depends(require_roles(Role.BORROWER))]
Owner = Annotated[Actor, Depends(require_owner_or_role())]
CardId = Annotated[str, Path(pattern="^[0-9a-f]{32}$", description="A card's id")]


def card_public(card: CardView) -> CardPublic:
    return CardPublic(
        id=card.id,
        bank_name=card.bank_name,
        last_four=card.last_four,
        is_default=card.is_default,
        bound_at=card.bound_at,
    )


@router.get("/me/cards", response_model=list[CardPublic], summary="My bound bank cards")
def my_cards(borrower: Borrower, context: Context) -> list[CardPublic]:
    return [card_public(c) for c in cards.list_cards(context.engine, actor=borrower)]


@router.post(
    "/me/cards",
    status_code=202,
    response_model=CardBindingStartedPublic,
    summary="Start binding a card: the bank texts a code to the card's reserved phone",
)
def start_binding(
    body: CardBindingRequest, borrower: Borrower, context: Context
) -> CardBindingStartedPublic:
    started = cards.start_card_binding(
        context.engine,
        context.cipher,
        context.gateway,
        actor=borrower,
        card_number=body.card_number,
        phone=body.phone,
    )
    return CardBindingStartedPublic(
        card_id=started.card_id,
        phone=started.phone_masked,
        sandbox_sms_code=started.sandbox_sms_code,
    )


@router.post(
    "/me/cards/{card_id}/confirm",
    response_model=CardPublic,
    summary="Finish binding the card with the bank's SMS code",
)
def confirm_binding(
    card_id: CardId, body: CardBindingConfirm, borrower: Owner, context: Context
) -> CardPublic:
    return card_public(
        cards.confirm_card_binding(
            context.engine, context.gateway, actor=borrower, card_id=card_id, sms_code=body.sms_code
        )
    )


@router.post(
    "/me/cards/{card_id}/default",
    response_model=CardPublic,
    summary="Take repayments from this card",
)
def make_default(card_id: CardId, borrower: Owner, context: Context) -> CardPublic:
    return card_public(cards.set_default_card(context.engine, actor=borrower, card_id=card_id))


@router.delete("/me/cards/{card_id}", status_code=204, summary="Unbind the card")
def unbind(card_id: CardId, borrower: Owner, context: Context) -> None:
    cards.unbind_card(context.engine, context.gateway, actor=borrower, card_id=card_id)
