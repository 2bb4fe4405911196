"""Checkout benchmark on PostgreSQL: a merchant creates a session, the borrower confirms it.

Starts ``thinfile serve`` against a fresh PostgreSQL database (the server, the model and the
raw HTTP/1.1 client are those of ``bench/api_load.py``), seeds borrowers (profile, consents,
real name) through the services and merchants through the staff API (onboarded, contract with
an interest-free 3-period term paid by a 2 % merchant subsidy, activated, a merchant user and
its API key), then drives one operation per due time, ``--rate`` a second for ``--seconds``:

1. ``POST /v1/checkout/sessions`` with the merchant's API key (a ¥3,000 order);
2. ``POST /v1/me/checkout/{id}/confirmation`` by a borrower (3 periods, ``confirm: true``).

The confirmation path: the API confirms on the borrower's line with room if there is one, and
otherwise decides a new application for the order (the ``application`` form) and opens a line
of exactly the financed amount. Lines are never left with room here, so every confirmation is
a full decision (the heavier path, and the one a first-time checkout borrower takes). A
declined decision answers 200 with status ``declined``; both outcomes are counted.

Latency is counted from when the operation was due (no coordinated omission): the create from
its due time, the confirmation from when it was sent, the pair from the due time. After the
load, each authorized session is captured in full (not timed: the capture books the loan) and
the book is checked: every authorized session has exactly one capture with its own loan,
no declined one has any, and ``verify_ledger`` finds the ledger balanced.
Run: ``.venv/bin/python bench/checkout_bench.py [--rate 200] [--seconds 15] [--workers 2]``.
"""

from __future__ import annotations

import argparse
import asyncio
import heapq
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import sqlalchemy as sa

import api_load as base  # the load benchmark's server, model, database and raw client

CONCURRENCY = 48
"""Connections, each carrying one operation (two requests) at a time."""
WARM_UP_SECONDS = 3.0
READ_SECONDS = 10.5
"""The borrower's pause on the cost statement (the server asks for at least 10 s)."""
TOTAL = "3000.00"
CONTRACT = {
    "terms": [{"periods": 3, "subsidy_rate": "2%"}],
    "unearned_subsidy": "return-to-merchant",
    "settlement_days": 1,
    "effective_from": "2026-01-01",
}
PURCHASE_FORM = {
    k: v for k, v in base.FORM.items() if not k.startswith("requested") and k != "purpose"
}
RATE_LIMITS = json.dumps(
    {
        "applications": "1000000/1",
        "applications_address": "1000000/1",
        "sign_in": "100000/1",
        "sign_in_address": "100000/1",
    }
)


def credit_code(serial: int) -> str:
    """A valid unified social credit code (enterprise, Shenzhen) for ``serial``."""
    from thinfile.commerce import credit_code_check_character, organisation_code_check_character

    body = f"{serial:08d}"
    first17 = "91440300" + body + organisation_code_check_character(body)
    return first17 + credit_code_check_character(first17)


