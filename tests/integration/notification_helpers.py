"""A borrower with an accepted loan (contract signed), the local mailbox and the channels of
the notification tests."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.engine import Engine

from tests.integration.test_applications import STAFF, submit
from tests.support.decisioning import DECIDED_ON, id_number
from thinfile.adapters import SandboxRealNameVerifier
from thinfile.adapters.local_mailbox import LocalMailbox
from thinfile.adapters.message_centre import StoredMessageCentre
from thinfile.adapters.sandbox_notice_sms import SandboxNoticeSms
from thinfile.adapters.smtp_email import SmtpEmailSender
from thinfile.cli.notifications import PageCatalog
from thinfile.security.crypto import PiiCipher
from thinfile.security.passwords import PasswordHasher
from thinfile.security.roles import Role
from thinfile.services import applicants, documents, identity, real_name
from thinfile.services import applications as apps
from thinfile.services import notifications as notes
from thinfile.services.identity_records import Actor
from thinfile.services.notification_delivery import Channels
from thinfile.services.policies import ensure_default_policy

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOON = datetime(2030, 1, 15, 12, 0, tzinfo=SHANGHAI)
"""A daytime moment after every message the tests write (the worker's clock)."""
CATALOG = PageCatalog()
_HASHER = PasswordHasher(time_cost=1, memory_kib=8)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def mailbox(tmp_path: Path) -> Iterator[LocalMailbox]:
    box = LocalMailbox(tmp_path / "mail", port=free_port()).start()
    yield box
    box.stop()


def new_cipher() -> PiiCipher:
    return PiiCipher({"k1": os.urandom(32)}, active_key_id="k1", lookup_key=b"L" * 32)


@dataclass
class Borrower:
    engine: Engine
    cipher: PiiCipher
    actor: Actor
    applicant_id: str
    email: str
    phone: str
    loan_id: int | None = None


_count = iter(range(1, 10**6))


def borrower(engine: Engine, cipher: PiiCipher, *, phone: str | None = None) -> Borrower:
    """A real-name-verified borrower with an e-mail address and a phone (a number of their
    own unless told: two profiles never share one)."""
    n = next(_count)
    phone = phone or f"1380013{n % 10_000:04d}"
    email = f"borrower{n}-{os.getpid()}@example.com"
    user = identity.create_user(engine, _HASHER, email=email, password="pw-123456!")
    actor = Actor(user.id, Role.BORROWER)
    profile = applicants.register_applicant(
        engine,
        cipher,
        actor=actor,
        name="王小明",
        id_number=id_number(seq=f"{100 + n % 800:03d}"),
        phone=phone,
    )
    real_name.verify_real_name(
        engine, cipher, SandboxRealNameVerifier(), applicant_id=profile.id, actor=actor
    )
    return Borrower(engine, cipher, actor, profile.id, email, phone)


def choose(
    who: Borrower,
    *,
    language: str = "zh",
    time_zone: str = "Asia/Shanghai",
    in_app_only: bool = False,
) -> Borrower:
    """``who`` with their own choices of language, time zone and channels made."""
    notes.set_preferences(
        who.engine,
        who.actor,
        who.actor.user_id,
        language=language,
        time_zone=time_zone,
        in_app_only=in_app_only,
    )
    return who


def with_loan(who: Borrower, *, language: Literal["zh", "en"] = "zh") -> Borrower:
    """``who`` applies and accepts the first offer, signing the contract."""
    ensure_default_policy(who.engine, actor=STAFF)
    world = (who.engine, who.cipher, who.actor, who.applicant_id)
    record = submit(world)
    accepted = apps.accept_offer(
        who.engine,
        record.id,
        actor=who.actor,
        offer=0,
        seconds_read=12,
        confirmed=True,
        on=DECIDED_ON,
        signing=documents.Signing(who.cipher, "示例小额贷款有限公司", language=language),
    )
    who.loan_id = int(accepted.loan_id)
    return who


def channels(engine: Engine, cipher: PiiCipher, box: LocalMailbox | None) -> Channels:
    email = (
        None
        if box is None
        else SmtpEmailSender(box.host, box.port, sender="thinfile <no-reply@thinfile.test>")
    )
    return Channels(centre=StoredMessageCentre(), email=email, sms=SandboxNoticeSms(engine, cipher))


def at(text: str) -> datetime:
    """A Shanghai wall-clock moment, ``2030-01-15 23:30``."""
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)
