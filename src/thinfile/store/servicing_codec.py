"""Turning servicing values into column values and back: day numbers and JSON text.

Day numbers are days since 1970-01-01, so close of business can do date arithmetic with
integers on every database. Terms and products are stored as JSON with decimals as strings.
"""

from __future__ import annotations

import json
from dataclasses import asdict, fields
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from thinfile.loanmath import (
    ChargeCoupon,
    CouponRule,
    DayCount,
    DefaultTerms,
    Frequency,
    InterestBasis,
    LoanTerms,
    RepaymentMethod,
)
from thinfile.money import Money, Rounding
from thinfile.servicing import (
    BeyondPayoff,
    Component,
    DelinquencyRange,
    ExtraPayment,
    InstallmentState,
    LoanAccount,
    PrepaymentMode,
    ServicingProduct,
    Timing,
)

__all__ = [
    "AMOUNTS",
    "EPOCH",
    "from_day",
    "installment_values",
    "loan_values",
    "product_from_json",
    "product_to_json",
    "terms_from_json",
    "terms_to_json",
    "to_day",
]

EPOCH = date(1970, 1, 1)


def to_day(d: date) -> int:
    return (d - EPOCH).days


def from_day(n: int) -> date:
    return EPOCH + timedelta(days=n)


def _coupon_to_dict(c: ChargeCoupon) -> dict[str, Any]:
    return {
        "rule": c.rule.value,
        "days": c.days,
        "factor": str(c.factor),
        "periods": c.periods,
        "amount_off": c.amount_off,
    }


def _coupon_from_dict(d: dict[str, Any] | None) -> ChargeCoupon | None:
    """A loan's coupon terms; None for loans stored before they were kept (their cuts stay
    the fixed fen of ``charge_relief``)."""
    if not d:
        return None
    return ChargeCoupon(
        CouponRule(d["rule"]),
        days=d["days"],
        factor=Decimal(d["factor"]),
        periods=d["periods"],
        amount_off=d["amount_off"],
    )


def terms_to_json(t: LoanTerms) -> str:
    relief = {"charge_relief": list(t.charge_relief)} if t.charge_relief else {}
    coupon = {"charge_coupon": _coupon_to_dict(t.charge_coupon)} if t.charge_coupon else {}
    return json.dumps(
        relief
        | coupon
        | {
            "principal": t.principal.fen,
            "currency": t.principal.currency,
            "annual_rate": str(t.annual_rate),
            "periods": t.periods,
            "method": t.method.value,
            "start": t.start.isoformat(),
            "first_due": t.first_due and t.first_due.isoformat(),
            "frequency": t.frequency.value,
            "day_count": t.day_count.value,
            "interest_basis": t.interest_basis.value,
            "grace_principal": t.grace_principal,
            "grace_interest": t.grace_interest,
            "multiple_of": t.multiple_of,
            "rounding": t.rounding.value,
            "installment_rounding": t.installment_rounding and t.installment_rounding.value,
            "monthly_fee_rate": str(t.monthly_fee_rate),
            "upfront_fee": t.upfront_fee.fen,
        },
        sort_keys=True,
    )


def terms_from_json(text: str) -> LoanTerms:
    d: dict[str, Any] = json.loads(text)
    cur = d["currency"]
    return LoanTerms(
        Money(d["principal"], cur),
        Decimal(d["annual_rate"]),
        d["periods"],
        RepaymentMethod(d["method"]),
        date.fromisoformat(d["start"]),
        first_due=date.fromisoformat(d["first_due"]) if d["first_due"] else None,
        frequency=Frequency(d["frequency"]),
        day_count=DayCount(d["day_count"]),
        interest_basis=InterestBasis(d["interest_basis"]),
        grace_principal=d["grace_principal"],
        grace_interest=d["grace_interest"],
        multiple_of=d["multiple_of"],
        rounding=Rounding(d["rounding"]),
        installment_rounding=Rounding(d["installment_rounding"])
        if d["installment_rounding"]
        else None,
        monthly_fee_rate=Decimal(d["monthly_fee_rate"]),
        upfront_fee=Money(d["upfront_fee"], cur),
        charge_relief=tuple(d.get("charge_relief", ())),
        charge_coupon=_coupon_from_dict(d.get("charge_coupon")),
    )


def product_to_json(p: ServicingProduct) -> str:
    raw = asdict(p)
    raw["allocation"] = [[t.value, c.value] for t, c in p.allocation]
    raw["prepayment_mode"] = p.prepayment_mode.value
    raw["extra_payment"] = p.extra_payment.value
    raw["beyond_payoff"] = p.beyond_payoff.value
    raw["defaults"] = p.defaults.as_dict()
    return json.dumps(raw, sort_keys=True)


def product_from_json(text: str) -> ServicingProduct:
    """A product from its JSON; products stored before default terms were nested (flat
    ``grace_days`` … ``late_fee_cap``, an ``advance_target``) read as they were serviced."""
    d: dict[str, Any] = json.loads(text)
    defaults = d.get("defaults") or {
        "all_in_cap": "0.24",
        **{
            k: d[k]
            for k in (
                "grace_days",
                "penalty_uplift",
                "penalty_rate_cap",
                "late_fee",
                "late_fee_cap",
            )
        },
    }
    return ServicingProduct(
        code=d["code"],
        allocation=tuple((Timing(t), Component(c)) for t, c in d["allocation"]),
        prepayment_mode=PrepaymentMode(d["prepayment_mode"]),
        extra_payment=ExtraPayment(d.get("extra_payment", ExtraPayment.REDUCE_PRINCIPAL)),
        beyond_payoff=BeyondPayoff(d.get("beyond_payoff", BeyondPayoff.REFUSE)),
        defaults=DefaultTerms.from_dict(defaults),
        buckets=tuple(
            DelinquencyRange(b["label"], b["min_days"], b["max_days"]) for b in d["buckets"]
        ),
        charge_off_days=d["charge_off_days"],
    )


AMOUNTS = tuple(f.name for f in fields(InstallmentState) if f.name not in ("n", "start", "due"))
"""The money columns of an installment row, in table order."""


def installment_values(i: InstallmentState) -> dict[str, Any]:
    """An installment's columns except ``loan_id``."""
    row: dict[str, Any] = {name: getattr(i, name) for name in AMOUNTS}
    row.update(n=i.n, start_day=to_day(i.start), due_day=to_day(i.due))
    return row


def loan_values(loan: LoanAccount) -> dict[str, Any]:
    """The loan columns a posting or close of business may change."""
    co = loan.charged_off
    return {
        "status": loan.status.value,
        "cob_day": to_day(loan.cob_date),
        "overdue_since_day": to_day(loan.overdue_since) if loan.overdue_since else None,
        "bucket": loan.bucket,
        "late_fees_charged": loan.late_fees_charged,
        "credit": loan.credit,
        "subsidy_recognized": loan.subsidy_recognized,
        "co_principal": co.principal,
        "co_interest": co.interest,
        "co_fee": co.fee,
        "co_penalty": co.penalty,
        "recovered": loan.recovered,
        "merchant_refunded": loan.merchant_refunded,
        "closed_day": to_day(loan.closed_on) if loan.closed_on else None,
    }