def seed_merchants(url: str, n: int) -> list[str]:
    """``n`` active merchants through the staff API: the API key of each."""
    from thinfile.http import build_context
    from thinfile.security.roles import Role
    from thinfile.security.tokens import TokenClaims
    from thinfile.services import identity
    from thinfile.settings import Settings
    from thinfile.store import make_engine

    context = build_context(Settings(database_url=url, argon2_time_cost=1, argon2_memory_kib=8))
    engine = make_engine(url)
    admin = identity.create_user(
        engine, context.hasher, email="admin@bench.example", password="bench password 1",
        role=Role.ADMIN,
    )  # fmt: skip
    staff = {"Authorization": f"Bearer {context.tokens.issue(TokenClaims(admin.id, admin.role))}"}
    keys = []
    with httpx.Client(base_url=f"http://127.0.0.1:{base.PORT}", timeout=30) as client:

        def call(method: str, path: str, tag: str, body: object = None) -> httpx.Response:
            headers = {**staff, "Idempotency-Key": f"bench-seed-{tag}"}
            reply = client.request(method, path, headers=headers, json=body)
            if not reply.is_success:
                raise SystemExit(f"seeding failed at {method} {path}: {reply.text[:300]}")
            return reply

        for i in range(n):
            merchant = call(
                "POST",
                "/v1/staff/merchants",
                f"m{i}",
                {
                    "legal_name": f"骑手电动车{i}号有限公司",
                    "credit_code": credit_code(i + 1),
                    "category": "e-bikes",
                    "settlement_bank": "招商银行深圳分行",
                    "settlement_account": "6222 0212 3456 7891 234",
                    "contact_name": "王芳",
                    "contact_phone": "13812345678",
                },
            ).json()["id"]
            at = f"/v1/staff/merchants/{merchant}"
            call("PUT", at + "/contract", f"c{i}", CONTRACT)
            call("POST", at + "/activation", f"a{i}")
            user = identity.create_user(
                engine, context.hasher, email=f"m{i}@shop.example", password="bench password 1",
                role=Role.MERCHANT,
            )  # fmt: skip
            call("POST", at + "/users", f"u{i}", {"user_id": user.id})
            issued = call("POST", at + "/api-keys", f"k{i}", {"user_id": user.id, "name": "bench"})
            keys.append(str(issued.json()["key"]))
    engine.dispose()
    return keys


