"""The in-app message centre: a message is stored in the borrower's centre inside the
delivery worker's unit of work, together with the mark that it is delivered (exactly once)."""

from __future__ import annotations

from thinfile.services.uow import UnitOfWork
from thinfile.store.notifications_repo import StoredMessage

__all__ = ["StoredMessageCentre"]


class StoredMessageCentre:
    """A :class:`~thinfile.services.notification_ports.MessageCentre` in the database."""

    provider = "stored"

    def post_in_unit(
        self, uow: UnitOfWork, message: StoredMessage, subject: str, body: str, language: str
    ) -> str:
        uow.notifications.store_in_app(
            message.notification_id, subject=subject, body=body, language=language
        )
        return f"inapp:{message.notification_id}"
