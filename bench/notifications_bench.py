"""Gateway notifications posted per second on PostgreSQL (target: at least 500/s).

Usage: ``.venv/bin/python bench/notifications_bench.py [--loans 10000] [--workers 4]
[--duplicates 0.2]``.

A seeded book of active loans (``servicing_seed``, closed to the day before the business
date), one borrower with one bound card, and one pending payment intent of 100.00 yuan per
loan. Worker processes then deliver the gateway's notification of each intent's success the
way the endpoint hands it to the service (``payment_notifications.receive_notification``:
signature and timestamp verified, the delivery kept in the replay store, the intent locked,
the payment posted through the waterfall with its journal and audit row, one commit), a share
of them twice (a duplicate delivery, signed a second apart: acknowledged, posted once).
Prints notifications posted per second, latency percentiles and the load average, then checks
that every intent posted once and that every journal entry balances.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import random
import statistics
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent))

from servicing_seed import seed
from thinfile.adapters.gateway_signature import SIGNATURE_HEADER, sign
from thinfile.adapters.sandbox_gateway_client import SandboxGatewayClient
from thinfile.security.passwords import PasswordHasher
from thinfile.services import identity
from thinfile.services.business_date import current_business_date
from thinfile.services.ledger import verify_ledger
from thinfile.services.payment_notifications import receive_notification
from thinfile.services.uow import UnitOfWork
from thinfile.store import make_engine, upgrade
from thinfile.store.payment_intents_repo import StoredIntent

PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
URL = f"{PG}?options=-csearch_path%3Dnotify_bench"
KEY = b"notifications-bench-gateway-key-of-32-bytes"
AMOUNT_FEN = 10_000


def _load() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def prepare(loans: int) -> date:
    """The book, a borrower with a card, and one pending intent per loan."""
    engine = make_engine(URL)
    upgrade(engine)
    on = current_business_date(engine)
    seed(engine, loans, on)
    user = identity.create_user(
        engine,
        PasswordHasher(time_cost=1, memory_kib=8),
        email="bench@example.com",
        password="bench-password-1",
    )
    now = datetime.now(UTC)
    with UnitOfWork(engine) as uow:
        uow.payment_cards.add_pending(
            card_id="c" * 32,
            user_id=user.id,
            provider="sandbox",
            binding_id="bnd_bench",
            last_four="1234",
            at=now,
        )
        uow.payment_cards.activate(
            "c" * 32, agreement_token="agr_bench", bank_name="沙箱银行", is_default=True, at=now
        )
        for loan_id in range(1, loans + 1):
            uow.payment_intents.add(
                StoredIntent(
                    id=f"{loan_id:032x}",
                    loan_id=loan_id,
                    user_id=user.id,
                    card_id="c" * 32,
                    kind="payment",
                    mode=None,
                    amount=AMOUNT_FEN,
                    currency="CNY",
                    status="pending",
                    failure=None,
                    idempotency_key=f"bench-{loan_id}",
                    request_hash="0" * 64,
                    gateway_txn_id=f"txn_{loan_id:012d}",
                    txn_id=None,
                    created_at=now,
                    settled_at=None,
                )
            )
        uow.commit()
    engine.dispose()
    return on


def _delivery(loan_id: int, at: datetime) -> tuple[dict[str, str], bytes]:
    body = json.dumps(
        {
            "gateway_txn_id": f"txn_{loan_id:012d}",
            "request_id": f"{loan_id:032x}",
            "kind": "debit",
            "status": "succeeded",
            "amount_fen": AMOUNT_FEN,
            "failure": None,
            "original_txn_id": None,
            "completed_at": at.isoformat(),
            "notification_id": f"ntf_{loan_id:012d}",
        },
        sort_keys=True,
    ).encode()
    return {SIGNATURE_HEADER: sign(KEY, body, at=at)}, body


def worker(loan_ids: list[int], duplicates: float, seed_no: int, out: mp.Queue) -> None:  # type: ignore[type-arg]
    engine = make_engine(URL, pool_size=1)
    gateway = SandboxGatewayClient("http://127.0.0.1:9", KEY)  # parses; never called
    rng = random.Random(seed_no)
    latencies: list[float] = []
    outcomes: dict[str, int] = {}
    for loan_id in loan_ids:
        now = datetime.now(UTC)
        copies = [now] + ([now - timedelta(seconds=1)] if rng.random() < duplicates else [])
        for at in copies:
            headers, body = _delivery(loan_id, at)
            began = time.perf_counter()
            done = receive_notification(engine, gateway, headers=headers, body=body, now=now)
            latencies.append(time.perf_counter() - began)
            outcomes[done.outcome] = outcomes.get(done.outcome, 0) + 1
    out.put((latencies, outcomes))
    engine.dispose()


def deliver(loans: int, workers: int, duplicates: float) -> None:
    ids = list(range(1, loans + 1))
    random.Random(7).shuffle(ids)
    out: mp.Queue = mp.Queue()  # type: ignore[type-arg]
    slices = [ids[k::workers] for k in range(workers)]
    procs = [
        mp.Process(target=worker, args=(part, duplicates, k, out)) for k, part in enumerate(slices)
    ]
    began = time.perf_counter()
    for p in procs:
        p.start()
    results = [out.get() for _ in procs]
    for p in procs:
        p.join()
    elapsed = time.perf_counter() - began
    latencies = sorted(x for lat, _ in results for x in lat)
    outcomes: dict[str, int] = {}
    for _, counted in results:
        for name, n in counted.items():
            outcomes[name] = outcomes.get(name, 0) + n
    q = statistics.quantiles(latencies, n=100)
    print(
        f"{len(latencies):,} deliveries ({outcomes}) in {elapsed:.1f} s with {workers} workers:"
        f" {outcomes.get('posted', 0) / elapsed:.0f} notifications posted/s,"
        f" {len(latencies) / elapsed:.0f} deliveries/s; latency p50 {q[49] * 1000:.1f} ms,"
        f" p95 {q[94] * 1000:.1f} ms, p99 {q[98] * 1000:.1f} ms"
    )
    assert outcomes.get("posted") == loans, outcomes


def check(loans: int) -> None:
    engine = make_engine(URL)
    with engine.connect() as conn:
        posted = conn.execute(
            sa.text(
                "SELECT COUNT(*), COUNT(DISTINCT idempotency_key) FROM servicing_transactions"
                " WHERE kind = 'repayment'"
            )
        ).one()
        settled = conn.execute(
            sa.text("SELECT COUNT(*) FROM payment_intents WHERE status = 'succeeded'")
        ).scalar_one()
    report = verify_ledger(engine, rebook=False)
    unbalanced = [p for p in report.problems if p.startswith("entries_balance")]
    print(
        f"repayments posted {posted[0]:,} (distinct keys {posted[1]:,}) for {settled:,}"
        f" succeeded intents of {loans:,}; journal entries out of balance: {len(unbalanced)}"
    )
    assert posted[0] == posted[1] == settled == loans and not unbalanced
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--loans", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--duplicates", type=float, default=0.2)
    args = parser.parse_args()
    print(f"load average before: {_load()} ({os.cpu_count()} CPUs)")
    admin = sa.create_engine(PG, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text("DROP SCHEMA IF EXISTS notify_bench CASCADE"))
        conn.execute(sa.text("CREATE SCHEMA notify_bench"))
    try:
        began = time.perf_counter()
        on = prepare(args.loans)
        took = time.perf_counter() - began
        print(f"seeded {args.loans:,} loans and intents for {on} in {took:.1f} s")
        with admin.connect() as conn:  # a lender's book has statistics, and its seed is on disk
            conn.execute(sa.text("ANALYZE notify_bench.payment_intents"))
            conn.execute(sa.text("CHECKPOINT"))
        deliver(args.loans, args.workers, args.duplicates)
        print(f"load average after: {_load()}")
        check(args.loans)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text("DROP SCHEMA IF EXISTS notify_bench CASCADE"))
        admin.dispose()


if __name__ == "__main__":
    main()
