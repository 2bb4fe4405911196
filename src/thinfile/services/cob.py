"""Close of business (日终批处理): set-based, idempotent per date, resumable, catching up.

``run_cob(engine, through)`` closes every business date from the first one some active loan
has not closed up to ``through``, in order. Each date runs its steps — held credit applied,
due, accrual, late fee (with the day's all-in allowance),
penalty, delinquency, charge-off, advance (marks the date finished; loans closed to the day
before follow the book without a write) — each as one SQL statement group over all loans,
committed together with its step marker in ``servicing_cob_steps``. A killed run resumes at the
first step without a marker; a finished date is never run again. While a date is open (its
run row says ``running``), payments are refused, so nothing moves under the batch.

**Audit.** ``run_cob(engine, through, actor="…")`` appends one ``cob.close_day`` row per date
closed, naming the actor, inside the transaction of that date's last step (``advance``, which
marks the date finished): a date is closed and audited together, or neither. The earlier steps
commit one by one by design (a killed run resumes at the first step without a marker), so a
failure before ``advance`` leaves them as an unfinished run that refuses postings until it is
resumed — and the run that finishes the date writes its audit row. Without ``actor`` (the
nightly batch from the command line) nothing is audited.
"""

from __future__ import annotations

import calendar
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from thinfile.errors import InvalidInputError
from thinfile.loanmath.defaults import RATE_SCALE
from thinfile.services import cob_sql as q
from thinfile.services.audit import record_audit
from thinfile.servicing import Account, EntryBuilder, apply_held_credit
from thinfile.store.servicing_codec import from_day, to_day
from thinfile.store.servicing_repo import LoanRepository, post_entries
from thinfile.store.servicing_tables import cob_runs, cob_steps

__all__ = ["STEPS", "CobReport", "run_cob"]

STALL_AFTER = "THINFILE_COB_STALL_AFTER"
"""Test hook: ``day:step`` (e.g. ``2025-03-02:penalty``) makes the run hang after that step
commits, so a crash test can kill it there."""


@dataclass(frozen=True, slots=True)
class CobReport:
    """What a run did: dates closed and, per step, rows touched and seconds taken."""

    days: tuple[date, ...]
    steps: tuple[tuple[date, str, int, float], ...]


Params = dict[str, int]

_EVER = -(2**31)
"""A day number before any loan: with the book closed to ``x − 1``, every active loan whose
own date is not later is closed to ``x − 1`` as well."""
Step = Callable[[Connection, date, Params], int]


def _sums(conn: Connection, sql: str, params: Params) -> Iterator[dict[str, Any]]:
    for row in conn.execute(sa.text(sql), params).mappings():
        yield dict(row)


def _post(conn: Connection, kind: str, x: date, currency: str, builder: EntryBuilder) -> None:
    if not builder.is_empty():
        post_entries(conn, [builder.build(kind, x, memo="close of business")], loan_id=None,
                     cob_day=to_day(x))


def _credit(conn: Connection, x: date, p: Params) -> int:
    """Overpayment held pays what has fallen due (``servicing.apply_held_credit``), loan by
    loan: only loans holding money with something due are loaded."""
    repo = LoanRepository(conn)
    ids = list(conn.execute(sa.text(q.HELD_CREDIT), p).scalars())
    for loan_id in ids:
        stored = repo.get(loan_id, lock=True)
        repo.write(stored, apply_held_credit(stored.account, x))
    return len(ids)


def _due(conn: Connection, x: date, p: Params) -> int:
    return conn.execute(sa.text(q.DUE), p).rowcount


