"""A working-capital line's monthly statement, read in one unit of work.

The line's postings (``wc_transactions``) are replayed by
:func:`thinfile.servicing.wc_monthly.month_statement`, which checks the replay ends where the
stored line is. A borrower reaches only their own lines.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy.engine import Engine

from thinfile.services.uow import UnitOfWork
from thinfile.services.working_capital import owned_line
from thinfile.servicing.wc_monthly import LineEvent, MonthlyStatement, month_statement
from thinfile.store.servicing_codec import from_day

__all__ = ["MonthlyStatement", "line_events", "monthly_statement"]

_POSTINGS = ("draw", "repayment", "sales")


def line_events(uow: UnitOfWork, line_id: int, maturities: dict[int, int]) -> list[LineEvent]:
    """The line's postings, oldest first (``maturities``: term days of each draw id)."""
    out = []
    for row in uow.working_capital.transactions_of(line_id):
        if row.kind not in _POSTINGS:
            continue  # the opening
        draw_id = None if row.draw_id is None else int(row.draw_id)
        out.append(
            LineEvent(
                str(row.kind),
                from_day(int(row.day)),
                int(row.amount),
                draw_id,
                None if draw_id is None else maturities.get(draw_id),
            )
        )
    return out


def monthly_statement(
    engine: Engine, line_id: int, month: date, *, owner: str | None = None
) -> MonthlyStatement:
    """The statement of ``month`` for the line (``owner``: only theirs)."""
    with UnitOfWork(engine) as uow:
        line = owned_line(uow, line_id, owner)
        maturities = {d.draw_id: (d.maturity - d.drawn_on).days for d in line.draws}
        events = line_events(uow, line_id, maturities)
    return month_statement(line, events, month)
