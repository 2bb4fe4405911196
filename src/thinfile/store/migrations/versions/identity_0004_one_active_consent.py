"""At most one active consent per applicant, data category and purpose.

Granting the same consent twice (a double-tapped button, ten concurrent requests) used to
store one row each. A partial unique index on ``consents (applicant_id, data_category,
purpose) WHERE revoked_at IS NULL`` now holds the rule in the database; the consent service
returns the active record instead of adding another.

Duplicates already stored are closed first: the earliest active record of each group stays,
each later one is stamped revoked at the moment it was granted (it never covered anything the
first did not).

Revision ID: identity_0004_one_active_consent
Revises: identity_0003_keyed_audit
"""

import sqlalchemy as sa
from alembic import op

revision = "identity_0004_one_active_consent"
down_revision = "identity_0003_keyed_audit"
branch_labels = None
depends_on = None

INDEX = "uq_consents_one_active"


def upgrade() -> None:
    op.execute(
        "UPDATE consents SET revoked_at = granted_at WHERE revoked_at IS NULL AND EXISTS ("
        "SELECT 1 FROM consents AS earlier WHERE earlier.revoked_at IS NULL "
        "AND earlier.applicant_id = consents.applicant_id "
        "AND earlier.data_category = consents.data_category "
        "AND earlier.purpose = consents.purpose "
        "AND (earlier.granted_at < consents.granted_at "
        "OR (earlier.granted_at = consents.granted_at AND earlier.id < consents.id)))"
    )
    active = sa.text("revoked_at IS NULL")
    op.create_index(
        INDEX,
        "consents",
        ["applicant_id", "data_category", "purpose"],
        unique=True,
        sqlite_where=active,
        postgresql_where=active,
    )


def downgrade() -> None:
    op.drop_index(INDEX, table_name="consents")
