"""The message centre in the reader's language.

A message is written in the borrower's chosen language when it is delivered
(:mod:`thinfile.services.notification_delivery`); the message centre shows it in the language
the page is read in when the message's template has words in that language — the English
template (:data:`thinfile.comms.TEMPLATES`), or its translation in the catalogue the caller's
``gettext`` reads — filled with the message's own stored parameters
(:func:`~thinfile.services.notifications.message_params`), as delivery fills them. A message
whose words the language lacks is shown as it was sent.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from sqlalchemy.engine import Engine

from thinfile.comms import TEMPLATES, MessageKind, render
from thinfile.errors import InvalidInputError
from thinfile.services.notifications import InboxMessage, inbox_message, message_params
from thinfile.services.uow import UnitOfWork
from thinfile.store.notifications_repo import StoredMessage

__all__ = ["messages_in_language"]

SOURCE_LANGUAGE = "en"


def _said_in(
    message: InboxMessage, stored: StoredMessage, language: str, gettext: Callable[[str], str]
) -> InboxMessage:
    if message.language == language:
        return message
    try:
        kind = MessageKind(stored.kind)
    except ValueError:
        return message
    template = TEMPLATES.get(kind)
    if template is None:
        return message
    words_lacking = any(gettext(t) == t for t in (template.subject, template.body))
    if language != SOURCE_LANGUAGE and words_lacking:
        return message  # the catalogue has no words for it in this language
    try:
        words = render(kind, message_params(stored), gettext)
    except (InvalidInputError, ValueError):
        return message
    return replace(message, subject=words.subject, body=words.body, language=language)


def messages_in_language(
    engine: Engine,
    user_id: str,
    *,
    language: str,
    gettext: Callable[[str], str],
    limit: int,
    offset: int,
) -> list[InboxMessage]:
    """The user's in-app messages, newest first, each in ``language`` where it can be."""
    with UnitOfWork(engine) as uow:
        stored = uow.notifications.inbox(user_id, limit=limit, offset=offset)
    return [_said_in(inbox_message(m), m, language, gettext) for m in stored]