def serve(url: str, model_dir: Path, workers: int) -> subprocess.Popen[bytes]:
    """``thinfile serve`` as in api_load, with every application limit lifted (all the
    borrowers confirm from one address)."""
    env = {
        **os.environ,
        "THINFILE_DATABASE_URL": url,
        "THINFILE_MODEL_DIR": str(model_dir),
        "THINFILE_RATE_LIMITS": RATE_LIMITS,
        "THINFILE_ARGON2_TIME_COST": "1",
        "THINFILE_ARGON2_MEMORY_KIB": "8",
    }
    local = base.ROOT / ".venv/bin/thinfile"
    command = [
        str(local) if local.exists() else shutil.which("thinfile") or "thinfile",
        "serve", "--host", "127.0.0.1", "--port", str(base.PORT),
        "--workers", str(workers), "--no-access-log",
    ]  # fmt: skip
    return subprocess.Popen(
        command,
        env=env,
        cwd=base.ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


@dataclass
class Tally:
    """What one phase measured: latencies (s) per call and per pair, statuses, outcomes."""

    create: list[float] = field(default_factory=list)
    plans: list[float] = field(default_factory=list)
    confirm: list[float] = field(default_factory=list)
    pair: list[float] = field(default_factory=list)
    statuses: dict[str, int] = field(default_factory=dict)
    outcomes: dict[str, int] = field(default_factory=dict)
    authorized: list[str] = field(default_factory=list)
    confirmed: list[str] = field(default_factory=list)

    def count(self, what: str, status: int, body: bytes) -> None:
        name = f"{what} {status}"
        self.statuses[name] = self.statuses.get(name, 0) + 1
        if status >= 400 and self.statuses[name] == 1:
            print(f"first {name}: {body[:300]!r}", flush=True)

    def outcome(self, session: str, status: str) -> None:
        self.outcomes[status] = self.outcomes.get(status, 0) + 1
        self.confirmed.append(session)
        if status == "authorized":
            self.authorized.append(session)


def creation(key: str, serial: int) -> bytes:
    body = {
        "merchant_order_id": f"SO-{serial:08d}",
        "lines": [{"name": "电动车 48V", "sku": "EB-48V", "quantity": 1, "unit_price": TOTAL}],
        "total": TOTAL,
        "success_url": "https://shop.example/orders/done",
        "cancel_url": "https://shop.example/orders",
    }
    headers = {"X-API-Key": key, "Idempotency-Key": f"create-{serial:08d}"}
    return base.request("POST", "/v1/checkout/sessions", headers, body)


def confirmation(token: str, born: str, session_id: str) -> bytes:
    body = {
        "periods": 3,
        "confirm": True,
        "seconds_read": 30,
        "application": {**PURCHASE_FORM, "birth_date": born},
    }
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": f"confirm-{session_id}"}
    return base.request("POST", f"/v1/me/checkout/{session_id}/confirmation", headers, body)


class Connection:
    """A kept-alive connection, opened again when the server closed it while it was idle
    (uvicorn closes after 5 s; connections wait out the reading pauses). A request is sent
    again only when no byte of its answer came: every POST carries an idempotency key."""

    def __init__(self) -> None:
        self.streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    async def send(self, raw: bytes) -> tuple[int, bytes]:
        for attempt in (1, 2):
            if self.streams is None:
                self.streams = await asyncio.open_connection("127.0.0.1", base.PORT)
            try:
                return await base.exchange(*self.streams, raw)
            except (asyncio.IncompleteReadError, ConnectionError) as lost:
                self.close()
                if attempt == 2 or (isinstance(lost, asyncio.IncompleteReadError) and lost.partial):
                    raise
        raise AssertionError("unreachable")

    def close(self) -> None:
        if self.streams is not None:
            self.streams[1].close()
            self.streams = None


def plans(token: str, session_id: str) -> bytes:
    """The borrower opens the session's plans: it becomes theirs, the statement is shown."""
    lines = [
        f"GET /v1/me/checkout/{session_id}/plans HTTP/1.1",
        f"Host: 127.0.0.1:{base.PORT}",
        f"Authorization: Bearer {token}",
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


async def drive(
    keys: Sequence[str],
    people: Sequence[tuple[str, str, str]],
    first: int,
    rate: float,
    seconds: float,
) -> tuple[Tally, float, int]:
    """Orders due ``rate`` a second for ``seconds``; the tally, the wall time of the
    confirmations (first due to last answered) and how many orders fell due.

    An order is created and its plans opened when it falls due; its confirmation falls due
    READ_SECONDS after the plans were shown (the borrower reads the cost statement: the
    server refuses a confirmation sooner). Every request is sent by the next free connection
    when it falls due, the earliest due first; create and confirmation latencies count from
    their due times, so a server that falls behind is charged for the wait."""
    tally = Tally()
    due_count = int(rate * seconds)
    began = time.perf_counter()
    issued = 0
    pending: list[tuple[float, int, str, float]] = []  # confirmations: due, serial, id, so far
    opening = 0  # orders created whose confirmation is not queued yet
    last_done = began

    async def create_and_open(conn: Connection, serial: int, due: float) -> None:
        status, body = await conn.send(creation(keys[serial % len(keys)], serial))
        created = time.perf_counter()
        tally.create.append(created - due)
        tally.count("create", status, body)
        if status != 201:
            return
        session = json.loads(body)["id"]
        token = people[serial % len(people)][0]
        status, body = await conn.send(plans(token, session))
        shown = time.perf_counter()
        tally.plans.append(shown - created)
        tally.count("plans", status, body)
        if status == 200:
            # the reading pause runs from when the statement was shown (the server refuses a
            # confirmation sooner), not from when the order fell due
            heapq.heappush(pending, (shown + READ_SECONDS, serial, session, shown - due))

    async def confirm(
        conn: Connection,
        job: tuple[float, int, str, float],
    ) -> None:
        nonlocal last_done
        due, serial, session, so_far = job
        token, _, born = people[serial % len(people)]
        status, body = await conn.send(confirmation(token, born, session))
        done = time.perf_counter()
        last_done = max(last_done, done)
        tally.confirm.append(done - due)
        tally.pair.append(so_far + done - due)
        tally.count("confirm", status, body)
        if status == 200:
            tally.outcome(session, json.loads(body)["status"])

    async def client_loop() -> None:
        nonlocal issued, opening
        conn = Connection()
        try:
            while issued < due_count or pending or opening:
                create_due = began + issued / rate if issued < due_count else float("inf")
                confirm_due = pending[0][0] if pending else float("inf")
                now = time.perf_counter()
                if min(create_due, confirm_due) > now:
                    await asyncio.sleep(min(min(create_due, confirm_due) - now, 0.005))
                    continue
                if confirm_due <= create_due:
                    await confirm(conn, heapq.heappop(pending))
                else:
                    serial, issued, opening = first + issued, issued + 1, opening + 1
                    try:
                        await create_and_open(conn, serial, create_due)
                    finally:
                        opening -= 1
        finally:
            conn.close()

    await asyncio.gather(*(client_loop() for _ in range(CONCURRENCY)))
    return tally, last_done - began - READ_SECONDS, due_count


def pct(latencies: list[float], p: float) -> float:
    ordered = sorted(latencies)
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000 if ordered else 0.0


def phase(
    args: argparse.Namespace,
    keys: Sequence[str],
    people: Sequence[tuple[str, str, str]],
    server: list[int],
    url: str,
    first: int,
) -> tuple[str, Tally]:
    backends = base.backend_pids(url)
    before = (time.process_time(), base.cpu_of(server), base.cpu_of(backends))
    started = time.perf_counter()
    tally, wall, due = asyncio.run(drive(keys, people, first, args.rate, args.seconds))
    elapsed = time.perf_counter() - started
    after = (time.process_time(), base.cpu_of(server), base.cpu_of(backends))
    client, server_cpu, database = (b - a for a, b in zip(before, after, strict=True))
    pairs = len(tally.pair)
    calls = "; ".join(
        f"{name} p50 {pct(xs, 0.5):.1f} / p95 {pct(xs, 0.95):.1f} / p99 {pct(xs, 0.99):.1f} ms"
        for name, xs in (
            ("create", tally.create),
            ("plans", tally.plans),
            ("confirm", tally.confirm),
            ("pair", tally.pair),
        )
    )
    load = os.getloadavg()
    line = (
        f"checkout paced at {args.rate:.0f}/s for {args.seconds:.0f} s, {args.workers} workers: "
        f"{pairs} of {due} pairs confirmed in {wall:.1f} s = {pairs / wall:.1f}/s "
        f"({pairs / wall / args.rate:.0%} of target); {calls}; statuses {tally.statuses}; "
        f"outcomes {tally.outcomes}; CPU s client {client:.1f}, server {server_cpu:.1f} "
        f"({server_cpu / elapsed:.0%} of a core over {elapsed:.0f} s), database {database:.1f}; "
        f"{pairs / max(server_cpu, 1e-9):.0f} pairs per server CPU-second; "
        f"load {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}; "
        f"p99 of the pair < 100 ms: {'met' if pct(tally.pair, 0.99) < 100 else 'NOT met'}"
    )
    print(line, flush=True)
    return line, tally


def capture_all(keys: Sequence[str], sessions: list[tuple[int, str]]) -> dict[int, int]:
    """Capture each authorized session in full with its merchant's key (not timed)."""
    statuses: dict[int, int] = {}
    with httpx.Client(base_url=f"http://127.0.0.1:{base.PORT}", timeout=30) as client:
        for serial, session in sessions:
            reply = client.post(
                f"/v1/checkout/sessions/{session}/captures",
                headers={
                    "X-API-Key": keys[serial % len(keys)],
                    "Idempotency-Key": f"capture-{session}",
                },
                json={"amount": TOTAL},
            )
            statuses[reply.status_code] = statuses.get(reply.status_code, 0) + 1
            if reply.status_code != 201 and statuses[reply.status_code] == 1:
                print(f"first capture {reply.status_code}: {reply.text[:300]}", flush=True)
    return statuses


def book_check(url: str, tally: Tally) -> str:
    """Every authorized session has exactly one capture and its own loan; no declined one has
    any; the ledger balances."""
    from thinfile.services.ledger import verify_ledger
    from thinfile.store import make_engine

    engine = make_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT s.id, s.status, count(c.id), count(DISTINCT l.id) FROM checkout_sessions s "
                "LEFT JOIN checkout_captures c ON c.session_id = s.id "
                "LEFT JOIN servicing_loans l ON l.id = c.loan_id "
                "WHERE s.confirmed_at IS NOT NULL GROUP BY s.id, s.status"
            )
        ).all()
        loans = conn.execute(
            sa.text("SELECT count(*), count(DISTINCT loan_id) FROM checkout_captures")
        ).one()
    report = verify_ledger(engine)
    engine.dispose()
    authorized = set(tally.authorized)
    wrong = [
        r[0]
        for r in rows
        if (r[0] in authorized and (r[2], r[3]) != (1, 1)) or (r[0] not in authorized and r[2] != 0)
    ]
    line = (
        f"book after the load: {len(rows)} confirmed sessions in the database "
        f"({len(tally.confirmed)} confirmed by the client, {len(authorized)} authorized and "
        f"captured); captures {loans[0]} on {loans[1]} distinct loans; "
        f"{'every authorized session has one loan' if not wrong else 'WRONG: ' + str(wrong[:5])}; "
        f"ledger {'balanced' if report.ok else 'NOT balanced: ' + '; '.join(report.problems[:3])}"
    )
    print(line, flush=True)
    return line


