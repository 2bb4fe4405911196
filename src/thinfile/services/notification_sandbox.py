"""The sandbox SMS provider's own table, for its adapter
(:mod:`thinfile.adapters.sandbox_notice_sms`): a message kept once per client reference, and
the newest messages read back. Each call is its own unit of work, as a provider's store is."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.engine import Engine

from thinfile.services.uow import UnitOfWork

__all__ = ["keep_sandbox_sms", "sandbox_sms_inbox"]


def keep_sandbox_sms(engine: Engine, row: Mapping[str, object]) -> str:
    """Keep one message (its ``reference`` once: a repeat answers the first provider id)."""
    with UnitOfWork(engine) as uow:
        provider_id = uow.notifications.sandbox_sms_add(dict(row))
        uow.commit()
    return str(provider_id)


def sandbox_sms_inbox(engine: Engine, *, phone_hash: str | None, limit: int) -> list[Any]:
    """The newest kept messages, to the phone of ``phone_hash`` only when given."""
    with UnitOfWork(engine) as uow:
        return list(uow.notifications.sandbox_sms(phone_hash=phone_hash, limit=limit))
