"""The nightly limit review over a large book on PostgreSQL (target: 1,000,000 lines < 60 s).

Usage: ``.venv/bin/python bench/limits_review_bench.py [--lines N] [--batch B] [--workers W]
[--keep] [--profile FILE]``.

Seeds the servicing book set-based (``servicing_seed``: one loan per line, 8% past due), opens
one credit line per loan, records an income for nine lines in ten and eleven month-end
behaviour snapshots per line (as close of business would have taken them), then times
``review_limits`` on the book's business date — each batch's snapshot, features in SQL, the graph
per line, the decisions, offers, limit moves and notices — and a second run of the same date.
Prints the figures with the load average before and after (the machine is shared), the
CPU-seconds of this process (and its worker processes) and of the PostgreSQL backends that
served the review (``BackendCpu``).

``--keep`` keeps the schema seeded (``limits_bench_<lines>``): a later run with the same
``--lines`` undoes the last review (its decisions, offers, notices, limit moves and the
day's snapshot) instead of seeding again. ``--profile FILE`` writes a cProfile of the review
to ``FILE``; ``--workers W`` decides the batches in W processes (1: the parent alone).
"""

from __future__ import annotations

import argparse
import cProfile
import os
import resource
import sys
import threading
import time
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent))

from servicing_seed import seed
from thinfile.services.limit_reviews import review_limits
from thinfile.store import make_engine, upgrade
from thinfile.store.servicing_codec import to_day

PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
DAY = date(2025, 3, 31)


def _month_ends(before: date, count: int) -> list[int]:
    ends, first = [], before.replace(day=1)
    for _ in range(count):
        last = first - timedelta(days=1)
        ends.append(to_day(last))
        first = last.replace(day=1)
    return ends


def seed_lines(engine: sa.Engine, n: int) -> None:
    """One line per seeded loan; incomes; eleven month-end snapshots per line."""
    ends = ", ".join(f"({e})" for e in _month_ends(DAY, 11))
    statements = [
        """INSERT INTO servicing_credit_lines (id, currency, limit_amount, status, annual_rate,
             product_json, opened_day, version)
           SELECT id, 'CNY', principal * 6 / 5 / 10000 * 10000, 'active', '0.18', '{}',
             disbursed_day, 1 FROM servicing_loans""",
        "UPDATE servicing_loans SET credit_line_id = id",
        """INSERT INTO limit_line_incomes (line_id, income, source, day)
           SELECT id, 500000 + (id % 40) * 50000, 'bench', disbursed_day
           FROM servicing_loans WHERE id % 10 <> 0""",
        f"""INSERT INTO limit_line_months (line_id, day, month_end, opened_day, limit_amount,
             balance, days_past_due, worst_dpd, amount_due, amount_paid, drawn, prepaid)
           SELECT c.id, e.day, 1, c.opened_day, c.limit_amount,
             l.principal - l.principal * ((e.day - c.opened_day) / 30) / 12,
             CASE WHEN c.id % 100 < 3 AND e.day > {to_day(DAY)} - 60 THEN 5 ELSE 0 END,
             CASE WHEN c.id % 100 < 5 AND e.day > {to_day(DAY)} - 100 THEN 12 ELSE 0 END,
             l.principal / 12 + l.principal * 15 / 1000,
             CASE WHEN c.id % 100 < 5 THEN 0 ELSE l.principal / 12 + l.principal * 15 / 1000 END,
             CASE WHEN e.day - c.opened_day < 31 THEN l.principal ELSE 0 END, 0
           FROM servicing_credit_lines c JOIN servicing_loans l ON l.id = c.id
           CROSS JOIN (VALUES {ends}) AS e(day)
           WHERE e.day >= c.opened_day""",
        "SELECT setval(pg_get_serial_sequence('servicing_credit_lines', 'id'), "
        "(SELECT MAX(id) FROM servicing_credit_lines))",
    ]
    with engine.begin() as conn:
        for sql in statements:
            conn.execute(sa.text(sql))
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for table in ("servicing_credit_lines", "servicing_loans", "limit_line_months"):
            conn.execute(sa.text(f"VACUUM ANALYZE {table}"))


UNDO = [
    "TRUNCATE limit_decisions, limit_offers, limit_notices, limit_review_runs, "
    "servicing_limit_changes",
    f"DELETE FROM limit_line_months WHERE day = {to_day(DAY)}",
    """UPDATE servicing_credit_lines c SET limit_amount = l.principal * 6 / 5 / 10000 * 10000,
         status = 'active', version = 1
       FROM servicing_loans l WHERE l.id = c.id""",
]
"""What a review of ``DAY`` wrote on the seeded book, undone (no line has an owner to
notify, no income to backfill)."""


def _seeded(engine: sa.Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(sa.text("SELECT COUNT(*) FROM servicing_credit_lines")).scalar())


