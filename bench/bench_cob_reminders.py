"""Close of business with the ``reminders`` step over a large book, on PostgreSQL.

Usage: ``.venv/bin/python bench/bench_cob_reminders.py [--loans 1000000] [--per-borrower 100]``.

Seeds the book set-based (``servicing_seed``: active loans of 12 monthly installments at
every age, some overdue), gives every loan a borrower (one per ``--per-borrower`` loans:
users, applicant profiles and an accepted application per loan, as acceptance leaves them),
then closes one business date and prints seconds per step — the ``reminders`` step writes
the D−3 and D0 reminders and the D+1/7/15/30 notices of the next day, set-based — the total
and the messages written; then the deliveries the worker writes for them from the end of the
night (its batches of ``FAN_OUT_BATCH`` messages, timed), and a re-run of the same step
(idempotent: nothing written).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import uuid
from datetime import UTC, date, datetime
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent))

from servicing_seed import seed
from thinfile.services.cob import run_cob
from thinfile.services.notification_delivery import FAN_OUT_BATCH
from thinfile.services.reminders import NIGHT_RULES, reminders_step
from thinfile.services.uow import UnitOfWork
from thinfile.store import make_engine, upgrade

PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
DAY = date(2025, 3, 31)

_USERS = """
INSERT INTO users (id, email, password_hash, role, is_active, created_at, token_version)
SELECT 'u' || CAST(g AS VARCHAR(20)), 'b' || CAST(g AS VARCHAR(20)) || '@bench.example', NULL,
       'borrower', TRUE, :at, 0
FROM generate_series(1, :users) AS g
"""
_APPLICANTS = """
INSERT INTO applicants (id, user_id, name_enc, id_number_enc, phone_enc, id_number_hash,
  phone_hash, key_id, created_at)
SELECT 'a' || CAST(g AS VARCHAR(20)), 'u' || CAST(g AS VARCHAR(20)), 'x', 'x', 'x',
       md5('id' || g), md5('ph' || g), 'bench', :at
FROM generate_series(1, :users) AS g
"""
_APPLICATIONS = """
INSERT INTO applications (id, applicant_id, user_id, submitted_at, decided_on, status, outcome,
  purpose, segment, requested_amount, grade, pd, score, model_version, policy_version, arm,
  id_number_hash, phone_hash, decision_json, pii_enc, accepted_offer, loan_id, version)
SELECT 'app' || CAST(l.id AS VARCHAR(20)),
       'a' || CAST(1 + (l.id - 1) / :per AS VARCHAR(20)),
       'u' || CAST(1 + (l.id - 1) / :per AS VARCHAR(20)),
       :at, :on, 'accepted', 'approve', 'consumption', 'bench', l.principal, 'B', '0.05', 600,
       'bench', 'bench', 'champion', md5('id' || l.id), md5('ph' || l.id), '{}', 'x', 0,
       CAST(l.id AS VARCHAR(32)), 1
FROM servicing_loans l
"""


def _owners(engine: sa.Engine, n: int, per: int) -> None:
    users = (n + per - 1) // per
    at = datetime(2025, 1, 1, tzinfo=UTC)
    with engine.begin() as conn:
        conn.execute(sa.text(_USERS), {"users": users, "at": at})
        conn.execute(sa.text(_APPLICANTS), {"users": users, "at": at})
        conn.execute(sa.text(_APPLICATIONS), {"per": per, "at": at, "on": date(2025, 1, 1)})
        conn.execute(sa.text("ANALYZE applications"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--loans", type=int, default=1_000_000)
    parser.add_argument("--per-borrower", type=int, default=100)
    args = parser.parse_args()
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(PG, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    try:
        engine = make_engine(f"{PG}?options=-csearch_path%3D{schema}")
        upgrade(engine)
        began = time.perf_counter()
        seed(engine, args.loans, DAY, subsidised=0.0)
        _owners(engine, args.loans, args.per_borrower)
        seeded = time.perf_counter() - began
        began = time.perf_counter()
        report = run_cob(engine, DAY)
        total = time.perf_counter() - began
        print(
            f"PostgreSQL: {args.loans:,} loans, one borrower per {args.per_borrower}, "
            f"seeded in {seeded:.1f} s, load average {os.getloadavg()[0]:.1f}"
        )
        for _day, step, rows, seconds in report.steps:
            print(f"  {step:<12} {rows:>10,} rows {seconds:8.2f} s")
        print(f"  COB total {total:.1f} s for one business date")
        began, later = time.perf_counter(), datetime(2100, 1, 1, tzinfo=UTC)
        while True:
            with UnitOfWork(engine) as uow:
                batch = uow.notifications.fan_out(
                    now=later, limit=FAN_OUT_BATCH, rules=NIGHT_RULES, at=datetime.now(UTC)
                )
                uow.commit()
            if not batch:
                break
        fanned = time.perf_counter() - began
        with engine.connect() as conn:
            kinds = conn.execute(
                sa.text("SELECT kind, COUNT(*) FROM notifications GROUP BY kind ORDER BY kind")
            ).all()
            deliveries = conn.execute(
                sa.text("SELECT COUNT(*) FROM notification_deliveries")
            ).scalar()
        print("  messages: " + ", ".join(f"{k} {c:,}" for k, c in kinds))
        print(
            f"  deliveries written by the worker: {deliveries:,} in {fanned:.1f} s"
            f" ({deliveries / max(fanned, 1e-9):,.0f}/s, batches of {FAN_OUT_BATCH:,} messages)"
        )
        began = time.perf_counter()
        with UnitOfWork(engine) as uow:
            again = reminders_step(uow, DAY)
            uow.commit()
        print(
            f"  reminders again for the date: {again} written, {time.perf_counter() - began:.2f} s"
        )
        engine.dispose()
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


if __name__ == "__main__":
    main()
