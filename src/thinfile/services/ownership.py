"""Who owns what: the owner resolvers of the API's ownership check and a user's loans and lines.

An application belongs to the user who applied; a loan to the user who accepted the offer that
opened it, or who owns the credit line it was drawn from; a line to the user who accepted the
offer that opened it. None of these ever changes once it exists.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from thinfile.store.decisioning_tables import applications
from thinfile.store.servicing_tables import loans as servicing_loans

__all__ = [
    "lines_of_user",
    "loan_ids_of_user",
    "loans_of_user",
    "owner_of_any_loan",
    "owner_of_application",
    "owner_of_line",
    "owner_of_loan",
]


_MAX_SERIAL = 2**31 - 1


def _serial(value: str) -> int | None:
    return int(value) if value.isdigit() and 0 < int(value) <= _MAX_SERIAL else None


def owner_of_application(session: Session, application_id: str) -> str | None:
    row = session.execute(sa.select(applications.c.user_id).where(
        applications.c.id == application_id)).first()
    return None if row is None else str(row.user_id)


def owner_of_loan(session: Session, loan_id: str) -> str | None:
    """The user who accepted the offer that opened ``loan_id``."""
    row = session.execute(sa.select(applications.c.user_id).where(
        applications.c.loan_id == str(loan_id))).first()
    return None if row is None else str(row.user_id)


def owner_of_line(session: Session, line_id: str) -> str | None:
    """The user who accepted the offer that opened credit line ``line_id``."""
    row = session.execute(sa.select(applications.c.user_id).where(
        applications.c.credit_line_id == str(line_id))).first()
    return None if row is None else str(row.user_id)


def owner_of_any_loan(session: Session, loan_id: str) -> str | None:
    """The owner of ``loan_id``: opened by accepting an offer, or drawn from their line."""
    owner = owner_of_loan(session, loan_id)
    serial = _serial(str(loan_id))
    if owner is not None or serial is None:
        return owner
    line = session.execute(sa.select(servicing_loans.c.credit_line_id).where(
        servicing_loans.c.id == serial)).scalar()
    return None if line is None else owner_of_line(session, str(line))


def loans_of_user(engine: Engine, user_id: str) -> list[tuple[str, int]]:
    """(application id, loan id) of every loan the user has, newest first."""
    with engine.connect() as conn:
        rows = conn.execute(sa.select(applications.c.id, applications.c.loan_id).where(
            applications.c.user_id == user_id, applications.c.loan_id.is_not(None))
            .order_by(applications.c.submitted_at.desc())).all()
    return [(str(r.id), int(r.loan_id)) for r in rows]


def lines_of_user(engine: Engine, user_id: str) -> list[int]:
    """The credit lines the user opened by accepting offers, newest first."""
    with engine.connect() as conn:
        rows = conn.execute(sa.select(applications.c.credit_line_id).where(
            applications.c.user_id == user_id, applications.c.credit_line_id.is_not(None))
            .order_by(applications.c.submitted_at.desc())).all()
    return [int(r.credit_line_id) for r in rows]


def loan_ids_of_user(engine: Engine, user_id: str) -> list[int]:
    """Every loan the user has — opened from an offer or drawn from a line — newest first."""
    opened = [loan for _, loan in loans_of_user(engine, user_id)]
    lines = lines_of_user(engine, user_id)
    drawn: list[int] = []
    if lines:
        with engine.connect() as conn:
            drawn = [int(i) for i in conn.execute(sa.select(servicing_loans.c.id).where(
                servicing_loans.c.credit_line_id.in_(lines))).scalars()]
    return sorted(set(opened) | set(drawn), reverse=True)
