"""Payment intents (a borrower's payment taken from a card by the gateway) and the replay store
of the gateway's notifications.

Revision ID: servicing_0009_payment_intents
Revises: servicing_0008_loan_documents
"""

import sqlalchemy as sa
from alembic import op

revision = "servicing_0009_payment_intents"
down_revision = "servicing_0008_loan_documents"
branch_labels = None
depends_on = None

_BIG = sa.BigInteger().with_variant(sa.Integer, "sqlite")


def upgrade() -> None:
    op.create_table(
        "payment_intents",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("loan_id", _BIG, sa.ForeignKey("servicing_loans.id"), nullable=False),
        sa.Column("user_id", sa.String(32), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("card_id", sa.String(32), sa.ForeignKey("payment_cards.id"), nullable=False),
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
        sa.UniqueConstraint("user_id", "idempotency_key"),
    )
    op.create_index("ix_payment_intents_loan_id", "payment_intents", ["loan_id"])
    op.create_table(
        "payment_notifications",
        sa.Column("signature_digest", sa.String(64), primary_key=True),
        sa.Column("notification_id", sa.String(64), nullable=False),
        sa.Column("gateway_txn_id", sa.String(64), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index(
        "ix_payment_notifications_notification_id", "payment_notifications", ["notification_id"]
    )


def downgrade() -> None:
    op.drop_index("ix_payment_notifications_notification_id", "payment_notifications")
    op.drop_table("payment_notifications")
    op.drop_index("ix_payment_intents_loan_id", "payment_intents")
    op.drop_table("payment_intents")
