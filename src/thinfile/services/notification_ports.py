"""The ports borrower communications need (adapters in :mod:`thinfile.adapters`): the
in-app message centre, e-mail, SMS, and the catalog the words come from.

Every sender takes a ``reference`` — the message's own id for this channel — and must treat
the same reference twice as one message (the e-mail's ``Message-ID``, the SMS provider's
client reference): a worker killed after sending and before recording sends again after its
lease, and the receiver keeps one. A sender refusing for good (no such address) raises
:class:`ChannelError` with ``permanent=True``; any other failure is tried again later.
Contract tests: ``tests/integration/test_notification_channels.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from thinfile.errors import ThinfileError

if TYPE_CHECKING:
    from thinfile.services.uow import UnitOfWork
    from thinfile.store.notifications_repo import StoredMessage

__all__ = [
    "Catalog",
    "ChannelError",
    "EmailSender",
    "MessageCentre",
    "NoticeSmsSender",
    "OutgoingEmail",
    "OutgoingSms",
]


class ChannelError(ThinfileError):
    """A channel could not take a message: tried again later, unless ``permanent``. The
    delivery worker catches it; it never reaches a borrower."""

    code = "notification_channel_failed"
    status = 503

    def __init__(self, reason: str, *, permanent: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent


class Catalog(Protocol):
    """The words of the messages in a language (the pages' zh/en catalog)."""

    def gettext(self, language: str, message: str) -> str: ...


@dataclass(frozen=True, slots=True)
class OutgoingEmail:
    to: str
    subject: str
    body: str
    reference: str
    """Unique per message and channel: the ``Message-ID``'s local part."""
    language: str


class EmailSender(Protocol):
    provider: str

    def send(self, email: OutgoingEmail) -> str:
        """Hand the e-mail to the mail server; the provider's id of it."""
        ...


@dataclass(frozen=True, slots=True)
class OutgoingSms:
    phone: str
    """11 digits, normalized."""
    text: str
    reference: str


class NoticeSmsSender(Protocol):
    provider: str

    def send(self, sms: OutgoingSms) -> str:
        """Hand the SMS to the provider; its delivery id (the same for the same reference)."""
        ...


class MessageCentre(Protocol):
    """The in-app message centre: written inside the worker's unit of work, with the mark that
    the message is delivered, so an in-app message is stored exactly once."""

    def post_in_unit(
        self, uow: UnitOfWork, message: StoredMessage, subject: str, body: str, language: str
    ) -> str: ...
