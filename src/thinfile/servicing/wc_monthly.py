"""A working-capital line's monthly statement (月度对账单): what was drawn, what was repaid
(interest and principal), the interest of each day and the fees — none, repaying early is free.

The statement is made by replaying the line from its opening through its postings
(:class:`LineEvent`, in the order they were booked) and every close of business
(:func:`~thinfile.servicing.working_capital.close_day`) — the same functions that serviced it,
so each day's interest is the one charged that night, to the fen. A month not yet closed to
its last day is a partial statement (``complete`` is false), through the last closed day
(postings of the day still open join it after that night's close). The
replay runs on to the line's last closed day and must end with the stored line's draws, to the
fen, or the statement is refused (:class:`~thinfile.errors.InvariantViolation`) rather than
shown wrong.
"""

from __future__ import annotations

import calendar
import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from thinfile.errors import InvalidInputError, InvariantViolation
from thinfile.money import Money
from thinfile.servicing.wc_recovery import recover
from thinfile.servicing.working_capital import (
    Period,
    Shortfall,
    WorkingCapitalLine,
    close_day,
    draw,
    open_line,
    repay,
)

__all__ = [
    "RECOVERIES",
    "DayInterest",
    "LineEvent",
    "MonthlyStatement",
    "Posting",
    "PostingKind",
    "StatementRow",
    "month_statement",
]


class PostingKind(enum.StrEnum):
    DRAW = "draw"
    REPAYMENT = "repayment"
    SALES = "sales"
    """A share of a day's collected sales (sales-linked lines)."""
    RECOVERY = "recovery"
    """A repayment on a charged-off line (``servicing.wc_recovery``)."""
    SALES_RECOVERY = "sales-recovery"
    """A share of a day's sales collected on a charged-off line."""


RECOVERIES = (PostingKind.RECOVERY.value, PostingKind.SALES_RECOVERY.value)


@dataclass(frozen=True, slots=True)
class LineEvent:
    """A booked posting: ``kind`` is a :class:`PostingKind` (a draw carries its id and final
    maturity in days)."""

    kind: str
    on: date
    amount: int
    draw_id: int | None = None
    term_days: int | None = None


@dataclass(frozen=True, slots=True)
class Posting:
    on: date
    kind: str
    amount: int
    paid_interest: int = 0
    paid_principal: int = 0


@dataclass(frozen=True, slots=True)
class StatementRow:
    """One line of the statement, in the order things happened: a posting (``kind`` as
    :class:`PostingKind`) or a night's interest (``interest``), with all owed after it."""

    on: date
    kind: str
    amount: int
    paid_interest: int
    paid_principal: int
    owed_after: int


@dataclass(frozen=True, slots=True)
class DayInterest:
    """The interest a day's close charged, on what was drawn at that close."""

    on: date
    drawn: int
    interest: int


@dataclass(frozen=True, slots=True)
class MonthlyStatement:
    line_id: int
    currency: str
    month: date
    through: date
    complete: bool
    opening_owed: int
    closing_owed: int
    closing_drawn: int
    draws: tuple[Posting, ...]
    repayments: tuple[Posting, ...]
    days: tuple[DayInterest, ...]
    fees: int = 0
    rows: tuple[StatementRow, ...] = ()
    daily_rate: Decimal = Decimal(0)
    periods: tuple[Period, ...] = ()
    """The repayment periods the month touches, as they stood at ``through``."""
    shortfalls: tuple[Shortfall, ...] = ()
    """Shortfall installments unpaid at ``through``."""
    matured: int = 0
    """What the draws at or past their final maturity at ``through`` owe (principal and
    interest): due now, past due from the day after their maturity."""

    @property
    def period(self) -> Period | None:
        """The period running at ``through`` (its minimum and what was repaid toward it)."""
        return next((p for p in self.periods if p.start <= self.through <= p.end), None)

    @property
    def minimum_due(self) -> int:
        """The least repayment, made the day after ``through``, that leaves nothing past due
        and meets the running period's minimum: every unpaid shortfall installment and the
        running period's unmet minimum, or all that the draws at or past their final maturity
        owe (``matured``, principal and interest), whichever is more — never more than is
        owed at ``through``.

        Not their sum: a repayment pays the matured draws first (``allocate_repayment``) and
        counts, all of it, toward the shortfall installments then the period's minimum, so
        the same money meets both. A period ending on ``through`` has ended with that night's
        close: what it left unmet is a shortfall installment now (counted once, as that), and
        the next period's minimum starts the day after. The interest of the nights after
        ``through`` is not in it."""
        p = self.period
        left = max(0, p.minimum - p.repaid) if p is not None and p.end > self.through else 0
        minimums = left + sum(s.unpaid for s in self.shortfalls)
        return min(self.closing_owed, max(minimums, self.matured))

    @property
    def drawn_total(self) -> int:
        return sum(p.amount for p in self.draws)

    @property
    def repaid_total(self) -> int:
        return sum(p.amount for p in self.repayments)

    @property
    def recovered_total(self) -> int:
        """Paid after the line was charged off (counted in ``repaid_total`` too)."""
        return sum(p.amount for p in self.repayments if p.kind in RECOVERIES)

    @property
    def interest_total(self) -> int:
        return sum(d.interest for d in self.days)


