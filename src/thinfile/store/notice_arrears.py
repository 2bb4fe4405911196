"""What a reminder or an overdue notice is about, as it stands now: the loans' status and
unpaid amounts by due date, read once for a delivery worker's batch
(``services.notice_checks``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from thinfile.store.cob_statements import OWED_ROW
from thinfile.store.servicing_tables import installments, loans

__all__ = ["LoanArrears", "arrears_of"]

_ROWS = installments.alias("i")  # the name OWED_ROW reads its columns by
_I = _ROWS.c
_OWED: sa.ColumnElement[int] = sa.literal_column(OWED_ROW, sa.BigInteger)


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
        sa.select(loans.c.id, loans.c.status, _I.due_day, sa.func.sum(_OWED))
        .select_from(
            loans.outerjoin(_ROWS, sa.and_(_I.loan_id == loans.c.id, _I.due_day <= through))
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
