"""Working-capital lines for micro-businesses (微乐贷, 随借随还): borrow any day, repay any day.

A line has a limit and a **daily rate** (日利率). Each draw (用款) has a final maturity of 90 or
180 days. Interest is earned by the day on what is drawn: at the close of each business day,
the line earns ``principal drawn × daily rate``, truncated to the fen by
:func:`thinfile.money.round_fen` (``DAY_ROUNDING``: a day never costs more than the daily
rate, so a small balance is never charged above the cap the rate was checked against, as half
up would — 0.5 fen on 10.00 at 0.05% a day is 36.5% a year), once for the line however its
principal is split into draws (:func:`night_interest`). A month end or a 29 February is
just another day (actual days), and the money is charged for every night it is held
(算头不算尾: a draw repaid the day it is made costs nothing). Repaying early costs no fee
(DOMAIN §1.6, §3.2) and stops the interest on what is repaid from that day's close.

Two ways of repaying (:class:`RepaymentMode`):

- ``minimum`` (最低还款): whenever the borrower likes, at least the period minimum;
- ``sales`` (按销售额还款): a set share of each day's card and QR-code sales collected by the
  lender's acquiring partner (:func:`sales_repayment`), with the same period minimum.

Every 60-day period (``terms.period_days``) carries a **minimum** repayment: ``minimum_share``
of the principal outstanding when it starts, plus that share of each draw made during it for
the days of the period it is held (a draw on the period's last day adds a sixtieth).
Close of business (:func:`close_day`) flags a period *near breach* when, with
``near_breach_days`` or fewer left, less than the pro-rata minimum has been repaid; it clears
the flag (cured) once repayments catch up. A period ending below its minimum is in *breach*:
the shortfall falls due ``shortfall_days`` later as an ordinary installment. Days past due run
from the oldest unmet obligation — an unpaid shortfall installment, or a draw past its final
maturity.

A line whose oldest unmet obligation is :data:`CHARGE_OFF_DAYS` days past due is charged off
that night (:func:`charge_off`); what the borrower pays afterwards is a recovery
(``servicing.wc_recovery``).

Amounts are integer fen; rates are ``Decimal`` held to 1e-8 (``loanmath.defaults.RATE_SCALE``),
so the set-based close of business in SQL repeats every figure to the fen.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal

from thinfile.errors import ConflictError, CurrencyMismatchError, InvalidInputError
from thinfile.money import Money, Rounding, round_fen
from thinfile.servicing.creditline import LineStatus
from thinfile.servicing.ledger import Account, EntryBuilder, JournalEntry
from thinfile.servicing.wc_terms import (
    CHARGE_OFF_DAYS,
    DAY_ROUNDING,
    TERM_DAYS,
    RepaymentMode,
    WorkingCapitalTerms,
    check_term_days,
    check_terms,
)

__all__ = [
    "CHARGE_OFF_DAYS",
    "TERM_DAYS",
    "WORKING_CAPITAL_KINDS",
    "Draw",
    "DrawPayment",
    "LineOutcome",
    "Period",
    "PeriodStatus",
    "RepaymentMode",
    "Shortfall",
    "WorkingCapitalLine",
    "WorkingCapitalTerms",
    "allocate_repayment",
    "charge_off",
    "check_available",
    "check_terms",
    "close_day",
    "draw",
    "night_interest",
    "open_line",
    "pay_draws",
    "repay",
    "sales_repayment",
]

WORKING_CAPITAL_KINDS = (
    "wc-draw",
    "wc-repayment",
    "wc-accrual",
    "wc-charge-off",
    "wc-recovery",
)
"""The journal entry kinds of working-capital lines (booked without a loan)."""


class PeriodStatus(enum.StrEnum):
    OPEN = "open"
    NEAR_BREACH = "near-breach"
    """Below the pro-rata minimum with few days left (临近违约)."""
    MET = "met"
    BREACH = "breach"
    """Ended below its minimum: the shortfall falls due as an installment (违约)."""


@dataclass(frozen=True, slots=True)
class Draw:
    """One draw (用款): principal lent on ``drawn_on``, finally due on ``maturity``."""

    draw_id: int
    drawn_on: date
    maturity: date
    principal: int
    principal_paid: int = 0
    interest_accrued: int = 0
    interest_paid: int = 0

    @property
    def principal_outstanding(self) -> int:
        return self.principal - self.principal_paid

    @property
    def interest_outstanding(self) -> int:
        return self.interest_accrued - self.interest_paid

    @property
    def owed(self) -> int:
        return self.principal_outstanding + self.interest_outstanding


@dataclass(frozen=True, slots=True)
class Period:
    """A repayment period, ``start`` to ``end`` inclusive, with its minimum (最低还款额)."""

    n: int
    start: date
    end: date
    minimum: int
    repaid: int = 0
    status: PeriodStatus = PeriodStatus.OPEN
    flagged_on: date | None = None
    """The first day the period was near breach (kept once cured)."""
    shortfall: int = 0

    def pro_rata(self, x: date) -> int:
        """The minimum's share earned by the end of ``x`` (truncated to the fen)."""
        days = (self.end - self.start).days + 1
        elapsed = min(days, (x - self.start).days + 1)
        return self.minimum * elapsed // days


