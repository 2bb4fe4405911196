"""Payment posting through the service layer on PostgreSQL, and loading a busy loan.

Usage: ``.venv/bin/python bench/servicing_payments_bench.py [--workers 8] [--seconds 20]``.
Eight worker processes post payments (each its own unit of work: lock, allocate, post the
journal, commit), each with its own idempotency key and about 1% client retries of the last
key, to random loans of a seeded 20,000-loan book; prints throughput and latency percentiles.
Then the same workers all pay one loan (the hot spot: they queue on its row lock), reported
separately. Last, loads a loan with 1,000 transactions and its balances (median time).
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import random
import statistics
import sys
import time
from datetime import date
from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent))

from servicing_seed import seed
from thinfile.loanmath import LoanTerms, RepaymentMethod
from thinfile.money import Money
from thinfile.services.ledger import verify_ledger
from thinfile.services.loans import get_loan, open_and_disburse
from thinfile.services.payments import post_payment
from thinfile.store import make_engine, upgrade

PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
URL = f"{PG}?options=-csearch_path%3Dpay_bench"
DAY = date(2025, 3, 31)
LOANS = 20_000


def worker(seed_no: int, seconds: float, hot: bool, out: mp.Queue) -> None:  # type: ignore[type-arg]
    engine = make_engine(URL, pool_size=1)
    rng = random.Random(seed_no)
    latencies: list[float] = []
    retried = 0
    last = (1, 100, "")
    stop = time.perf_counter() + seconds
    while time.perf_counter() < stop:
        if last[2] and rng.random() < 0.01:  # the client did not see the answer: retry
            loan_id, fen, key = last
            retried += 1
        else:
            loan_id = LOANS if hot else rng.randint(1, LOANS - 1)
            # small on the hot loan, which must not be paid off (money above the payoff is
            # refused)
            fen = rng.randint(100, 500) if hot else rng.randint(100, 50_000)
            key = f"{'h' if hot else 'w'}{seed_no}-{len(latencies)}"
        began = time.perf_counter()
        receipt = post_payment(engine, loan_id, Money(fen), DAY, idempotency_key=key)
        latencies.append(time.perf_counter() - began)
        assert receipt.replayed == (key == last[2])
        last = (loan_id, fen, key)
    out.put((latencies, retried))
    engine.dispose()


def bench_payments(workers: int, seconds: float, *, hot: bool = False) -> None:
    out: mp.Queue = mp.Queue()  # type: ignore[type-arg]
    procs = [mp.Process(target=worker, args=(k, seconds, hot, out)) for k in range(workers)]
    began = time.perf_counter()
    for p in procs:
        p.start()
    results = [out.get() for _ in procs]
    for p in procs:
        p.join()
    elapsed = time.perf_counter() - began
    lat = sorted(x for r, _ in results for x in r)
    retries = sum(n for _, n in results)
    q = statistics.quantiles(lat, n=100)
    print(
        f"{'one loan (hot spot)' if hot else 'many loans'}: {len(lat):,} payments "
        f"({retries} key retries) in {elapsed:.1f} s with {workers} workers = "
        f"{len(lat) / elapsed:.0f} payments/s; latency p50 {q[49] * 1000:.1f} ms, "
        f"p95 {q[94] * 1000:.1f} ms, p99 {q[98] * 1000:.1f} ms"
    )


def bench_load() -> None:
    engine = make_engine(URL)
    terms = LoanTerms(
        Money.of("200000"), Decimal("0.18"), 12, RepaymentMethod.EQUAL_INSTALLMENT, DAY
    )
    loan = open_and_disburse(engine, terms)
    for k in range(1000):
        post_payment(engine, loan.loan_id, Money(100 + k), DAY)
    times = []
    for _ in range(50):
        began = time.perf_counter()
        view = get_loan(engine, loan.loan_id)
        times.append(time.perf_counter() - began)
    assert len(view.transactions) == 1001
    print(
        f"load a loan with {len(view.transactions)} transactions and its balances: median "
        f"{statistics.median(times) * 1000:.1f} ms, max {max(times) * 1000:.1f} ms"
    )
    report = verify_ledger(engine, rebook=False)
    unbalanced = [p for p in report.problems if p.startswith("entries_balance")]
    print(
        f"journal entries out of balance after the run: {len(unbalanced)} (the seeded book "
        "has no opening journal, so only this check applies)"
    )
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=20)
    args = parser.parse_args()
    print(f"load average before: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    admin = sa.create_engine(PG, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text("DROP SCHEMA IF EXISTS pay_bench CASCADE"))
        conn.execute(sa.text("CREATE SCHEMA pay_bench"))
    try:
        engine = make_engine(URL)
        upgrade(engine)
        seed(engine, LOANS, DAY)
        with engine.begin() as conn:  # the seeded book is closed to the day before DAY
            conn.execute(
                sa.text("UPDATE servicing_loans SET overdue_since_day = NULL, cob_day = :d"),
                {"d": (DAY - date(1970, 1, 1)).days - 1},
            )
        engine.dispose()
        bench_payments(args.workers, args.seconds)
        bench_payments(args.workers, min(args.seconds, 10), hot=True)
        bench_load()
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text("DROP SCHEMA pay_bench CASCADE"))


if __name__ == "__main__":
    main()
