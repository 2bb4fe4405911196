"""An order captured in parts never makes the borrower pay more fee than the plan on all that
was captured: each part's plan, built as a capture builds it, checked against the fee worked
out here from exact fractions of the amounts."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from thinfile.commerce import TermPricing, borrower_plan, part_rounding
from thinfile.money import Money, Rounding

START = date(2026, 3, 1)
RATE = Decimal("0.005")
FEE_PLAN = TermPricing(6, monthly_fee_rate=RATE)


def _fees(parts: list[int], rounding: Rounding) -> list[int]:
    """Each part's fee a period, from the plan its capture books."""
    fees = []
    for k, part in enumerate(parts):
        mode = part_rounding(parts[:k], part, FEE_PLAN, rounding)
        plan = borrower_plan(Money(part), FEE_PLAN, start=START, rounding=mode)
        (fee,) = {i.fee for i in plan.schedule.installments}
        fees.append(fee)
    return fees


def _half_up(fen: Fraction) -> int:
    return int(fen + Fraction(1, 2))  # fen ≥ 0: floor(x + ½)


def test_a_split_order_pays_the_fee_of_the_order_not_of_each_part_rounded_up():
    # 999.00 then 1.00: 4.995 rounds to 5.00 and 0.005 to 0.01 — 5.01 a period, where the
    # plan confirmed on 1,000.00 charges 5.00; the second part is rounded down instead
    assert _fees([99_900, 100], Rounding.HALF_UP) == [500, 0]
    # a hundred captures of 1.00 pay 0.50 a period between them, as 100.00 at once would
    assert sum(_fees([100] * 100, Rounding.HALF_UP)) == 50


@settings(max_examples=200, deadline=None)
@given(
    parts=st.lists(st.integers(min_value=100, max_value=2_000_000), min_size=1, max_size=8),
    rounding=st.sampled_from(list(Rounding)),
)
def test_the_parts_fees_never_exceed_the_fee_on_all_captured(parts, rounding):
    fees = _fees(parts, rounding)
    rate = Fraction(RATE)
    for k in range(1, len(parts) + 1):
        exact = sum(parts[:k]) * rate
        most = int(-(-exact // 1)) if rounding is Rounding.UP else _half_up(exact)
        assert sum(fees[:k]) <= most, (parts[:k], fees[:k])
    whole = borrower_plan(Money(parts[0]), FEE_PLAN, start=START, rounding=rounding)
    assert fees[0] == whole.schedule.installments[0].fee  # captured at once: the plan as shown
