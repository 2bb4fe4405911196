"""Audit rows for servicing actions taken over the API.

Most servicing use cases (prepayments, draws, reversals, servicing actions, COB) open their own
unit of work and do not know who acts, so the API writes the audit row right after the posting
commits, naming the caller and the transaction. (Inside the posting's own transaction would
be better; that needs an ``actor`` or an in-unit form of those use cases.) Payments already
are: the route calls ``payments.pay_in_unit`` inside its own unit of work and appends the audit
row last (see :mod:`thinfile.api.idempotency`).
"""

from __future__ import annotations

import hashlib

from thinfile.api.context import AppContext
from thinfile.api.idempotency import IdempotentRequest
from thinfile.services.audit import record_audit
from thinfile.services.identity_records import Actor

__all__ = ["audit", "posting_key"]


def audit(context: AppContext, actor: Actor, action: str, subject: str,
          details: dict[str, object]) -> None:
    """One audit row in its own transaction (no personal data in ``details``)."""
    with context.sessions.begin() as session:
        record_audit(session, actor.label, action, subject, details)


def posting_key(idem: IdempotentRequest) -> str:
    """The servicing idempotency key for an API request's key (unique per caller and route)."""
    return "api:" + hashlib.sha256(f"{idem.scope}\n{idem.key}".encode()).hexdigest()