@dataclass(frozen=True, slots=True)
class Shortfall:
    """A breached period's shortfall, due as an ordinary installment (差额分期)."""

    n: int
    period_n: int
    due: date
    amount: int
    paid: int = 0

    @property
    def unpaid(self) -> int:
        return self.amount - self.paid


@dataclass(frozen=True, slots=True)
class WorkingCapitalLine:
    """A working-capital line being serviced; ``cob_date`` is the last day closed for it."""

    line_id: int
    owner: str
    terms: WorkingCapitalTerms
    opened_on: date
    cob_date: date
    status: LineStatus = LineStatus.ACTIVE
    draws: tuple[Draw, ...] = ()
    periods: tuple[Period, ...] = ()
    shortfalls: tuple[Shortfall, ...] = ()
    overdue_since: date | None = None
    """The due date of the oldest unmet obligation, while one is past due."""

    @property
    def currency(self) -> str:
        return self.terms.limit.currency

    @property
    def drawn(self) -> int:
        return sum(d.principal_outstanding for d in self.draws)

    @property
    def interest_owed(self) -> int:
        return sum(d.interest_outstanding for d in self.draws)

    @property
    def owed(self) -> int:
        """Principal and interest owed today: what pays the line off (no fee)."""
        return self.drawn + self.interest_owed

    @property
    def available(self) -> int:
        return max(0, self.terms.limit.fen - self.drawn)

    def period_on(self, x: date) -> Period | None:
        return next((p for p in self.periods if p.start <= x <= p.end), None)

    def days_past_due(self, x: date) -> int:
        return max(0, (x - self.overdue_since).days) if self.overdue_since else 0


@dataclass(frozen=True, slots=True)
class DrawPayment:
    """What a repayment paid on one draw."""

    draw_id: int
    interest: int
    principal: int


@dataclass(frozen=True, slots=True)
class LineOutcome:
    """An operation's result: the new line, its journal entries and the repayment split."""

    line: WorkingCapitalLine
    entries: tuple[JournalEntry, ...] = ()
    paid: tuple[DrawPayment, ...] = ()

    @property
    def paid_interest(self) -> int:
        return sum(p.interest for p in self.paid)

    @property
    def paid_principal(self) -> int:
        return sum(p.principal for p in self.paid)


def open_line(line_id: int, owner: str, terms: WorkingCapitalTerms, on: date) -> WorkingCapitalLine:
    """A new line, its first period starting ``on`` (terms checked, the cap included)."""
    terms = check_terms(terms)
    first = Period(1, on, on + timedelta(days=terms.period_days - 1), 0)
    return WorkingCapitalLine(line_id, owner, terms, on, on - timedelta(days=1), periods=(first,))


def _amount(line: WorkingCapitalLine, amount: Money, field: str) -> int:
    if amount.currency != line.currency:
        raise CurrencyMismatchError(
            f"working-capital line {line.line_id} is in {line.currency}",
            field=field,
            value=amount.currency,
            remedy=f"use {line.currency}",
        )
    if amount.fen <= 0:
        raise InvalidInputError(f"{field} must be positive", field=field, value=str(amount))
    return amount.fen


def _check_open(line: WorkingCapitalLine, on: date) -> None:
    if line.status is not LineStatus.ACTIVE:
        raise ConflictError(
            f"working-capital line {line.line_id} is {line.status}",
            field="line_id",
            value=line.line_id,
        )
    if on <= line.cob_date:
        raise ConflictError(
            f"business date {on} is closed for working-capital line {line.line_id}",
            field="on",
            value=on.isoformat(),
        )


def _with_period(line: WorkingCapitalLine, on: date, change: dict[str, int]) -> tuple[Period, ...]:
    return tuple(
        replace(p, **{k: getattr(p, k) + v for k, v in change.items()})
        if p.start <= on <= p.end
        else p
        for p in line.periods
    )


