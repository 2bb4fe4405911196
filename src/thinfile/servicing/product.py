"""A servicing product: how a lender allocates payments, charges arrears and classifies them.

The allocation order is a list of (timing, component) rules, like Apache Fineract's advanced
payment allocation: timing is past-due (逾期), due (本期) or in-advance (提前); component is
penalty (罚息), fee (费用), interest (利息) or principal (本金). Interest and fees are never
collected in advance: 民法典 art. 677 owes interest only for the days actually used.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from decimal import Decimal

from thinfile.errors import FieldProblem, InvalidInputError
from thinfile.loanmath import DefaultTerms, RepaymentMethod, standard_default_terms

__all__ = [
    "DEFAULT_ALLOCATION",
    "DEFAULT_BUCKETS",
    "BeyondPayoff",
    "Component",
    "DelinquencyRange",
    "ExtraPayment",
    "PrepaymentMode",
    "ServicingProduct",
    "Timing",
    "standard_product",
]


class Timing(enum.StrEnum):
    PAST_DUE = "past-due"
    DUE = "due"
    IN_ADVANCE = "in-advance"


class Component(enum.StrEnum):
    PENALTY = "penalty"
    FEE = "fee"
    INTEREST = "interest"
    PRINCIPAL = "principal"


class ExtraPayment(enum.StrEnum):
    """What money beyond what is due on the payment date does (提前还款 or 溢缴款)."""

    REDUCE_PRINCIPAL = "reduce-principal"
    """An early repayment: it cuts principal at once, interest is then owed only on the
    principal still outstanding, and the rest of the schedule is re-amortized (民法典 art. 677)."""
    HOLD = "hold"
    """Held as overpayment (溢缴款) and applied to each amount as it falls due; close of
    business applies it on the due date. Money enough to pay the loan off still closes it."""


class BeyondPayoff(enum.StrEnum):
    """What happens to money beyond the payoff (everything that closes the loan today)."""

    REFUSE = "refuse"
    """A payment above the payoff is refused, naming the payoff figure."""
    REFUND = "refund"
    """Accepted: the loan closes and the excess goes back to the borrower in the same posting."""
    HOLD = "hold"
    """Accepted: the loan closes and the excess is held as overpayment until refunded."""


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

    ``defaults`` are the default (违约) terms — grace days, penalty interest, late fee and the
    all-in cap (:class:`thinfile.loanmath.DefaultTerms`): the cost statement discloses exactly
    these, and close of business charges exactly these. ``extra_payment`` says what money
    beyond what is due does, ``beyond_payoff`` what money beyond the payoff does, and
    ``prepayment_mode`` how the schedule is re-amortized after principal is cut. A loan
    ``charge_off_days`` past due is charged off (核销).
    """

    code: str = "standard"
    allocation: tuple[Rule, ...] = DEFAULT_ALLOCATION
    prepayment_mode: PrepaymentMode = PrepaymentMode.REDUCE_INSTALLMENT
    extra_payment: ExtraPayment = ExtraPayment.REDUCE_PRINCIPAL
    beyond_payoff: BeyondPayoff = BeyondPayoff.REFUSE
    defaults: DefaultTerms = field(default_factory=DefaultTerms)
    buckets: tuple[DelinquencyRange, ...] = field(default=DEFAULT_BUCKETS)
    charge_off_days: int = 180

    def __post_init__(self) -> None:
        problems = _allocation_problems(self.allocation) + _limit_problems(self)
        problems += _bucket_problems(self.buckets)
        if problems:
            raise InvalidInputError(
                "the servicing product is not valid: "
                + "; ".join(f"{p.field}: {p.message}" for p in problems),
                field=problems[0].field,
                value=problems[0].value,
                problems=problems,
            )

    @property
    def grace_days(self) -> int:
        return self.defaults.grace_days

    def penalty_rate(self, contract_rate: Decimal) -> Decimal:
        """The annual penalty rate of a loan at ``contract_rate`` (see ``DefaultTerms``)."""
        return self.defaults.annual_penalty_rate(contract_rate)

    def penalty_rate_units(self, contract_rate: Decimal) -> int:
        """:meth:`penalty_rate` in units of 1e-8 a year (what the COB SQL multiplies by)."""
        return self.defaults.penalty_rate_units(contract_rate)

    def bucket_for(self, days_past_due: int) -> str:
        """The delinquency bucket (M1, M2 …) for a number of days past due (DPD)."""
        for bucket in self.buckets:
            if bucket.contains(days_past_due):
                return bucket.label
        return CURRENT


def standard_product(method: RepaymentMethod) -> ServicingProduct:
    """The servicing product thinfile opens a loan of ``method`` with, unless told otherwise;
    its default terms are :func:`thinfile.loanmath.standard_default_terms`, the ones offers
    disclose."""
    defaults = standard_default_terms(method)
    if defaults == DefaultTerms():
        return ServicingProduct()
    return ServicingProduct(code="fee-plan", defaults=defaults)


def _allocation_problems(rules: tuple[Rule, ...]) -> list[FieldProblem]:
    out = []
    if len(set(rules)) != len(rules):
        out.append(FieldProblem("allocation", "a rule appears twice", str(rules)))
    for timing, component in rules:
        if timing is Timing.IN_ADVANCE and component is not Component.PRINCIPAL:
            out.append(
                FieldProblem(
                    "allocation",
                    f"{component} cannot be collected in advance (民法典 art. 677)",
                    f"{timing}:{component}",
                )
            )
    for timing in (Timing.PAST_DUE, Timing.DUE):
        missing = [c for c in _ORDER if (timing, c) not in rules]
        if missing:
            out.append(FieldProblem("allocation", f"no {timing} rule for {missing[0]}", str(rules)))
    return out


def _limit_problems(p: ServicingProduct) -> list[FieldProblem]:
    out = []
    if p.charge_off_days < 1:
        out.append(FieldProblem("charge_off_days", "must be at least 1", p.charge_off_days))
    return out


def _bucket_problems(buckets: tuple[DelinquencyRange, ...]) -> list[FieldProblem]:
    expected = 1
    for b in buckets:
        if b.min_days != expected or (b.max_days is not None and b.max_days < b.min_days):
            return [
                FieldProblem("buckets", "ranges must start at 1 day and be contiguous", b.label)
            ]
        if b.max_days is None:
            return []
        expected = b.max_days + 1
    return []
