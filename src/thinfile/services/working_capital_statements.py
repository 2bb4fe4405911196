"""A working-capital line's monthly statement, read in one unit of work.

The line's postings (``wc_transactions``) are replayed by
:func:`thinfile.servicing.wc_monthly.month_statement`, which checks the replay ends where the
stored line is. A borrower reaches only their own lines (another's is "not found"). The pages
and the API ask for a month as ``YYYY-MM`` (:func:`statement_of_month`, the current business
month when none is given) and may download it as CSV (:func:`statement_csv`).
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import date

from sqlalchemy.engine import Engine

from thinfile.errors import InvalidInputError
from thinfile.money import format_yuan
from thinfile.services.uow import UnitOfWork
from thinfile.services.working_capital import owned_line
from thinfile.servicing.wc_monthly import LineEvent, MonthlyStatement, month_statement
from thinfile.servicing.working_capital import WorkingCapitalLine
from thinfile.store.servicing_codec import from_day

__all__ = [
    "STATEMENT_COLUMNS",
    "MonthlyStatement",
    "StatementPage",
    "line_events",
    "monthly_statement",
    "parse_month",
    "statement_csv",
    "statement_of_month",
]

POSTING_KINDS = ("draw", "repayment", "sales", "recovery", "sales-recovery")
"""The postings a statement replays (the opening is not one)."""

STATEMENT_COLUMNS = (
    "date",
    "event",
    "amount",
    "interest_paid",
    "principal_paid",
    "owed_after",
)

_MONTH = re.compile(r"^([0-9]{4})-([0-9]{2})$")


def line_events(uow: UnitOfWork, line_id: int, maturities: dict[int, int]) -> list[LineEvent]:
    """The line's postings, oldest first (``maturities``: term days of each draw id)."""
    out = []
    for row in uow.working_capital.transactions_of(line_id):
        if row.kind not in POSTING_KINDS:
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


def _statement(uow: UnitOfWork, line: WorkingCapitalLine, month: date) -> MonthlyStatement:
    maturities = {d.draw_id: (d.maturity - d.drawn_on).days for d in line.draws}
    return month_statement(line, line_events(uow, line.line_id, maturities), month)


def monthly_statement(
    engine: Engine, line_id: int, month: date, *, owner: str | None = None
) -> MonthlyStatement:
    """The statement of ``month`` for the line (``owner``: only theirs)."""
    with UnitOfWork(engine) as uow:
        line = owned_line(uow, line_id, owner)
        return _statement(uow, line, month)


def parse_month(text: str) -> date:
    """``YYYY-MM`` as the first day of that month."""
    found = _MONTH.match(text.strip())
    if found is None or not 1 <= int(found.group(2)) <= 12 or int(found.group(1)) < 1900:
        raise InvalidInputError(
            "a month is written YYYY-MM",
            field="month",
            value=text,
            remedy="give a month such as 2028-02",
        )
    return date(int(found.group(1)), int(found.group(2)), 1)


@dataclass(frozen=True, slots=True)
class StatementPage:
    """A month's statement with the months the line has one for (newest first)."""

    line: WorkingCapitalLine
    statement: MonthlyStatement
    months: tuple[date, ...]

    @property
    def month_text(self) -> str:
        return f"{self.statement.month:%Y-%m}"


def _months(line: WorkingCapitalLine) -> tuple[date, ...]:
    first = line.opened_on.replace(day=1)
    month, out = line.cob_date.replace(day=1), []
    while month >= first:
        out.append(month)
        month = date(month.year - (month.month == 1), (month.month - 2) % 12 + 1, 1)
    return tuple(out)


def statement_of_month(
    engine: Engine, line_id: int, month: str | None, *, owner: str | None = None
) -> StatementPage:
    """The statement of ``month`` (``YYYY-MM``; none: the month of the line's last closed
    day, or of its opening before the first close) — the line found, and owned, first."""
    with UnitOfWork(engine) as uow:
        line = owned_line(uow, line_id, owner)
        chosen = parse_month(month) if month else max(line.cob_date, line.opened_on)
        return StatementPage(line, _statement(uow, line, chosen), _months(line))


def statement_csv(statement: MonthlyStatement) -> str:
    """The statement's rows (:data:`STATEMENT_COLUMNS`, amounts in yuan), RFC 4180."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(STATEMENT_COLUMNS)
    for r in statement.rows:
        writer.writerow(
            [
                r.on.isoformat(),
                r.kind,
                format_yuan(r.amount),
                format_yuan(r.paid_interest),
                format_yuan(r.paid_principal),
                format_yuan(r.owed_after),
            ]
        )
    return out.getvalue()
