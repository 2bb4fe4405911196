"""The risk-based price build-up (风险定价): what a loan costs the lender, part by part, and the
lowest price on the product's grid that earns the target return over the actual schedule.

Every part but one is a rate a year on the balance outstanding (percentage points), charged
over the schedule's balance profile: each period's opening principal for one period
(1/12 of a year for monthly installments). The parts, all parameters of the versioned policy
(``policy.json``, ``pricing``) or outputs of the model:

=========================  ===========================================================
cost of funds              ``cost_of_funds`` a year on the balance
expected loss              PD (the model's 12-month probability of default) × ``lgd``,
                           a year on the balance (a constant yearly default rate)
operating cost per yuan    ``operating_cost_rate`` a year on the balance
operating cost per loan    ``operating_cost_per_loan`` fen once; in points, that amount
                           over the balance-years of the schedule
capital charge             ``capital_ratio`` × ``cost_of_capital`` a year on the balance
target margin              ``target_margin`` (+ the product's ``rate_adjustment``) a year
=========================  ===========================================================

The required return is the sum of the parts in fen over the schedule (exact, unrounded). An
offer meets it when the interest and fees the borrower pays on the rounded schedule (including
any upfront fee) are at least that sum. The price solved for is the product's own: the annual
interest rate of an interest-bearing product, the monthly fee rate of a fee-based installment
(分期手续费). It lives on a grid (``rate_step``, ``fee_step``: 0.0001 by default, one basis
point a year or 0.01% a month) and is the lowest point of the grid whose schedule meets the
return: the exact solution rounded UP to the grid. The cap is only a ceiling: when no price
under it meets the return, there is no offer (reason ``NO_PRICE_UNDER_CAP``).

Pure functions; money in fen, rates ``Decimal``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import Any

from thinfile.errors import InvalidInputError
from thinfile.loanmath import Schedule
from thinfile.money import Rounding, format_yuan, parse_rate, round_fen

__all__ = [
    "PART_NAMES",
    "BuildUp",
    "Part",
    "PricingParameters",
    "balance_years",
    "build_up",
    "lowest_price",
    "required_of",
    "revenue",
]

PART_NAMES = (
    "cost_of_funds",
    "expected_loss",
    "operating_cost_per_yuan",
    "operating_cost_per_loan",
    "capital_charge",
    "target_margin",
)
"""The parts of a price, in the order they are shown."""

_COST_PARTS = PART_NAMES[:-1]
_POINTS = Decimal("0.01")
_RATE_PLACES = Decimal("0.000001")


@dataclass(frozen=True, slots=True)
class PricingParameters:
    """The pricing team's figures, from ``policy.json`` (``"pricing"``). Rates are fractions
    a year (0.04 is 4 points); ``operating_cost_per_loan`` is in fen."""

    cost_of_funds: Decimal
    lgd: Decimal
    """Loss given default: the share of the balance at default that is never recovered."""
    operating_cost_per_loan: int
    operating_cost_rate: Decimal
    capital_ratio: Decimal
    cost_of_capital: Decimal
    target_margin: Decimal
    rate_step: Decimal = Decimal("0.0001")
    """The annual interest rate is rounded up to a multiple of this (one basis point)."""
    fee_step: Decimal = Decimal("0.0001")
    """The monthly fee rate is rounded up to a multiple of this (0.01% a month)."""

    @property
    def capital_charge(self) -> Decimal:
        return self.capital_ratio * self.cost_of_capital

    @classmethod
    def from_json(cls, data: object) -> PricingParameters:
        """The parameters as ``policy.json`` writes them (rates as text, fen as an integer)."""
        if not isinstance(data, Mapping):
            raise _invalid("pricing", data, "an object of named figures")
        fen = data.get("operating_cost_per_loan_fen")
        if isinstance(fen, bool) or not isinstance(fen, int) or fen < 0:
            raise _invalid("pricing.operating_cost_per_loan_fen", fen, "a whole number of fen")
        return cls(
            cost_of_funds=_fraction(data, "cost_of_funds"),
            lgd=_fraction(data, "lgd"),
            operating_cost_per_loan=fen,
            operating_cost_rate=_fraction(data, "operating_cost_rate"),
            capital_ratio=_fraction(data, "capital_ratio"),
            cost_of_capital=_fraction(data, "cost_of_capital"),
            target_margin=_fraction(data, "target_margin"),
            rate_step=_step(data, "rate_step"),
            fee_step=_step(data, "fee_step"),
        )

    def as_json(self) -> dict[str, object]:
        return {
            "cost_of_funds": str(self.cost_of_funds),
            "lgd": str(self.lgd),
            "operating_cost_per_loan_fen": self.operating_cost_per_loan,
            "operating_cost_rate": str(self.operating_cost_rate),
            "capital_ratio": str(self.capital_ratio),
            "cost_of_capital": str(self.cost_of_capital),
            "target_margin": str(self.target_margin),
            "rate_step": str(self.rate_step),
            "fee_step": str(self.fee_step),
        }


def _invalid(field: str, value: object, what: str) -> InvalidInputError:
    return InvalidInputError(
        f"policy.json {field} must be {what}",
        field=field,
        value=value,
        remedy="compare it with the default policy's pricing",
    )


def _fraction(data: Mapping[str, Any], name: str) -> Decimal:
    value = data.get(name)
    if not isinstance(value, str):
        raise _invalid(f"pricing.{name}", value, 'a fraction from 0 to 1 written as text ("0.04")')
    rate = parse_rate(value, field=f"pricing.{name}")
    if not 0 <= rate <= 1:
        raise _invalid(f"pricing.{name}", value, "a fraction from 0 to 1")
    return rate


def _step(data: Mapping[str, Any], name: str) -> Decimal:
    if name not in data:
        return Decimal("0.0001")
    step = _fraction(data, name)
    if step <= 0:
        raise _invalid(f"pricing.{name}", data[name], "above 0")
    return step


@dataclass(frozen=True, slots=True)
class Part:
    """One part of a price: a rate a year on the balance and its amount over the schedule."""

    name: str
    rate: Decimal
    """A fraction a year (0.04 = 4 points); for the per-loan cost, its amount over the
    schedule's balance-years."""
    amount: Decimal
    """Exact fen over the schedule."""

    def as_dict(self) -> dict[str, str]:
        return {
            "part": self.name,
            "points": _points(self.rate),
            "rate": str(self.rate.quantize(_RATE_PLACES)),
            "yuan": format_yuan(round_fen(self.amount, Rounding.HALF_UP)),
        }