def _minimum_of_draw(line: WorkingCapitalLine, fen: int, on: date) -> int:
    """What a draw of ``fen`` on ``on`` adds to the minimum of the period it falls in:
    ``minimum_share`` of it for the days of the period it is held, the day drawn included —
    all of it on the first day, a sixtieth on the last (held one night, not asked a tenth
    of itself by that night's check). The next period asks its share of all principal."""
    period = next((p for p in line.periods if p.start <= on <= p.end), None)
    if period is None:
        return 0
    held = (period.end - on).days + 1
    days = (period.end - period.start).days + 1
    return round_fen(line.terms.minimum_share * fen * held / days, Rounding.HALF_UP)


def check_available(line: WorkingCapitalLine, amount: Money) -> int:
    """The fen of a draw of ``amount`` (positive, the line's currency); refused above what is
    available — also for a draw's cost statement, so none is shown for a draw that would be
    refused."""
    fen = _amount(line, amount, "amount")
    if fen > line.available:
        raise ConflictError(
            f"only {Money(line.available, line.currency)} is available on working-capital "
            f"line {line.line_id}",
            field="amount",
            value=str(amount),
            remedy="draw at most the available amount",
        )
    return fen


def draw(
    line: WorkingCapitalLine, draw_id: int, amount: Money, on: date, *, term_days: int
) -> LineOutcome:
    """Lend ``amount`` on ``on`` with a final maturity ``term_days`` later (90 or 180).

    Refused above what is available, on a line not active, and while anything is past due.
    The open period's minimum grows by ``minimum_share`` of the draw for the days of the
    period it is held (:func:`_minimum_of_draw`)."""
    fen = _amount(line, amount, "amount")
    _check_open(line, on)
    check_term_days(term_days)
    check_available(line, amount)
    if line.overdue_since is not None:
        raise ConflictError(
            f"working-capital line {line.line_id} has an amount past due since "
            f"{line.overdue_since}",
            field="line_id",
            value=line.line_id,
            remedy="repay what is past due first",
        )
    new = Draw(draw_id, on, on + timedelta(days=term_days), fen)
    extra = _minimum_of_draw(line, fen, on)
    after = replace(
        line, draws=(*line.draws, new), periods=_with_period(line, on, {"minimum": extra})
    )
    entry = EntryBuilder(line.currency).move(
        debit=Account.WC_RECEIVABLE, credit=Account.CASH, fen=fen
    )
    return LineOutcome(after, (entry.build("wc-draw", on, memo=f"wc line {line.line_id}"),))


def pay_draws(
    draws: tuple[Draw, ...], amount: int, on: date
) -> tuple[tuple[Draw, ...], tuple[DrawPayment, ...]]:
    """``draws`` with ``amount`` paid on ``on``, split as :func:`allocate_repayment` says,
    and the split."""
    paid = allocate_repayment(draws, amount, on)
    by_id = {p.draw_id: p for p in paid}
    return tuple(
        replace(
            d,
            interest_paid=d.interest_paid + by_id[d.draw_id].interest,
            principal_paid=d.principal_paid + by_id[d.draw_id].principal,
        )
        if d.draw_id in by_id
        else d
        for d in draws
    ), paid


def allocate_repayment(draws: tuple[Draw, ...], amount: int, on: date) -> tuple[DrawPayment, ...]:
    """Split ``amount``, paid on ``on``, over the draws: first the draws due by ``on``
    (matured, the earliest maturity first), their interest then their principal; then the
    others (the oldest draw first), their interest then their principal (还款冲抵顺序).

    Why this order: debts already due are met before those not yet due (民法典 art. 560), so a
    payment never leaves a draw past due — its days past due running and new draws refused —
    while it pays interest or principal of one not yet due; draws of different terms mature
    out of the order they were drawn in. Within each group, interest before principal
    (art. 561: costs, then interest, then principal unless agreed otherwise), the default a
    court expects, which keeps unpaid interest from lingering on the books. Then the oldest
    draw, which usually matures first. There is no fee to allocate — repaying early is
    free."""
    due = sorted(
        (d for d in draws if d.maturity <= on), key=lambda d: (d.maturity, d.drawn_on, d.draw_id)
    )
    later = sorted((d for d in draws if d.maturity > on), key=lambda d: (d.drawn_on, d.draw_id))
    left = amount
    paid: dict[int, list[int]] = {}
    for group in (due, later):
        for d in group:
            take = min(left, d.interest_outstanding)
            paid[d.draw_id] = [take, 0]
            left -= take
        for d in group:
            take = min(left, d.principal_outstanding)
            paid[d.draw_id][1] = take
            left -= take
    return tuple(
        DrawPayment(d.draw_id, *paid[d.draw_id]) for d in (*due, *later) if any(paid[d.draw_id])
    )


