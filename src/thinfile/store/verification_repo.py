"""One-time SMS codes, the phones accounts sign in with, real-name verifications, and the
sandbox SMS outbox.

The first three are repositories bound on the services' unit of work (they never commit).
:class:`SandboxSmsOutbox` belongs to the sandbox SMS adapter, which is a provider outside the
lender's transaction: like a real gateway it records a message on its own, in a transaction of
its own, whatever the use case that asked for it does afterwards.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from thinfile.store.db import StoredRow
from thinfile.store.decisioning_tables import applications
from thinfile.store.verification_tables import (
    real_name_verifications,
    sms_codes,
    sms_sandbox_outbox,
    user_phones,
)

__all__ = [
    "RealNameRepository",
    "SandboxSmsOutbox",
    "SmsCodeRepository",
    "UserPhoneRepository",
]


class SmsCodeRepository:
    """Codes sent (their keyed hashes) on one connection."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(self, values: dict[str, Any]) -> None:
        self.conn.execute(sa.insert(sms_codes).values(values))

    def sent_since(
        self, *, phone_hash: str, client_hash: str, since: datetime, device_hash: str | None
    ) -> tuple[list[datetime], list[datetime]]:
        """When codes were sent to the phone for the device ``device_hash`` (None: for no
        device), and asked for by the client, since ``since``.

        The phone and the client are locked first, to the end of the transaction, so two
        requests at once cannot both count the same history and both send: PostgreSQL takes
        transaction advisory locks (in a fixed order, so two requests never wait on each
        other); SQLite already serialises writers with ``BEGIN IMMEDIATE``."""
        if self.conn.dialect.name == "postgresql":
            for key in sorted({f"sms:phone:{phone_hash}", f"sms:client:{client_hash}"}):
                self.conn.execute(
                    sa.text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"),
                    {"key": key},
                )
        rows = self.conn.execute(
            sa.select(
                sms_codes.c.phone_hash,
                sms_codes.c.client_hash,
                sms_codes.c.sent_at,
                sms_codes.c.device_hash,
            ).where(
                sms_codes.c.sent_at >= since,
                sa.or_(
                    sms_codes.c.phone_hash == phone_hash, sms_codes.c.client_hash == client_hash
                ),
            )
        ).all()
        to_phone = [
            r.sent_at for r in rows if r.phone_hash == phone_hash and r.device_hash == device_hash
        ]
        from_client = [r.sent_at for r in rows if r.client_hash == client_hash]
        return to_phone, from_client

    def newest(
        self, phone_hash: str, *, device_hash: str | None, lock: bool = False
    ) -> StoredRow | None:
        """The newest code sent to the phone for the device ``device_hash`` (None: for no
        device); a newer code replaces the ones before it."""
        query = (
            sa.select(sms_codes)
            .where(sms_codes.c.phone_hash == phone_hash, _of_device(device_hash))
            .order_by(sms_codes.c.sent_at.desc(), sms_codes.c.id.desc())
            .limit(1)
        )
        return self.conn.execute(query.with_for_update() if lock else query).first()

    def count_attempt(self, code_id: str) -> None:
        self.conn.execute(
            sa.update(sms_codes)
            .where(sms_codes.c.id == code_id)
            .values(attempts=sms_codes.c.attempts + 1)
        )

    def use(self, code_id: str, *, at: datetime) -> bool:
        """Mark the code used; False when it already was (someone else's try won)."""
        done = self.conn.execute(
            sa.update(sms_codes)
            .where(sms_codes.c.id == code_id, sms_codes.c.used_at.is_(None))
            .values(used_at=at, attempts=sms_codes.c.attempts + 1)
        )
        return bool(done.rowcount)

    def sent_to_phone_since(
        self, phone_hash: str, *, since: datetime, device_hash: str | None
    ) -> list[StoredRow]:
        """The codes sent to the phone for the device ``device_hash`` (None: for no device)
        since ``since``, with their attempts: the wrong tries across codes are counted from
        them (:func:`thinfile.security.otp.ensure_may_try`)."""
        return list(
            self.conn.execute(
                sa.select(sms_codes).where(
                    sms_codes.c.phone_hash == phone_hash,
                    sms_codes.c.sent_at >= since,
                    _of_device(device_hash),
                )
            ).all()
        )


def _of_device(device_hash: str | None) -> sa.ColumnElement[bool]:
    column = sms_codes.c.device_hash
    return column.is_(None) if device_hash is None else column == device_hash


class UserPhoneRepository:
    """Which account signs in with which phone (by its lookup hash)."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(self, *, phone_hash: str, user_id: str, at: datetime) -> None:
        self.conn.execute(
            sa.insert(user_phones).values(phone_hash=phone_hash, user_id=user_id, created_at=at)
        )

    def user_of(self, phone_hash: str) -> str | None:
        found = self.conn.execute(
            sa.select(user_phones.c.user_id).where(user_phones.c.phone_hash == phone_hash)
        ).scalar()
        return None if found is None else str(found)


class RealNameRepository:
    """Applicants whose real name a provider confirmed (实名认证)."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(self, *, applicant_id: str, provider: str, reference: str, at: datetime) -> None:
        self.conn.execute(
            sa.insert(real_name_verifications).values(
                applicant_id=applicant_id, provider=provider, reference=reference, verified_at=at
            )
        )

    def get(self, applicant_id: str) -> StoredRow | None:
        return self.conn.execute(
            sa.select(real_name_verifications).where(
                real_name_verifications.c.applicant_id == applicant_id
            )
        ).first()

    def may_apply(self, applicant_id: str) -> bool:
        """Verified, or an applicant who applied before verification was asked for."""
        verified = sa.exists().where(real_name_verifications.c.applicant_id == applicant_id)
        applied = sa.exists().where(applications.c.applicant_id == applicant_id)
        return bool(self.conn.execute(sa.select(sa.or_(verified, applied))).scalar())


class SandboxSmsOutbox:
    """The sandbox SMS provider's record of every message it "delivered"."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def append(self, values: Mapping[str, Any]) -> None:
        row = {**values, "params": json.dumps(values["params"], sort_keys=True)}
        with self.engine.begin() as conn:
            conn.execute(sa.insert(sms_sandbox_outbox).values(row))

    def newest(self, *, phone_hash: str | None = None, limit: int = 20) -> Sequence[StoredRow]:
        """Newest first; only to one phone when ``phone_hash`` is given."""
        query = (
            sa.select(sms_sandbox_outbox)
            .order_by(sms_sandbox_outbox.c.sent_at.desc(), sms_sandbox_outbox.c.id.desc())
            .limit(limit)
        )
        if phone_hash is not None:
            query = query.where(sms_sandbox_outbox.c.phone_hash == phone_hash)
        with self.engine.connect() as conn:
            return conn.execute(query).all()
