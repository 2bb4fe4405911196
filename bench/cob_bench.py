"""Close of business over a large book: PostgreSQL (1,000,000 loans) and SQLite.

Usage: ``.venv/bin/python bench/cob_bench.py [--loans N] [--sqlite-loans M] [--skip-sqlite]``.
Seeds the book set-based, runs one business date, prints seconds per step and the total.
"""

from __future__ import annotations

import argparse
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


def bench(url: str, n: int, label: str) -> None:
    engine = make_engine(url)
    upgrade(engine)
    began = time.perf_counter()
    seed(engine, n, DAY)
    seeded = time.perf_counter() - began
    with engine.connect() as conn:
        overdue = conn.execute(
            sa.text("SELECT COUNT(*) FROM servicing_loans WHERE overdue_since_day IS NOT NULL")
        ).scalar()
    began = time.perf_counter()
    report = run_cob(engine, DAY)
    total = time.perf_counter() - began
    print(f"{label}: {n:,} loans ({overdue:,} overdue), seeded in {seeded:.1f} s")
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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--loans", type=int, default=1_000_000)
    parser.add_argument("--sqlite-loans", type=int, default=100_000)
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument("--skip-postgres", action="store_true")
    args = parser.parse_args()
    if not args.skip_postgres:
        bench_postgres(args.loans)
    if not args.skip_sqlite:
        with tempfile.TemporaryDirectory() as tmp:
            bench(f"sqlite:///{tmp}/cob.sqlite", args.sqlite_loans, "SQLite")


def bench_postgres(n: int) -> None:
    admin = sa.create_engine(PG, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text("DROP SCHEMA IF EXISTS cob_bench CASCADE"))
        conn.execute(sa.text("CREATE SCHEMA cob_bench"))
    try:
        bench(f"{PG}?options=-csearch_path%3Dcob_bench", n, "PostgreSQL")
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text("DROP SCHEMA cob_bench CASCADE"))


if __name__ == "__main__":
    main()
