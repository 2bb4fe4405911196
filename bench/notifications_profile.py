"""What one gateway notification costs, in one process: client and PostgreSQL CPU, the
statements sent, and optionally a cProfile listing.

Usage: ``PYTHONPATH=src .venv/bin/python bench/notifications_profile.py [--loans 1000]
[--count] [--profile cumulative|tottime]``.

The book and the deliveries are ``notifications_bench``'s (20 % delivered twice), run in
this process on one connection, so its CPU time is the client's cost and the backend's CPU
time (read from ``/proc`` for its ``pg_backend_pid``) is the server's. ``--count`` counts
the statements at the driver (psycopg's ``Cursor.execute``: SQLAlchemy's and the hot
statements' alike; BEGIN and COMMIT are not among them); it adds a little client time.
"""

from __future__ import annotations

import argparse
import collections
import cProfile
import pstats
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent))

import notifications_bench as nb
from thinfile.adapters.sandbox_gateway_client import SandboxGatewayClient
from thinfile.services.payment_notifications import receive_notification

WARM = 10


def _count_statements(into: collections.Counter[str]) -> None:
    execute = psycopg.Cursor.execute

    def counted(self: Any, query: Any, *args: Any, **kwargs: Any) -> Any:
        into[" ".join(str(query).split())[:100]] += 1
        return execute(self, query, *args, **kwargs)

    psycopg.Cursor.execute = counted  # type: ignore[method-assign]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--loans", type=int, default=1_000)
    parser.add_argument("--count", action="store_true")
    parser.add_argument("--profile", choices=("cumulative", "tottime"))
    args = parser.parse_args()
    admin = sa.create_engine(nb.PG, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text("DROP SCHEMA IF EXISTS notify_bench CASCADE"))
        conn.execute(sa.text("CREATE SCHEMA notify_bench"))
    try:
        nb.prepare(args.loans)
        engine = nb.make_engine(nb.URL, pool_size=1)
        with engine.connect() as conn:
            backend = conn.exec_driver_sql("SELECT pg_backend_pid()").scalar_one()

        def server_cpu() -> float:
            fields = Path(f"/proc/{backend}/stat").read_text().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / 100  # utime + stime, in ticks

        gateway = SandboxGatewayClient("http://127.0.0.1:9", nb.KEY)  # parses; never called
        rng = random.Random(1)

        def deliver(loan_ids: range) -> None:
            for loan_id in loan_ids:
                now = datetime.now(UTC)
                twice = rng.random() < 0.2
                for at in [now] + ([now - timedelta(seconds=1)] if twice else []):
                    headers, body = nb._delivery(loan_id, at)
                    receive_notification(engine, gateway, headers=headers, body=body, now=now)

        deliver(range(1, WARM + 1))
        statements: collections.Counter[str] = collections.Counter()
        if args.count:
            _count_statements(statements)
        profile = cProfile.Profile()
        began, cpu, server = time.perf_counter(), time.process_time(), server_cpu()
        if args.profile:
            profile.enable()
        deliver(range(WARM + 1, args.loans + 1))
        profile.disable()
        wall = time.perf_counter() - began
        cpu, server = time.process_time() - cpu, server_cpu() - server
        n = args.loans - WARM
        print(
            f"{n:,} notifications posted in {wall:.2f} s ({wall / n * 1000:.2f} ms each):"
            f" client CPU {cpu / n * 1000:.2f} ms, PostgreSQL backend CPU"
            f" {server / n * 1000:.2f} ms a notification"
        )
        if args.count:
            print(f"statements: {sum(statements.values()) / n:.2f} a notification")
            for text, k in statements.most_common(25):
                print(f"{k:7,} {text}")
        if args.profile:
            pstats.Stats(profile).sort_stats(args.profile).print_stats(50)
        engine.dispose()
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text("DROP SCHEMA IF EXISTS notify_bench CASCADE"))
        admin.dispose()


if __name__ == "__main__":
    main()
