"""The sandbox SMS provider: every message is kept in a table instead of reaching a phone.

It behaves like a gateway — it takes a message outside the lender's transaction, renders the
template's approved text and answers with a delivery id — and keeps what it "delivered" in
``sms_sandbox_outbox`` (the phone only masked and as its lookup hash). The demo's sandbox inbox
page and the tests read the codes there: :meth:`SandboxSmsSender.inbox`.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.engine import Engine

from thinfile.security.crypto import PiiCipher
from thinfile.security.pii import mask_phone
from thinfile.services.phone_sign_in import phone_number
from thinfile.services.ports import SmsTemplate
from thinfile.store.verification_repo import SandboxSmsOutbox

__all__ = ["TEMPLATES", "SandboxMessage", "SandboxSmsSender"]

TEMPLATES = {
    SmsTemplate.SIGN_IN_CODE: "【thinfile】您的验证码是{code}，{minutes}分钟内有效。请勿告诉他人。"
    " Your thinfile code is {code}, valid for {minutes} minutes. Do not share it."
}
"""Each template's approved text (a real provider registers it in advance)."""


@dataclass(frozen=True, slots=True)
class SandboxMessage:
    id: str
    phone_masked: str
    template: str
    params: dict[str, str]
    body: str
    sent_at: datetime


class SandboxSmsSender:
    """A :class:`~thinfile.services.ports.SmsSender` writing to the sandbox outbox."""

    provider = "sandbox"

    def __init__(self, engine: Engine, cipher: PiiCipher) -> None:
        self._outbox = SandboxSmsOutbox(engine)
        self._cipher = cipher

    def send(self, phone: str, template: SmsTemplate, params: Mapping[str, str]) -> str:
        delivery_id = uuid.uuid4().hex
        self._outbox.append(
            {
                "id": delivery_id,
                "phone_hash": self._cipher.lookup_hash("phone", phone),
                "phone_masked": mask_phone(phone),
                "template": template.value,
                "params": dict(params),
                "body": TEMPLATES[template].format(**params),
                "sent_at": datetime.now(UTC),
            }
        )
        return delivery_id

    def inbox(self, phone: str | None = None, *, limit: int = 20) -> list[SandboxMessage]:
        """The newest messages, to ``phone`` only when it is given."""
        phone_hash = (
            None if phone is None else self._cipher.lookup_hash("phone", phone_number(phone))
        )
        return [
            SandboxMessage(
                id=str(row.id),
                phone_masked=str(row.phone_masked),
                template=str(row.template),
                params=json.loads(str(row.params)),
                body=str(row.body),
                sent_at=row.sent_at if row.sent_at.tzinfo else row.sent_at.replace(tzinfo=UTC),
            )
            for row in self._outbox.newest(phone_hash=phone_hash, limit=limit)
        ]
