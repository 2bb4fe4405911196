"""A checkout quote: the borrower's plan, the merchant's money and the lender's income, at once.

The finance staff's calculator (``thinfile checkout quote``) and, later, the checkout pages and
API show the same three views of one purchase, all from one :class:`CheckoutQuote`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from thinfile.commerce.contract import TermPricing
from thinfile.commerce.plan import BorrowerPlan, borrower_plan
from thinfile.commerce.purchase import Coupon, PurchaseMoney, purchase_money
from thinfile.commerce.recognition import IncomeRecognition, recognise_income
from thinfile.money import Money, Rounding, format_yuan

__all__ = ["CheckoutQuote", "quote_checkout"]


@dataclass(frozen=True, slots=True)
class CheckoutQuote:
    money: PurchaseMoney
    plan: BorrowerPlan
    recognition: IncomeRecognition

    def as_dict(self) -> dict[str, object]:
        """The quote as JSON-ready data; amounts are yuan strings, rates decimal strings."""
        schedule = self.plan.schedule
        return {
            "borrower": {
                "financed": format_yuan(self.money.financed.fen),
                "installments": [i.as_dict() for i in schedule.installments],
                "annualized_rate": self.plan.annualized.as_dict(),
                "statement": self.plan.statement.as_dict(),
            },
            "merchant": {
                "settlement": format_yuan(self.money.merchant_settlement.fen),
                "subsidy": format_yuan(self.money.subsidy.fen),
                "coupon": format_yuan(self.money.merchant_coupon.fen),
            },
            "lender": {
                "effective_rate_periodic": str(self.recognition.effective_rate),
                "income_recognition": [
                    {
                        "n": p.n,
                        "due_date": p.due_date.isoformat(),
                        "amount": format_yuan(p.income),
                        "deferred_after": format_yuan(p.deferred_after),
                    }
                    for p in self.recognition.periods
                ],
            },
        }


def quote_checkout(
    price: Money,
    pricing: TermPricing,
    *,
    start: date,
    coupon: Coupon | None = None,
    rounding: Rounding = Rounding.HALF_UP,
) -> CheckoutQuote:
    """Quote buying at ``price`` on ``pricing`` from ``start``, after ``coupon``."""
    money = purchase_money(price, pricing, coupon=coupon, rounding=rounding)
    plan = borrower_plan(money.financed, pricing, start=start, rounding=rounding)
    recognition = recognise_income(plan.schedule, money.net_investment, rounding=rounding)
    return CheckoutQuote(money, plan, recognition)
