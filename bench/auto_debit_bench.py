"""Auto-debit requests created by close of business, on PostgreSQL (target: 1,000,000 due
installments' requests within a close of business of < 60 s).

Usage: ``.venv/bin/python bench/auto_debit_bench.py [--loans 200000] [--night eve|due]
[--url URL]``.

The book is ``servicing_seed``'s (12-month loans, about 8% past due) with ``due_in=1``: every
loan was disbursed a whole number of 30-day periods less a day before the business date, so
each has an installment falling due the next day — the night that queues their auto-debits
(close of business queues the debits of the next day's installments, sent on their due date).
The date closed is a month end (2025-03-31): the month-end snapshot runs the same night. Every
loan belongs to its own borrower (a user, an application naming the loan) with a default
bound card and an agreement (协议支付); user ids are 32 hex digits in no order, as a lender's
(uuid4) are, so the indexes that lead with them take their rows at random pages. One
business date is then closed with ``run_cob``; the ``auto-debit`` step queues one payment
intent per loan. Prints seconds per step, the total, the load average, the per-loan rate and
the extrapolation to 1,000,000, then checks each intent against an independent sum of what
the loan owes by the next day (never more) and that re-running the date queues nothing more.

``--night due`` closes instead the due date itself (the same month end) of a million
installments, every one still unpaid — the night after a day whose debits all failed (a gateway
outage): the installments fall due unpaid, the loans go past due with the legally required
overdue notice on three channels, and the auto-debit step queues each loan's day-1 retry (loans
already past due are retried only on their own retry days). Each intent is checked the same
way.

Applications are seeded with foreign-key triggers off (``session_replication_role = replica``,
seeding only): they name an applicant the bench does not create, which the auto-debit
statement never reads.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent))

from servicing_seed import seed
from thinfile.services.cob import run_cob
from thinfile.store import make_engine, upgrade
from thinfile.store.servicing_codec import to_day

PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
SCHEMA = "auto_debit_bench"
DAY = date(2025, 3, 31)
DUE = DAY + timedelta(days=1)


def _load() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def _borrowers(engine: sa.Engine) -> None:
    """A user, an application naming the loan and a default card with an agreement, per loan."""
    with engine.begin() as conn:
        conn.execute(sa.text("SET LOCAL session_replication_role = replica"))
        conn.execute(
            sa.text(
                "INSERT INTO users (id, email, role, is_active, created_at, token_version)"
                " SELECT md5('u' || id), 'b' || id || '@bench.example', 'borrower', true, now(), 0"
                " FROM servicing_loans"
            )
        )
        conn.execute(
            sa.text(
                "INSERT INTO applications (id, applicant_id, user_id, submitted_at, decided_on,"
                " status, outcome, purpose, segment, requested_amount, grade, pd, score,"
                " model_version, policy_version, arm, id_number_hash, phone_hash,"
                " decision_json, pii_enc, accepted_offer, loan_id, version)"
                " SELECT 'a' || id, 'p' || id, md5('u' || id), now(), DATE '2025-01-01',"
                " 'accepted', 'approve', 'phone_purchase', 'delivery_rider', principal, 'B',"
                " '0.05', 600, 'bench', 'bench', 'champion', md5('i' || id), md5('p' || id),"
                " '{}', 'x', 0,"
                " CAST(id AS VARCHAR(32)), 1 FROM servicing_loans"
            )
        )
        conn.execute(
            sa.text(
                "INSERT INTO payment_cards (id, user_id, provider, binding_id, agreement_token,"
                " last_four, bank_name, is_default, status, started_at, bound_at)"
                " SELECT 'c' || id, md5('u' || id), 'sandbox', 'bnd_' || id, 'agr_' || id, '1234',"
                " 'bank', true, 'active', now(), now() FROM servicing_loans"
            )
        )
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for table in ("users", "applications", "payment_cards", "servicing_loans"):
            conn.execute(sa.text(f"VACUUM ANALYZE {table}"))
        conn.execute(sa.text("VACUUM ANALYZE servicing_installments"))


def _server(engine: sa.Engine) -> str:
    """The server settings the figures depend on (the close's steps set their own work_mem)."""
    with engine.connect() as conn:
        version = conn.execute(sa.text("SHOW server_version")).scalar_one()
        shown = [
            f"{name} {conn.execute(sa.text(f'SHOW {name}')).scalar_one()}"
            for name in ("shared_buffers", "max_wal_size", "work_mem")
        ]
    return f"PostgreSQL {version.split()[0]}: " + ", ".join(shown)


def _owed_before(engine: sa.Engine, day: date) -> None:
    """What each loan owes by the day after the close (fallen due by then and unpaid, penalty
    included, less overpayment held), summed before the close independently of the auto-debit
    statement and kept for :func:`_check` (later steps of the close charge penalty interest)."""
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "CREATE TABLE owed_oracle AS SELECT i.loan_id, SUM(i.principal_due"
                " - i.principal_paid + i.interest_due - i.interest_paid + i.fee_due - i.fee_paid"
                " + i.penalty_due - i.penalty_paid) - MIN(l.credit) AS owed"
                " FROM servicing_installments i JOIN servicing_loans l ON l.id = i.loan_id"
                " WHERE i.due_day <= :x GROUP BY i.loan_id"
            ),
            {"x": to_day(day + timedelta(days=1))},
        )


