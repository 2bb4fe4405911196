"""What the working-capital pages show: a line with its business's recent sales (one total
per day, all channels) and decisions, read for its borrower or for staff.

A borrower reaches only their own line; staff reading a business's sales is audited
(``sales_feed.sales_history``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy.engine import Engine

from thinfile.scoring.sales_feed import DailySales
from thinfile.services import sales_feed
from thinfile.services.identity_records import Actor
from thinfile.services.uow import UnitOfWork
from thinfile.services.working_capital import LineView, get_line
from thinfile.services.working_capital_decisions import (
    StoredWorkingCapitalDecision,
    working_capital_decisions,
)

__all__ = ["CHART_DAYS", "LinePage", "SalesDay", "line_page"]

CHART_DAYS = 30
"""Days of sales the pages show."""


@dataclass(frozen=True, slots=True)
class SalesDay:
    """A day's sales over every channel: gross, refunds and transactions."""

    day: date
    gross_fen: int
    refunds_fen: int
    transactions: int

    @property
    def net_fen(self) -> int:
        return self.gross_fen - self.refunds_fen


@dataclass(frozen=True, slots=True)
class LinePage:
    view: LineView
    applicant_id: str | None
    sales: tuple[SalesDay, ...]
    decisions: tuple[StoredWorkingCapitalDecision, ...]
    recovered: int = 0
    """Paid after the line was charged off (核销后收回)."""


def _by_day(rows: list[DailySales]) -> tuple[SalesDay, ...]:
    days: dict[date, SalesDay] = {}
    for r in rows:
        seen = days.get(r.day, SalesDay(r.day, 0, 0, 0))
        days[r.day] = SalesDay(
            r.day,
            seen.gross_fen + r.gross_fen,
            seen.refunds_fen + r.refunds_fen,
            seen.transactions + r.transactions,
        )
    return tuple(days[d] for d in sorted(days))


def line_page(engine: Engine, line_id: int, *, actor: Actor) -> LinePage:
    """The line (a borrower's own only), its business's last :data:`CHART_DAYS` days of
    sales and its working-capital decisions."""
    owner = None if actor.is_staff else actor.user_id
    view = get_line(engine, line_id, owner=owner)
    with UnitOfWork(engine) as uow:
        applicant_id = uow.applicants.id_of_user(view.line.owner)
        recovered = uow.working_capital.recovered(line_id)
    if applicant_id is None:
        return LinePage(view, None, (), (), recovered)
    since = view.today - timedelta(days=CHART_DAYS)
    rows = sales_feed.sales_history(engine, applicant_id, since=since, actor=actor)
    decisions = working_capital_decisions(engine, applicant_id)
    return LinePage(view, applicant_id, _by_day(rows), tuple(decisions[:5]), recovered)
