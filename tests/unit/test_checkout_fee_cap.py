"""A checkout fee plan (分期手续费) never costs the borrower more than the 24 % cap a year on
the stricter basis (the higher of the nominal and the compounded rate, DOMAIN §2.2, §3): a
merchant contract's fee rate is refused when its plan would, and a plan whose fee rounds
above the cap on a tiny amount is not built. The rates are worked out here with
numpy-financial's IRR of the borrower's cash flows, not with thinfile's functions.

Before, a contract took any fee rate below 100 % a month: 12 × 1.1 % (26.24 % compounded),
12 × 2 % (50.67 %), 3 × 5 % (133.63 %) were offered and charged.
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import numpy_financial as npf
import pytest

from thinfile.commerce import TermPricing
from thinfile.commerce.plan import borrower_plan
from thinfile.errors import InvalidMerchantContractError, RateCapExceededError
from thinfile.money import Money

D = Decimal


def _rates(financed_fen: int, periods: int, fee_rate: str) -> tuple[float, float]:
    """IRR × 12 and (1 + IRR)^12 − 1 of a fee plan: equal principal parts (half-up, the last
    the remainder) plus the fee on the amount financed each month."""
    part = int((D(financed_fen) / periods).quantize(D(1), rounding=ROUND_HALF_UP))
    fee = int((D(financed_fen) * D(fee_rate)).quantize(D(1), rounding=ROUND_HALF_UP))
    parts = [part] * (periods - 1) + [financed_fen - part * (periods - 1)]
    irr = float(npf.irr([-financed_fen, *(p + fee for p in parts)]))
    return irr * 12, (1 + irr) ** 12 - 1


def _stricter(financed_fen: int, periods: int, fee_rate: str) -> float:
    return max(_rates(financed_fen, periods, fee_rate))


@pytest.mark.parametrize(
    ("periods", "rate"), [(12, "0.011"), (12, "0.02"), (3, "0.05"), (24, "0.02"), (6, "0.011")]
)
def test_a_fee_rate_whose_plan_costs_above_the_cap_is_refused(periods, rate):
    assert _stricter(1_000_000, periods, rate) > 0.24
    with pytest.raises(InvalidMerchantContractError) as refused:
        TermPricing(periods, monthly_fee_rate=D(rate))
    assert refused.value.field == "monthly_fee_rate"
    assert "above the 24% cap" in str(refused.value)


@pytest.mark.parametrize(("periods", "rate"), [(12, "0.0099"), (3, "0.012"), (24, "0.006")])
def test_a_fee_rate_under_the_cap_is_taken(periods, rate):
    assert _stricter(1_000_000, periods, rate) <= 0.24
    assert TermPricing(periods, monthly_fee_rate=D(rate)).monthly_fee_rate == D(rate)


def test_a_plan_whose_fee_rounds_above_the_cap_is_not_built():
    """0.99 % a month is under the cap on 10,000.00 (23.45 %), but on 2.00 the fee rounds to
    0.02 a month, 1 %: 24.10 % compounded over 12 months."""
    assert _stricter(200, 12, "0.0099") > 0.24
    pricing = TermPricing(12, monthly_fee_rate=D("0.0099"))
    with pytest.raises(RateCapExceededError) as refused:
        borrower_plan(Money.of("2"), pricing, start=date(2026, 1, 1))
    assert refused.value.field == "amount"
    plan = borrower_plan(Money.of("10000"), pricing, start=date(2026, 1, 1))
    nominal, compounded = _rates(1_000_000, 12, "0.0099")
    assert abs(float(plan.annualized.nominal) - nominal) < 1e-6
    assert abs(float(plan.annualized.effective) - compounded) < 1e-6 and compounded < 0.24
