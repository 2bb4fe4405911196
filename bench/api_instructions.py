"""Instructions per HTTP request, counted by valgrind's callgrind: a figure the machine's noise
does not move.

This machine is shared: the same code served 141–330 requests per server CPU-second in one day
(``bench/api_load.py``), so a change worth 5–15 % cannot be seen in seconds. callgrind counts
the instructions the process executes instead, the same from run to run within about 0.5 %.

The app runs in this process on PostgreSQL (a fresh database), called through ASGI with the
requests ``bench/api_load.py`` sends (no sockets, no HTTP parsing: the service's own work),
after a warm-up (then ``gc.collect(); gc.freeze()``, so the warm-up's objects are not walked
again by a collection that falls among the measured requests); only the measured requests
are counted (callgrind's collection is switched on and off around them).
Each phase runs in its own valgrind process:

1. submissions — ``POST /v1/applicants/{id}/applications`` (store + full decision + audit),
   at most four per borrower (a fifth within 30 days is a velocity knockout, a cheaper
   request: ``api_load.APPLICATIONS_PER_BORROWER``); the line counts the outcomes;
2. payments — ``POST /v1/loans/{id}/payments`` on loans opened by accepting offers.

Two clocks are stopped in the measured process: the runtime cache's one-second refresh
(``api/runtime.py``) and the pool's idle ping (``store/db.py``). Under valgrind a request runs
some fifty times slower, and on a loaded machine slower still, so either could fire among the
measured requests of one run and not another — a registry read or a ping counted by chance.

Run: ``.venv/bin/python bench/api_instructions.py [--requests 200] [--phases payments]
[--keep DIR]`` (a few minutes a phase; needs ``valgrind``; ``--keep`` leaves each phase's
callgrind file there for ``callgrind_annotate --inclusive=yes``). Compare two versions with
this one script and ``PYTHONPATH=<checkout>/src``.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import api_load  # the load benchmark's requests, seeding and database

PHASES = ("submissions", "payments")
WARM_UP = 100
BORROWERS = 40


class InProcess:
    """The app called through ASGI, each request with its own scope as a server gives it."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.state: dict[str, Any] = {}
        self.body = b""

    async def start(self) -> asyncio.Task[None]:
        events: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        replies: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        await events.put({"type": "lifespan.startup"})
        scope = {"type": "lifespan", "asgi": {"version": "3.0"}, "state": self.state}
        task = asyncio.create_task(self.app(scope, events.get, replies.put))
        started = await replies.get()
        if started["type"] != "lifespan.startup.complete":
            raise SystemExit(f"the app did not start: {started}")
        return task

    async def call(self, raw: bytes) -> int:
        head, body = raw.split(b"\r\n\r\n", 1)
        first, *lines = head.split(b"\r\n")
        method, path, _ = first.split(b" ")
        headers = [(k.strip().lower(), v.strip()) for k, v in (h.split(b":", 1) for h in lines)]
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": method.decode(),
            "scheme": "http",
            "path": path.decode(),
            "raw_path": path,
            "query_string": b"",
            "headers": headers,
            "client": ("127.0.0.1", 50000),
            "server": ("127.0.0.1", api_load.PORT),
            "root_path": "",
            "state": dict(self.state),
        }
        sent: list[dict[str, Any]] = []
        delivered = False

        async def receive() -> dict[str, Any]:
            nonlocal delivered
            if delivered:
                await asyncio.sleep(3600)
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        await self.app(scope, receive, send)
        self.body = b"".join(m.get("body", b"") for m in sent[1:])
        return int(sent[0]["status"])


def collect(on: bool) -> None:
    subprocess.run(
        ["callgrind_control", "-i", "on" if on else "off", str(os.getpid())],
        check=True,
        capture_output=True,
    )


async def open_loans(client: InProcess, people: list[tuple[str, str, str]]) -> list[bytes]:
    """Apply and accept once per borrower; payment requests on the loans opened."""
    loans = []
    for token, applicant, born in people:
        auth = {"Authorization": f"Bearer {token}"}
        await client.call(
            api_load.request(
                "POST",
                f"/v1/applicants/{applicant}/applications",
                {**auth, "Idempotency-Key": f"open-{applicant}"},
                {**api_load.FORM, "birth_date": born},
            )
        )
        decided = json.loads(client.body)
        if decided.get("status") != "approved":
            continue
        await client.call(
            api_load.request(
                "POST",
                f"/v1/applications/{decided['id']}/acceptance",
                {**auth, "Idempotency-Key": f"accept-{applicant}"},
                {"offer": 0, "confirm": True, "seconds_read": 15},
            )
        )
        loans.append((token, int(json.loads(client.body)["loan_id"])))
    return [api_load.payment(t, loan, k) for k in range(1000) for t, loan in loans]


