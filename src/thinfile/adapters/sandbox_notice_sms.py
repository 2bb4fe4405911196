"""The sandbox SMS provider of notifications: messages are kept in
``notification_sandbox_sms`` instead of reaching a phone.

Like a provider it keys each message by the sender's client reference (the same reference
twice is one message, with one provider id), refuses a number that is not a mainland mobile
number for good, and answers with its own delivery id; the phone is kept only masked and as
its lookup hash. Sandbox rule: a number ending in ``0000`` is "unreachable" — a temporary
failure, to try retries.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.engine import Engine

from thinfile.security.crypto import PiiCipher
from thinfile.security.pii import mask_phone
from thinfile.services.notification_ports import ChannelError, OutgoingSms
from thinfile.services.notification_sandbox import keep_sandbox_sms, sandbox_sms_inbox

__all__ = ["SandboxNoticeSms", "SandboxSms"]

_MOBILE = re.compile(r"1[3-9]\d{9}")


@dataclass(frozen=True, slots=True)
class SandboxSms:
    reference: str
    provider_id: str
    phone_masked: str
    body: str
    received_at: datetime
    status: str


class SandboxNoticeSms:
    """A :class:`~thinfile.services.notification_ports.NoticeSmsSender` keeping messages in
    a table."""

    provider = "sandbox"

    def __init__(self, engine: Engine, cipher: PiiCipher) -> None:
        self._engine, self._cipher = engine, cipher

    def send(self, sms: OutgoingSms) -> str:
        if not _MOBILE.fullmatch(sms.phone):
            raise ChannelError("not a mainland mobile number", permanent=True)
        if sms.phone.endswith("0000"):
            raise ChannelError("the phone is unreachable")
        return keep_sandbox_sms(
            self._engine,
            {
                "reference": sms.reference,
                "provider_id": "sms_" + uuid.uuid4().hex,
                "phone_hash": self._cipher.lookup_hash("phone", sms.phone),
                "phone_masked": mask_phone(sms.phone),
                "body": sms.text,
                "received_at": datetime.now(UTC),
                "status": "delivered",
            },
        )

    def inbox(self, phone: str | None = None, *, limit: int = 100) -> list[SandboxSms]:
        """The newest messages, to ``phone`` only when given."""
        phone_hash = None if phone is None else self._cipher.lookup_hash("phone", phone)
        rows = sandbox_sms_inbox(self._engine, phone_hash=phone_hash, limit=limit)
        return [
            SandboxSms(
                str(r.reference),
                str(r.provider_id),
                str(r.phone_masked),
                str(r.body),
                r.received_at if r.received_at.tzinfo else r.received_at.replace(tzinfo=UTC),
                str(r.status),
            )
            for r in rows
        ]
