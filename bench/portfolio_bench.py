"""Portfolio report speed and memory: N loans × 24 months of loan-month rows in Parquet.

Run: .venv/bin/python bench/portfolio_bench.py [--loans 100000] [--months 24] [--pandas]
         [--chunk 100000] [--keep FILE.parquet] [--report-only FILE.parquet]
Writes a synthetic loan-month table (twelve monthly vintages; each month a loan moves between
delinquency buckets by a fixed Markov chain and stops when it closes or defaults), ``--chunk``
loans at a time so generating a large book stays within memory, then times the JSON report
from the Parquet file through DuckDB (what ``thinfile portfolio report`` does: vintage curves,
roll rates, forward roll rates by month, alerts) in a child process, so its peak RSS is the
report's own; with ``--pandas``, the same measures in pandas. Prints wall time and peak RSS
after each step. The issue's target: 1,000,000 loans × 24 months in < 30 s and < 4 GB on two
cores.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from thinfile.portfolio import build_report, forward_by_month, roll_rates, vintage_curves
from thinfile.store.portfolio_parquet import (
    parquet_forward_by_month,
    parquet_roll_rates,
    parquet_vintage_curves,
)

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


def loan_months(loans: int, months: int, seed: int, *, first: int = 0) -> pd.DataFrame:
    """``loans`` synthetic loans numbered from ``first``."""
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
            "loan_id": pd.array(np.char.add("L", (rows["loan"] + first).astype(str)), dtype="str"),
            "vintage": pd.array(labels[vintage[rows["loan"]]], dtype="str"),
            "mob": rows["mob"].astype(np.int64),
            "status": pd.array(_STATUS[rows["state"]], dtype="str"),
            "days_past_due": _DPD[rows["state"]].astype(np.int64),
            "balance": np.where(rows["state"] == 5, 0, rows["balance"]).astype(np.int64),
            "principal": principal[rows["loan"]].astype(np.int64),
        }
    )


def write_book(path: Path, loans: int, months: int, seed: int, chunk: int) -> int:
    """Write the book ``chunk`` loans at a time; returns the number of loan-months."""
    rows = 0
    writer: pq.ParquetWriter | None = None
    try:
        for k, first in enumerate(range(0, loans, chunk)):
            part = loan_months(min(chunk, loans - first), months, seed + k, first=first)
            table = pa.Table.from_pandas(part, preserve_index=False)
            writer = writer or pq.ParquetWriter(path, table.schema)
            writer.write_table(table)
            rows += len(part)
    finally:
        if writer is not None:
            writer.close()
    return rows


def report_from_parquet(path: Path) -> None:
    """The report as ``thinfile portfolio report`` makes it from a Parquet file."""
    t0 = time.perf_counter()
    report = build_report(
        None,
        curves=parquet_vintage_curves(path),
        rolls=parquet_roll_rates(path),
        forward=parquet_forward_by_month(path),
    )
    text = json.dumps(report)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    print(
        f"DuckDB report from Parquet: {time.perf_counter() - t0:.1f} s wall, "
        f"{usage.ru_utime + usage.ru_stime:.1f} s CPU (process), "
        f"{len(text):,} bytes of JSON, {len(report['alerts'])} alerts, "  # type: ignore[arg-type]
        f"peak RSS of the report process {peak_rss_mb():.0f} MiB"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--loans", type=int, default=100_000)
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--chunk", type=int, default=100_000)
    parser.add_argument("--keep", type=Path, help="write the book here and keep it")
    parser.add_argument("--report-only", type=Path, help="only time the report of this file")
    parser.add_argument("--pandas", action="store_true", help="also time the pandas path")
    args = parser.parse_args()
    if args.report_only:
        report_from_parquet(args.report_only)
        return
    print(f"python {sys.version.split()[0]} on {platform.machine()}; {peak_rss_mb():.0f} MiB")
    with tempfile.TemporaryDirectory() as folder:
        path = args.keep or Path(folder) / "book.parquet"
        t0 = time.perf_counter()
        rows = write_book(path, args.loans, args.months, args.seed, args.chunk)
        print(
            f"generate and write {args.loans:,} loans ({rows:,} loan-months, "
            f"{path.stat().st_size / 2**20:.0f} MiB): {time.perf_counter() - t0:.1f} s, "
            f"peak {peak_rss_mb():.0f} MiB"
        )
        child = [sys.executable, __file__, "--report-only", str(path)]
        subprocess.run(child, check=True)
        if args.pandas:
            table = pd.read_parquet(path)
            t0 = time.perf_counter()
            build_report(
                None,
                curves=vintage_curves(table),
                rolls=roll_rates(table),
                forward=forward_by_month(table),
            )
            print(f"pandas report: {time.perf_counter() - t0:.1f} s, peak {peak_rss_mb():.0f} MiB")


if __name__ == "__main__":
    main()
