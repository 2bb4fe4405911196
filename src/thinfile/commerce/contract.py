"""Merchant contract terms (商户合同): who pays for each installment term, and how.

For each term a merchant offers (3, 6, 12 … periods) the contract fixes a **subsidy rate**
(商家贴息率: the share of the financed amount the merchant gives up so the borrower pays no
interest) and the borrower's **monthly fee rate** (分期手续费率, on the original principal; 0
for an interest-free plan). A merchant may pay all (免息), none (the borrower pays the fee), or
part of the cost of a term. The contract also says what happens to the **unearned subsidy**
when a purchase is refunded (returned to the merchant, or kept by the lender) and the
**settlement cycle** (T+1 by default: the merchant is paid one day after the purchase).

Rates are ``Decimal`` fractions in ``[0, 1)``; terms come from :data:`ALLOWED_TERMS`; every bad
term is reported at once by :class:`InvalidMerchantContractError`.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import lru_cache

from thinfile.errors import FieldProblem, InvalidMerchantContractError
from thinfile.loanmath import (
    DEFAULT_CAP,
    CapBasis,
    LoanTerms,
    RepaymentMethod,
    annualized_rate,
    build_schedule,
    cap_measure,
)
from thinfile.money import Money, Rounding

__all__ = [
    "ALLOWED_TERMS",
    "MAX_SETTLEMENT_DAYS",
    "MerchantContract",
    "TermPricing",
    "UnearnedSubsidy",
    "term_problems",
]

ALLOWED_TERMS = (3, 6, 9, 12, 18, 24)
"""Installment terms (期数) a merchant may offer: the wallets' 3/6/12 (DOMAIN §11) and the
9/18/24 of card and mall installment plans."""
MAX_SETTLEMENT_DAYS = 30
"""The longest settlement cycle a contract may set (T+30)."""


class UnearnedSubsidy(enum.StrEnum):
    """What a refund does with the part of the subsidy not yet recognised as income."""

    RETURN_TO_MERCHANT = "return-to-merchant"
    """退还商户: netted in the merchant's next settlement."""
    KEEP = "keep"
    """不退还: the lender recognises it at once."""


def _rate_problem(value: object, field: str) -> FieldProblem | None:
    if not isinstance(value, Decimal) or not value.is_finite():
        return FieldProblem(field, "must be a Decimal rate", value)
    if not 0 <= value < 1:
        return FieldProblem(field, "must be at least 0% and below 100%", str(value))
    return None


def term_problems(
    periods: object,
    *,
    subsidy_rate: object = Decimal(0),
    monthly_fee_rate: object = Decimal(0),
    fields: tuple[str, str, str] = ("periods", "subsidy_rate", "monthly_fee_rate"),
) -> list[FieldProblem]:
    """Everything wrong with one term's pricing; ``fields`` names the three inputs (so a
    command can report ``--periods`` rather than ``periods``)."""
    out: list[FieldProblem] = []
    if type(periods) is not int or periods not in ALLOWED_TERMS:
        allowed = ", ".join(str(t) for t in ALLOWED_TERMS)
        out.append(FieldProblem(fields[0], f"must be one of {allowed} periods", periods))
    for value, field in ((subsidy_rate, fields[1]), (monthly_fee_rate, fields[2])):
        if (problem := _rate_problem(value, field)) is not None:
            out.append(problem)
    if out or not isinstance(periods, int) or not isinstance(monthly_fee_rate, Decimal):
        return out
    problem = _cap_problem(periods, monthly_fee_rate, fields[2])
    return out if problem is None else [problem]


_REFERENCE = Money.of("10000")
"""The amount a fee rate's annualized cost is measured on (the fee's rounding to the fen
moves it only for amounts of a few yuan; a plan is measured again when it is built,
``commerce.plan``)."""


