"""Tables of the payment rails: the borrowers' bound bank cards.

A card is kept as the gateway's agreement token, its last four digits and the bank's name:
never the card number (DOMAIN.md §15). A row is ``pending`` from the start of a binding
(the gateway's ``binding_id``) until the SMS code confirms it (``active``, with the token), and
``unbound`` when the borrower ends the agreement; rows are never deleted.
"""

from __future__ import annotations

import sqlalchemy as sa

from thinfile.store.db import metadata

__all__ = ["payment_cards"]

_ID = 32

payment_cards = sa.Table(
    "payment_cards",
    metadata,
    sa.Column("id", sa.String(_ID), primary_key=True),
    sa.Column("user_id", sa.String(_ID), sa.ForeignKey("users.id"), nullable=False, index=True),
    sa.Column("provider", sa.String(16), nullable=False),
    sa.Column("binding_id", sa.String(64), nullable=False, unique=True),
    sa.Column("agreement_token", sa.String(64), nullable=True, unique=True),
    sa.Column("last_four", sa.String(4), nullable=False),
    sa.Column("bank_name", sa.String(40), nullable=True),
    sa.Column("is_default", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("bound_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("unbound_at", sa.DateTime(timezone=True), nullable=True),
)
