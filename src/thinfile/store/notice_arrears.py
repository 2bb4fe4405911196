"""What a reminder or an overdue notice is about, as it stands now: the loans' status and
unpaid amounts by due date, read once for a delivery worker's batch
(``services.notice_checks``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from thinfile.store.servicing_tables import installments, loans

__all__ = ["LoanArrears", "arrears_of"]

_I = installments.c
_UNPAID = (
    _I.principal_due
    + _I.interest_due
    + _I.fee_due
    + _I.penalty_due
    - _I.principal_paid
    - _I.interest_paid
    - _I.fee_paid
    - _I.penalty_paid
)


@dataclass(frozen=True, slots=True)
class LoanArrears:
    status: str
    unpaid_by_due_day: dict[int, int]
    """What each due date's installments still owe (fen), for the due dates asked about."""


def arrears_of(conn: Connection, loan_ids: Sequence[int], through: int) -> dict[int, LoanArrears]:
    """Each loan's status and what its installments due on or before day ``through`` owe."""
    if not loan_ids:
        return {}
    rows = conn.execute(
        sa.select(loans.c.id, loans.c.status, _I.due_day, sa.func.sum(_UNPAID))
        .select_from(
            loans.outerjoin(installments, sa.and_(_I.loan_id == loans.c.id, _I.due_day <= through))
        )
        .where(loans.c.id.in_(sorted(set(loan_ids))))
        .group_by(loans.c.id, loans.c.status, _I.due_day)
    ).all()
    out: dict[int, LoanArrears] = {}
    for loan_id, status, due_day, unpaid in rows:
        found = out.setdefault(int(loan_id), LoanArrears(str(status), {}))
        if due_day is not None:
            found.unpaid_by_due_day[int(due_day)] = int(unpaid or 0)
    return out