def _undo(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        for sql in UNDO:
            conn.execute(sa.text(sql))
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for table in ("servicing_credit_lines", "limit_line_months"):
            conn.execute(sa.text(f"VACUUM ANALYZE {table}"))


def _cpu_seconds() -> float:
    """CPU-seconds of this process and its finished children."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def _proc_cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class BackendCpu:
    """CPU-seconds of the PostgreSQL backends serving this benchmark (``application_name``
    ``limits_bench``), sampled from /proc every 0.2 s while the review runs: a backend's last
    sample counts, so the work of its final 0.2 s may be missed. Others' queries on the shared
    server are not counted."""

    def __init__(self) -> None:
        self.seen: dict[int, tuple[float, float]] = {}  # pid -> (first, last) sample
        self._stop = threading.Event()
        self._admin = sa.create_engine(PG, isolation_level="AUTOCOMMIT")
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _sample(self) -> None:
        with self._admin.connect() as conn:
            pids = conn.execute(
                sa.text("SELECT pid FROM pg_stat_activity WHERE application_name = 'limits_bench'")
            ).scalars()
            for pid in pids:
                try:
                    now = _proc_cpu_seconds(int(pid))
                except OSError:
                    continue
                first = self.seen.get(int(pid), (now, now))[0]
                self.seen[int(pid)] = (first, now)

    def _run(self) -> None:
        while not self._stop.wait(0.2):
            self._sample()

    def __enter__(self) -> BackendCpu:
        self._sample()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self._sample()
        self._admin.dispose()

    @property
    def seconds(self) -> float | None:
        if not Path("/proc/self/stat").exists():
            return None
        return sum(last - first for first, last in self.seen.values())


def bench(url: str, n: int, batch: int, profile: str | None, workers: int) -> None:
    engine = make_engine(url)
    upgrade(engine)
    began = time.perf_counter()
    if _seeded(engine) == n:
        _undo(engine)
        print(f"reused the seeded {n:,} lines; load {os.getloadavg()}")
    else:
        seed(engine, n, DAY)
        seed_lines(engine, n)
        print(f"seeded {n:,} lines in {time.perf_counter() - began:.1f} s; load {os.getloadavg()}")
    load_before = os.getloadavg()
    cpu = _cpu_seconds()
    profiler = cProfile.Profile() if profile else None
    engine.dispose()  # the review's backends are new, so all their CPU is the review's
    with BackendCpu() as backends:
        began = time.perf_counter()
        if profiler is not None:
            profiler.enable()
        options = {"workers": workers} if workers > 1 else {}  # an older review has no workers
        batches: list[float] = []
        report = review_limits(
            engine,
            DAY,
            batch_lines=batch,
            after_batch=lambda last, done: batches.append(time.perf_counter() - began),
            **options,
        )
        took = time.perf_counter() - began
        if profiler is not None:
            profiler.disable()
            profiler.dump_stats(str(profile))
        cpu = _cpu_seconds() - cpu
    pg = backends.seconds
    load_after = os.getloadavg()
    counts = Counter({k: v for k, v in report.counts.items()})
    print(
        f"review of {report.decided:,} lines on {DAY}: {took:.1f} s "
        f"({report.decided / took:,.0f} lines/s), batch {batch:,}, {workers} process(es)"
    )
    if batches:
        print(
            f"  first batch done {batches[0]:.1f} s after the start (the run's preparation"
            f" first; each batch takes its lines' snapshot), the last {batches[-1]:.1f} s"
        )
    for key, count in sorted(counts.items()):
        print(f"  {key:<24} {count:>10,}")
    print(f"  load average before {load_before}, after {load_after}; {os.cpu_count()} CPUs")
    pg_text = "unknown" if pg is None else f"{pg:.1f}"
    print(
        f"  CPU-seconds: this process and its workers {cpu:.1f}, its PostgreSQL backends {pg_text}"
    )
    began = time.perf_counter()
    again = review_limits(engine, DAY, batch_lines=batch)
    print(
        f"  re-run of the same date: {again.decided} decided, {time.perf_counter() - began:.1f} s"
    )
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=20_000)
    parser.add_argument("--keep", action="store_true", help="keep (and reuse) the seeded book")
    parser.add_argument("--profile", help="write a cProfile of the review to this file")
    parser.add_argument("--workers", type=int, default=2, help="processes deciding batches")
    args = parser.parse_args()
    admin = sa.create_engine(PG, isolation_level="AUTOCOMMIT")
    schema = f"limits_bench_{args.lines}" if args.keep else "limits_bench"
    with admin.connect() as conn:
        if not args.keep:
            conn.execute(sa.text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        conn.execute(sa.text(f"CREATE SCHEMA IF NOT EXISTS {schema}"))
    try:
        url = f"{PG}?options=-csearch_path%3D{schema}&application_name=limits_bench"
        bench(url, args.lines, args.batch, args.profile, args.workers)
    finally:
        if not args.keep:
            with admin.connect() as conn:
                conn.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))


if __name__ == "__main__":
    main()
