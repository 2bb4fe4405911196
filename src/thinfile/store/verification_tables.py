"""Tables of phone sign-in and real-name verification (migration branch ``identity``).

No code and no phone number sits here in plain text: ``sms_codes.code_hash`` is the keyed hash
of a one-time code (``thinfile.security.otp``), ``*phone_hash`` and ``client_hash`` are keyed
lookup hashes. The sandbox SMS outbox is the sandbox provider's own record of what it
"delivered" — the message text a phone would show — and holds the phone only masked.
"""

from __future__ import annotations

import sqlalchemy as sa

from thinfile.store.db import metadata

__all__ = ["real_name_verifications", "sms_codes", "sms_sandbox_outbox", "user_phones"]

_ID = 32  # uuid4 hex
_HASH = 64
_WHEN = sa.DateTime(timezone=True)

sms_codes = sa.Table(
    "sms_codes",
    metadata,
    sa.Column("id", sa.String(_ID), primary_key=True),
    sa.Column("phone_hash", sa.String(_HASH), nullable=False),
    sa.Column("client_hash", sa.String(_HASH), nullable=False),
    sa.Column("code_hash", sa.String(_HASH), nullable=False),
    sa.Column("sent_at", _WHEN, nullable=False),
    sa.Column("expires_at", _WHEN, nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("used_at", _WHEN, nullable=True),
    # the device the code was asked for from (its device token's keyed hash), or none:
    # only a try from that device is checked against it
    sa.Column("device_hash", sa.String(_HASH), nullable=True),
    sa.Index("ix_sms_codes_phone_sent", "phone_hash", "sent_at"),
    sa.Index("ix_sms_codes_client_sent", "client_hash", "sent_at"),
)

# The phone a borrower signs in with: one account per phone, one phone per account.
user_phones = sa.Table(
    "user_phones",
    metadata,
    sa.Column("phone_hash", sa.String(_HASH), primary_key=True),
    sa.Column("user_id", sa.String(_ID), sa.ForeignKey("users.id"), nullable=False, unique=True),
    sa.Column("created_at", _WHEN, nullable=False),
)

# An applicant whose name and ID number an identity provider confirmed (实名认证).
real_name_verifications = sa.Table(
    "real_name_verifications",
    metadata,
    sa.Column("applicant_id", sa.String(_ID), sa.ForeignKey("applicants.id"), primary_key=True),
    sa.Column("provider", sa.String(40), nullable=False),
    sa.Column("reference", sa.String(100), nullable=False),
    sa.Column("verified_at", _WHEN, nullable=False),
)

sms_sandbox_outbox = sa.Table(
    "sms_sandbox_outbox",
    metadata,
    sa.Column("id", sa.String(_ID), primary_key=True),
    sa.Column("phone_hash", sa.String(_HASH), nullable=False),
    sa.Column("phone_masked", sa.String(20), nullable=False),
    sa.Column("template", sa.String(40), nullable=False),
    sa.Column("params", sa.Text, nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("sent_at", _WHEN, nullable=False),
    sa.Index("ix_sms_sandbox_outbox_phone_sent", "phone_hash", "sent_at"),
)
