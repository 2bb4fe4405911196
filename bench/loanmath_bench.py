"""Loan math speed: schedules and the annualized-rate solve, beside numpy-financial's irr.

Run: .venv/bin/python bench/loanmath_bench.py
Prints per-call medians (µs) measured in this one process, and the ratio to numpy-financial.
"""

from __future__ import annotations

import platform
import statistics
import sys
import time
from collections.abc import Callable
from datetime import date
from decimal import Decimal

import numpy_financial as npf

from thinfile.loanmath import (
    LoanTerms,
    RepaymentMethod,
    annualized_rate,
    build_schedule,
    periodic_irr,
)
from thinfile.money import Money


def per_call_us(fn: Callable[[], object], *, repeat: int = 7, number: int = 500) -> float:
    samples = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        for _ in range(number):
            fn()
        samples.append((time.perf_counter() - t0) / number * 1e6)
    return statistics.median(samples)


def main() -> None:
    start = date(2024, 1, 1)
    loan12 = LoanTerms(
        Money.of("10000"), Decimal("0.12"), 12, RepaymentMethod.EQUAL_INSTALLMENT, start
    )
    loan360 = LoanTerms(
        Money.of("1000000"), Decimal("0.049"), 360, RepaymentMethod.EQUAL_INSTALLMENT, start
    )
    fee_plan = build_schedule(
        LoanTerms(
            Money.of("10000"),
            Decimal(0),
            12,
            RepaymentMethod.FEE_INSTALLMENT,
            start,
            monthly_fee_rate=Decimal("0.006"),
        )
    )
    flows = fee_plan.period_cash_flows()
    float_flows = [f / 100 for f in flows]
    rows = {
        "schedule, 12 periods": per_call_us(lambda: build_schedule(loan12)),
        "schedule, 360 periods": per_call_us(lambda: build_schedule(loan360), number=50),
        "periodic IRR, 12-period fee plan (thinfile)": per_call_us(lambda: periodic_irr(flows)),
        "periodic IRR, same flows (numpy-financial irr)": per_call_us(lambda: npf.irr(float_flows)),
        "full annualized rate (IRR+EAR+XIRR), fee plan": per_call_us(
            lambda: annualized_rate(fee_plan)
        ),
    }
    print(f"python {sys.version.split()[0]} on {platform.machine()}, {platform.processor() or ''}")
    for name, us in rows.items():
        print(f"{name:<50} {us:9.1f} µs/call")
    ours = rows["periodic IRR, 12-period fee plan (thinfile)"]
    theirs = rows["periodic IRR, same flows (numpy-financial irr)"]
    print(f"thinfile IRR / numpy-financial irr time ratio: {ours / theirs:.2f} (target ≤ 1.00)")
    print(f"12-period schedule: {rows['schedule, 12 periods']:.1f} µs (target < 100 µs)")


if __name__ == "__main__":
    main()
