"""Default terms (违约条款): what paying late costs — one definition for disclosure and servicing.

The same :class:`DefaultTerms` value is disclosed in the all-in cost statement before signing
and charged by close of business (Python and SQL) afterwards, so the two cannot disagree.

For each installment left unpaid after its due date:

- **penalty interest** (罚息) on its overdue principal for every day past ``due + grace_days``:
  ``principal × penalty rate ÷ year basis``, half up, where the penalty rate is the contract
  rate × (1 + ``penalty_uplift``) — or the product's own ``penalty_rate`` for fee-based and
  zero-interest plans whose contract rate is 0 — never above ``penalty_rate_cap`` (DOMAIN §3.1);
- a **late fee** (滞纳金) once, on the first day past grace, at most ``late_fee_cap`` per loan;
- the **all-in cap** (综合成本上限, 法发〔2017〕22号 art. 2): interest, penalty and fees on the
  overdue amount together never exceed ``all_in_cap`` a year. Each day past due adds
  ``(overdue principal + overdue interest) × all_in_cap ÷ year basis`` (truncated) to the
  installment's *allowance*; a late fee or a day's penalty is charged only within the allowance
  not yet used, and what is above it is not charged (the ledger books it to
  ``all_in_cap_relief``).

Every formula is integer arithmetic that SQL repeats to the fen: rates are held in units of
1e-8 a year (:data:`RATE_SCALE`). The year basis is the day count's, except that actual/actual
divides by 366 on a day of a leap year (:func:`year_basis`).
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_DOWN, Decimal

from thinfile.errors import FieldProblem, InvalidInputError
from thinfile.loanmath.daycount import DayCount
from thinfile.loanmath.terms import RepaymentMethod

__all__ = [
    "ALL_IN_CAP",
    "DISCLOSED_DAYS_LATE",
    "PENALTY_UPLIFT_CAP",
    "RATE_SCALE",
    "DefaultCharges",
    "DefaultTerms",
    "daily_allowance",
    "daily_penalty",
    "days_in_year",
    "default_charges",
    "default_examples",
    "leap_year_basis",
    "standard_default_terms",
    "year_basis",
]

RATE_SCALE = 10**8
"""Rates are kept in units of 1e-8 a year so that SQL can apply them in integers."""
PENALTY_UPLIFT_CAP = Decimal("0.5")
"""DOMAIN §3.1: penalty interest at most the contract rate × 1.5 (银发〔2003〕251号 band)."""
ALL_IN_CAP = Decimal("0.24")
"""DOMAIN §3: interest, penalty and fees together above 24%/yr are cut by courts."""
DISCLOSED_DAYS_LATE = (1, 10, 100)
"""The days late for which the cost statement shows what one late installment costs."""


def _units(rate: Decimal) -> int:
    return int(rate.quantize(Decimal(1) / RATE_SCALE, rounding=ROUND_DOWN) * RATE_SCALE)


@dataclass(frozen=True, slots=True)
class DefaultTerms:
    """The default (违约) terms of a servicing product. Amounts in fen, rates ``Decimal``."""

    grace_days: int = 3
    penalty_uplift: Decimal = PENALTY_UPLIFT_CAP
    penalty_rate: Decimal | None = None
    """A fixed annual penalty rate on overdue principal; when set it replaces the uplift
    (fee-based and zero-interest plans, whose contract rate is 0)."""
    penalty_rate_cap: Decimal = ALL_IN_CAP
    late_fee: int = 0
    late_fee_cap: int = 0
    all_in_cap: Decimal = ALL_IN_CAP

    def __post_init__(self) -> None:
        problems = _problems(self)
        if problems:
            raise InvalidInputError(
                "the default terms are not valid: "
                + "; ".join(f"{p.field}: {p.message}" for p in problems),
                field=problems[0].field,
                value=problems[0].value,
                problems=problems,
            )

    def annual_penalty_rate(self, contract_rate: Decimal) -> Decimal:
        """The penalty rate a year for a loan at ``contract_rate``, capped, truncated to 1e-8."""
        rate = (
            self.penalty_rate
            if self.penalty_rate is not None
            else contract_rate * (1 + self.penalty_uplift)
        )
        rate = min(rate, self.penalty_rate_cap, self.all_in_cap)
        return rate.quantize(Decimal(1) / RATE_SCALE, rounding=ROUND_DOWN)

    def penalty_rate_units(self, contract_rate: Decimal) -> int:
        """:meth:`annual_penalty_rate` in units of 1e-8 a year (what the COB SQL multiplies by)."""
        return _units(self.annual_penalty_rate(contract_rate))

    @property
    def all_in_cap_units(self) -> int:
        return _units(self.all_in_cap)

    def as_dict(self) -> dict[str, object]:
        return {
            "grace_days": self.grace_days,
            "penalty_uplift": str(self.penalty_uplift),
            "penalty_rate": None if self.penalty_rate is None else str(self.penalty_rate),
            "penalty_rate_cap": str(self.penalty_rate_cap),
            "late_fee": self.late_fee,
            "late_fee_cap": self.late_fee_cap,
            "all_in_cap": str(self.all_in_cap),
        }

    @classmethod
    def from_dict(cls, d: dict[str, object]) -> DefaultTerms:
        fixed = d.get("penalty_rate")
        return cls(
            grace_days=int(str(d["grace_days"])),
            penalty_uplift=Decimal(str(d["penalty_uplift"])),
            penalty_rate=None if fixed is None else Decimal(str(fixed)),
            penalty_rate_cap=Decimal(str(d["penalty_rate_cap"])),
            late_fee=int(str(d["late_fee"])),
            late_fee_cap=int(str(d["late_fee_cap"])),
            all_in_cap=Decimal(str(d.get("all_in_cap", ALL_IN_CAP))),
        )


def _problems(d: DefaultTerms) -> list[FieldProblem]:
    out = []
    if not Decimal(0) <= d.penalty_uplift <= PENALTY_UPLIFT_CAP:
        out.append(
            FieldProblem(
                "penalty_uplift",
                "must be from 0 to 0.5 (rate × 1.5 at most)",
                str(d.penalty_uplift),
            )
        )
    if d.penalty_rate is not None and not Decimal(0) <= d.penalty_rate <= ALL_IN_CAP:
        out.append(
            FieldProblem("penalty_rate", "must be from 0 to 24% a year", str(d.penalty_rate))
        )
    for name in ("penalty_rate_cap", "all_in_cap"):
        if not Decimal(0) <= getattr(d, name) <= ALL_IN_CAP:
            out.append(FieldProblem(name, "must be from 0 to 24%", str(getattr(d, name))))
    if d.grace_days < 0:
        out.append(FieldProblem("grace_days", "cannot be negative", d.grace_days))
    if d.late_fee < 0 or d.late_fee_cap < 0 or (d.late_fee and d.late_fee > d.late_fee_cap):
        out.append(FieldProblem("late_fee", "must be from 0 to the late fee cap", d.late_fee))
    return out


def year_basis(day_count: DayCount, on: date) -> int:
    """Days in the year a daily rate divides by on ``on``: actual/actual is 366 in leap years."""
    return leap_year_basis(day_count) if calendar.isleap(on.year) else day_count.basis


def leap_year_basis(day_count: DayCount) -> int:
    """The year basis on a day of a leap year (what close of business uses then)."""
    return 366 if day_count is DayCount.ACTUAL_ACTUAL else day_count.basis


def daily_penalty(
    overdue_principal: int,
    rate_units: int,
    basis: int,
    *,
    cap_units: int | None = None,
    days: int = 365,
) -> int:
    """One day of penalty interest (罚息) on overdue principal, rounded half up to the fen —
    never more than ``cap_units`` a year over the ``days`` of the year (truncated): a rate at
    the 24 % cap divided by a 360-day basis and charged every actual day would come to 24.33 %
    a year."""
    denominator = basis * RATE_SCALE
    day = (2 * overdue_principal * rate_units + denominator) // (2 * denominator)
    if cap_units is None:
        return day
    return min(day, overdue_principal * cap_units // (days * RATE_SCALE))


def days_in_year(on: date) -> int:
    """The days of ``on``'s year (366 in a leap year): what the all-in cap's daily allowance
    divides by, whatever the contract's day count — the cap is a rate a year, and a daily
    charge is annualized over the days the year has (PBOC: daily rate × 365), so a /360
    allowance charged every actual day would come to 24.33 %."""
    return 366 if calendar.isleap(on.year) else 365


def daily_allowance(overdue: int, cap_units: int, basis: int) -> int:
    """One day of the all-in cap on an overdue amount, truncated to the fen (``basis``: the
    days of the year, :func:`days_in_year`)."""
    return overdue * cap_units // (basis * RATE_SCALE)


@dataclass(frozen=True, slots=True)
class DefaultCharges:
    """What one installment costs when still wholly unpaid at the end of the ``days_late``-th
    day after its due date (逾期满 ``days_late`` 天): every close of business from the day after
    the due date to that day has charged it. Paid during a day, it is charged the nights before
    that day only, so paid on the day after its due date it costs nothing."""

    days_late: int
    penalty: int
    late_fee: int
    not_charged: int
    """Late fee and penalty above the all-in cap, not charged."""

    @property
    def total(self) -> int:
        return self.penalty + self.late_fee


def default_charges(
    terms: DefaultTerms,
    *,
    contract_rate: Decimal,
    principal: int,
    interest: int,
    due: date,
    days_late: int,
    day_count: DayCount,
    late_fees_before: int = 0,
) -> DefaultCharges:
    """Day by day, what an installment of ``principal`` and ``interest`` left wholly unpaid
    costs after ``days_late`` days: exactly what close of business charges it."""
    return default_examples(
        terms,
        contract_rate=contract_rate,
        principal=principal,
        interest=interest,
        due=due,
        days=(days_late,),
        day_count=day_count,
        late_fees_before=late_fees_before,
    )[0]


def default_examples(
    terms: DefaultTerms,
    *,
    contract_rate: Decimal,
    principal: int,
    interest: int,
    due: date,
    days: Sequence[int],
    day_count: DayCount,
    late_fees_before: int = 0,
) -> tuple[DefaultCharges, ...]:
    """:func:`default_charges` after each of ``days`` days late, in one walk through the days.

    A day's allowance and gross penalty depend only on its year's basis, so they are worked
    out once a year rather than once a day; the walk itself stays day by day because the
    all-in cap truncates each day's allowance to the fen.
    """
    rate, cap = terms.penalty_rate_units(contract_rate), terms.all_in_cap_units
    wanted = set(days)
    found: dict[int, DefaultCharges] = {k: DefaultCharges(k, 0, 0, 0) for k in wanted if k <= 0}
    allowance = charged = penalty = fee = relieved = 0
    year, next_year_at, a_day, gross_a_day = due.year - 1, 0, 0, 0
    for k in range(1, max(wanted, default=0) + 1):
        if k >= next_year_at:  # the first day, or the first day of a new year
            year = (due + timedelta(days=k)).year
            next_year_at = (date(year + 1, 1, 1) - due).days
            basis = year_basis(day_count, date(year, 1, 1))
            a_day = daily_allowance(principal + interest, cap, days_in_year(date(year, 1, 1)))
            gross_a_day = daily_penalty(
                principal, rate, basis, cap_units=cap, days=days_in_year(date(year, 1, 1))
            )
        allowance += a_day
        if k == terms.grace_days + 1:
            gross = min(terms.late_fee, terms.late_fee_cap - late_fees_before)
            net = max(0, min(gross, allowance - charged))
            fee, charged, relieved = net, charged + net, relieved + gross - net
        if k > terms.grace_days and principal > 0:
            net = max(0, min(gross_a_day, allowance - charged))
            penalty, charged = penalty + net, charged + net
            relieved += gross_a_day - net
        if k in wanted:
            found[k] = DefaultCharges(k, penalty, fee, relieved)
    return tuple(found[k] for k in days)


FEE_PLAN_PENALTY_RATE = Decimal("0.18")
"""Fee-based and zero-interest plans have no contract rate to uplift: their penalty is 0.05%
a day on overdue principal (18% a year on a 360-day year), well within the cap."""


def standard_default_terms(method: RepaymentMethod) -> DefaultTerms:
    """The default terms thinfile's standard servicing products use for ``method``."""
    if method in (RepaymentMethod.FEE_INSTALLMENT, RepaymentMethod.ZERO_INTEREST):
        return DefaultTerms(penalty_rate=FEE_PLAN_PENALTY_RATE)
    return DefaultTerms()
