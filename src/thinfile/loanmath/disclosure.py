"""The all-in cost statement (综合融资成本明示表) shown before a borrower signs.

Each charge item, who collects it, its standard and amount, the annualized all-in cost
under normal repayment, and the default (违约) costs — as data, as JSON and as text. It is
built from the same schedule and cash flows that compute the annualized rate.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from thinfile.loanmath.annualized import AnnualizedRate, annualized_rate
from thinfile.loanmath.defaults import (
    DISCLOSED_DAYS_LATE,
    DefaultCharges,
    DefaultTerms,
    default_examples,
)
from thinfile.loanmath.schedule import Schedule
from thinfile.money import format_yuan

__all__ = ["ChargeItem", "CostStatement", "DefaultCost", "cost_statement"]


@dataclass(frozen=True, slots=True)
class ChargeItem:
    name: str
    name_zh: str
    collector: str
    standard: str
    when: str
    amount: int
    """Total over the loan, in fen."""


@dataclass(frozen=True, slots=True)
class DefaultCost:
    name: str
    name_zh: str
    standard: str


@dataclass(frozen=True, slots=True)
class CostStatement:
    lender: str
    currency: str
    principal: int
    net_disbursed: int
    periods: int
    method: str
    items: tuple[ChargeItem, ...]
    annualized: AnnualizedRate
    default_costs: tuple[DefaultCost, ...]
    default_terms: DefaultTerms
    """The servicing product's default terms these lines disclose (what will be charged)."""
    default_examples: tuple[DefaultCharges, ...]
    """What the first installment costs still unpaid 1, 10 and 100 full days after its due
    date (:class:`DefaultCharges`)."""

    @property
    def total_cost(self) -> int:
        return sum(item.amount for item in self.items)

    def as_dict(self) -> dict[str, object]:
        return {
            "lender": self.lender,
            "currency": self.currency,
            "principal": format_yuan(self.principal),
            "net_disbursed": format_yuan(self.net_disbursed),
            "periods": self.periods,
            "method": self.method,
            "items": [
                {
                    "name": i.name,
                    "name_zh": i.name_zh,
                    "collector": i.collector,
                    "standard": i.standard,
                    "when": i.when,
                    "amount": format_yuan(i.amount),
                }
                for i in self.items
            ],
            "total_cost": format_yuan(self.total_cost),
            "annualized_rate": self.annualized.as_dict(),
            "default_costs": [
                {"name": d.name, "name_zh": d.name_zh, "standard": d.standard}
                for d in self.default_costs
            ],
            "default_terms": self.default_terms.as_dict(),
            "default_examples": [
                {
                    "days_late": e.days_late,
                    "penalty": format_yuan(e.penalty),
                    "late_fee": format_yuan(e.late_fee),
                    "total": format_yuan(e.total),
                    "not_charged": format_yuan(e.not_charged),
                }
                for e in self.default_examples
            ],
        }

    def render_text(self) -> str:
        a = self.annualized
        lines = [
            "综合融资成本明示表 / All-in cost statement",
            f"Lender 贷款机构: {self.lender}",
            f"Principal 借款本金: {format_yuan(self.principal)} {self.currency}"
            f"    Received 实际到手: {format_yuan(self.net_disbursed)}",
            f"Term 期数: {self.periods}    Method 还款方式: {self.method}",
            f"ANNUALIZED RATE 年化利率 (IRR method 内部收益率法): {a.nominal:.2%}",
            f"  compounded 复利年化: {a.effective:.2%}    per period 每期: {a.periodic_irr:.4%}",
            "Charges 息费项目:",
        ]
        for i in self.items:
            lines.append(
                f"  - {i.name_zh} {i.name}: {format_yuan(i.amount)}; {i.standard}; "
                f"{i.when}; collected by 收取方 {i.collector}"
            )
        lines.append(f"Total cost 总息费: {format_yuan(self.total_cost)}")
        lines.append("If you pay late 逾期费用:")
        lines.extend(f"  - {d.name_zh} {d.name}: {d.standard}" for d in self.default_costs)
        lines.extend(
            f"  - 第1期逾期满 {e.days_late} 天 installment 1 alone still unpaid {e.days_late} "
            f"full day{'' if e.days_late == 1 else 's'} after its due date: "
            f"{format_yuan(e.total)} (penalty {format_yuan(e.penalty)}, late fee "
            f"{format_yuan(e.late_fee)})"
            for e in self.default_examples
        )
        return "\n".join(lines)