def _apply(line: WorkingCapitalLine, e: LineEvent) -> tuple[WorkingCapitalLine, Posting]:
    money = Money(e.amount, line.currency)
    if e.kind == "draw":
        if e.draw_id is None or e.term_days is None:
            raise InvalidInputError("a draw needs its id and term", field="draw_id")
        done = draw(line, e.draw_id, money, e.on, term_days=e.term_days)
    elif e.kind in RECOVERIES:
        done = recover(line, money, e.on, field="sales" if e.kind == "sales-recovery" else "amount")
    else:
        done = repay(line, money, e.on, field="sales" if e.kind == "sales" else "amount")
    return done.line, Posting(e.on, e.kind, e.amount, done.paid_interest, done.paid_principal)


def _month(line: WorkingCapitalLine, month: date) -> tuple[date, date]:
    """The first and last day of ``month``, refused before the line opened or after its
    last closed day."""
    first = month.replace(day=1)
    last = first.replace(day=calendar.monthrange(first.year, first.month)[1])
    if first > max(line.cob_date, line.opened_on) or last < line.opened_on:
        raise InvalidInputError(
            f"working-capital line {line.line_id} has no closed day in {first:%Y-%m}",
            field="month",
            value=f"{first:%Y-%m}",
            remedy=f"ask for a month from {line.opened_on:%Y-%m} to {line.cob_date:%Y-%m}",
        )
    return first, last


def _night(line: WorkingCapitalLine, day: date) -> tuple[WorkingCapitalLine, DayInterest]:
    """Close ``day`` and say what the night charged, on what was drawn."""
    before = line.interest_owed + sum(d.interest_paid for d in line.draws)
    after = close_day(line, day).line
    charged = after.interest_owed + sum(d.interest_paid for d in after.draws)
    return after, DayInterest(day, line.drawn, charged - before)


def _check_replay(
    line: WorkingCapitalLine, replay: WorkingCapitalLine, events: Sequence[LineEvent]
) -> None:
    """The replay, with today's postings (on the statement after tonight's close), must give
    the stored line's draws to the fen."""
    for e in (e for e in events if e.on > line.cob_date):
        replay = _apply(replay, e)[0]
    if replay.draws != line.draws:
        raise InvariantViolation(
            f"working-capital line {line.line_id}: its postings replayed do not give its draws",
            field="line_id",
            value=line.line_id,
        )


def month_statement(
    line: WorkingCapitalLine, events: Sequence[LineEvent], month: date
) -> MonthlyStatement:
    """The statement of ``month`` (any day of it) for ``line`` (as stored: its terms, opening
    day and last closed day), replayed from ``events``, oldest first."""
    first, last = _month(line, month)
    through = min(last, line.cob_date)
    replay = open_line(line.line_id, line.owner, line.terms, line.opened_on)
    by_day: dict[date, list[LineEvent]] = {}
    for e in events:
        by_day.setdefault(e.on, []).append(e)
    opening = 0
    closing = (0, 0)
    draws: list[Posting] = []
    repayments: list[Posting] = []
    days: list[DayInterest] = []
    rows: list[StatementRow] = []
    at_through = replay
    day = line.opened_on
    while day <= line.cob_date:
        if day == first:
            opening = replay.owed
        inside = first <= day <= through
        for e in by_day.get(day, ()):
            replay, posting = _apply(replay, e)
            if inside:
                (draws if e.kind == "draw" else repayments).append(posting)
                rows.append(_row(posting, replay.owed))
        replay, night = _night(replay, day)
        if inside:
            days.append(night)
            if night.interest:
                rows.append(StatementRow(day, "interest", night.interest, 0, 0, replay.owed))
        if day == through:
            closing = (replay.owed, replay.drawn)
            at_through = replay
        day += timedelta(days=1)
    _check_replay(line, replay, events)
    return MonthlyStatement(
        line.line_id,
        line.currency,
        first,
        through,
        through == last,
        opening,
        *closing,
        tuple(draws),
        tuple(repayments),
        tuple(days),
        0,
        tuple(rows),
        line.terms.daily_rate,
        tuple(p for p in at_through.periods if p.end >= first and p.start <= through),
        tuple(s for s in at_through.shortfalls if s.unpaid > 0),
        sum(d.owed for d in at_through.draws if d.maturity <= through),
    )


def _row(p: Posting, owed_after: int) -> StatementRow:
    return StatementRow(p.on, p.kind, p.amount, p.paid_interest, p.paid_principal, owed_after)
