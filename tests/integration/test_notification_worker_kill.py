"""A delivery worker killed mid-batch (SIGKILL, as a crash or an OOM kill would) loses no
message and repeats none: the next worker takes the killed one's rows once their lease ends,
and every message is in the borrower's message centre, in the local mailbox and with the SMS
provider exactly once — on SQLite and PostgreSQL, with the real ``thinfile notifications
deliver`` command and a real SMTP server."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa

from tests.integration.notification_helpers import borrower, mailbox  # noqa: F401 - fixture
from thinfile.adapters.sandbox_notice_sms import SandboxNoticeSms
from thinfile.comms import MessageKind
from thinfile.money import Money
from thinfile.security.crypto import pii_cipher
from thinfile.services import notifications as notes
from thinfile.services.identity_records import Actor
from thinfile.services.uow import UnitOfWork
from thinfile.settings import Settings

MESSAGES = 40
CHANNELS = 3


def _daytime_zone() -> str:
    """A fixed-offset zone where it is about noon now, so quiet hours do not apply while the
    test runs (whatever the hour it runs at)."""
    offset = 12 - datetime.now(UTC).hour  # -11 … 12
    return "Etc/GMT" if offset == 0 else f"Etc/GMT{-offset:+d}"


def _worker(url: str, port: int, home: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "THINFILE_DATABASE_URL": url,
        "THINFILE_HOME": str(home),
        "THINFILE_SMTP_PORT": str(port),
    }
    command = [
        sys.executable, "-m", "thinfile", "notifications", "deliver",
        "--batch", "10", "--lease-seconds", "2", "--idle-seconds", "0.1",
        "--in-app-cap", "1000", "--email-cap", "1000", "--sms-cap", "1000",
    ]  # fmt: skip
    with (home / "worker.log").open("ab") as log:
        return subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)


def _statuses(engine) -> dict[str, int]:
    with engine.connect() as conn:
        return dict(
            conn.execute(
                sa.text("SELECT status, COUNT(*) FROM notification_deliveries GROUP BY status")
            ).all()
        )


def test_a_worker_killed_mid_batch_delivers_every_message_exactly_once(
    engine,
    database_url,
    mailbox,  # noqa: F811
    tmp_path,
):
    cipher = pii_cipher(Settings())  # the command's cipher: the development keys
    who = borrower(engine, cipher)
    notes.set_preferences(
        engine,
        Actor(who.actor.user_id, who.actor.role),
        who.actor.user_id,
        language="en",
        time_zone=_daytime_zone(),
        in_app_only=False,
    )
    with UnitOfWork(engine) as uow:
        for k in range(MESSAGES):
            notes.enqueue_notification_in_unit(
                uow,
                who.actor.user_id,
                MessageKind.AUTO_DEBIT_FAILED,
                subject=f"intent:{k}",
                loan_id=k + 1,
                amount=Money.of("25"),
                params={"failure": "insufficient_funds"},
            )
        uow.commit()
    total = MESSAGES * CHANNELS

    first = _worker(database_url, mailbox.port, tmp_path)
    deadline = time.monotonic() + 60
    while len(mailbox.arrivals()) < 8 and time.monotonic() < deadline:
        time.sleep(0.005)
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=10)
    at_kill = _statuses(engine)
    log = (tmp_path / "worker.log").read_text(errors="replace")
    assert 0 < at_kill.get("delivered", 0) < total, (at_kill, log)  # killed mid-way

    second = _worker(database_url, mailbox.port, tmp_path)
    try:
        deadline = time.monotonic() + 90
        while _statuses(engine).get("delivered", 0) < total and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        second.send_signal(signal.SIGINT)
        second.wait(timeout=20)
    assert _statuses(engine) == {"delivered": total}, (tmp_path / "worker.log").read_text()

    mine = notes.list_deliveries(engine, limit=1000, offset=0, user_id=who.actor.user_id)
    ids = sorted({d.notification_id for d in mine})
    assert len(ids) == MESSAGES
    expected_mail = {f"<n{n}-email@thinfile.local>" for n in ids}
    kept = [str(m["Message-ID"]) for m in mailbox.messages()]
    assert sorted(kept) == sorted(expected_mail)  # each e-mail in the mailbox once
    assert set(mailbox.arrivals()) == expected_mail
    inbox = notes.list_messages(engine, who.actor.user_id, limit=1000, offset=0)
    assert sorted(m.id for m in inbox) == ids  # each in the message centre once
    sms = SandboxNoticeSms(engine, cipher).inbox(who.phone, limit=1000)
    assert sorted(s.reference for s in sms) == sorted(f"n{n}-sms" for n in ids)
    repeats = len(mailbox.arrivals()) - len(expected_mail)
    print(f"killed at {at_kill}; e-mails the wire carried twice (kept once): {repeats}")
