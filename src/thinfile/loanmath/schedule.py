"""Repayment schedules (还款计划), exact to the fen.

Every generator rounds each period's interest and fee to the fen with the terms' rounding
mode and lets the last installment absorb the residual, so principal repaid always equals
principal lent. Amounts in :class:`Installment` are integers in fen.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import NamedTuple

from thinfile.errors import FieldProblem, InvalidInputError
from thinfile.loanmath.calendar import due_dates, regular_first_due
from thinfile.loanmath.daycount import year_fraction
from thinfile.loanmath.terms import InterestBasis, LoanTerms, RepaymentMethod
from thinfile.money import Money, Rounding, format_yuan, round_fen

__all__ = [
    "Installment",
    "Schedule",
    "annuity_payment",
    "annuity_split",
    "build_schedule",
    "level_installment",
    "period_rates",
]

_ONE = Decimal(1)


class Installment(NamedTuple):
    """One scheduled repayment. Amounts are integer fen; ``balance`` is principal left after it.

    A named tuple, not a frozen dataclass: a policy simulation builds millions of them, and a
    tuple is made in a fifth of the time a frozen dataclass's field-by-field ``__init__`` takes.
    """

    n: int
    due_date: date
    principal: int
    interest: int
    fee: int
    total: int
    balance: int

    def as_dict(self) -> dict[str, object]:
        """The installment as JSON-ready data: amounts as yuan strings, the date ISO."""
        return {
            "n": self.n,
            "due_date": self.due_date.isoformat(),
            "principal": format_yuan(self.principal),
            "interest": format_yuan(self.interest),
            "fee": format_yuan(self.fee),
            "total": format_yuan(self.total),
            "balance": format_yuan(self.balance),
        }


@dataclass(frozen=True, slots=True)
class Schedule:
    """A loan's binding repayment plan and the terms it was built from."""

    terms: LoanTerms
    installments: tuple[Installment, ...]

    @property
    def currency(self) -> str:
        return self.terms.principal.currency

    @property
    def total_principal(self) -> int:
        return sum(i.principal for i in self.installments)

    @property
    def total_interest(self) -> int:
        return sum(i.interest for i in self.installments)

    @property
    def total_fees(self) -> int:
        """Per-installment fees plus the upfront fee, in fen."""
        return sum(i.fee for i in self.installments) + self.terms.upfront_fee.fen

    @property
    def total_repaid(self) -> int:
        return sum(i.total for i in self.installments)

    @property
    def net_disbursed(self) -> Money:
        """What the borrower actually receives: principal less any upfront fee."""
        return self.terms.principal - self.terms.upfront_fee

    def period_cash_flows(self) -> list[int]:
        """Borrower's flows by period number, from the lender's side: ``[-net, p1, p2, …]``."""
        flows = [0] * (self.terms.periods + 1)
        flows[0] = -self.net_disbursed.fen
        for inst in self.installments:
            flows[inst.n] += inst.total
        return flows

    def dated_cash_flows(self) -> list[tuple[date, int]]:
        return [(self.terms.start, -self.net_disbursed.fen)] + [
            (i.due_date, i.total) for i in self.installments
        ]


def annuity_payment(
    principal: Decimal | int,
    rate: Decimal,
    periods: int,
    *,
    future_value: Decimal | int = 0,
    due_at_start: bool = False,
) -> Decimal:
    """The exact level payment (PMT) that repays ``principal`` (and reaches ``future_value``).

    ``A = (P·(1+i)^n + FV)·i / (((1+i)^n − 1)·(1 + i·type))``; ``(P + FV)/n`` when i = 0.
    """
    if rate == 0:
        return (Decimal(principal) + Decimal(future_value)) / periods
    growth = (_ONE + rate) ** periods
    payment = (principal * growth + future_value) * rate / (growth - _ONE)
    return payment / (_ONE + rate) if due_at_start else payment


def annuity_split(
    principal: Decimal | int, rate: Decimal, periods: int, period: int
) -> tuple[Decimal, Decimal, Decimal]:
    """Exact (unrounded) interest, principal and closing balance of one annuity period.

    The IPMT/PPMT split that calculators print before any rounding to the fen.
    """
    payment = annuity_payment(principal, rate, periods)
    growth = (_ONE + rate) ** (period - 1)
    opening = principal * growth - (
        payment * (growth - _ONE) / rate if rate else payment * (period - 1)
    )
    interest = opening * rate
    return interest, payment - interest, opening - (payment - interest)


