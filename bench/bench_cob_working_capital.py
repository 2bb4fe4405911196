"""Close of business over many working-capital lines (SQLite by default, or PostgreSQL).

Usage: ``.venv/bin/python bench/bench_cob_working_capital.py [--lines N] [--days D]
[--loans L] [--postgres]``. Seeds N lines (a tenth sales-linked), each with one draw and an
open 60-day period whose end falls on a spread of dates (so each night ends about 1/60 of the
periods),
closes D business dates and prints seconds and lines per second for each date and the
working-capital step, then re-runs the last date (nothing to do) and verifies the ledger's
working-capital balances. With ``--loans L`` the book also holds ``servicing_seed``'s L
active 12-month installment loans (the close of business benchmark's book), so a night closes
both. Not part of ``make test``.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import uuid
from datetime import date, timedelta
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent))

from servicing_seed import seed as seed_loans
from thinfile.services.cob import run_cob
from thinfile.services.ledger import verify_ledger
from thinfile.store import make_engine, upgrade
from thinfile.store.servicing_codec import to_day

PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
DAY = date(2028, 2, 27)
BATCH = 20_000


def _rows(
    n: int,
) -> tuple[list[dict[str, object]], list[dict[str, object]], list[dict[str, object]]]:
    d = to_day(DAY)
    lines, draws, periods = [], [], []
    for i in range(1, n + 1):
        opened = d - 1 - (i % 60)
        sales = i % 10 == 0
        lines.append(
            {
                "id": i,
                "owner_user_id": f"shop-{i}",
                "currency": "CNY",
                "limit_amount": 5_000_000,
                "rate_units": 35_000 + (i % 5) * 5_000,
                "mode": "sales" if sales else "minimum",
                "sales_share_units": 10_000_000 if sales else 0,
                "minimum_share_units": 10_000_000,
                "period_days": 60,
                "near_breach_days": 20,
                "shortfall_days": 10,
                "cap": "0.24",
                "status": "active",
                "opened_day": opened,
                "cob_day": d - 1,
            }
        )
        principal = 100_000 + (i * 7919) % 4_000_000
        draws.append(
            {
                "id": i,
                "line_id": i,
                "drawn_day": opened,
                "maturity_day": opened + 180,
                "rate_units": 35_000 + (i % 5) * 5_000,
                "principal": principal,
                "principal_paid": 0,
                "interest_accrued": 0,
                "interest_paid": 0,
            }
        )
        periods.append(
            {
                "line_id": i,
                "n": 1,
                "start_day": opened,
                "end_day": opened + 59,
                "minimum": principal // 10,
                "repaid": (principal // 10) * (i % 3) // 2,
                "status": "open",
                "flagged_day": None,
                "shortfall": 0,
            }
        )
    return lines, draws, periods


def seed(engine: sa.Engine, n: int) -> None:
    meta = sa.MetaData()
    tables = [
        sa.Table(name, meta, autoload_with=engine)
        for name in ("wc_lines", "wc_draws", "wc_periods")
    ]
    with engine.begin() as conn:
        for table, rows in zip(tables, _rows(n), strict=True):
            for k in range(0, len(rows), BATCH):
                conn.execute(sa.insert(table), rows[k : k + BATCH])
        lent = sum(int(r["principal"]) for r in _rows(n)[1])  # an opening entry for the draws
        entry = conn.execute(
            sa.text(
                "INSERT INTO servicing_journal_entries (kind, day, memo) "
                "VALUES ('wc-draw', :d, 'seeded draws') RETURNING id"
            ),
            {"d": to_day(DAY) - 60},
        ).scalar_one()
        conn.execute(
            sa.text(
                "INSERT INTO servicing_journal_lines (entry_id, account, currency, amount) "
                "VALUES (:e, 'working_capital_receivable', 'CNY', :a), (:e, 'cash', 'CNY', -:a)"
            ),
            {"e": entry, "a": lent},
        )
        if engine.dialect.name == "postgresql":
            conn.execute(sa.text("SELECT setval('wc_draws_id_seq', :n)"), {"n": n})
            conn.execute(sa.text("SELECT setval('wc_lines_id_seq', :n)"), {"n": n})
            conn.execute(sa.text("ANALYZE wc_lines; ANALYZE wc_draws; ANALYZE wc_periods"))
        else:
            conn.execute(sa.text("ANALYZE"))


def bench(url: str, n: int, days: int, loans: int = 0) -> None:
    engine = make_engine(url)
    upgrade(engine)
    began = time.perf_counter()
    if loans:
        seed_loans(engine, loans, DAY)
    seed(engine, n)
    print(
        f"{engine.dialect.name}: {n:,} working-capital lines and {loans:,} installment loans "
        f"seeded in {time.perf_counter() - began:.1f} s (load {os.getloadavg()[0]:.1f})"
    )
    last = DAY + timedelta(days=days - 1)
    began = time.perf_counter()
    report = run_cob(engine, last)
    total = time.perf_counter() - began
    for day in report.days:
        steps = [(s, rows, sec) for d, s, rows, sec in report.steps if d == day]
        whole = sum(sec for _, _, sec in steps)
        wc_rows, wc_sec = next((rows, sec) for s, rows, sec in steps if s == "working-capital")
        print(
            f"  {day}: whole night {whole:6.2f} s; working-capital step {wc_rows:,} lines in "
            f"{wc_sec:6.2f} s = {wc_rows / wc_sec:,.0f} lines/s"
        )
        if loans:
            print("    " + ", ".join(f"{s} {sec:.1f} s" for s, _, sec in steps if sec >= 0.5))
    print(
        f"  {days} dates in {total:.1f} s = {n * days / total:,.0f} line-days/s "
        f"(load {os.getloadavg()[0]:.1f})"
    )
    began = time.perf_counter()
    again = run_cob(engine, last)
    print(f"  re-run of {last}: {len(again.days)} dates, {time.perf_counter() - began:.2f} s")
    with engine.connect() as conn:
        flagged = conn.execute(
            sa.text("SELECT COUNT(*) FROM wc_periods WHERE status = 'near-breach'")
        ).scalar()
        breached = conn.execute(sa.text("SELECT COUNT(*) FROM wc_shortfalls")).scalar()
    print(f"  periods near breach {flagged:,}, shortfall installments {breached:,}")
    problems = [p for p in verify_ledger(engine, rebook=False).problems if "working_capital" in p]
    print(f"  ledger: {len(problems)} working-capital problem(s) ")
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=200_000)
    parser.add_argument("--days", type=int, default=3)
    parser.add_argument("--loans", type=int, default=0)
    parser.add_argument("--postgres", action="store_true")
    args = parser.parse_args()
    if args.postgres:  # in a schema of its own, dropped afterwards
        schema = f"bench_wc_{uuid.uuid4().hex[:12]}"
        admin = sa.create_engine(PG, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
        try:
            bench(f"{PG}?options=-csearch_path%3D{schema}", args.lines, args.days, args.loans)
        finally:
            with admin.connect() as conn:
                conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()
        return
    with tempfile.TemporaryDirectory() as tmp:
        bench(f"sqlite:///{Path(tmp) / 'wc.sqlite'}", args.lines, args.days, args.loans)


if __name__ == "__main__":
    main()
