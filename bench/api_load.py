"""Load benchmark of the HTTP service on PostgreSQL: application submissions and payments.

Starts ``thinfile serve`` on 127.0.0.1 against a fresh PostgreSQL database with a small GBM
model trained on thinfile.sim data, seeds borrowers (profile and consents) through the
services, then drives the API from this process with 32 concurrent keep-alive connections on
loopback (raw HTTP/1.1 over asyncio streams, requests prebuilt: the client shares the two cores
with the server and PostgreSQL, so it is kept as cheap as it can be):

1. submissions — ``POST /v1/applicants/{id}/applications`` (store + full decision + audit),
   at most four per borrower (more borrowers are seeded than ``--borrowers`` when needed): a
   fifth within 30 days is a velocity knockout, a cheaper request than a decision with offers;
   each line counts the outcomes;
2. payments — ``POST /v1/loans/{id}/payments`` on loans opened by accepting offers.

Each phase is bounded in count and time and repeated ``--runs`` times; the server and the database
are removed at the end. Each line reports throughput and latency, the CPU seconds the client,
the server processes and the database's backends used, and requests per server CPU-second.
Run: ``.venv/bin/python bench/api_load.py [--requests 3000] [--seconds 30] [--workers 2]
[--runs 3]``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import signal
import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import date
from pathlib import Path

import httpx
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
ADMIN_URL = os.environ.get(
    "THINFILE_BENCH_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
PORT = int(os.environ.get("THINFILE_BENCH_PORT", "8791"))
CONCURRENCY = 32
WARM_UP = 1000
OUTCOME = re.compile(rb'"outcome":"([a-z_]+)"')
"""A submission's decision in its answer (approve, refer, decline)."""


def count(statuses: dict[int | str, int], status: int, body: bytes) -> None:
    """Count an answer by status and, for a submission answered 201, by its decision (a
    decline is less work than an approval with offers)."""
    statuses[status] = statuses.get(status, 0) + 1
    decided = OUTCOME.search(body) if status == 201 else None
    if decided is not None:
        outcome = decided.group(1).decode()
        statuses[outcome] = statuses.get(outcome, 0) + 1


APPLICATIONS_PER_BORROWER = 4
"""The most submissions sent per borrower: the default policy knocks out a fifth application
by the same ID within 30 days (``vid > 3``), and a knockout is a cheaper request than a
decision with offers, so more would measure velocity declines instead of decisions."""