def level_installment(principal: Decimal | int, rates: Sequence[Decimal]) -> Decimal:
    """The exact level installment for periods whose rates may differ.

    ``A = P / Σ_j Π_{k≤j} (1 + r_k)^−1`` (the progressive EMI of Apache Fineract).
    """
    first = rates[0]
    if all(r == first for r in rates):
        return annuity_payment(principal, first, len(rates))
    discount = _ONE
    total = Decimal(0)
    for r in rates:
        discount /= _ONE + r
        total += discount
    return Decimal(principal) / total


def period_rates(terms: LoanTerms, dates: Sequence[date]) -> list[Decimal]:
    """Each period's interest rate under the terms' interest basis and day count."""
    annual, count = terms.annual_rate, terms.day_count
    if terms.interest_basis is InterestBasis.DAILY:
        starts = [terms.start, *dates[:-1]]
        return [annual * year_fraction(s, e, count) for s, e in zip(starts, dates, strict=True)]
    freq = terms.frequency
    regular = (
        annual / freq.periods_per_year if freq.days is None else (annual * freq.days / count.basis)
    )
    rates = [regular] * len(dates)
    if terms.first_due is not None and terms.first_due != regular_first_due(terms.start, freq):
        rates[0] = annual * year_fraction(terms.start, terms.first_due, count)
    return rates


def build_schedule(terms: LoanTerms) -> Schedule:
    """The repayment schedule for ``terms``."""
    dates = due_dates(terms.start, terms.periods, terms.frequency, terms.first_due)
    rates = period_rates(terms, dates)
    plan = _plan(terms, rates)
    if plan is None:
        rows = tuple(_bullet(terms, dates, rates))
    elif terms.grace_interest or terms.grace_principal:
        rows = tuple(_amortize(terms, dates, rates, plan[0], interest_on_original=plan[1]))
    else:
        rows = tuple(_amortize_regular(terms, dates, rates, *plan))
    if terms.multiple_of > 1 and len(rows) > 1 and rows[-1].principal == 0:
        _early_end(terms, rows)
    if terms.charge_relief:
        rows = tuple(_relieved(i, cut) for i, cut in zip(rows, terms.charge_relief, strict=True))
    return Schedule(terms, rows)


def _early_end(terms: LoanTerms, rows: Sequence[Installment]) -> None:
    """Refuse a multiple so large that installments rounded up to it repay the principal
    before the last one, leaving installments of nothing."""
    ended = next(i.n for i in rows if i.balance == 0)
    problem = FieldProblem(
        "multiple_of",
        f"rounding each installment up to a multiple of {format_yuan(terms.multiple_of)}"
        f" repays the loan by installment {ended} of {len(rows)}: choose a smaller multiple"
        " or fewer periods",
        format_yuan(terms.multiple_of),
    )
    raise InvalidInputError(
        f"the loan terms are not valid: multiple_of: {problem.message}",
        field="multiple_of",
        value=problem.value,
        problems=[problem],
    )


def _relieved(inst: Installment, cut: int) -> Installment:
    """``inst`` with ``cut`` fen taken off its interest, then its fee (never below zero)."""
    from_interest = min(cut, inst.interest)
    from_fee = min(cut - from_interest, inst.fee)
    return inst._replace(
        interest=inst.interest - from_interest,
        fee=inst.fee - from_fee,
        total=inst.total - from_interest - from_fee,
    )


PrincipalRule = Callable[[int, int], int]
"""Given (period index, this period's interest), the principal part before clamping."""


def _amortize(
    terms: LoanTerms,
    dates: Sequence[date],
    rates: Sequence[Decimal],
    principal_part: PrincipalRule,
    *,
    interest_on_original: bool = False,
) -> list[Installment]:
    """The shared loop: interest per period, deferred during interest grace, last absorbs."""
    principal = terms.principal.fen
    balance = principal
    mode = terms.rounding
    fee = round_fen(principal * terms.monthly_fee_rate, mode)
    last = terms.periods - 1
    deferred = 0
    rows: list[Installment] = []
    for k, due in enumerate(dates):
        interest = round_fen((principal if interest_on_original else balance) * rates[k], mode)
        if k < terms.grace_interest:
            deferred, charged = deferred + interest, 0
        else:
            deferred, charged = 0, interest + deferred
        if k == last:
            part = balance
        elif k < terms.grace_principal:
            part = 0
        else:
            part = min(balance, max(0, principal_part(k, interest)))
        balance -= part
        rows.append(Installment(k + 1, due, part, charged, fee, part + charged + fee, balance))
    return rows


