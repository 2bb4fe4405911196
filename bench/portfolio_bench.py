"""Portfolio report speed and memory: N loans × 24 months of loan-month rows in Parquet.

Run: .venv/bin/python bench/portfolio_bench.py [--loans 100000] [--months 24] [--pandas]
Writes a synthetic loan-month table (twelve monthly vintages; each month a loan moves between
delinquency buckets by a fixed Markov chain and stops when it closes or defaults), then times
the JSON report from the Parquet file through DuckDB (what ``thinfile portfolio report`` does)
and, with ``--pandas``, the same measures in pandas. Prints wall time and peak RSS after each
step. The issue's target: 1,000,000 loans × 24 months in < 30 s and < 4 GB on two cores.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from thinfile.portfolio import build_report, roll_rates, vintage_curves
from thinfile.store.portfolio_parquet import parquet_roll_rates, parquet_vintage_curves

# current, 1-29, 30-59, 60-89, 90+ (default), closed: next month's bucket
_CHAIN = np.array(
    [
        [0.955, 0.030, 0.000, 0.000, 0.000, 0.015],
        [0.550, 0.200, 0.250, 0.000, 0.000, 0.000],
        [0.200, 0.050, 0.250, 0.500, 0.000, 0.000],
        [0.080, 0.000, 0.020, 0.200, 0.700, 0.000],
    ]
)
_DPD = np.array([0, 15, 45, 75, 95, 0])
_STATUS = np.array(["on_time", "late", "late", "late", "default", "closed"])


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far, in MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def loan_months(loans: int, months: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    principal = rng.integers(100, 500, loans) * 10_000  # fen: 1,000 to 5,000 yuan
    vintage = rng.integers(0, 12, loans)
    state = np.zeros(loans, dtype=np.int64)
    open_ = np.ones(loans, dtype=bool)
    chunks = []
    cum = _CHAIN.cumsum(axis=1)
    for mob in range(1, months + 1):
        ids = np.flatnonzero(open_)
        if mob > 1:
            u = rng.random(ids.size)
            state[ids] = (u[:, None] > cum[state[ids]]).sum(axis=1)
        balance = principal[ids] * (months - mob) // months
        chunks.append(
            {"loan": ids, "mob": np.full(ids.size, mob), "state": state[ids], "balance": balance}
        )
        open_[ids[state[ids] >= 4]] = False
    rows = {k: np.concatenate([c[k] for c in chunks]) for k in chunks[0]}
    labels = np.array([f"2025-{m:02d}" for m in range(1, 13)])
    return pd.DataFrame(
        {
            "loan_id": pd.array(np.char.add("L", rows["loan"].astype(str)), dtype="str"),
            "vintage": pd.array(labels[vintage[rows["loan"]]], dtype="str"),
            "mob": rows["mob"].astype(np.int64),
            "status": pd.array(_STATUS[rows["state"]], dtype="str"),
            "days_past_due": _DPD[rows["state"]].astype(np.int64),
            "balance": np.where(rows["state"] == 5, 0, rows["balance"]).astype(np.int64),
            "principal": principal[rows["loan"]].astype(np.int64),
        }
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--loans", type=int, default=100_000)
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--pandas", action="store_true", help="also time the pandas path")
    args = parser.parse_args()
    print(f"python {sys.version.split()[0]} on {platform.machine()}; {peak_rss_mb():.0f} MiB")
    t0 = time.perf_counter()
    table = loan_months(args.loans, args.months, args.seed)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "book.parquet"
        table.to_parquet(path)
        print(
            f"generate and write {args.loans:,} loans ({len(table):,} loan-months): "
            f"{time.perf_counter() - t0:.1f} s, peak {peak_rss_mb():.0f} MiB"
        )
        if not args.pandas:
            del table
        t0 = time.perf_counter()
        report = build_report(
            None, curves=parquet_vintage_curves(path), rolls=parquet_roll_rates(path)
        )
        text = json.dumps(report)
        print(
            f"DuckDB report from Parquet: {time.perf_counter() - t0:.1f} s, "
            f"{len(text):,} bytes of JSON, peak {peak_rss_mb():.0f} MiB"
        )
        if args.pandas:
            t0 = time.perf_counter()
            build_report(None, curves=vintage_curves(table), rolls=roll_rates(table))
            print(f"pandas report: {time.perf_counter() - t0:.1f} s, peak {peak_rss_mb():.0f} MiB")


if __name__ == "__main__":
    main()
