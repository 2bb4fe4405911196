"""What signing the loan contract adds to an acceptance (issue 18).

Run: .venv/bin/python bench/contract_signing_bench.py [--url URL] [--n 40]
Makes ``2n`` borrowers, each with an approved application, and accepts them in turns with and
without a ``Signing`` (one unit of work each, as the pages and the API do), on a fresh SQLite
file by default or on ``--url`` (PostgreSQL: give a database you can drop the tables of).
Prints the median and p90 of ``accept_offer`` for both and the median difference.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time

from tests.support.decisioning import DECIDED_ON, ChosenPD, application, id_number

from thinfile.adapters import SandboxRealNameVerifier
from thinfile.decisioning import PolicyBook, load_policy
from thinfile.security.crypto import PiiCipher
from thinfile.security.passwords import PasswordHasher
from thinfile.security.roles import Role
from thinfile.services import applicants, identity, real_name
from thinfile.services import applications as apps
from thinfile.services.documents import Signing
from thinfile.services.identity_records import Actor
from thinfile.services.policies import DecisionRuntime, ensure_default_policy
from thinfile.store import make_engine, upgrade

STAFF = Actor("bench-staff", Role.UNDERWRITER)


def approved(engine, cipher, hasher, runtime, k):  # type: ignore[no-untyped-def]
    user = identity.create_user(engine, hasher, email=f"b{k}@example.com", password="pw-123456!")
    actor = Actor(user.id, Role.BORROWER)
    profile = applicants.register_applicant(
        engine,
        cipher,
        actor=actor,
        name="王小明",
        id_number=id_number(seq=f"{k % 1000:03d}"),
        phone=f"139{k:08d}",
    )
    real_name.verify_real_name(
        engine, cipher, SandboxRealNameVerifier(), applicant_id=profile.id, actor=actor
    )
    form = {f: v for f, v in application().items() if f not in ("name", "id_number", "phone")}
    form["device_id"] = f"bench-device-{k}"
    record = apps.apply_for_credit(
        engine,
        cipher,
        runtime,
        actor=actor,
        applicant_id=profile.id,
        form=form,
        on=DECIDED_ON,
        consents_recorded=False,
    )
    return (actor, record.id) if record.status is apps.ApplicationStatus.APPROVED else None


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url")
    parser.add_argument("--n", type=int, default=40)
    args = parser.parse_args()
    url = args.url or f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite"
    engine = make_engine(url)
    upgrade(engine)
    cipher = PiiCipher({"k1": os.urandom(32)}, active_key_id="k1", lookup_key=b"L" * 32)
    hasher = PasswordHasher(time_cost=1, memory_kib=8)
    ensure_default_policy(engine, actor=STAFF)
    runtime = DecisionRuntime(PolicyBook(load_policy()), ChosenPD(0.01), ("bench",))
    made = [approved(engine, cipher, hasher, runtime, k) for k in range(2 * args.n)]
    people = [p for p in made if p is not None]
    print(f"{len(people)} of {len(made)} applications approved")
    times: dict[bool, list[float]] = {True: [], False: []}
    for k, (actor, application_id) in enumerate(people):
        signs = k % 2 == 0
        signing = Signing(cipher, "bench lender", ip="127.0.0.1", device="bench") if signs else None
        start = time.perf_counter()
        apps.accept_offer(
            engine,
            application_id,
            actor=actor,
            offer=0,
            seconds_read=12,
            confirmed=True,
            on=DECIDED_ON,
            signing=signing,
        )
        times[signs].append(time.perf_counter() - start)
    for signs, label in ((False, "without signing"), (True, "with signing")):
        ms = sorted(t * 1000 for t in times[signs])
        median, p90 = statistics.median(ms), ms[int(0.9 * len(ms))]
        print(f"{label:16} median {median:7.2f} ms  p90 {p90:7.2f} ms")
    extra = statistics.median(times[True]) - statistics.median(times[False])
    print(f"signing adds     median {extra * 1000:7.2f} ms per acceptance ({engine.dialect.name})")


if __name__ == "__main__":
    main()