def _pct(rate: Decimal) -> str:
    """The installment fee's rate as the contract states it: exact, at least two decimals
    (0.345% a month is not 0.34%). The interest row keeps two decimals: the statement and
    the contract state the contract rate exactly beside it, and stored decisions replay with
    that wording; the default terms' derived rates (penalty, the all-in cap) are shown to two
    decimals, as the contract's default paragraphs show them in both languages."""
    whole, _, part = f"{(rate * 100).normalize():f}".partition(".")  # not money: a rate
    return f"{whole}.{part.ljust(2, '0')}%"


def cost_statement(
    schedule: Schedule,
    *,
    default_terms: DefaultTerms,
    lender: str = "thinfile demo lender",
    fee_collector: str | None = None,
    annualized: AnnualizedRate | None = None,
) -> CostStatement:
    """The statement for ``schedule`` under the servicing product's ``default_terms``;
    ``fee_collector`` names a third party that takes fees."""
    terms = schedule.terms
    collector = fee_collector or lender
    items: list[ChargeItem] = []
    if schedule.total_interest:
        items.append(
            ChargeItem(
                "interest",
                "利息",
                lender,
                f"{terms.annual_rate:.2%} a year on the outstanding principal",
                "with each installment",
                schedule.total_interest,
            )
        )
    per_period_fees = schedule.total_fees - terms.upfront_fee.fen
    if per_period_fees:
        items.append(
            ChargeItem(
                "installment fee",
                "分期手续费",
                collector,
                f"{_pct(terms.monthly_fee_rate)} of the original principal each period",
                "with each installment",
                per_period_fees,
            )
        )
    if terms.upfront_fee.fen:
        items.append(
            ChargeItem(
                "service fee",
                "服务费",
                collector,
                "deducted from the amount disbursed",
                "at disbursement",
                terms.upfront_fee.fen,
            )
        )
    first = schedule.installments[0]
    examples = default_examples(
        default_terms,
        contract_rate=terms.annual_rate,
        principal=first.principal,
        interest=first.interest,
        due=first.due_date,
        days=DISCLOSED_DAYS_LATE,
        day_count=terms.day_count,
    )
    return CostStatement(
        lender=lender,
        currency=schedule.currency,
        principal=terms.principal.fen,
        net_disbursed=schedule.net_disbursed.fen,
        periods=terms.periods,
        method=terms.method.value,
        items=tuple(items),
        annualized=annualized or annualized_rate(schedule),
        default_costs=_default_costs(default_terms, terms.annual_rate, terms.day_count.basis),
        default_terms=default_terms,
        default_examples=examples,
    )


def _default_costs(d: DefaultTerms, contract_rate: Decimal, basis: int) -> tuple[DefaultCost, ...]:
    penalty = d.annual_penalty_rate(contract_rate)
    out = [
        DefaultCost(
            "penalty interest",
            "罚息",
            f"{penalty:.2%} a year ({penalty / basis:.4%} a day) on overdue principal"
            f" after {d.grace_days} grace days"
            if penalty
            else "none",
        )
    ]
    if d.late_fee:
        out.append(
            DefaultCost(
                "late fee",
                "滞纳金",
                f"{format_yuan(d.late_fee)} per overdue installment, at most "
                f"{format_yuan(d.late_fee_cap)} in all",
            )
        )
    out.append(
        DefaultCost(
            "all-in cap",
            "综合成本上限",
            f"interest, penalty and fees on an overdue amount never more than "
            f"{d.all_in_cap:.2%} a year in all",
        )
    )
    return tuple(out)
