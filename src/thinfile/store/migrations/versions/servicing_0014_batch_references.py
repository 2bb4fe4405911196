"""The rows close of business writes by the million carry their references without
foreign-key triggers: payment intents (loan, borrower, card) and month-end snapshots (loan).

PostgreSQL checks a foreign key row by row, locking the row it points to: for the night's
auto-debits of a book of 1,000,000 due loans that is three million locks, half the step's
time. Every reference is still written from the row it names (the statements join it), no
loan, user or card is ever deleted, and ``thinfile ledger verify`` checks that every one
resolves (``references_resolve``).

Revision ID: servicing_0014_batch_references
Revises: servicing_0013_card_hash
"""

from alembic import op

revision = "servicing_0014_batch_references"
down_revision = "servicing_0013_card_hash"
branch_labels = None
depends_on = None

_INTENT_REFERENCES = (
    ("fk_payment_intents_loan_id_servicing_loans", "servicing_loans", "loan_id"),
    ("fk_payment_intents_user_id_users", "users", "user_id"),
    ("fk_payment_intents_card_id_payment_cards", "payment_cards", "card_id"),
)
_MONTH_END = "fk_servicing_month_ends_loan_id_servicing_loans"


def upgrade() -> None:
    with op.batch_alter_table("payment_intents") as batch:
        for name, _table, _column in _INTENT_REFERENCES:
            batch.drop_constraint(name, type_="foreignkey")
    with op.batch_alter_table("servicing_month_ends") as batch:
        batch.drop_constraint(_MONTH_END, type_="foreignkey")


def downgrade() -> None:
    with op.batch_alter_table("servicing_month_ends") as batch:
        batch.create_foreign_key(_MONTH_END, "servicing_loans", ["loan_id"], ["id"])
    with op.batch_alter_table("payment_intents") as batch:
        for name, table, column in _INTENT_REFERENCES:
            batch.create_foreign_key(name, table, [column], ["id"])
