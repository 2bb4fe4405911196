"""A staff increase of a credit limit is an offer the borrower accepts.

An increase takes effect only on the borrower's acceptance; staff increases moved the limit
at once. A staff increase (made alone, or approved by a second staff member) now keeps its
staff request and offers the new limit like the review does: ``limit_offers`` rows carry the
request they come from (``change_request_id``, no policy decision: ``decision_id`` becomes
optional), and a temporary increase's offer carries the day its limit ends (``end_day``).
Rows written before are the review's and the borrowers' requests' offers: they keep their
decision and have neither.

Revision ID: decisioning_0010_staff_offers
Revises: decisioning_0009_behaviour_model
"""

import sqlalchemy as sa
from alembic import op

revision = "decisioning_0010_staff_offers"
down_revision = "decisioning_0009_behaviour_model"
branch_labels = None
depends_on = None

_BIG = sa.BigInteger().with_variant(sa.Integer, "sqlite")
_FK = op.f("fk_limit_offers_change_request_id_limit_change_requests")
_CK = op.f("ck_limit_offers_one_source")
_ONE_SOURCE = "(decision_id IS NULL) <> (change_request_id IS NULL)"


def upgrade() -> None:
    with op.batch_alter_table("limit_offers") as batch:
        batch.alter_column("decision_id", existing_type=_BIG, nullable=True)
        batch.add_column(sa.Column("change_request_id", _BIG, nullable=True))
        batch.add_column(sa.Column("end_day", sa.Integer, nullable=True))
        batch.create_foreign_key(_FK, "limit_change_requests", ["change_request_id"], ["id"])
        batch.create_check_constraint(_CK, _ONE_SOURCE)


def downgrade() -> None:
    op.execute("DELETE FROM limit_offers WHERE change_request_id IS NOT NULL")
    with op.batch_alter_table("limit_offers") as batch:
        batch.drop_constraint(_CK, type_="check")
        batch.drop_constraint(_FK, type_="foreignkey")
        batch.drop_column("end_day")
        batch.drop_column("change_request_id")
        batch.alter_column("decision_id", existing_type=_BIG, nullable=False)
