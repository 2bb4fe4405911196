"""Sales feed speed: simulate histories, read and check a file, load it, compute features.

Run: .venv/bin/python bench/sales_feed_bench.py [--applicants 10000] [--database URL]
Prints the seconds of each step measured in this one process (SQLite in a temporary file
unless ``--database`` names another database).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from thinfile.money import format_yuan
from thinfile.resident_id import id_check_character
from thinfile.scoring.sales import sales_by_business, sales_features
from thinfile.scoring.sales_feed import FEED_COLUMNS, read_sales_csv
from thinfile.security.crypto import PiiCipher
from thinfile.security.passwords import PasswordHasher
from thinfile.security.roles import Role
from thinfile.services import applicants, consent, identity
from thinfile.services.consent import DataCategory, Purpose
from thinfile.services.identity_records import Actor
from thinfile.services.sales_feed import ingest_sales_csv, sales_features_of
from thinfile.services.working_capital_decisions import decide_working_capital
from thinfile.sim import generate_applicants
from thinfile.sim.sales import simulate_sales
from thinfile.store import make_engine, upgrade

AS_OF = date(2026, 12, 1)
_ID = "11010519900307123"


def timed(label: str, fn):  # type: ignore[no-untyped-def]
    t0 = time.perf_counter()
    result = fn()
    print(f"{label:<58} {time.perf_counter() - t0:8.3f} s")
    return result


def big_file(days: int) -> str:
    lines = [",".join(FEED_COLUMNS)]
    for k in range(days, 0, -1):
        day = (AS_OF - timedelta(days=k)).isoformat()
        for channel in ("qr", "card", "cash", "online", "platform"):
            lines.append(f"{day},{format_yuan(123456 + k)},{format_yuan(1000)},37,{channel}")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--applicants", type=int, default=10_000)
    parser.add_argument("--database", default=None)
    args = parser.parse_args()
    people = timed(
        f"generate {args.applicants} applicants",
        lambda: generate_applicants(args.applicants, seed=3),
    )
    sales = timed(
        "simulate 365 days of sales",
        lambda: simulate_sales(people, days=365, seed=3, as_of=AS_OF),
    )
    print(f"  {len(sales)} rows for {sales['applicant_id'].nunique()} businesses")
    by = timed("group the rows by business", lambda: sales_by_business(sales))
    timed(
        f"features of {len(by)} businesses",
        lambda: [sales_features(rows, AS_OF) for rows in by.values()],
    )
    text = big_file(4_000)  # 20,000 rows: 4,000 days × 5 channels
    timed("read and check a 20,000-row file", lambda: read_sales_csv(text, today=AS_OF))
    with tempfile.TemporaryDirectory() as folder:
        url = args.database or f"sqlite:///{Path(folder) / 'bench.sqlite'}"
        engine = make_engine(url)
        upgrade(engine)
        owner, applicant_id = _shop(engine)
        timed(
            "load it (one unit of work)",
            lambda: ingest_sales_csv(
                engine, text, applicant_id=applicant_id, actor=owner, today=AS_OF
            ),
        )
        timed(
            "load it again (nothing to write)",
            lambda: ingest_sales_csv(
                engine, text, applicant_id=applicant_id, actor=owner, today=AS_OF
            ),
        )
        timed("features from the store", lambda: sales_features_of(engine, applicant_id, AS_OF))
        timed(
            "a stored working-capital decision",
            lambda: decide_working_capital(engine, applicant_id, actor=owner, on=AS_OF),
        )
        engine.dispose()


def _shop(engine) -> tuple[Actor, str]:  # type: ignore[no-untyped-def]
    cipher = PiiCipher({"k1": os.urandom(32)}, active_key_id="k1", lookup_key=b"L" * 32)
    hasher = PasswordHasher(time_cost=1, memory_kib=8)
    user = identity.create_user(engine, hasher, email="bench@example.com", password="pw-123456!")
    owner = Actor(user.id, Role.BORROWER)
    profile = applicants.register_applicant(
        engine, cipher, actor=owner, name="王店主", id_number=_ID + id_check_character(_ID),
        phone="13800138000",
    )  # fmt: skip
    for category in (DataCategory.MERCHANT_SALES, DataCategory.GIG_PLATFORM_INCOME):
        consent.grant_consent(
            engine,
            applicant_id=profile.id,
            category=category,
            purpose=Purpose.CREDIT_ASSESSMENT,
            notice_version="v1",
            separate=False,
            actor=owner,
        )
    return owner, profile.id


if __name__ == "__main__":
    main()
