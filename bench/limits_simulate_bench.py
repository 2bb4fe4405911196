"""Limit-policy simulation speed: months 1–18 of a synthetic book under the default limit
policy (``thinfile limits simulate`` without the HTML), and the behaviour model's training
table.

Run: .venv/bin/python bench/limits_simulate_bench.py [--n 20000] [--months 18] [--baseline]
Prints the book's size, the wall and CPU seconds of each step, decisions per second and the
load average, so a figure taken on the shared machine can be judged.
"""

from __future__ import annotations

import argparse
import os
import time
from decimal import Decimal

from thinfile.decisioning.limit_policy import load_limit_policy
from thinfile.scoring.behaviour_model import behaviour_table
from thinfile.services.limit_simulation import simulate_limits
from thinfile.sim import generate_applicants, simulate_performance


def _clock() -> tuple[float, float]:
    return time.perf_counter(), time.process_time()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=20_000)
    parser.add_argument("--months", type=int, default=18)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--baseline", action="store_true", help="also run a baseline policy")
    args = parser.parse_args()
    print(f"load average before: {', '.join(f'{x:.1f}' for x in os.getloadavg())}")
    applicants = generate_applicants(args.n, seed=args.seed)
    performance = simulate_performance(applicants, months=args.months, seed=args.seed)
    print(f"book: {args.n:,} loans, {len(performance):,} loan-months")

    policy = load_limit_policy()
    wall, cpu = _clock()
    report = simulate_limits(
        applicants,
        performance,
        policy=policy,
        baseline=policy if args.baseline else None,
        months=args.months,
        take_up=Decimal("0.8"),
    )
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    decisions = sum(m["lines"] for m in report.candidate.by_month) * (2 if args.baseline else 1)
    print(
        f"simulate: {report.lines:,} lines ({report.above_ceiling:,} above the ceiling left "
        f"out), {decisions:,} decisions in {wall:.1f} s wall, {cpu:.1f} s CPU "
        f"({decisions / cpu:,.0f} decisions per CPU second)"
    )
    wall, cpu = _clock()
    table = behaviour_table(performance)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    print(f"behaviour table: {len(table):,} reviews in {wall:.1f} s wall, {cpu:.1f} s CPU")
    print(f"load average after: {', '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
