"""Recording that a borrower accepted an offer after reading its cost statement.

A stop-gap until ``thinfile.services.applications`` has the accept-offer use case that also
opens and disburses the loan (``thinfile.services.loans.open_and_disburse``) and stores its id
on the application in the same transaction. Until then this records the acceptance only: one
transaction, optimistic on the application's version, audited with the seconds spent reading.
"""

from __future__ import annotations

import sqlalchemy as sa

from thinfile.errors import ConflictError, NotFoundError
from thinfile.services.audit import record_audit
from thinfile.services.identity_records import Actor, Sessions, now_utc
from thinfile.store.decisioning_tables import applications

__all__ = ["record_acceptance"]


def record_acceptance(sessions: Sessions, application_id: str, *, offer: int, actor: Actor,
                      seconds_read: float) -> None:
    """Mark offer ``offer`` of an approved application as accepted, once."""
    with sessions.begin() as session:
        row = session.execute(sa.select(applications).where(
            applications.c.id == application_id).with_for_update()).first()
        if row is None or row.user_id != actor.user_id:
            raise NotFoundError("no such application", field="application_id",
                                value=application_id)
        if row.status != "approved" or row.accepted_offer is not None:
            raise ConflictError("this application has no open offer to accept",
                                field="application_id", value=application_id)
        changed = session.execute(sa.update(applications).where(
            applications.c.id == application_id, applications.c.version == row.version).values(
            accepted_offer=offer, statement_confirmed_at=now_utc(), version=row.version + 1))
        if changed.rowcount != 1:  # type: ignore[attr-defined]
            raise ConflictError("the application changed meanwhile; reload and try again")
        record_audit(session, actor.label, "application.accept_offer",
                     f"application:{application_id}",
                     {"offer": offer, "statement_read_seconds": round(seconds_read, 1)})