@lru_cache(maxsize=512)
def _plan_cost(periods: int, monthly_fee_rate: Decimal) -> Decimal:
    """The annualized all-in cost of a fee plan (分期手续费) on the reference amount, on the
    cap's stricter basis: the higher of the nominal and the compounded rate (DOMAIN §2.2,
    §3). Worked out once per term and rate: a contract's terms are built again each time a
    checkout reads them."""
    terms = LoanTerms(
        _REFERENCE,
        Decimal(0),
        periods,
        RepaymentMethod.FEE_INSTALLMENT,
        date(2026, 1, 1),  # not money: monthly periods cost the same from any day
        monthly_fee_rate=monthly_fee_rate,
    )
    return cap_measure(annualized_rate(build_schedule(terms)), CapBasis.STRICTER)


def _cap_problem(periods: int, monthly_fee_rate: Decimal, field: str) -> FieldProblem | None:
    """A fee rate whose plan costs the borrower more than the 24 % cap a year (a monthly fee
    on the amount financed costs nearly twice its simple rate: 1.1 % a month over 12 months
    is 26.24 % compounded)."""
    if monthly_fee_rate == 0:
        return None
    cost = _plan_cost(periods, monthly_fee_rate)
    if cost <= DEFAULT_CAP:
        return None
    return FieldProblem(
        field,
        f"costs the borrower {cost:.2%} a year (annualized, the stricter of nominal and "
        f"compounded) over {periods} periods, above the "
        f"{DEFAULT_CAP:.0%} cap: lower the monthly fee rate",
        str(monthly_fee_rate),
    )


def _raise(problems: list[FieldProblem], what: str) -> None:
    if problems:
        single = len(problems) == 1
        raise InvalidMerchantContractError(
            f"the {what} is not valid: " + "; ".join(f"{p.field}: {p.message}" for p in problems)
            if not single
            else problems[0].message,
            field=problems[0].field if single else None,
            value=problems[0].value if single else None,
            problems=problems,
        )


@dataclass(frozen=True, slots=True)
class TermPricing:
    """The price of one installment term: ``subsidy_rate`` of the financed amount paid by the
    merchant, ``monthly_fee_rate`` of it charged to the borrower each period."""

    periods: int
    subsidy_rate: Decimal = Decimal(0)
    monthly_fee_rate: Decimal = Decimal(0)

    def __post_init__(self) -> None:
        problems = term_problems(
            self.periods, subsidy_rate=self.subsidy_rate, monthly_fee_rate=self.monthly_fee_rate
        )
        _raise(problems, "term")

    @property
    def is_interest_free(self) -> bool:
        """免息: the borrower pays neither interest nor a fee."""
        return self.monthly_fee_rate == 0


@dataclass(frozen=True, slots=True)
class MerchantContract:
    """A merchant's contract: the terms it offers and how they are paid for.

    ``rounding`` rounds the subsidy, the borrower's fee and each period's recognised income to
    the fen (half-up, 四舍五入, unless the contract says otherwise).
    """

    terms: tuple[TermPricing, ...]
    unearned_subsidy: UnearnedSubsidy = UnearnedSubsidy.RETURN_TO_MERCHANT
    settlement_days: int = 1
    rounding: Rounding = Rounding.HALF_UP

    def __post_init__(self) -> None:
        problems: list[FieldProblem] = []
        if not self.terms:
            problems.append(FieldProblem("terms", "a contract offers at least one term"))
        seen = [t.periods for t in self.terms]
        if len(set(seen)) != len(seen):
            problems.append(FieldProblem("terms", "each term may be priced once", str(seen)))
        days = self.settlement_days
        if type(days) is not int or not 0 <= days <= MAX_SETTLEMENT_DAYS:
            problems.append(
                FieldProblem(
                    "settlement_days",
                    f"must be a whole number from 0 to {MAX_SETTLEMENT_DAYS}",
                    days,
                )
            )
        _raise(problems, "merchant contract")

    @property
    def offered_terms(self) -> tuple[int, ...]:
        return tuple(sorted(t.periods for t in self.terms))

    def pricing(self, periods: int, *, field: str = "periods") -> TermPricing:
        """The pricing of ``periods``; refused when the contract does not offer that term."""
        for term in self.terms:
            if term.periods == periods:
                return term
        offered = ", ".join(str(t) for t in self.offered_terms)
        raise InvalidMerchantContractError(
            f"the merchant offers {offered} periods, not {periods}",
            field=field,
            value=periods,
            remedy=f"choose one of {offered}",
        )
