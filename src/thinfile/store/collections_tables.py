"""Collections tables: cases, registered parties, contacts (made and refused), call counts,
promises to pay, hardship plans and agency assignments. Money in fen, days as day numbers."""

from __future__ import annotations

import sqlalchemy as sa

from thinfile.store.db import metadata

__all__ = [
    "agencies",
    "agency_assignments",
    "agency_users",
    "call_counts",
    "cases",
    "contacts",
    "hardship_plans",
    "notes",
    "parties",
    "promises",
]

_BIG = sa.BigInteger().with_variant(sa.Integer, "sqlite")
_DAY = sa.Integer
_WHEN = sa.DateTime(timezone=True)
_LOAN = "servicing_loans.id"

cases = sa.Table(
    "collection_cases",
    metadata,
    sa.Column("id", _BIG, primary_key=True, autoincrement=True),
    sa.Column("loan_id", _BIG, sa.ForeignKey(_LOAN), nullable=False, unique=True),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("bucket", sa.String(16), nullable=False),
    sa.Column("entry_bucket", sa.String(16), nullable=False),
    sa.Column("strategy", sa.String(16), nullable=False),
    sa.Column("arm", sa.String(32), nullable=False),
    sa.Column("assignee", sa.String(32), nullable=True, index=True),
    sa.Column("agency", sa.String(40), nullable=True, index=True),
    sa.Column("time_zone", sa.String(40), nullable=False),
    sa.Column("opened_day", _DAY, nullable=False),
    sa.Column("closed_day", _DAY, nullable=True),
    sa.Column("version", sa.Integer, nullable=False, server_default="1"),
)
"""One row per loan ever delinquent: ``open`` while it is, ``closed`` once cured or closed."""

parties = sa.Table(
    "collection_parties",
    metadata,
    sa.Column("id", _BIG, primary_key=True, autoincrement=True),
    sa.Column("loan_id", _BIG, sa.ForeignKey(_LOAN), nullable=False, index=True),
    sa.Column("party", sa.String(24), nullable=False),
    sa.Column("number_hash", sa.String(64), nullable=False),
    sa.Column("number_masked", sa.String(20), nullable=False),
    sa.Column("name_masked", sa.String(40), nullable=False),
    sa.UniqueConstraint("loan_id", "party", "number_hash", name="uq_collection_parties_number"),
)
"""Who may be contacted about a loan: the borrower and their registered emergency contact."""

contacts = sa.Table(
    "collection_contacts",
    metadata,
    sa.Column("id", _BIG, primary_key=True, autoincrement=True),
    sa.Column("case_id", _BIG, sa.ForeignKey("collection_cases.id"), nullable=False, index=True),
    sa.Column("at", _WHEN, nullable=False),
    sa.Column("local_day", _DAY, nullable=False),
    sa.Column("channel", sa.String(16), nullable=False),
    sa.Column("party", sa.String(24), nullable=False),
    sa.Column("purpose", sa.String(16), nullable=False),
    sa.Column("number_hash", sa.String(64), nullable=False),
    sa.Column("number_masked", sa.String(20), nullable=False),
    sa.Column("outcome", sa.String(24), nullable=True),
    sa.Column("script", sa.String(40), nullable=False),
    sa.Column("reason", sa.String(500), nullable=False),
    sa.Column("actor", sa.String(64), nullable=False),
    sa.Column("agency", sa.String(40), nullable=True),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("rule", sa.String(48), nullable=True),
)
"""Every attempt: ``made`` (with its outcome) or ``refused`` (with the rule it would break)."""

call_counts = sa.Table(
    "collection_call_counts",
    metadata,
    sa.Column("number_hash", sa.String(64), primary_key=True),
    sa.Column("local_day", _DAY, primary_key=True),
    sa.Column("unanswered", sa.Integer, nullable=False, server_default="0"),
)
"""Unanswered calls to one number on one local day: the row a call locks, so two agents
calling at once cannot make a seventh."""

promises = sa.Table(
    "collection_promises",
    metadata,
    sa.Column("id", _BIG, primary_key=True, autoincrement=True),
    sa.Column("case_id", _BIG, sa.ForeignKey("collection_cases.id"), nullable=False, index=True),
    sa.Column("loan_id", _BIG, sa.ForeignKey(_LOAN), nullable=False, index=True),
    sa.Column("amount", sa.BigInteger, nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("made_day", _DAY, nullable=False),
    sa.Column("due_day", _DAY, nullable=False),
    sa.Column("status", sa.String(16), nullable=False, index=True),
    sa.Column("paid", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("settled_day", _DAY, nullable=True),
    sa.Column("actor", sa.String(64), nullable=False),
)

hardship_plans = sa.Table(
    "collection_hardship_plans",
    metadata,
    sa.Column("id", _BIG, primary_key=True, autoincrement=True),
    sa.Column("loan_id", _BIG, sa.ForeignKey(_LOAN), nullable=False, index=True),
    sa.Column("kind", sa.String(24), nullable=False),
    sa.Column("months", sa.Integer, nullable=False, server_default="0"),
    sa.Column("amount", sa.BigInteger, nullable=True),
    sa.Column("reason", sa.String(500), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("proposed_by", sa.String(32), nullable=False),
    sa.Column("proposed_day", _DAY, nullable=False),
    sa.Column("approved_by", sa.String(32), nullable=True),
    sa.Column("approved_day", _DAY, nullable=True),
    sa.Column("txn_id", _BIG, nullable=True),
)

agencies = sa.Table(
    "collection_agencies",
    metadata,
    sa.Column("code", sa.String(40), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
)
"""The published white list of outsourced collection agencies (委外机构名单)."""

agency_assignments = sa.Table(
    "collection_agency_assignments",
    metadata,
    sa.Column("id", _BIG, primary_key=True, autoincrement=True),
    sa.Column("case_id", _BIG, sa.ForeignKey("collection_cases.id"), nullable=False, index=True),
    sa.Column("agency", sa.String(40), sa.ForeignKey("collection_agencies.code"), nullable=False),
    sa.Column("assigned_day", _DAY, nullable=False),
    sa.Column("recalled_day", _DAY, nullable=True),
    sa.Column("actor", sa.String(64), nullable=False),
)

agency_users = sa.Table(
    "collection_agency_users",
    metadata,
    sa.Column("user_id", sa.String(32), sa.ForeignKey("users.id"), primary_key=True),
    sa.Column("agency", sa.String(40), sa.ForeignKey("collection_agencies.code"), nullable=False),
)
"""The collectors who sign in for an agency: they see only the cases placed with it."""

notes = sa.Table(
    "collection_notes",
    metadata,
    sa.Column("id", _BIG, primary_key=True, autoincrement=True),
    sa.Column("case_id", _BIG, sa.ForeignKey("collection_cases.id"), nullable=False, index=True),
    sa.Column("author", sa.String(64), nullable=False),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("text", sa.String(1000), nullable=False),
)
"""Free-text notes on a case (no contact: a contact is logged under the conduct rules)."""
