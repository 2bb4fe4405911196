"""The cost statement of a working-capital draw (用款综合融资成本明示).

Before a draw, the borrower sees its amount, final maturity, the daily rate and its annualized
figures, that repaying early costs nothing, and the cost on a stated repayment path, computed
from the day-by-day cash flows the servicing engine itself would charge (each day's interest
truncated to the fen, ``wc_terms.DAY_ROUNDING``):

- a ``minimum`` line: the slowest repayment its contract allows — each 60-day period's
  minimum for the draw repaid on the period's last day (``minimum_share`` of the draw for
  the days of its first period it is held, then of the principal still out when each period
  starts, :mod:`thinfile.servicing.working_capital`), the rest at the final maturity. Kept
  whole to maturity the draw would cost more interest but a lower rate a year, and would
  breach the periods' minimums;
- a ``sales`` line: the repayment dates depend on sales, so the statement states the *expected*
  path (the given expected daily sales, the line's share of them each day, whatever is left at
  maturity) and checks the cap on a *slow-sales* path too (a quarter of the expected sales by
  default). With daily interest the cost per year does not rise when repayment is slower
  (DOMAIN §13); the check shows it.

Each path's annualized rate is the daily IRR × 365 (IRR 法, the figure Chinese disclosure shows)
and its XIRR (actual/365, compounded); both must be under the cap.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from thinfile.errors import InvalidInputError, RateCapExceededError
from thinfile.loanmath.irr import periodic_irr, xirr
from thinfile.money import Money, Rounding, round_fen
from thinfile.servicing.wc_terms import (
    DAY_ROUNDING,
    RepaymentMode,
    WorkingCapitalTerms,
    check_term_days,
    check_terms,
)

__all__ = ["SLOW_SALES", "DrawCostStatement", "PathRepayment", "RepaymentPath", "draw_statement"]

SLOW_SALES = Decimal("0.25")
"""The slow-sales path's sales, as a share of the expected ones."""


@dataclass(frozen=True, slots=True)
class PathRepayment:
    on: date
    interest: int
    principal: int

    @property
    def total(self) -> int:
        return self.interest + self.principal


@dataclass(frozen=True, slots=True)
class RepaymentPath:
    """A stated repayment path and what it costs."""

    basis: str
    repayments: tuple[PathRepayment, ...]
    interest: int
    annualized: Decimal
    """Daily IRR × 365 (单利年化, IRR 法)."""
    effective: Decimal
    """XIRR on the actual dates (compounded, actual/365)."""

    @property
    def repaid_on(self) -> date:
        return self.repayments[-1].on


@dataclass(frozen=True, slots=True)
class DrawCostStatement:
    amount: Money
    drawn_on: date
    maturity: date
    daily_rate: Decimal
    nominal_annual: Decimal
    effective_ceiling: Decimal
    """(1 + daily)^365 − 1: no repayment path costs more a year, compounded."""
    expected: RepaymentPath
    slow: RepaymentPath | None
    cap: Decimal
    prepayment_fee: int = 0


def _walk(
    amount: int, drawn_on: date, term_days: int, rate: Decimal, asks: Callable[[date, int], int]
) -> tuple[PathRepayment, ...]:
    """Day by day: repay what ``asks`` (the day, the principal still out before it) says,
    interest first, and all that is left at maturity; each day's close earns interest on the
    principal still out."""
    principal, interest, out = amount, 0, []
    for k in range(term_days + 1):
        day = drawn_on + timedelta(days=k)
        owed = principal + interest
        pay = owed if k == term_days else min(asks(day, principal), owed)
        if pay:
            on_interest = min(pay, interest)
            out.append(PathRepayment(day, on_interest, pay - on_interest))
            interest -= on_interest
            principal -= pay - on_interest
        if principal == 0:
            break
        interest += round_fen(rate * principal, DAY_ROUNDING)
    return tuple(out)


def _path(
    amount: int, drawn_on: date, term_days: int, rate: Decimal, daily: int
) -> tuple[PathRepayment, ...]:
    """Repay ``daily`` from the day after the draw, all that is left at maturity."""
    return _walk(amount, drawn_on, term_days, rate, lambda day, _: daily if day > drawn_on else 0)


def _minimum_path(
    amount: int,
    drawn_on: date,
    term_days: int,
    terms: WorkingCapitalTerms,
    period_end: date,
) -> tuple[PathRepayment, ...]:
    """Each period's minimum for this draw repaid on the period's last day, all that is
    left at maturity (:func:`_walk`)."""
    share, days = terms.minimum_share, terms.period_days
    held = (period_end - drawn_on).days + 1
    minimum = round_fen(share * amount * held / days, Rounding.HALF_UP)
    end = period_end

    def asks(day: date, principal: int) -> int:
        nonlocal end, minimum
        if day > end:  # the next period asks its share of the principal still out
            end += timedelta(days=days)
            minimum = round_fen(share * principal, Rounding.HALF_UP)
        return minimum if day == end else 0

    return _walk(amount, drawn_on, term_days, terms.daily_rate, asks)