def borrowers_needed(args: argparse.Namespace) -> int:
    """``args.borrowers``, or more: enough that none of those sending the submissions sends
    more than :data:`APPLICATIONS_PER_BORROWER`, beside the ``args.loans`` opening loans."""
    phases_run = int(args.runs) * (1 if args.rate is None else 2)
    submissions = WARM_UP + int(args.requests) * phases_run
    return max(int(args.borrowers), -(-submissions // APPLICATIONS_PER_BORROWER) + int(args.loans))


"""Submissions sent before anything is measured (a service in production is warm)."""
FORM = {
    "segment": "delivery_rider",
    "months_in_city": 24,
    "purpose": "consumption",
    "requested_amount": "6000.00",
    "requested_term_months": 12,
    "income_monthly_mean": "8000.00",
    "income_monthly_cv": 0.3,
    "income_months_observed": 12,
    "existing_debt_payment_monthly": "500.00",
    "bureau_history_months": 0,
    "platform_tenure_months": 24,
    "rent_months_reported": 12,
    "rent_on_time_ratio": 0.9,
}


def train(folder: Path) -> None:
    from thinfile.scoring import train_model
    from thinfile.sim import NOT_MODEL_INPUTS, generate_applicants

    frame = generate_applicants(20_000, seed=11)
    model = train_model(
        frame,
        target="bad_12m",
        kind="gbm",
        id_col="applicant_id",
        exclude=list(NOT_MODEL_INPUTS),
        seed=11,
    )
    model.save(folder)


def fresh_database() -> tuple[str, Callable[[], None]]:
    name = f"bench_api_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = ADMIN_URL.rsplit("/", 1)[0] + "/" + name

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return url, drop


def prepare(url: str, model_dir: Path) -> None:
    """Migrate and register the policy and model once, before several workers start."""
    from thinfile.scoring import load_model
    from thinfile.services.identity_records import SYSTEM
    from thinfile.services.policies import register_policy_and_model
    from thinfile.store import make_engine, upgrade

    engine = make_engine(url)
    upgrade(engine)
    register_policy_and_model(
        engine, load_model(model_dir).version, model_dir.resolve(), actor=SYSTEM
    )
    engine.dispose()


def serve(url: str, model_dir: Path, workers: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "THINFILE_DATABASE_URL": url,
        "THINFILE_MODEL_DIR": str(model_dir),
        "THINFILE_RATE_LIMITS": (
            '{"applications": "1000000/1", "applications_address": "1000000/1",'
            ' "sign_in": "100000/1"}'
        ),
        "THINFILE_ARGON2_TIME_COST": "1",
        "THINFILE_ARGON2_MEMORY_KIB": "8",
    }
    command = [
        str(ROOT / ".venv/bin/thinfile"),
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(PORT),
        "--workers",
        str(workers),
        "--no-access-log",
    ]
    return subprocess.Popen(
        command,
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


_TICK = os.sysconf("SC_CLK_TCK")


def cpu_of(pids: list[int]) -> float:
    """User + system CPU seconds of ``pids`` so far (gone processes count nothing)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / _TICK


def group_pids(pgid: int) -> list[int]:
    """Every process in process group ``pgid`` (the server and its workers)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[2]) == pgid:
                    pids.append(int(entry.name))
            except (OSError, ValueError, IndexError):
                continue
    return pids


def backend_pids(url: str) -> list[int]:
    """The PostgreSQL backends serving the benchmark's database."""
    name = url.rsplit("/", 1)[1]
    admin = sa.create_engine(ADMIN_URL)
    with admin.connect() as conn:
        pids = [
            int(p)
            for p in conn.execute(
                sa.text("SELECT pid FROM pg_stat_activity WHERE datname = :name"), {"name": name}
            ).scalars()
        ]
    admin.dispose()
    return pids


def port_is_free() -> bool:
    import socket

    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", PORT)) != 0


def wait_ready(deadline: float) -> None:
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{PORT}/readyz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise SystemExit("the server did not become ready")


def seed(url: str, n: int) -> list[tuple[str, str, str]]:
    """``n`` borrowers with a profile and consents: (token, applicant id, birth date)."""
    from thinfile.http import build_context
    from thinfile.security.tokens import TokenClaims
    from thinfile.services import applicants, consent, identity, real_name
    from thinfile.services.consent import DataCategory, Purpose
    from thinfile.services.identity_records import Actor
    from thinfile.settings import Settings
    from thinfile.sim.identity import make_id_number
    from thinfile.store import make_engine

    context = build_context(Settings(database_url=url, argon2_time_cost=1, argon2_memory_kib=8))
    engine = make_engine(url)
    out = []
    for i in range(n):
        user = identity.create_user(
            engine, context.hasher, email=f"b{i}@bench.example", password="bench password 1"
        )
        actor = Actor(user.id, user.role)
        born = date(1980 + i % 20, 1 + i % 12, 1 + i % 28)
        profile = applicants.register_applicant(
            engine,
            context.cipher,
            actor=actor,
            name="测试",
            phone=f"139{i:08d}",
            id_number=make_id_number(born, "M", sequence=i % 500),
        )
        for category in (DataCategory.CREDIT_REPORT, DataCategory.GIG_PLATFORM_INCOME):
            consent.grant_consent(
                engine,
                applicant_id=profile.id,
                category=category,
                purpose=Purpose.CREDIT_ASSESSMENT,
                notice_version="v1",
                separate=False,
                actor=actor,
            )
        real_name.verify_real_name(
            engine, context.cipher, context.real_name, applicant_id=profile.id, actor=actor
        )
        token = context.tokens.issue(TokenClaims(user_id=user.id, role=user.role))
        out.append((token, profile.id, born.isoformat()))
    engine.dispose()
    return out


def request(method: str, path: str, headers: dict[str, str], body: object) -> bytes:
    """One HTTP/1.1 keep-alive request, built once before the clock starts."""
    payload = json.dumps(body, separators=(",", ":")).encode()
    lines = [
        f"{method} {path} HTTP/1.1",
        f"Host: 127.0.0.1:{PORT}",
        "Content-Type: application/json",
        f"Content-Length: {len(payload)}",
        *(f"{k}: {v}" for k, v in headers.items()),
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + payload


async def exchange(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, raw: bytes
) -> tuple[int, bytes]:
    """Send one request on a kept-alive connection; its status and body."""
    writer.write(raw)
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = 0
    for line in head.split(b"\r\n")[1:]:
        if line[:15].lower() == b"content-length:":
            length = int(line[15:])
    return status, await reader.readexactly(length) if length else b""


async def drive(
    jobs: list[bytes],
    seconds: float,
    rate: float | None = None,
) -> tuple[list[float], dict[int | str, int], float]:
    """Send ``jobs`` over CONCURRENCY connections (``THINFILE_BENCH_CONCURRENCY`` to compare
    the CPU a request costs without contention); latencies (s), status counts (and, for
    submissions, counts by outcome: a decline does less work than an approval with offers),
    wall time.

    Without ``rate`` each connection sends its next request as soon as the last one is answered
    (a closed loop: it finds the most the service can do). With ``rate`` requests are due at
    evenly spaced times, ``rate`` a second in all, and the next free connection sends each one
    when it falls due; a request's latency is counted from when it was due, so a service that
    falls behind is charged for the wait too (no coordinated omission).
    """
    latencies: list[float] = []
    statuses: dict[int | str, int] = {}
    queue = list(reversed(jobs))
    stop = time.monotonic() + seconds
    began = time.perf_counter()
    issued = 0

    async def client_loop() -> None:
        nonlocal issued
        reader, writer = await asyncio.open_connection("127.0.0.1", PORT)
        try:
            while queue and time.monotonic() < stop:
                raw = queue.pop()
                if rate is None:
                    due = time.perf_counter()
                else:
                    due = began + issued / rate
                    issued += 1
                    wait = due - time.perf_counter()
                    if wait > 0:
                        await asyncio.sleep(wait)
                status, body = await exchange(reader, writer, raw)
                latencies.append(time.perf_counter() - due)
                count(statuses, status, body)
                if status >= 400 and statuses[status] == 1:
                    print(f"first {status}: {body[:300]!r}", flush=True)
        finally:
            writer.close()

    await asyncio.gather(
        *(
            client_loop()
            for _ in range(int(os.environ.get("THINFILE_BENCH_CONCURRENCY", CONCURRENCY)))
        )
    )
    return latencies, statuses, time.perf_counter() - began


def measured(
    jobs: list[bytes],
    seconds: float,
    server: list[int],
    backends: list[int],
    rate: float | None = None,
) -> tuple[list[float], dict[int | str, int], float, dict[str, float]]:
    """:func:`drive` with the CPU seconds of client, server and database backends."""
    before = (time.process_time(), cpu_of(server), cpu_of(backends))
    latencies, statuses, wall = asyncio.run(drive(jobs, seconds, rate))
    after = (time.process_time(), cpu_of(server), cpu_of(backends))
    cpu = {
        k: b - a for k, a, b in zip(("client", "server", "database"), before, after, strict=True)
    }
    return latencies, statuses, wall, cpu


def figures(
    name: str,
    latencies: list[float],
    statuses: dict[int | str, int],
    wall: float,
    cpu: dict[str, float],
) -> str:
    ordered = sorted(latencies)

    def pct(p: float) -> float:
        return ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000

    load = os.getloadavg()[0]
    line = (
        f"{name}: {len(ordered)} requests in {wall:.1f} s = {len(ordered) / wall:.0f}/s; "
        f"p50 {pct(0.50):.1f} ms, p99 {pct(0.99):.1f} ms; statuses {statuses}; "
        f"CPU s client {cpu['client']:.1f} ({cpu['client'] / wall:.0%} of a core), "
        f"server {cpu['server']:.1f}, database {cpu['database']:.1f}; "
        f"{len(ordered) / max(cpu['server'], 1e-9):.0f} requests per server CPU-second; "
        f"load {load:.1f}"
    )
    print(line, flush=True)
    return line


def submission(token: str, applicant: str, born: str, n: int) -> bytes:
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": f"apply-{applicant}-{n}"}
    return request(
        "POST", f"/v1/applicants/{applicant}/applications", headers, {**FORM, "birth_date": born}
    )


def payment(token: str, loan_id: int, n: int) -> bytes:
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": f"pay-{loan_id:06d}-{n:04d}"}
    return request("POST", f"/v1/loans/{loan_id}/payments", headers, {"amount": "1.00"})


def open_loans(people: list[tuple[str, str, str]]) -> list[tuple[str, int]]:
    """Apply and accept once per borrower (not timed): the loans payments go to."""
    loans: list[tuple[str, int]] = []
    with httpx.Client(base_url=f"http://127.0.0.1:{PORT}", timeout=30) as client:
        for token, applicant, born in people:
            auth = {"Authorization": f"Bearer {token}"}
            decided = client.post(
                f"/v1/applicants/{applicant}/applications",
                json={**FORM, "birth_date": born},
                headers={**auth, "Idempotency-Key": f"apply-{applicant}-open"},
            )
            if decided.json().get("status") != "approved":
                continue
            accepted = client.post(
                f"/v1/applications/{decided.json()['id']}/acceptance",
                headers={**auth, "Idempotency-Key": f"accept-{applicant}"},
                json={"offer": 0, "confirm": True, "seconds_read": 15},
            )
            if accepted.status_code == 201:
                loans.append((token, accepted.json()["loan_id"]))
    return loans


def phases(
    args: argparse.Namespace, url: str, server: list[int], people: list[tuple[str, str, str]]
) -> list[str]:
    """Warm up, then ``args.runs`` rounds of submissions and of payments. The last
    ``args.loans`` borrowers open the loans payments go to; the others send the submissions,
    none more than :data:`APPLICATIONS_PER_BORROWER` (see :func:`borrowers_needed`)."""
    phases_run = args.runs * (1 if args.rate is None else 2)
    applying, paying = people[: -args.loans], people[-args.loans :]
    per = -(-(args.requests * phases_run + WARM_UP) // len(applying))
    jobs = [submission(t, a, b, k) for k in range(per) for t, a, b in applying]
    asyncio.run(drive(jobs[:WARM_UP], 20))  # warm-up: caches, connections, pools
    jobs = jobs[WARM_UP:]
    loans = open_loans(paying)
    per = -(-args.requests * phases_run // len(loans))
    pays = [payment(t, loan, k) for k in range(per) for t, loan in loans]
    lines = []
    paced = [None] if args.rate is None else [None, args.rate]
    for run in range(args.runs):
        backends = backend_pids(url)
        for k, rate in enumerate(paced):
            at = (run * len(paced) + k) * args.requests
            chunk = slice(at, at + args.requests)
            how = "closed loop" if rate is None else f"paced at {rate:.0f}/s"
            lines.append(
                figures(
                    f"submissions, {how} #{run + 1}",
                    *measured(jobs[chunk], args.seconds, server, backends, rate),
                )
            )
            lines.append(
                figures(
                    f"payments over {len(loans)} loans, {how} #{run + 1}",
                    *measured(pays[chunk], args.seconds, server, backends, rate),
                )
            )
    return lines


def audit_check(url: str) -> str:
    """The audit chain after the load: every row links to the one before it."""
    from thinfile.services.audit import verify_audit_chain
    from thinfile.store import make_engine

    engine = make_engine(url)
    report = verify_audit_chain(engine)
    engine.dispose()
    line = (
        f"audit chain after the load: {report.rows_checked} rows, "
        f"{'intact' if report.is_intact else 'BROKEN: ' + '; '.join(report.problems[:3])}"
    )
    print(line, flush=True)
    return line


def run(args: argparse.Namespace) -> list[str]:
    url, drop = fresh_database()
    server = None
    try:
        with tempfile.TemporaryDirectory() as tmp:
            model_dir = Path(tmp) / "model"
            began = time.perf_counter()
            train(model_dir)
            print(f"model trained in {time.perf_counter() - began:.1f} s", flush=True)
            if not port_is_free():
                raise SystemExit(f"port {PORT} is taken; set THINFILE_BENCH_PORT")
            prepare(url, model_dir)
            server = serve(url, model_dir, args.workers)
            wait_ready(time.monotonic() + 60)
            began = time.perf_counter()
            people = seed(url, borrowers_needed(args))
            took = time.perf_counter() - began
            print(f"seeded {len(people)} borrowers in {took:.0f} s; warming up", flush=True)
            lines = phases(args, url, group_pids(server.pid), people)
            lines.append(audit_check(url))
            return lines
    finally:
        if server is not None:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=20)
        drop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000, help="per phase")
    parser.add_argument("--seconds", type=float, default=30, help="time limit per phase")
    parser.add_argument("--borrowers", type=int, default=1200)
    parser.add_argument("--loans", type=int, default=200)
    parser.add_argument("--workers", type=int, default=2, help="server worker processes")
    parser.add_argument("--runs", type=int, default=3, help="rounds of each phase")
    parser.add_argument(
        "--rate",
        type=float,
        default=None,
        help="also run each phase paced at this many requests a second "
        "(latency counted from when each request was due)",
    )
    args = parser.parse_args()
    os.environ.setdefault(
        "THINFILE_RATE_LIMITS", '{"applications": "1000000/1", "applications_address": "1000000/1"}'
    )
    for line in run(args):
        print(line)


if __name__ == "__main__":
    main()
