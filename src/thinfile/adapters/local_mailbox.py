"""A local mail server for development, the demo and the tests (aiosmtpd): a real SMTP
server on 127.0.0.1 that keeps what it receives in a folder.

Each message is kept once per ``Message-ID`` (``<sha256>.eml``, created exclusively), the way
a mailbox threads a repeat of the same message; every arrival, repeats included, is also
appended to ``arrivals.log`` (one Message-ID a line), so a test can tell what the wire carried
from what the mailbox holds. Sandbox rule: a recipient at ``bounce.invalid`` is refused with
``550`` (no such mailbox), to try a permanent failure.
"""

from __future__ import annotations

import email
import email.policy
import hashlib
import threading
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

__all__ = ["BOUNCE_DOMAIN", "LocalMailbox", "arrivals", "stored_messages"]

BOUNCE_DOMAIN = "bounce.invalid"
_ARRIVALS = "arrivals.log"


def _file_of(message_id: str) -> str:
    return hashlib.sha256(message_id.encode()).hexdigest() + ".eml"


class _Keeper:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._lock = threading.Lock()

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        if address.lower().endswith("@" + BOUNCE_DOMAIN):
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raw = bytes(envelope.content)
        parsed = email.message_from_bytes(raw, policy=email.policy.default)
        message_id = str(parsed.get("Message-ID") or hashlib.sha256(raw).hexdigest())
        with self._lock:
            with (self.folder / _ARRIVALS).open("a", encoding="utf-8") as log:
                log.write(message_id + "\n")
            try:
                with (self.folder / _file_of(message_id)).open("xb") as kept:
                    kept.write(raw)
            except FileExistsError:
                pass  # the same message again: the mailbox keeps one
        return "250 Message accepted for delivery"


class LocalMailbox:
    """An SMTP server on ``host:port`` keeping messages in ``folder``; start and stop it, or
    use it as a context manager."""

    def __init__(self, folder: Path, *, host: str = "127.0.0.1", port: int = 8025) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.host, self.port = host, port
        self._controller = Controller(_Keeper(self.folder), hostname=host, port=port)

    def start(self) -> LocalMailbox:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()

    def __enter__(self) -> LocalMailbox:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def messages(self) -> list[EmailMessage]:
        return stored_messages(self.folder)

    def arrivals(self) -> list[str]:
        return arrivals(self.folder)


def stored_messages(folder: Path) -> list[EmailMessage]:
    """Every message the mailbox in ``folder`` keeps (one per Message-ID)."""
    out = []
    for path in sorted(Path(folder).glob("*.eml")):
        parsed = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        out.append(parsed)
    return out


def arrivals(folder: Path) -> list[str]:
    """The Message-ID of every arrival, repeats included, in order."""
    log = Path(folder) / _ARRIVALS
    return log.read_text(encoding="utf-8").split() if log.exists() else []