def _priced(
    basis: str, amount: int, drawn_on: date, rows: tuple[PathRepayment, ...]
) -> RepaymentPath:
    days = (rows[-1].on - drawn_on).days
    flows: list[int] = [0] * (days + 1)
    flows[0] = -amount
    for r in rows:
        flows[(r.on - drawn_on).days] += r.total
    interest = sum(r.interest for r in rows)
    if interest == 0:
        return RepaymentPath(basis, rows, 0, Decimal(0), Decimal(0))
    daily_irr = periodic_irr(flows)
    dated = [(drawn_on, -amount), *((r.on, r.total) for r in rows)]
    return RepaymentPath(basis, rows, interest, daily_irr * 365, xirr(dated))


def _check(path: RepaymentPath, terms: WorkingCapitalTerms) -> None:
    worst = max(path.annualized, path.effective)
    if worst > terms.cap:
        raise RateCapExceededError(
            f"on the path '{path.basis}' the draw costs {worst:.2%} a year, above the cap "
            f"{terms.cap:.2%}",
            field="daily_rate",
            value=str(terms.daily_rate),
            remedy="lower the daily rate",
            extra={"annualized": f"{worst:.6f}", "cap": str(terms.cap)},
        )


def draw_statement(
    terms: WorkingCapitalTerms,
    amount: Money,
    drawn_on: date,
    *,
    term_days: int,
    expected_daily_sales: Money | None = None,
    slow_sales: Decimal = SLOW_SALES,
    period_end: date | None = None,
) -> DrawCostStatement:
    """The cost statement of drawing ``amount`` on ``drawn_on`` for ``term_days``; a sales-
    linked line needs ``expected_daily_sales`` (the path the cost is stated on). A minimum
    line's path pays each period's minimum on its last day: ``period_end`` is the last day of
    the line's period the draw falls in (by default the period starting with the draw)."""
    terms = check_terms(terms)
    check_term_days(term_days)
    if amount.fen <= 0 or amount.currency != terms.limit.currency:
        raise InvalidInputError(
            f"a draw is a positive amount in {terms.limit.currency}",
            field="amount",
            value=str(amount),
        )
    fen, rate, share = amount.fen, terms.daily_rate, terms.sales_share
    if terms.mode is RepaymentMode.SALES:
        if expected_daily_sales is None or expected_daily_sales.fen <= 0:
            raise InvalidInputError(
                "a sales-linked draw's cost is stated on expected daily sales",
                field="expected_daily_sales",
                value=str(expected_daily_sales),
            )
        sales = expected_daily_sales.fen
        slow = round_fen(sales * slow_sales, Rounding.HALF_UP)
        expected = _priced(
            f"sales of {Money(sales, amount.currency)} a day, {share} of them repaid each day",
            fen,
            drawn_on,
            _path(fen, drawn_on, term_days, rate, round_fen(share * sales, Rounding.HALF_UP)),
        )
        slowed: RepaymentPath | None = _priced(
            f"slow sales of {Money(slow, amount.currency)} a day, {share} of them repaid each day",
            fen,
            drawn_on,
            _path(fen, drawn_on, term_days, rate, round_fen(share * slow, Rounding.HALF_UP)),
        )
    else:
        end = period_end or drawn_on + timedelta(days=terms.period_days - 1)
        if not drawn_on <= end < drawn_on + timedelta(days=terms.period_days):
            raise InvalidInputError(
                "the draw's period ends on or after the draw, within one period",
                field="period_end",
                value=end.isoformat(),
            )
        basis = (
            f"each {terms.period_days}-day period's minimum repaid on its last day, the rest"
            f" at the final maturity after {term_days} days"
            if terms.minimum_share
            else f"repaid in full at the final maturity after {term_days} days"
        )
        expected = _priced(
            basis, fen, drawn_on, _minimum_path(fen, drawn_on, term_days, terms, end)
        )
        slowed = None
    for path in (expected, slowed):
        if path is not None:
            _check(path, terms)
    return DrawCostStatement(
        amount,
        drawn_on,
        drawn_on + timedelta(days=term_days),
        rate,
        terms.nominal_annual,
        terms.effective_annual,
        expected,
        slowed,
        terms.cap,
    )