def _count_toward_minimums(line: WorkingCapitalLine, fen: int, on: date) -> WorkingCapitalLine:
    """A repayment meets unpaid shortfall installments first (oldest first), then the
    period of ``on``."""
    left = fen
    shortfalls = []
    for s in line.shortfalls:
        take = min(left, s.unpaid)
        left -= take
        shortfalls.append(replace(s, paid=s.paid + take) if take else s)
    periods = _with_period(line, on, {"repaid": left}) if left else line.periods
    return replace(line, shortfalls=tuple(shortfalls), periods=periods)


def repay(
    line: WorkingCapitalLine, amount: Money, on: date, *, field: str = "amount"
) -> LineOutcome:
    """Repay any day, any amount up to what is owed, with no fee (see
    :func:`allocate_repayment` for the order). What is past due is dated again at once: a
    repayment that meets every obligation the last close found unmet lets the borrower draw
    the same day."""
    fen = _amount(line, amount, field)
    _check_open(line, on)
    if fen > line.owed:
        raise InvalidInputError(
            f"the line owes {Money(line.owed, line.currency)}",
            field=field,
            value=str(amount),
            remedy="repay at most what is owed",
        )
    draws, paid = pay_draws(line.draws, fen, on)
    after = _count_toward_minimums(replace(line, draws=draws), fen, on)
    after = replace(after, overdue_since=_oldest_unmet(after, line.cob_date))
    interest = sum(p.interest for p in paid)
    entry = (
        EntryBuilder(line.currency)
        .debit(Account.CASH, fen)
        .credit(Account.WC_INTEREST_RECEIVABLE, interest)
        .credit(Account.WC_RECEIVABLE, fen - interest)
    )
    return LineOutcome(
        after, (entry.build("wc-repayment", on, memo=f"wc line {line.line_id}"),), paid
    )


def sales_repayment(line: WorkingCapitalLine, sales: Money, on: date) -> int:
    """What a sales-linked line takes from a day's collected sales: ``sales_share`` of them,
    half up to the fen, never more than is owed (0 on a ``minimum`` line)."""
    if sales.currency != line.currency:
        raise CurrencyMismatchError(
            f"working-capital line {line.line_id} is in {line.currency}",
            field="sales",
            value=sales.currency,
        )
    if sales.fen < 0:
        raise InvalidInputError("sales cannot be negative", field="sales", value=str(sales))
    if line.terms.mode is not RepaymentMode.SALES:
        raise ConflictError(
            f"working-capital line {line.line_id} is not repaid from sales",
            field="line_id",
            value=line.line_id,
        )
    return min(line.owed, round_fen(line.terms.sales_share * sales.fen, Rounding.HALF_UP))


def night_interest(line: WorkingCapitalLine, x: date) -> dict[int, int]:
    """What the close of ``x`` charges each draw holding principal (draw id → fen).

    The line's night is ``principal × daily rate`` summed over its draws, truncated to the
    fen once (``DAY_ROUNDING``), so a line costs the same however its principal is split:
    forty draws of 49.99 pay what one of 1,999.60 does, not each a night's fraction of a fen
    truncated to nothing. Each draw takes its own truncated share, and the fen the fractions
    add up to go one each to the draws with the largest fractions (then the earliest id),
    as ``store.working_capital_cob`` does in SQL."""
    rate = line.terms.daily_rate
    exact = {
        d.draw_id: rate * d.principal_outstanding
        for d in line.draws
        if d.drawn_on <= x and d.principal_outstanding > 0
    }
    fen = {k: round_fen(v, DAY_ROUNDING) for k, v in exact.items()}
    extra = round_fen(sum(exact.values(), Decimal(0)), DAY_ROUNDING) - sum(fen.values())
    for k in sorted(exact, key=lambda k: (fen[k] - exact[k], k))[:extra]:
        fen[k] += 1
    return fen


def _accrue(line: WorkingCapitalLine, x: date) -> tuple[tuple[Draw, ...], int]:
    night = night_interest(line, x)
    draws = tuple(
        replace(d, interest_accrued=d.interest_accrued + night[d.draw_id])
        if night.get(d.draw_id)
        else d
        for d in line.draws
    )
    return draws, sum(night.values())


