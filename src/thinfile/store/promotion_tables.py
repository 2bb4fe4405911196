"""Tables of programme budgets and interest coupons (migration
``decisioning_0005_budgets``).

A preferential programme's budget is integer fen with the discount given so far beside it on
the same row, and a CHECK constraint keeps it within the budget, so the database itself
refuses an overspend; each loan priced under a programme records what the programme gave it.
An interest coupon is one row per coupon a borrower holds: issued, then redeemed by one loan
(the conditional ``UPDATE … WHERE status = 'issued'`` that redeems it names the loan and the
interest it took off), or void. A coupon issued from a batch (``interest_coupon_batches``, migration
``decisioning_0007_coupon_limits``) names it and the issue that gave it (a campaign's
reference): one coupon per borrower and issue.
"""

from __future__ import annotations

import sqlalchemy as sa

from thinfile.store.db import metadata

__all__ = [
    "interest_coupon_batches",
    "interest_coupons",
    "programme_budgets",
    "programme_uses",
]

_ID = 32  # uuid4 hex
_CODE = 60
_WHEN = sa.DateTime(timezone=True)
_FEN = sa.BigInteger

programme_budgets = sa.Table(
    "programme_budgets",
    metadata,
    sa.Column("code", sa.String(_CODE), primary_key=True),
    sa.Column("budget_fen", _FEN, nullable=False),
    sa.Column("spent_fen", _FEN, nullable=False, server_default="0"),
    sa.Column("updated_at", _WHEN, nullable=False),
    sa.Column("updated_by", sa.String(100), nullable=False),
    sa.CheckConstraint(
        "spent_fen >= 0 AND spent_fen <= budget_fen", name="programme_spent_within_budget"
    ),
)

programme_uses = sa.Table(
    "programme_uses",
    metadata,
    sa.Column("loan_id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("code", sa.String(_CODE), nullable=False, index=True),
    sa.Column("application_id", sa.String(_ID), nullable=False),
    sa.Column("amount_fen", _FEN, nullable=False),
    sa.Column("used_on", sa.Date, nullable=False),
    sa.Column("created_at", _WHEN, nullable=False),
)

interest_coupons = sa.Table(
    "interest_coupons",
    metadata,
    sa.Column("id", sa.String(_ID), primary_key=True),
    sa.Column("borrower_id", sa.String(_ID), nullable=False, index=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("terms_json", sa.Text, nullable=False),
    sa.Column("valid_from", sa.Date, nullable=False),
    sa.Column("valid_to", sa.Date, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("issued_by", sa.String(100), nullable=False),
    sa.Column("issued_at", _WHEN, nullable=False),
    sa.Column("application_id", sa.String(_ID), nullable=True),
    sa.Column("loan_id", sa.Integer, nullable=True),
    sa.Column("value_fen", _FEN, nullable=True),
    sa.Column("redeemed_on", sa.Date, nullable=True),
    sa.Column("batch_id", sa.String(_ID), nullable=True),
    sa.Column("issue_reference", sa.String(100), nullable=True),
    sa.Index(
        "ux_interest_coupons_batch_issue",
        "batch_id",
        "borrower_id",
        "issue_reference",
        unique=True,
    ),
)

interest_coupon_batches = sa.Table(
    "interest_coupon_batches",
    metadata,
    sa.Column("id", sa.String(_ID), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("terms_json", sa.Text, nullable=False),
    sa.Column("valid_from", sa.Date, nullable=False),
    sa.Column("valid_to", sa.Date, nullable=False),
    sa.Column("per_borrower_limit", sa.Integer, nullable=False),
    sa.Column("budget_fen", _FEN, nullable=False),
    sa.Column("spent_fen", _FEN, nullable=False, server_default="0"),
    sa.Column("issued", sa.Integer, nullable=False, server_default="0"),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("created_at", _WHEN, nullable=False),
    sa.Column("created_by", sa.String(100), nullable=False),
    sa.Column("cost_booking", sa.String(24), nullable=False, server_default="marketing_expense"),
    sa.CheckConstraint(
        "spent_fen >= 0 AND spent_fen <= budget_fen", name="coupon_batch_spent_within_budget"
    ),
    sa.CheckConstraint("per_borrower_limit >= 1", name="coupon_batch_limit_positive"),
)
"""A coupon as staff define it once and issue many times (券批次): its redeemed coupons'
value is kept beside its budget, within it by the CHECK constraint; ``issued`` counts the
coupons it gave; ``cost_booking`` (migration ``decisioning_0008_coupon_booking``) how the
lender books a redeemed coupon's value: ``marketing_expense`` or ``reduced_interest_income``."""
