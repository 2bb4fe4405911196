"""The all-in cost statement (综合融资成本明示表) shown before a borrower signs.

Each charge item, who collects it, its standard and amount, the annualized all-in cost
under normal repayment, and the default (违约) costs — as data, as JSON and as text. It is
built from the same schedule and cash flows that compute the annualized rate.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from thinfile.loanmath.annualized import AnnualizedRate, annualized_rate
from thinfile.loanmath.schedule import Schedule
from thinfile.money import format_yuan

__all__ = ["ChargeItem", "CostStatement", "DefaultCost", "DefaultTerms", "cost_statement"]


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
class DefaultTerms:
    """What late repayment costs: penalty interest on overdue principal and a late fee."""

    penalty_uplift: Decimal = Decimal("0.5")
    """Penalty rate = contract rate × (1 + uplift); 0.5 gives the usual 1.5× cap."""
    late_fee: int = 0
    """A flat fee per overdue installment, in fen."""
    grace_days: int = 0


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
                    "name": i.name, "name_zh": i.name_zh, "collector": i.collector,
                    "standard": i.standard, "when": i.when, "amount": format_yuan(i.amount),
                }
                for i in self.items
            ],
            "total_cost": format_yuan(self.total_cost),
            "annualized_rate": self.annualized.as_dict(),
            "default_costs": [
                {"name": d.name, "name_zh": d.name_zh, "standard": d.standard}
                for d in self.default_costs
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
        return "\n".join(lines)


def _pct(rate: Decimal) -> str:
    return f"{rate:.2%}"


def cost_statement(
    schedule: Schedule,
    *,
    lender: str = "thinfile demo lender",
    fee_collector: str | None = None,
    default_terms: DefaultTerms | None = None,
    annualized: AnnualizedRate | None = None,
) -> CostStatement:
    """The statement for ``schedule``; ``fee_collector`` names a third party that takes fees."""
    terms = schedule.terms
    collector = fee_collector or lender
    items: list[ChargeItem] = []
    if schedule.total_interest:
        items.append(ChargeItem(
            "interest", "利息", lender,
            f"{_pct(terms.annual_rate)} a year on the outstanding principal",
            "with each installment", schedule.total_interest,
        ))
    per_period_fees = schedule.total_fees - terms.upfront_fee.fen
    if per_period_fees:
        items.append(ChargeItem(
            "installment fee", "分期手续费", collector,
            f"{terms.monthly_fee_rate:.2%} of the original principal each period",
            "with each installment", per_period_fees,
        ))
    if terms.upfront_fee.fen:
        items.append(ChargeItem(
            "service fee", "服务费", collector, "deducted from the amount disbursed",
            "at disbursement", terms.upfront_fee.fen,
        ))
    d = default_terms or DefaultTerms()
    rate = annualized or annualized_rate(schedule)
    contract = terms.annual_rate or rate.nominal  # fee-only plans: the annualized cost
    penalty = contract * (1 + d.penalty_uplift)
    defaults = [DefaultCost(
        "penalty interest", "罚息",
        f"{_pct(penalty)} a year ({penalty / 360:.4%} a day) on overdue principal"
        f" after {d.grace_days} grace days",
    )]
    if d.late_fee:
        defaults.append(DefaultCost("late fee", "滞纳金",
                                    f"{format_yuan(d.late_fee)} per overdue installment"))
    return CostStatement(
        lender=lender,
        currency=schedule.currency,
        principal=terms.principal.fen,
        net_disbursed=schedule.net_disbursed.fen,
        periods=terms.periods,
        method=terms.method.value,
        items=tuple(items),
        annualized=rate,
        default_costs=tuple(defaults),
    )