def run(args: argparse.Namespace) -> list[str]:
    url, drop = base.fresh_database()
    server = None
    try:
        with tempfile.TemporaryDirectory() as tmp:
            model_dir = Path(tmp) / "model"
            began = time.perf_counter()
            base.train(model_dir)
            print(f"model trained in {time.perf_counter() - began:.1f} s", flush=True)
            if not base.port_is_free():
                raise SystemExit(f"port {base.PORT} is taken; set THINFILE_BENCH_PORT")
            base.prepare(url, model_dir)
            server = serve(url, model_dir, args.workers)
            base.wait_ready(time.monotonic() + 60)
            people = base.seed(url, args.borrowers)
            keys = seed_merchants(url, args.merchants)
            print(f"seeded {len(people)} borrowers, {len(keys)} merchants; warming up", flush=True)
            pids = base.group_pids(server.pid)
            warm, _, warm_due = asyncio.run(drive(keys, people, 0, args.rate, WARM_UP_SECONDS))
            lines = []
            total = Tally(authorized=list(warm.authorized), confirmed=list(warm.confirmed))
            first = warm_due
            for _ in range(args.runs):
                line, tally = phase(args, keys, people, pids, url, first)
                lines.append(line)
                total.authorized += tally.authorized
                total.confirmed += tally.confirmed
                first += int(args.rate * args.seconds)
            # the session's merchant: the key that created it (serial order is kept by id)
            owners = session_merchants(url, keys, total.authorized)
            captured = capture_all(keys, owners)
            lines.append(f"captures (not timed): statuses {captured}")
            print(lines[-1], flush=True)
            lines.append(book_check(url, total))
            return lines
    finally:
        if server is not None:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=20)
        drop()


def session_merchants(url: str, keys: Sequence[str], sessions: list[str]) -> list[tuple[int, str]]:
    """(serial of the order, session id): the order's serial names the key that created it."""
    from thinfile.store import make_engine

    engine = make_engine(url)
    with engine.connect() as conn:
        orders: dict[str, str] = dict(
            conn.execute(sa.text("SELECT id, merchant_order_id FROM checkout_sessions")).all()
        )
    engine.dispose()
    return [(int(str(orders[s]).removeprefix("SO-")), s) for s in sessions]


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rate", type=float, default=200, help="operations a second")
    parser.add_argument("--seconds", type=float, default=15, help="length of each phase")
    parser.add_argument("--workers", type=int, default=2, help="server worker processes")
    parser.add_argument("--runs", type=int, default=1, help="measured phases")
    parser.add_argument("--borrowers", type=int, default=600)
    parser.add_argument("--merchants", type=int, default=20)
    args = parser.parse_args()
    os.environ["THINFILE_RATE_LIMITS"] = RATE_LIMITS
    for line in run(args):
        print(line)


if __name__ == "__main__":
    main()