def _check_period(p: Period, x: date, terms: WorkingCapitalTerms, uncovered: int) -> Period:
    """``p`` as of the close of ``x``; ``uncovered`` is what the line owes beyond its unpaid
    shortfall installments: a shortfall never asks for money an earlier one asks already
    (with a large minimum share they could add up to more than is owed, and a line repaid
    in full stayed past due)."""
    if not p.start <= x <= p.end:
        return p
    if x == p.end:
        if p.repaid >= p.minimum or uncovered <= 0:
            return replace(p, status=PeriodStatus.MET)
        shortfall = min(p.minimum - p.repaid, uncovered)
        return replace(p, status=PeriodStatus.BREACH, shortfall=shortfall)
    if p.repaid >= p.minimum:
        return replace(p, status=PeriodStatus.MET)
    if (p.end - x).days <= terms.near_breach_days and p.repaid < p.pro_rata(x):
        return replace(p, status=PeriodStatus.NEAR_BREACH, flagged_on=p.flagged_on or x)
    return replace(p, status=PeriodStatus.OPEN)


def _roll_periods(line: WorkingCapitalLine, x: date) -> WorkingCapitalLine:
    terms = line.terms
    uncovered = line.owed - sum(s.unpaid for s in line.shortfalls)
    periods = [_check_period(p, x, terms, uncovered) for p in line.periods]
    shortfalls = list(line.shortfalls)
    last = periods[-1]
    if last.end == x:
        if last.status is PeriodStatus.BREACH:
            due = x + timedelta(days=terms.shortfall_days)
            shortfalls.append(Shortfall(len(shortfalls) + 1, last.n, due, last.shortfall))
        minimum = round_fen(terms.minimum_share * line.drawn, Rounding.HALF_UP)
        start = x + timedelta(days=1)
        end = start + timedelta(days=terms.period_days - 1)
        periods.append(Period(last.n + 1, start, end, minimum))
    return replace(line, periods=tuple(periods), shortfalls=tuple(shortfalls))


def _oldest_unmet(line: WorkingCapitalLine, x: date) -> date | None:
    """The oldest obligation still unmet at the close of ``x``: due on ``x`` or before, so
    past due from the next day."""
    dues = [s.due for s in line.shortfalls if s.unpaid > 0 and s.due <= x]
    dues += [d.maturity for d in line.draws if d.owed > 0 and d.maturity <= x]
    return min(dues, default=None)


def close_day(line: WorkingCapitalLine, x: date) -> LineOutcome:
    """Close business day ``x`` for the line: accrue the day's interest, check the period
    (near breach, cure, breach and its shortfall installment, the next period), and date the
    oldest unmet obligation. The Python twin of the set-based step in SQL."""
    if x != line.cob_date + timedelta(days=1):
        raise ConflictError(
            f"working-capital line {line.line_id} is closed to {line.cob_date}, not {x}",
            field="on",
            value=x.isoformat(),
        )
    if line.status is not LineStatus.ACTIVE:
        return LineOutcome(replace(line, cob_date=x))
    draws, earned = _accrue(line, x)
    after = _roll_periods(replace(line, draws=draws), x)
    after = replace(after, overdue_since=_oldest_unmet(after, x), cob_date=x)
    entry = EntryBuilder(line.currency).move(
        debit=Account.WC_INTEREST_RECEIVABLE, credit=Account.INTEREST_INCOME, fen=earned
    )
    built = () if entry.is_empty() else (entry.build("wc-accrual", x, memo="close of business"),)
    if after.days_past_due(x) >= CHARGE_OFF_DAYS:
        after, charged = charge_off(after, x)
        built = (*built, charged)
    return LineOutcome(after, built)


def charge_off(line: WorkingCapitalLine, x: date) -> tuple[WorkingCapitalLine, JournalEntry]:
    """Charge the line off on ``x`` (核销): what its draws still owe leaves the books —
    principal to charge-off expense, accrued interest reversed out of income — and the line
    takes no more postings. The draws keep their figures: the debt is still owed."""
    entry = (
        EntryBuilder(line.currency)
        .move(debit=Account.CHARGE_OFF_EXPENSE, credit=Account.WC_RECEIVABLE, fen=line.drawn)
        .move(
            debit=Account.INTEREST_INCOME,
            credit=Account.WC_INTEREST_RECEIVABLE,
            fen=line.interest_owed,
        )
    )
    return (
        replace(line, status=LineStatus.CHARGED_OFF),
        entry.build("wc-charge-off", x, memo=f"wc line {line.line_id}"),
    )