def stop_clocks() -> None:
    """No registry re-read and no idle ping by chance inside the measured window."""
    from thinfile.api import runtime
    from thinfile.store import db

    runtime.RUNTIME_TTL_SECONDS = 1e9
    db.PING_AFTER_IDLE_SECONDS = 1e9


async def measure(phase: str, url: str, requests: int, outcomes: Path | None = None) -> None:
    from thinfile.app import create_app
    from thinfile.settings import Settings

    stop_clocks()
    client = InProcess(
        create_app(Settings(database_url=url, argon2_time_cost=1, argon2_memory_kib=8))
    )
    lifespan = await client.start()
    submissions = WARM_UP + requests if phase == "submissions" else 0
    people = api_load.seed(
        url, max(BORROWERS, -(-submissions // api_load.APPLICATIONS_PER_BORROWER))
    )
    per = -(-(WARM_UP + requests) // len(people))
    jobs = [api_load.submission(t, a, b, k) for k in range(per) for t, a, b in people]
    if phase == "payments":
        jobs = await open_loans(client, people)
    statuses: dict[int | str, int] = {}
    for raw in jobs[:WARM_UP]:
        await client.call(raw)
    # What the warm-up left behind is collected once and frozen out of later collections, so
    # a full collection's walk over it does not land in one measured request and not another.
    gc.collect()
    gc.freeze()
    collect(True)
    answers = []
    for raw in jobs[WARM_UP : WARM_UP + requests]:
        answers.append((await client.call(raw), client.body))
    collect(False)
    for status, body in answers:  # counted outside the measured window
        api_load.count(statuses, status, body)
    if {k for k in statuses if isinstance(k, int)} != {201}:
        raise SystemExit(f"{phase}: unexpected statuses {statuses}")
    if outcomes is not None:
        outcomes.write_text(json.dumps({str(k): v for k, v in statuses.items()}))
    lifespan.cancel()


def inner(args: argparse.Namespace) -> None:
    os.environ["THINFILE_MODEL_DIR"] = args.model
    asyncio.run(measure(args.inner, args.url, args.requests, Path(args.outcomes)))


def instructions(out: Path) -> int:
    for line in out.read_text().splitlines():
        if line.startswith("totals:"):
            return int(line.split()[1])
    raise SystemExit(f"no totals in {out}")


def outer(args: argparse.Namespace) -> list[str]:
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed (apt-get install valgrind)")
    os.environ.setdefault(  # every ceiling a run of many requests from one address meets
        "THINFILE_RATE_LIMITS",
        '{"applications": "1000000/1", "applications_address": "1000000/1", "sign_in": "100000/1"}',
    )
    lines = []
    with tempfile.TemporaryDirectory() as tmp:
        model = Path(tmp) / "model"
        api_load.train(model)
        for phase in args.phases:
            url, drop = api_load.fresh_database()
            try:
                api_load.prepare(url, model)
                out = Path(tmp) / f"{phase}.callgrind"
                began = time.perf_counter()
                subprocess.run(
                    [
                        "valgrind",
                        "--tool=callgrind",
                        "--instr-atstart=no",
                        f"--callgrind-out-file={out}",
                        sys.executable,
                        __file__,
                        "--inner",
                        phase,
                        "--url",
                        url,
                        "--model",
                        str(model),
                        "--requests",
                        str(args.requests),
                        "--outcomes",
                        str(out.with_suffix(".json")),
                    ],
                    check=True,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
                count = instructions(out)
                mix = json.loads(out.with_suffix(".json").read_text())
                if args.keep:
                    Path(args.keep).mkdir(parents=True, exist_ok=True)
                    shutil.copy(out, Path(args.keep) / out.name)
            finally:
                drop()
            line = (
                f"{phase}: {count / args.requests / 1e6:.2f} million instructions a "
                f"request ({args.requests} requests after {WARM_UP} to warm up: {mix}; "
                f"{time.perf_counter() - began:.0f} s)"
            )
            print(line, flush=True)
            lines.append(line)
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200, help="measured, per phase")
    parser.add_argument("--keep", help="a directory to leave the callgrind files in")
    parser.add_argument("--phases", nargs="+", choices=PHASES, default=PHASES, help="which")
    parser.add_argument("--inner", choices=PHASES, help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--model", help=argparse.SUPPRESS)
    parser.add_argument("--outcomes", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.inner:
        inner(args)
    else:
        outer(args)


if __name__ == "__main__":
    main()