def _accrual(conn: Connection, x: date, p: Params) -> int:
    sums: dict[str, EntryBuilder] = {}
    for row in _sums(conn, q.ACCRUAL_SUMS, p):
        b = sums.setdefault(row["currency"], EntryBuilder(row["currency"]))
        b.move(debit=Account.INTEREST_RECEIVABLE, credit=Account.INTEREST_INCOME,
               fen=int(row["interest"]))
        b.move(debit=Account.FEE_RECEIVABLE, credit=Account.FEE_INCOME, fen=int(row["fee"]))
    for row in _sums(conn, q.SUBSIDY_SUMS, p):
        b = sums.setdefault(row["currency"], EntryBuilder(row["currency"]))
        b.move(debit=Account.DEFERRED_SUBSIDY, credit=Account.INTEREST_INCOME,
               fen=int(row["subsidy"]))
    touched = conn.execute(sa.text(q.ACCRUAL), p).rowcount
    touched += conn.execute(sa.text(q.SUBSIDY), p).rowcount
    for currency, builder in sums.items():
        _post(conn, "cob-accrual", x, currency, builder)
    return touched


def _late_fee(conn: Connection, x: date, p: Params) -> int:
    """The day's all-in allowance for each overdue installment, then late fees within it."""
    conn.execute(sa.text(q.ALLOWANCE), p)
    fees = [dict(row) for row in conn.execute(sa.text(q.LATE_FEES), p).mappings()]
    charged = [row for row in fees if row["net"]]
    if charged:
        conn.execute(sa.text(q.LATE_FEE_ROW), charged)
        conn.execute(sa.text(q.LATE_FEE_LOAN), charged)
    sums: dict[str, EntryBuilder] = {}
    for row in fees:
        b = sums.setdefault(row["currency"], EntryBuilder(row["currency"]))
        _charge(b, Account.FEE_RECEIVABLE, Account.FEE_INCOME, int(row["net"]),
                int(row["gross"]))
    for currency, builder in sums.items():
        _post(conn, "cob-late-fee", x, currency, builder)
    return len(charged)


def _charge(entry: EntryBuilder, receivable: Account, income: Account, net: int,
            gross: int) -> None:
    """As ``thinfile.servicing.cob._book``: charged gross, the part above the all-in
    allowance relieved at once."""
    entry.debit(receivable, net).credit(income, gross).debit(Account.CAP_RELIEF, gross - net)


def _penalty(conn: Connection, x: date, p: Params) -> int:
    sums = list(_sums(conn, q.PENALTY_SUMS, p))
    touched = conn.execute(sa.text(q.PENALTY), p).rowcount
    for row in sums:
        b = EntryBuilder(row["currency"])
        _charge(b, Account.PENALTY_RECEIVABLE, Account.PENALTY_INCOME, int(row["net"]),
                int(row["gross"]))
        _post(conn, "cob-penalty", x, row["currency"], b)
    return touched


def _delinquency(conn: Connection, x: date, p: Params) -> int:
    conn.execute(sa.text(q.BUCKET_HISTORY), p)
    return conn.execute(sa.text(q.BUCKET), p).rowcount


def _charge_off(conn: Connection, x: date, p: Params) -> int:
    sums = list(_sums(conn, q.CHARGE_OFF_SUMS, p))
    touched = conn.execute(sa.text(q.CHARGE_OFF), p).rowcount
    for row in sums:
        b = EntryBuilder(row["currency"])
        b.move(debit=Account.CHARGE_OFF_EXPENSE, credit=Account.LOANS_RECEIVABLE,
               fen=int(row["co_principal"]))
        b.move(debit=Account.INTEREST_INCOME, credit=Account.INTEREST_RECEIVABLE,
               fen=int(row["co_interest"]))
        b.move(debit=Account.FEE_INCOME, credit=Account.FEE_RECEIVABLE, fen=int(row["co_fee"]))
        b.move(debit=Account.PENALTY_INCOME, credit=Account.PENALTY_RECEIVABLE,
               fen=int(row["co_penalty"]))
        b.move(debit=Account.DEFERRED_SUBSIDY, credit=Account.CHARGE_OFF_EXPENSE,
               fen=int(row["subsidy"]))
        _post(conn, "charge-off", x, row["currency"], b)
    return touched


def _advance(conn: Connection, x: date, p: Params) -> int:
    """Finish the date: the book is now closed to ``x``, and so is every active loan that
    was closed to ``x − 1`` (no loan row is rewritten)."""
    return conn.execute(sa.text(q.ADVANCE), p).rowcount