def _points(rate: Decimal) -> str:
    return str((rate * 100).quantize(_POINTS))  # not money: a rate in percentage points


def balance_years(schedule: Schedule) -> Decimal:
    """Fen-years of principal outstanding: each period's opening balance for one period."""
    per_year = schedule.terms.frequency.periods_per_year
    opening = schedule.terms.principal.fen
    total = 0
    for inst in schedule.installments:
        total += opening
        opening = inst.balance
    return Decimal(total) / per_year


def revenue(schedule: Schedule) -> int:
    """What the borrower pays beyond principal: interest and every fee (upfront included)."""
    return schedule.total_interest + schedule.total_fees


def required_of(
    years: Decimal, params: PricingParameters, *, pd: Decimal, adjustment: Decimal
) -> Decimal:
    """``required(build_up(schedule, ...))`` from the schedule's balance-years alone: the
    same amounts, added in the same order."""
    total = Decimal(0)
    total += years * params.cost_of_funds
    total += years * (pd * params.lgd)
    total += years * params.operating_cost_rate
    total += Decimal(params.operating_cost_per_loan)
    total += years * params.capital_charge
    return total + years * (params.target_margin + adjustment)


def build_up(
    schedule: Schedule,
    params: PricingParameters,
    *,
    pd: Decimal,
    adjustment: Decimal,
    years: Decimal | None = None,
) -> tuple[Part, ...]:
    """The parts of the return ``schedule`` must earn; ``adjustment`` (the product's rate
    adjustment) is added to the target margin; ``years`` is the schedule's
    :func:`balance_years` when the caller has it."""
    years = balance_years(schedule) if years is None else years
    per_loan = Decimal(params.operating_cost_per_loan)
    rates = (
        params.cost_of_funds,
        pd * params.lgd,
        params.operating_cost_rate,
        per_loan / years if years else Decimal(0),
        params.capital_charge,
        params.target_margin + adjustment,
    )
    return tuple(
        Part(name, rate, per_loan if name == "operating_cost_per_loan" else years * rate)
        for name, rate in zip(PART_NAMES, rates, strict=True)
    )


def required(parts: tuple[Part, ...]) -> Decimal:
    return sum((p.amount for p in parts), Decimal(0))


@dataclass(frozen=True, slots=True)
class BuildUp:
    """How an offer's price was built, as staff see it with the decision."""

    product: str
    pd: Decimal
    lgd: Decimal
    years: Decimal
    """Fen-years of balance over the schedule priced."""
    parts: tuple[Part, ...]
    price_kind: str
    """``annual_rate`` or ``monthly_fee_rate``: the product's price that was solved for."""
    step: Decimal
    solved: Decimal | None
    """The lowest price on the grid meeting the return; None when none under the cap does."""
    offered: Decimal | None
    """The price offered (after any programme discount)."""
    revenue: int
    """Interest and fees of the offered schedule (fen); of the schedule at the cap when none
    under it meets the return."""

    @property
    def required(self) -> Decimal:
        return required(self.parts)

    @property
    def costs(self) -> Decimal:
        """Every part but the target margin (fen)."""
        return sum((p.amount for p in self.parts if p.name in _COST_PARTS), Decimal(0))

    @property
    def expected_margin(self) -> Decimal:
        """Revenue less the costs (funds, expected loss, operations, capital), in fen."""
        return self.revenue - self.costs

    @property
    def meets_target(self) -> bool:
        return self.revenue >= self.required

    @property
    def required_points(self) -> str:
        """The required return a year on the balance, in percentage points."""
        return _points(self.required / self.years) if self.years else "0.00"

    def summary(self) -> str:
        """One line for staff: each part's points, their sum, and the price solved for."""
        parts = " + ".join(f"{p.name} {_points(p.rate)}" for p in self.parts)
        solved = None if self.solved is None else str(self.solved)
        return (
            f"{self.product}: {parts} = {self.required_points} points; "
            f"{self.price_kind} {solved} (rounded up to a multiple of {self.step})"
        )

    def as_dict(self) -> dict[str, object]:
        years = self.years
        return {
            "product": self.product,
            "pd": str(self.pd),
            "lgd": str(self.lgd),
            "balance_yuan_years": format_yuan(round_fen(years, Rounding.HALF_UP)),
            "parts": [p.as_dict() for p in self.parts],
            "required_points": self.required_points,
            "required_yuan": format_yuan(round_fen(self.required, Rounding.HALF_UP)),
            "price_kind": self.price_kind,
            "step": str(self.step),
            "rounding": f"up to a multiple of {self.step}",
            "solved": None if self.solved is None else str(self.solved),
            "offered": None if self.offered is None else str(self.offered),
            "revenue_yuan": format_yuan(self.revenue),
            "expected_margin_yuan": format_yuan(round_fen(self.expected_margin, Rounding.HALF_UP)),
            "expected_margin_points": _points(self.expected_margin / years) if years else "0.00",
            "meets_target": self.meets_target,
        }


