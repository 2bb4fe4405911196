"""A servicing product: how a lender allocates payments, charges arrears and classifies them.

The allocation order is a list of (timing, component) rules, like Apache Fineract's advanced
payment allocation: timing is past-due (逾期), due (本期) or in-advance (提前); component is
penalty (罚息), fee (费用), interest (利息) or principal (本金). Interest and fees are never
collected in advance: 民法典 art. 677 owes interest only for the days actually used.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal

from thinfile.errors import FieldProblem, InvalidInputError

__all__ = [
    "DEFAULT_ALLOCATION",
    "DEFAULT_BUCKETS",
    "AdvanceTarget",
    "Component",
    "DelinquencyRange",
    "PrepaymentMode",
    "ServicingProduct",
    "Timing",
]

PENALTY_UPLIFT_CAP = Decimal("0.5")
"""DOMAIN §3.1: penalty interest at most the contract rate × 1.5 (银发〔2003〕251号 band)."""
ALL_IN_CAP = Decimal("0.24")
"""DOMAIN §3: interest, penalty and fees together above 24%/yr are cut by courts."""
RATE_SCALE = 10**8
"""Penalty rates are kept in units of 1e-8 a year so that SQL can apply them in integers."""


class Timing(enum.StrEnum):
    PAST_DUE = "past-due"
    DUE = "due"
    IN_ADVANCE = "in-advance"


class Component(enum.StrEnum):
    PENALTY = "penalty"
    FEE = "fee"
    INTEREST = "interest"
    PRINCIPAL = "principal"


class AdvanceTarget(enum.StrEnum):
    """Which future installment an advance principal payment reduces first."""

    NEXT_INSTALLMENT = "next-installment"
    LAST_INSTALLMENT = "last-installment"


class PrepaymentMode(enum.StrEnum):
    """How the schedule is re-amortized after a partial prepayment (提前部分还款)."""

    REDUCE_INSTALLMENT = "reduce-installment"
    """Keep the term, lower each remaining installment (月供减少)."""
    SHORTEN_TERM = "shorten-term"
    """Keep the installment, finish earlier (期限缩短)."""


Rule = tuple[Timing, Component]

_ORDER = (Component.PENALTY, Component.FEE, Component.INTEREST, Component.PRINCIPAL)
DEFAULT_ALLOCATION: tuple[Rule, ...] = (
    *((Timing.PAST_DUE, c) for c in _ORDER),
    *((Timing.DUE, c) for c in _ORDER),
    (Timing.IN_ADVANCE, Component.PRINCIPAL),
)
"""Penalty, fees, interest, principal; past-due before due before in-advance (冲抵顺序)."""


@dataclass(frozen=True, slots=True)
class DelinquencyRange:
    """One delinquency bucket: days past due from ``min_days`` to ``max_days`` (None: no end)."""

    label: str
    min_days: int
    max_days: int | None = None

    def contains(self, dpd: int) -> bool:
        return dpd >= self.min_days and (self.max_days is None or dpd <= self.max_days)


DEFAULT_BUCKETS: tuple[DelinquencyRange, ...] = (
    DelinquencyRange("M1", 1, 30),
    DelinquencyRange("M2", 31, 60),
    DelinquencyRange("M3", 61, 90),
    DelinquencyRange("M4", 91, 120),
    DelinquencyRange("M5", 121, 150),
    DelinquencyRange("M6+", 151, None),
)
CURRENT = "CURRENT"
"""The bucket of a loan with nothing past due (正常)."""


@dataclass(frozen=True, slots=True)
class ServicingProduct:
    """Servicing rules for a family of loans. Amounts in fen; rates as ``Decimal``.

    ``penalty_uplift`` 0.5 means penalty interest (罚息) at the contract rate × 1.5 on overdue
    principal, starting after ``grace_days``; the penalty rate never exceeds ``penalty_rate_cap``.
    ``late_fee`` is charged once per installment that goes overdue, at most ``late_fee_cap``
    over the life of a loan. A loan ``charge_off_days`` past due is charged off (核销).
    """

    code: str = "standard"
    allocation: tuple[Rule, ...] = DEFAULT_ALLOCATION
    advance_target: AdvanceTarget = AdvanceTarget.NEXT_INSTALLMENT
    prepayment_mode: PrepaymentMode = PrepaymentMode.REDUCE_INSTALLMENT
    grace_days: int = 3
    penalty_uplift: Decimal = PENALTY_UPLIFT_CAP
    penalty_rate_cap: Decimal = ALL_IN_CAP
    late_fee: int = 0
    late_fee_cap: int = 0
    buckets: tuple[DelinquencyRange, ...] = field(default=DEFAULT_BUCKETS)
    charge_off_days: int = 180

    def __post_init__(self) -> None:
        problems = _allocation_problems(self.allocation) + _limit_problems(self)
        problems += _bucket_problems(self.buckets)
        if problems:
            raise InvalidInputError(
                "the servicing product is not valid: "
                + "; ".join(f"{p.field}: {p.message}" for p in problems),
                field=problems[0].field, value=problems[0].value, problems=problems,
            )

    def penalty_rate(self, contract_rate: Decimal) -> Decimal:
        """The annual penalty rate: contract × (1 + uplift), capped, truncated to 1e-8."""
        rate = min(contract_rate * (1 + self.penalty_uplift), self.penalty_rate_cap)
        return rate.quantize(Decimal(1) / RATE_SCALE, rounding=ROUND_DOWN)

    def penalty_rate_units(self, contract_rate: Decimal) -> int:
        """:meth:`penalty_rate` in units of 1e-8 a year (what the COB SQL multiplies by)."""
        return int(self.penalty_rate(contract_rate) * RATE_SCALE)

    def bucket_for(self, days_past_due: int) -> str:
        """The delinquency bucket (M1, M2 …) for a number of days past due (DPD)."""
        for bucket in self.buckets:
            if bucket.contains(days_past_due):
                return bucket.label
        return CURRENT


def _allocation_problems(rules: tuple[Rule, ...]) -> list[FieldProblem]:
    out = []
    if len(set(rules)) != len(rules):
        out.append(FieldProblem("allocation", "a rule appears twice", str(rules)))
    for timing, component in rules:
        if timing is Timing.IN_ADVANCE and component is not Component.PRINCIPAL:
            out.append(FieldProblem(
                "allocation", f"{component} cannot be collected in advance (民法典 art. 677)",
                f"{timing}:{component}"))
    for timing in (Timing.PAST_DUE, Timing.DUE):
        missing = [c for c in _ORDER if (timing, c) not in rules]
        if missing:
            out.append(FieldProblem("allocation", f"no {timing} rule for {missing[0]}",
                                    str(rules)))
    return out


def _limit_problems(p: ServicingProduct) -> list[FieldProblem]:
    out = []
    if not Decimal(0) <= p.penalty_uplift <= PENALTY_UPLIFT_CAP:
        out.append(FieldProblem("penalty_uplift", "must be from 0 to 0.5 (rate × 1.5 at most)",
                                str(p.penalty_uplift)))
    if not Decimal(0) <= p.penalty_rate_cap <= ALL_IN_CAP:
        out.append(FieldProblem("penalty_rate_cap", "must be from 0 to 24%",
                                str(p.penalty_rate_cap)))
    if p.grace_days < 0:
        out.append(FieldProblem("grace_days", "cannot be negative", p.grace_days))
    if p.late_fee < 0 or p.late_fee_cap < 0 or (p.late_fee and p.late_fee > p.late_fee_cap):
        out.append(FieldProblem("late_fee", "must be from 0 to the late fee cap", p.late_fee))
    if p.charge_off_days < 1:
        out.append(FieldProblem("charge_off_days", "must be at least 1", p.charge_off_days))
    return out


def _bucket_problems(buckets: tuple[DelinquencyRange, ...]) -> list[FieldProblem]:
    expected = 1
    for b in buckets:
        if b.min_days != expected or (b.max_days is not None and b.max_days < b.min_days):
            return [FieldProblem("buckets", "ranges must start at 1 day and be contiguous",
                                 b.label)]
        if b.max_days is None:
            return []
        expected = b.max_days + 1
    return []