def _amortize_regular(
    terms: LoanTerms,
    dates: Sequence[date],
    rates: Sequence[Decimal],
    principal_part: PrincipalRule,
    interest_on_original: bool,
) -> list[Installment]:
    """:func:`_amortize` for a loan without grace: the same rows, each amount rounded as
    :func:`round_fen` rounds it (``quantize`` to the fen in the terms' mode), with less work
    per period."""
    principal = balance = terms.principal.fen
    mode = terms.rounding
    fee = round_fen(principal * terms.monthly_fee_rate, mode)
    decimal_mode, last = mode.decimal_mode, len(dates) - 1
    rows: list[Installment] = []
    for k, due in enumerate(dates):
        owed = (principal if interest_on_original else balance) * rates[k]
        interest = int(owed.quantize(_ONE, rounding=decimal_mode))
        if k == last:
            part = balance
        else:
            part = principal_part(k, interest)
            part = balance if part > balance else (part if part > 0 else 0)
        balance -= part
        rows.append(Installment(k + 1, due, part, interest, fee, part + interest + fee, balance))
    return rows


def _level_principal(principal: int, periods: int, *, multiple_of: int, rounding: Rounding) -> int:
    exact = Decimal(principal) / periods
    if multiple_of > 1:
        return round_fen(exact, Rounding.UP, multiple=multiple_of)
    return round_fen(exact, rounding)


def _level_installment(
    principal: int, rates: Sequence[Decimal], *, multiple_of: int, rounding: Rounding
) -> int:
    exact = level_installment(principal, rates)
    if multiple_of > 1:
        return round_fen(exact, Rounding.UP, multiple=multiple_of)
    return round_fen(exact, rounding)


_LEVEL_PRINCIPAL = frozenset(
    {
        RepaymentMethod.EQUAL_PRINCIPAL,
        RepaymentMethod.FEE_INSTALLMENT,
        RepaymentMethod.ZERO_INTEREST,
    }
)


def _plan(terms: LoanTerms, rates: Sequence[Decimal]) -> tuple[PrincipalRule, bool] | None:
    """How each period's principal part is found, and whether interest is charged on the
    original principal (a flat loan); None for a bullet loan, which has one payment."""
    return principal_plan(
        terms.method,
        terms.principal.fen,
        rates[terms.grace_principal :],
        multiple_of=terms.multiple_of,
        rounding=terms.level_rounding,
    )


def principal_plan(
    method: RepaymentMethod,
    principal: int,
    amortizing: Sequence[Decimal],
    *,
    multiple_of: int = 1,
    rounding: Rounding,
) -> tuple[PrincipalRule, bool] | None:
    """:func:`_plan` from the principal and the rates of the periods that amortize (after
    any principal grace), the level rounded with ``rounding`` or up to ``multiple_of``."""
    if method is RepaymentMethod.EQUAL_INSTALLMENT:
        level = _level_installment(
            principal, amortizing, multiple_of=multiple_of, rounding=rounding
        )
        return (lambda _k, interest: level - interest), False
    if method in _LEVEL_PRINCIPAL or method is RepaymentMethod.FLAT:
        part = _level_principal(
            principal, len(amortizing), multiple_of=multiple_of, rounding=rounding
        )
        return (lambda _k, _i: part), method is RepaymentMethod.FLAT
    if method is RepaymentMethod.INTEREST_ONLY:
        return (lambda _k, _i: 0), False
    return None


def _bullet(terms: LoanTerms, dates: Sequence[date], rates: Sequence[Decimal]) -> list[Installment]:
    principal = terms.principal.fen
    interest = round_fen(principal * sum(rates, Decimal(0)), terms.rounding)
    fee = round_fen(principal * terms.monthly_fee_rate * terms.periods, terms.rounding)
    total = principal + interest + fee
    return [Installment(terms.periods, dates[-1], principal, interest, fee, total, 0)]