def _check(engine: sa.Engine, n: int, *, every_loan: bool) -> int:
    """Each intent for what its loan owes by the next day (the independent sum), no loan
    twice (and, with ``every_loan``, one for every loan); how many intents."""
    with engine.connect() as conn:
        intents, loans, over, under = conn.execute(
            sa.text(
                "SELECT COUNT(*), COUNT(DISTINCT p.loan_id),"
                " SUM(CASE WHEN p.amount > o.owed THEN 1 ELSE 0 END),"
                " SUM(CASE WHEN p.amount < o.owed THEN 1 ELSE 0 END)"
                " FROM payment_intents p JOIN owed_oracle o ON o.loan_id = p.loan_id"
                " WHERE p.idempotency_key LIKE 'auto-debit:%'"
            )
        ).one()
    print(
        f"  intents {intents:,} for {loans:,} loans of {n:,};"
        f" above what was owed: {over}, below it: {under}"
    )
    assert intents == loans and not over and not under
    assert intents == n or not every_loan
    return int(intents)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--loans", type=int, default=200_000)
    parser.add_argument("--night", choices=("eve", "due"), default="eve")
    parser.add_argument("--url", default=PG)
    args = parser.parse_args()
    eve = args.night == "eve"
    day, due_on = DAY, DUE if eve else DAY  # a month end either way
    admin = sa.create_engine(args.url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
        conn.execute(sa.text(f"CREATE SCHEMA {SCHEMA}"))
    engine = make_engine(f"{args.url}?options=-csearch_path%3D{SCHEMA}")
    try:
        upgrade(engine)
        began = time.perf_counter()
        seed(engine, args.loans, day, subsidised=0.0, due_in=(due_on - day).days)
        _borrowers(engine)
        seeded = time.perf_counter() - began
        with engine.connect() as conn:
            due = conn.execute(
                sa.text("SELECT COUNT(*) FROM servicing_installments WHERE due_day = :x"),
                {"x": to_day(due_on)},
            ).scalar_one()
        print(
            f"{args.loans:,} loans, {due:,} installments due {due_on}, closing {day}; each borrower"
            f" with an agreement; seeded in {seeded:.1f} s; load average {_load()}"
        )
        print(f"  {_server(engine)}")
        _owed_before(engine, day)
        began = time.perf_counter()
        report = run_cob(engine, day)
        total = time.perf_counter() - began
        for _day, step, rows, seconds in report.steps:  # lanes overlap on PostgreSQL
            print(f"  {step:<15} {rows:>10,} rows {seconds:8.2f} s")
        print(f"  COB total {total:.1f} s; load average after {_load()}")
        auto = next(s for s in report.steps if s[1] == "auto-debit")
        per = auto[3] / max(auto[2], 1)
        print(
            f"  auto-debit: {auto[2] / auto[3]:,.0f} requests/s ({per * 1e6:.1f} µs each);"
            f" linear to 1,000,000: {per * 1e6:.1f} s for the step,"
            f" {total * 1_000_000 / args.loans:.1f} s for the whole close"
        )
        queued = _check(engine, args.loans, every_loan=eve)
        began = time.perf_counter()
        again = run_cob(engine, day)
        rerun = time.perf_counter() - began
        print(f"  re-run of the same date: {len(again.days)} dates, {rerun:.2f} s")
        with engine.connect() as conn:
            count = conn.execute(sa.text("SELECT COUNT(*) FROM payment_intents")).scalar_one()
        assert count == queued, count
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(sa.text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
        admin.dispose()


if __name__ == "__main__":
    main()
