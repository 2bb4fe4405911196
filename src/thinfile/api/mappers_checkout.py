"""Checkout records as API models (amounts as yuan strings, rates as percent text)."""

from __future__ import annotations

from decimal import Decimal

from thinfile.api.models_applications import CostStatementPublic
from thinfile.api.models_checkout import (
    CampaignPlanPublic,
    CapturePublic,
    CheckoutPublic,
    OrderLinePublic,
    PlanPublic,
    RefundPartPublic,
    RefundPublic,
)
from thinfile.money import Rounding, format_yuan, round_fen
from thinfile.services.campaign_records import CampaignPlan
from thinfile.services.checkout_records import CheckoutRecord, PlanRecord

__all__ = ["campaign_plan_public", "checkout_public", "percent", "plan_public"]


def percent(rate: Decimal) -> str:
    """A rate as a percentage with two decimals, rounded half-up: ``0.00%``."""
    hundredths = round_fen(rate * 10_000, Rounding.HALF_UP)
    return f"{format_yuan(hundredths)}%"


def checkout_public(record: CheckoutRecord) -> CheckoutPublic:
    row = record.row
    return CheckoutPublic(
        id=row.id,
        merchant_id=row.merchant_id,
        merchant_order_id=row.merchant_order_id,
        status=record.status,
        currency=row.currency,
        total=format_yuan(row.total),
        lines=[
            OrderLinePublic(
                name=line.name,
                sku=line.sku,
                quantity=line.quantity,
                unit_price=format_yuan(line.unit_price),
            )
            for line in record.lines
        ],
        allowed_terms=list(record.allowed_terms),
        success_url=row.success_url,
        cancel_url=row.cancel_url,
        expires_at=row.expires_at,
        created_at=row.created_at,
        periods=row.periods,
        authorized=format_yuan(row.authorized),
        captured=format_yuan(row.captured),
        refunded=format_yuan(row.refunded),
        voided=format_yuan(row.voided),
        decline_reasons=record.decline_reasons,
        captures=[
            CapturePublic(
                n=c.n,
                amount=format_yuan(c.amount),
                subsidy=format_yuan(c.subsidy),
                merchant_subsidy=format_yuan(c.subsidy - c.lender_subsidy),
                refunded=format_yuan(c.refunded),
                loan_id=c.loan_id,
                captured_on=c.captured_on,
            )
            for c in record.captures
        ],
        refunds=[
            RefundPublic(
                n=r.n,
                amount=format_yuan(r.amount),
                reference=r.reference,
                refunded_on=r.refunded_on,
                reversed_on=r.reversed_on,
                parts=[
                    RefundPartPublic(
                        loan_id=p.loan_id,
                        amount=format_yuan(p.amount),
                        subsidy_unwound=format_yuan(p.subsidy_unwound),
                        merchant_unwound=format_yuan(p.subsidy_unwound - p.lender_unwound),
                        returned_to_borrower=format_yuan(p.returned_to_borrower),
                    )
                    for p in r.parts
                ],
            )
            for r in record.refunds
        ],
    )


def campaign_plan_public(plan: CampaignPlan) -> CampaignPlanPublic:
    return CampaignPlanPublic(
        campaign_id=plan.campaign_id,
        campaign_name=plan.campaign_name,
        periods=plan.periods,
        subsidy=format_yuan(plan.subsidy.total.fen),
        merchant_pays=format_yuan(plan.subsidy.merchant.fen),
        lender_pays=format_yuan(plan.subsidy.lender.fen),
    )


def plan_public(plan: PlanRecord) -> PlanPublic:
    return PlanPublic(
        periods=plan.periods,
        interest_free=plan.interest_free,
        financed=format_yuan(plan.financed.fen),
        installments=[format_yuan(i.fen) for i in plan.installments],
        installment=format_yuan(plan.installments[0].fen),
        annualized_rate=percent(plan.annualized_rate),
        total_cost=format_yuan(plan.total_cost.fen),
        total_repayable=format_yuan(plan.total_repayable.fen),
        borrower_pays=format_yuan(plan.total_repayable.fen),
        merchant_pays=format_yuan(plan.merchant_subsidy.fen),
        statement=CostStatementPublic.model_validate(plan.statement),
    )