STEPS: tuple[tuple[str, Step], ...] = (
    ("credit", _credit), ("due", _due), ("accrual", _accrual), ("late-fee", _late_fee),
    ("penalty", _penalty), ("delinquency", _delinquency), ("charge-off", _charge_off),
    ("advance", _advance),
)


def _start_day(conn: Connection, x: date) -> None:
    day = to_day(x)
    if conn.dialect.name == "postgresql":  # wait for in-flight payments, block new ones
        conn.execute(sa.text("LOCK TABLE servicing_loans IN EXCLUSIVE MODE"))
    exists = conn.execute(sa.select(cob_runs.c.status).where(
        cob_runs.c.business_day == day)).scalar()
    if exists is None:
        conn.execute(sa.insert(cob_runs).values(business_day=day, status="running"))


def _audit_day(conn: Connection, actor: str, x: date,
               report: list[tuple[date, str, int, float]]) -> None:
    """The date's audit row, last in the transaction that finishes it."""
    steps = {name: rows for day, name, rows, _ in report if day == x}
    record_audit(conn, actor, "cob.close_day", f"cob:{x.isoformat()}",
                 {"business_day": x.isoformat(), "rows": steps})


def _run_day(engine: Engine, x: date, report: list[tuple[date, str, int, float]],
             actor: str | None = None) -> None:
    day, stall = to_day(x), os.environ.get(STALL_AFTER, "")
    with engine.connect() as conn:
        with conn.begin():
            _start_day(conn, x)
            done = set(conn.execute(sa.select(cob_steps.c.step).where(
                cob_steps.c.business_day == day)).scalars())
            max_grace = int(conn.execute(sa.text(q.MAX_GRACE)).scalar_one())
            book = conn.execute(sa.text(q.BOOK_DAY)).scalar()
        params = {"x": day, "prev": day - 1, "scale": RATE_SCALE, "max_grace": max_grace,
                  "leap": int(calendar.isleap(x.year)),
                  "lo": _EVER if book == day - 1 else day - 1}
        for name, step in STEPS:
            if name in done:
                continue
            began = time.perf_counter()
            with conn.begin():  # one transaction per step, with its marker
                rows = step(conn, x, params)
                conn.execute(sa.insert(cob_steps).values(business_day=day, step=name,
                                                         rows=rows))
                report.append((x, name, rows, time.perf_counter() - began))
                if actor and name == "advance":  # the date is finished: audit it, last
                    _audit_day(conn, actor, x, report)
            if stall == f"{x.isoformat()}:{name}":
                time.sleep(3600)
        with conn.begin():
            conn.execute(sa.update(cob_runs).where(cob_runs.c.business_day == day)
                         .values(status="done"))


def _first_day(engine: Engine) -> date | None:
    with engine.connect() as conn:
        running = conn.execute(sa.select(sa.func.min(cob_runs.c.business_day)).where(
            cob_runs.c.status != "done")).scalar()
        first = conn.execute(sa.text(q.FIRST_OPEN_DAY)).scalar()
        book = conn.execute(sa.text(q.BOOK_DAY)).scalar()
    if first is not None and book is not None:  # active loans are closed at least to the book
        first = max(first, book + 1)
    days = [d for d in (running, first) if d is not None]
    return from_day(min(days)) if days else None


def run_cob(engine: Engine, through: date, *, actor: str | None = None) -> CobReport:
    """Close every open business date up to ``through`` (catch-up included), in order.

    With ``actor`` each date closed is audited (``cob.close_day``) in the transaction that
    finishes it."""
    if not isinstance(through, date):
        raise InvalidInputError("the business date must be a date", field="date")
    report: list[tuple[date, str, int, float]] = []
    days: list[date] = []
    x = _first_day(engine)
    while x is not None and x <= through:
        _run_day(engine, x, report, actor)
        days.append(x)
        x += timedelta(days=1)
    return CobReport(tuple(days), tuple(report))
