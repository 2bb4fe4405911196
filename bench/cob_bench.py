"""Close of business over a large book: PostgreSQL (1,000,000 loans) and SQLite.

Usage: ``.venv/bin/python bench/cob_bench.py [--loans N] [--sqlite-loans M] [--skip-sqlite]
[--subsidised 0.3] [--compare]``. Seeds the book set-based (a share of the loans with a merchant
subsidy recognised by the effective-interest method), runs one business date, prints seconds
per step and the total. ``--compare`` first runs the same book without subsidised loans, in the
same process, and prints the ratio of the two totals (for a loaded machine).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent))

from servicing_seed import seed
from thinfile.services.cob import run_cob
from thinfile.services.ledger import verify_ledger
from thinfile.store import make_engine, upgrade

PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
DAY = date(2025, 3, 31)


def bench(url: str, n: int, label: str, subsidised: float) -> float:
    """Seed, close one date, re-run it, check the entries; the close's seconds."""
    engine = make_engine(url)
    upgrade(engine)
    began = time.perf_counter()
    seed(engine, n, DAY, subsidised=subsidised)
    seeded = time.perf_counter() - began
    with engine.connect() as conn:
        overdue = conn.execute(
            sa.text("SELECT COUNT(*) FROM servicing_loans WHERE overdue_since_day IS NOT NULL")
        ).scalar()
        with_subsidy = conn.execute(
            sa.text("SELECT COUNT(*) FROM servicing_loans WHERE subsidy > 0")
        ).scalar()
    began = time.perf_counter()
    report = run_cob(engine, DAY)
    total = time.perf_counter() - began
    print(
        f"{label}: {n:,} loans ({overdue:,} overdue, {with_subsidy:,} subsidised), "
        f"seeded in {seeded:.1f} s, load average {os.getloadavg()[0]:.1f}"
    )
    for _day, step, rows, seconds in report.steps:
        print(f"  {step:<12} {rows:>10,} rows {seconds:8.2f} s")
    print(f"  COB total {total:.1f} s for one business date")
    began = time.perf_counter()
    again = run_cob(engine, DAY)
    rerun = time.perf_counter() - began
    print(f"  re-run of the same date: {len(again.days)} dates, {rerun:.2f} s")
    began = time.perf_counter()
    unbalanced = [
        p for p in verify_ledger(engine, rebook=False).problems if p.startswith("entries_balance")
    ]
    print(
        f"  ledger verify: {len(unbalanced)} unbalanced entries, "
        f"{time.perf_counter() - began:.1f} s (the seeded book has no opening journal)"
    )
    engine.dispose()
    return total


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--loans", type=int, default=1_000_000)
    parser.add_argument("--sqlite-loans", type=int, default=100_000)
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument("--subsidised", type=float, default=0.3, help="share, in tenths")
    parser.add_argument("--compare", action="store_true", help="first run without subsidies")
    args = parser.parse_args()
    shares = [0.0, args.subsidised] if args.compare else [args.subsidised]
    if not args.skip_postgres:
        _ratio("PostgreSQL", [bench_postgres(args.loans, share) for share in shares])
    if not args.skip_sqlite:
        totals = []
        for share in shares:
            with tempfile.TemporaryDirectory() as tmp:
                url = f"sqlite:///{tmp}/cob.sqlite"
                totals.append(bench(url, args.sqlite_loans, f"SQLite ({share:.0%})", share))
        _ratio("SQLite", totals)


def _ratio(label: str, totals: list[float]) -> None:
    if len(totals) == 2:
        print(f"{label}: with subsidised loans / without = {totals[1] / totals[0]:.2f}")


def bench_postgres(n: int, subsidised: float) -> float:
    admin = sa.create_engine(PG, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text("DROP SCHEMA IF EXISTS cob_bench CASCADE"))
        conn.execute(sa.text("CREATE SCHEMA cob_bench"))
    try:
        url = f"{PG}?options=-csearch_path%3Dcob_bench"
        return bench(url, n, f"PostgreSQL ({subsidised:.0%} subsidised)", subsidised)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text("DROP SCHEMA cob_bench CASCADE"))


if __name__ == "__main__":
    main()
