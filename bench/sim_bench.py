"""Synthetic population speed and memory: one million applicants, then loan performance.

Run: .venv/bin/python bench/sim_bench.py [--n 1000000] [--loans 100000] [--months 18]
Prints wall time and the process's peak resident memory (RSS) after each step; targets for
the applicants step are < 30 s and < 2 GB (issue 3).
"""

from __future__ import annotations

import argparse
import platform
import resource
import sys
import tempfile
import time
from pathlib import Path

from thinfile.sim import generate_applicants, simulate_performance, write_table
from thinfile.sim.evaluation import segment_table


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far, in MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--loans", type=int, default=100_000)
    parser.add_argument("--months", type=int, default=18)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    print(
        f"python {sys.version.split()[0]} on {platform.machine()}; "
        f"peak RSS after imports {peak_rss_mb():.0f} MiB"
    )

    t0 = time.perf_counter()
    applicants = generate_applicants(args.n, seed=args.seed)
    seconds = time.perf_counter() - t0
    rss = peak_rss_mb()
    verdict = "PASS" if seconds < 30 and rss < 2048 else "FAIL"
    print(
        f"generate_applicants({args.n:,}): {seconds:.2f} s, peak RSS {rss:.0f} MiB "
        f"(targets < 30 s, < 2048 MiB: {verdict})"
    )

    with tempfile.TemporaryDirectory() as folder:
        t0 = time.perf_counter()
        write_table(applicants, Path(folder) / "applicants.parquet")
        print(f"write Parquet: {time.perf_counter() - t0:.2f} s, peak RSS {peak_rss_mb():.0f} MiB")

    table = segment_table(applicants)
    print(f"12-month bad rate: {table.loc['all', 'bad_rate']:.4f}")

    loans = applicants.head(args.loans)
    t0 = time.perf_counter()
    rows = simulate_performance(loans, months=args.months, seed=args.seed)
    print(
        f"simulate_performance({len(loans):,} loans, {args.months} months): "
        f"{time.perf_counter() - t0:.2f} s, {len(rows):,} rows, "
        f"peak RSS {peak_rss_mb():.0f} MiB"
    )


if __name__ == "__main__":
    main()
