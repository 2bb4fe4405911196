"""Tables of the payment rails: the borrowers' bound bank cards, their payment intents, and
the gateway notifications received.

A card is kept as the gateway's agreement token, its last four digits and the bank's name:
never the card number (DOMAIN.md §15). A row is ``pending`` from the start of a binding
(the gateway's ``binding_id``) until the SMS code confirms it (``active``, with the token), and
``unbound`` when the borrower ends the agreement; rows are never deleted.

A **payment intent** is one borrower payment taken from a card through the gateway: its id is
the gateway's ``request_id``; ``created`` until the debit is sent, ``pending`` until the
gateway's notification (or a status query) gives the final word, then ``succeeded`` (with the
servicing transaction it posted, ``txn_id``) or ``failed`` (with the gateway's reason). A
borrower's ``Idempotency-Key`` is unique per borrower, so a repeated create finds its intent.
Each notification delivery leaves one row in ``payment_notifications`` keyed by a digest of its
signature: the replay store.
"""

from __future__ import annotations

import sqlalchemy as sa

from thinfile.store.db import metadata

__all__ = ["payment_cards", "payment_intents", "payment_notifications"]

_ID = 32
_BIG = sa.BigInteger().with_variant(sa.Integer, "sqlite")

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
    # A keyed hash of the card number (PiiCipher.lookup_hash): one card, one binding per user.
    # None on cards bound before it was kept.
    sa.Column("card_hash", sa.String(64), nullable=True, index=True),
)

payment_intents = sa.Table(
    "payment_intents",
    metadata,
    sa.Column("id", sa.String(_ID), primary_key=True),
    # loan, borrower and card without foreign-key triggers (migration servicing_0014): close of
    # business writes a million of these a night; `ledger verify` checks they resolve.
    sa.Column("loan_id", _BIG, nullable=False, index=True),
    sa.Column("user_id", sa.String(_ID), nullable=False),
    sa.Column("card_id", sa.String(_ID), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("mode", sa.String(24), nullable=True),
    sa.Column("amount", _BIG, nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("failure", sa.String(32), nullable=True),
    sa.Column("idempotency_key", sa.String(100), nullable=False),
    sa.Column("request_hash", sa.String(64), nullable=False),
    sa.Column("gateway_txn_id", sa.String(64), nullable=True, unique=True),
    sa.Column("txn_id", _BIG, nullable=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("settled_at", sa.DateTime(timezone=True), nullable=True),
    # The business date the intent was made for (created on; an auto-debit's due date): a
    # success the gateway dates before it is not value-dated. NULL on intents made before.
    sa.Column("business_day", sa.Integer, nullable=True),
    # When the auto-debit sender claimed it (``pending`` before its request goes out): once the
    # gateway would refuse that request as stale, a debit it never received may be lowered.
    # NULL on intents claimed before it was kept, and on a borrower's own payments.
    sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
    sa.UniqueConstraint("user_id", "idempotency_key"),
)
# The intents still waiting for the gateway, in the order the lists of open intents read them
# (queued, claimed and unanswered, unsettled); a settled intent leaves the index.
_WAITING = sa.text("status IN ('created', 'pending')")
sa.Index(
    "ix_payment_intents_open",
    payment_intents.c.created_at,
    payment_intents.c.id,
    sqlite_where=_WAITING,
    postgresql_where=_WAITING,
)

payment_notifications = sa.Table(
    "payment_notifications",
    metadata,
    sa.Column("signature_digest", sa.String(64), primary_key=True),
    sa.Column("notification_id", sa.String(64), nullable=False, index=True),
    sa.Column("gateway_txn_id", sa.String(64), nullable=False),
    sa.Column("outcome", sa.String(16), nullable=False),
    sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
)
