"""Bank cards carry a keyed hash of the card number, so one card is bound once per borrower.

Revision ID: servicing_0013_card_hash
Revises: servicing_0012_working_capital
"""

import sqlalchemy as sa
from alembic import op

revision = "servicing_0013_card_hash"
down_revision = "servicing_0012_working_capital"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("payment_cards") as batch:
        batch.add_column(sa.Column("card_hash", sa.String(64), nullable=True))
    op.create_index("ix_payment_cards_card_hash", "payment_cards", ["card_hash"])


def downgrade() -> None:
    op.drop_index("ix_payment_cards_card_hash", "payment_cards")
    with op.batch_alter_table("payment_cards") as batch:
        batch.drop_column("card_hash")