def lowest_price(
    schedule_at: Callable[[Decimal], Schedule],
    parts_of: Callable[[Schedule], tuple[Part, ...]],
    *,
    step: Decimal,
    ceiling: Decimal,
    hint: Decimal,
    estimate: Decimal | None = None,
    earns_at: Callable[[Decimal], bool] | None = None,
    schedule_earns: Callable[[Schedule], bool] | None = None,
) -> tuple[Decimal, Schedule] | None:
    """The lowest price ``k × step`` (0 ≤ price ≤ ``ceiling``) whose schedule earns its parts.

    Revenue grows with the price far faster than the balance-driven parts do, so the test
    "earns its parts" is monotone in the price; the search starts from ``estimate`` (see
    :mod:`thinfile.decisioning.price_estimate`), else from the price that would earn them if
    revenue were proportional to price (one schedule at ``hint``), and bisects the grid from
    there. Where it starts changes how many schedules are built, never the price found. None
    when even the ceiling does not earn them.

    ``earns_at`` (a price → whether its schedule earns its parts, answered from the
    schedule's totals without building it) lets the search build one schedule, the one found;
    it must answer as ``schedule_at`` and ``parts_of`` would. The grid point at
    ``estimate`` is nearly always the one found, so it is tested on its schedule, built once:
    by ``schedule_earns`` (a schedule → whether it earns its parts, answering as ``parts_of``
    would) when given.
    """
    top = int((ceiling / step).to_integral_value(rounding=ROUND_FLOOR))
    seen: dict[int, tuple[bool, Schedule | None]] = {}
    test = _grid_test(schedule_at, parts_of, earns_at)

    def earns(k: int) -> bool:
        if k not in seen:
            seen[k] = test(step * k)
        return seen[k][0]

    k = _first_point(schedule_at, parts_of, step=step, top=top, hint=hint, estimate=estimate)
    if estimate is not None and earns_at is not None and schedule_earns is not None:
        built = schedule_at(step * k)
        seen[k] = schedule_earns(built), built
    low, high = -1, None
    if earns(k):
        high = k
    else:
        low = k
        if k < top and earns(k + 1):
            high = k + 1
        elif not earns(top):
            return None
        else:
            high = top
    if high > 0 and high - 1 > low and not earns(high - 1):
        low = high - 1
    while high - low > 1:
        mid = (low + high) // 2
        if earns(mid):
            high = mid
        else:
            low = mid
    found = seen[high][1]
    return step * high, schedule_at(step * high) if found is None else found


def _first_point(
    schedule_at: Callable[[Decimal], Schedule],
    parts_of: Callable[[Schedule], tuple[Part, ...]],
    *,
    step: Decimal,
    top: int,
    hint: Decimal,
    estimate: Decimal | None,
) -> int:
    """The grid point the search tests first: at ``estimate``, else where revenue
    proportional to the price would earn the parts at ``hint``."""
    if estimate is not None:
        guess = estimate
    else:
        first = schedule_at(hint)
        paid = revenue(first)
        guess = hint * required(parts_of(first)) / paid if paid else hint
    return min(top, max(0, int((guess / step).to_integral_value(rounding=ROUND_CEILING))))


def _grid_test(
    schedule_at: Callable[[Decimal], Schedule],
    parts_of: Callable[[Schedule], tuple[Part, ...]],
    earns_at: Callable[[Decimal], bool] | None,
) -> Callable[[Decimal], tuple[bool, Schedule | None]]:
    """Whether a price earns its parts, with its schedule when one was built for the test."""
    if earns_at is not None:
        return lambda price: (earns_at(price), None)

    def test(price: Decimal) -> tuple[bool, Schedule | None]:
        s = schedule_at(price)
        return revenue(s) >= required(parts_of(s)), s

    return test
