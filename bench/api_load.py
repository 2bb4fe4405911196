"""Load benchmark of the HTTP service on PostgreSQL: application submissions and payments.

Starts ``thinfile serve`` on 127.0.0.1 against a fresh PostgreSQL database with a small GBM
model trained on thinfile.sim data, seeds borrowers (profile and consents) through the
services, then drives the API from this process with 32 concurrent clients on loopback:

1. submissions — ``POST /v1/applicants/{id}/applications`` (store + full decision + audit);
2. payments — ``POST /v1/loans/{id}/payments`` on loans opened by accepting offers.

Each phase is bounded in count and time; the server and the database are removed at the end.
Run: ``.venv/bin/python bench/api_load.py [--requests 3000] [--seconds 30] [--workers 2]``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa
from sqlalchemy.orm import Session

ROOT = Path(__file__).resolve().parents[1]
ADMIN_URL = os.environ.get("THINFILE_BENCH_POSTGRES",
                           "postgresql+psycopg://postgres@127.0.0.1:5432/test")
PORT = int(os.environ.get("THINFILE_BENCH_PORT", "8791"))
CONCURRENCY = 32
FORM = {"segment": "delivery_rider", "months_in_city": 24, "purpose": "consumption",
        "requested_amount": "6000.00", "requested_term_months": 12,
        "income_monthly_mean": "8000.00", "income_monthly_cv": 0.3, "income_months_observed": 12,
        "existing_debt_payment_monthly": "500.00", "bureau_history_months": 0,
        "platform_tenure_months": 24, "rent_months_reported": 12, "rent_on_time_ratio": 0.9}
EXCLUDE = ["name", "id_number", "phone", "true_pd", "birth_date", "city", "hukou_province"]


def train(folder: Path) -> None:
    from thinfile.scoring import train_model
    from thinfile.sim import generate_applicants

    frame = generate_applicants(20_000, seed=11)
    model = train_model(frame, target="bad_12m", kind="gbm", id_col="applicant_id",
                        exclude=EXCLUDE, seed=11)
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
    from thinfile.services.policies import ensure_default_policy, register_model
    from thinfile.store import make_engine, upgrade

    engine = make_engine(url)
    upgrade(engine)
    with engine.begin() as conn, Session(bind=conn) as session:
        ensure_default_policy(session, actor=SYSTEM)
        register_model(session, load_model(model_dir).version, model_dir.resolve(), actor=SYSTEM)
        session.flush()
    engine.dispose()


def serve(url: str, model_dir: Path, workers: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "THINFILE_DATABASE_URL": url, "THINFILE_MODEL_DIR": str(model_dir),
           "THINFILE_RATE_LIMITS": '{"applications": "1000000/1", "sign_in": "100000/1"}',
           "THINFILE_ARGON2_TIME_COST": "1", "THINFILE_ARGON2_MEMORY_KIB": "8"}
    if workers > 1:  # uvicorn's own workers, each importing the app factory
        command = [sys.executable, "-m", "uvicorn", "--factory", "thinfile.api:create_app",
                   "--host", "127.0.0.1", "--port", str(PORT), "--workers", str(workers),
                   "--log-level", "warning", "--no-server-header", "--no-access-log"]
    else:
        command = [str(ROOT / ".venv/bin/thinfile"), "serve", "--host", "127.0.0.1",
                   "--port", str(PORT)]
    return subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)


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
    from sqlalchemy.orm import sessionmaker

    from thinfile.api.context import build_context
    from thinfile.security.tokens import TokenClaims
    from thinfile.services import consent, identity
    from thinfile.services.consent import DataCategory, Purpose
    from thinfile.services.identity_records import Actor
    from thinfile.settings import Settings
    from thinfile.sim.identity import make_id_number
    from thinfile.store import make_engine

    context = build_context(Settings(database_url=url, argon2_time_cost=1, argon2_memory_kib=8))
    engine = make_engine(url)
    sessions = sessionmaker(engine, expire_on_commit=False)
    out = []
    for i in range(n):
        user = identity.create_user(sessions, context.hasher, email=f"b{i}@bench.example",
                                    password="bench password 1")
        actor = Actor(user.id, user.role)
        born = date(1980 + i % 20, 1 + i % 12, 1 + i % 28)
        profile = identity.register_applicant(
            sessions, context.cipher, actor=actor, name="测试", phone=f"139{i:08d}",
            id_number=make_id_number(born, "M", sequence=i % 500))
        for category in (DataCategory.CREDIT_REPORT, DataCategory.GIG_PLATFORM_INCOME):
            consent.grant_consent(sessions, applicant_id=profile.id, category=category,
                                  purpose=Purpose.CREDIT_ASSESSMENT, notice_version="v1",
                                  separate=False, actor=actor)
        token = context.tokens.issue(TokenClaims(user_id=user.id, role=user.role))
        out.append((token, profile.id, born.isoformat()))
    engine.dispose()
    return out


async def drive(jobs: list[Callable[[httpx.AsyncClient], Any]], seconds: float,
                ) -> tuple[list[float], dict[int, int], float]:
    """Run ``jobs`` with CONCURRENCY clients; latencies (s), status counts, wall time."""
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    queue = list(reversed(jobs))
    stop = time.monotonic() + seconds
    limits = httpx.Limits(max_connections=CONCURRENCY, max_keepalive_connections=CONCURRENCY)

    async def client_loop(client: httpx.AsyncClient) -> None:
        while queue and time.monotonic() < stop:
            job = queue.pop()
            began = time.perf_counter()
            reply = await job(client)
            latencies.append(time.perf_counter() - began)
            statuses[reply.status_code] = statuses.get(reply.status_code, 0) + 1
            if reply.status_code >= 400 and statuses[reply.status_code] == 1:
                print(f"first {reply.status_code}: {reply.text[:300]}", flush=True)

    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{PORT}", limits=limits,
                                 timeout=30) as client:
        began = time.perf_counter()
        await asyncio.gather(*(client_loop(client) for _ in range(CONCURRENCY)))
        wall = time.perf_counter() - began
    return latencies, statuses, wall


def figures(name: str, latencies: list[float], statuses: dict[int, int], wall: float) -> str:
    ordered = sorted(latencies)

    def pct(p: float) -> float:
        return ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000

    line = (f"{name}: {len(ordered)} requests in {wall:.1f} s = {len(ordered) / wall:.0f}/s; "
            f"p50 {pct(0.50):.1f} ms, p99 {pct(0.99):.1f} ms; statuses {statuses}")
    print(line, flush=True)
    return line


def submission(token: str, applicant: str, born: str, n: int) -> Callable[..., Any]:
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": f"apply-{applicant}-{n}"}
    body = {**FORM, "birth_date": born}
    return lambda c: c.post(f"/v1/applicants/{applicant}/applications", json=body,
                            headers=headers)


def payment(token: str, loan_id: int, n: int) -> Callable[..., Any]:
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": f"pay-{loan_id:06d}-{n:04d}"}
    return lambda c: c.post(f"/v1/loans/{loan_id}/payments", json={"amount": "1.00"},
                            headers=headers)


async def open_loans(people: list[tuple[str, str, str]]) -> list[tuple[str, int]]:
    """Apply and accept once per borrower (not timed): the loans payments go to."""
    loans: list[tuple[str, int]] = []
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{PORT}", timeout=30) as client:
        for token, applicant, born in people:
            auth = {"Authorization": f"Bearer {token}"}
            decided = await submission(token, applicant, born, 999)(client)
            if decided.json().get("status") != "approved":
                continue
            accepted = await client.post(
                f"/v1/applications/{decided.json()['id']}/acceptance",
                headers={**auth, "Idempotency-Key": f"accept-{applicant}"},
                json={"offer": 0, "confirm": True, "seconds_read": 15})
            if accepted.status_code == 201:
                loans.append((token, accepted.json()["loan_id"]))
    return loans


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
            people = seed(url, args.borrowers)
            per = -(-args.requests // len(people))
            jobs = [submission(t, a, b, k) for k in range(per) for t, a, b in people]
            asyncio.run(drive(jobs[:CONCURRENCY * 4], 10))  # warm-up: caches, connections
            lines = [figures("submissions", *asyncio.run(drive(jobs[CONCURRENCY * 4:][
                :args.requests], args.seconds)))]
            loans = asyncio.run(open_loans(people[:args.loans]))
            pays = [payment(t, loan, k) for k in range(-(-args.requests // len(loans)))
                    for t, loan in loans][:args.requests]
            lines.append(figures(f"payments over {len(loans)} loans",
                                 *asyncio.run(drive(pays, args.seconds))))
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
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    args = parser.parse_args()
    os.environ.setdefault("THINFILE_RATE_LIMITS", '{"applications": "1000000/1"}')
    for line in run(args):
        print(line)


if __name__ == "__main__":
    main()
