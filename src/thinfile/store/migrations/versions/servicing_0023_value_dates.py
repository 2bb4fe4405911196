"""Card payments booked at their value date: a transaction's booking date, an intent's day.

A card debit the gateway completed on a date close of business had closed by the time its
word arrived is the borrower's payment of that date: it is posted at its value date (the
transaction's ``day``) and the loan replayed, its entries booked on the business date of
arrival, kept as ``booked_day`` (rebooking the journal from the transactions needs both; rows
written before hold NULL: booked on their own date). A payment intent keeps the business date
it was made for (``business_day``: the day it was created on, an auto-debit's due date): a
completion the gateway dates before it is a clock's error, not a value date. Intents made
before hold NULL and are not value-dated.

Revision ID: servicing_0023_value_dates
Revises: servicing_0022_relief_moved
"""

import sqlalchemy as sa
from alembic import op

revision = "servicing_0023_value_dates"
down_revision = "servicing_0022_relief_moved"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("servicing_transactions", sa.Column("booked_day", sa.Integer(), nullable=True))
    op.add_column("payment_intents", sa.Column("business_day", sa.Integer(), nullable=True))


def downgrade() -> None:
    op.drop_column("payment_intents", "business_day")
    op.drop_column("servicing_transactions", "booked_day")
