"""Close of business (日终批处理): set-based, idempotent per date, resumable, catching up.

``run_cob(engine, through)`` closes every business date from the first one some active loan
has not closed up to ``through``, in order. Each date runs its steps — held credit applied,
due, auto-debit (代扣: queued debit intents for what falls due the next day, or is past due
by a retry day the next day — ``thinfile.services.auto_debit`` sends them on that day),
accrual, late fee (with the
day's all-in allowance), penalty, delinquency, charge-off, month-end (on a month's last
day, every loan's row of the loan-month table), limits
(behaviour snapshots at month-end, temporary limits ending, the month-end limit review:
``limit_reviews``), working-capital (the day's interest, period checks and delinquency
of working-capital lines), cases (collection cases follow the buckets: ``collections``),
promises (promises to pay kept or broken: ``collection_contacts``), reminders (the next
day's before-due reminders and overdue notices into the notification outbox:
``reminders``), coupons (coupons of both kinds whose window ended that day expire:
``coupon_expiry``), advance (marks the date finished; loans closed to the day before follow
the book without a write; the steps are in :mod:`thinfile.services.cob_steps`) — each as one
SQL statement group over all loans (``uow.cob``,
:mod:`thinfile.store.cob_statements`), in a unit of work of its own committed together
with its step marker in ``servicing_cob_steps``. On PostgreSQL the steps from due to
reminders run as two lanes at the same time (``TOGETHER``: auto-debit then month-end to
promises, beside due to charge-off then reminders), each step still its own unit of work.
A killed run resumes at the steps without a marker; a finished date is never run again (a
resumed auto-debit that runs after the date's charges reads them: never more than is owed,
the night's penalty included).
While a date is open (its run row says ``running``), payments are refused, so nothing moves
under the batch.

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
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import date, timedelta
from functools import partial
from threading import Event

from sqlalchemy.engine import Engine

from thinfile.errors import InvalidInputError
from thinfile.loanmath.defaults import RATE_SCALE
from thinfile.services.audit import record_audit
from thinfile.services.cob_steps import AUTO_DEBIT_RETRY_DAYS, STEPS, Step, auto_debit_step
from thinfile.services.uow import UnitOfWork
from thinfile.store.cob_statements import Params
from thinfile.store.servicing_codec import from_day, to_day

__all__ = ["AUTO_DEBIT_RETRY_DAYS", "STEPS", "CobReport", "StepDone", "run_cob"]


@dataclass(frozen=True, slots=True)
class CobReport:
    """What a run did: dates closed and, per step, rows touched and seconds taken."""

    days: tuple[date, ...]
    steps: tuple[tuple[date, str, int, float], ...]


_EVER = -(2**31)
"""A day number before any loan: with the book closed to ``x − 1``, every active loan whose
own date is not later is closed to ``x − 1`` as well."""


def _audit_day(
    uow: UnitOfWork, actor: str, x: date, report: list[tuple[date, str, int, float]]
) -> None:
    """The date's audit row, last in the transaction that finishes it."""
    steps = {name: rows for day, name, rows, _ in report if day == x}
    record_audit(
        uow,
        actor,
        "cob.close_day",
        f"cob:{x.isoformat()}",
        {"business_day": x.isoformat(), "rows": steps},
    )


def _open_day(engine: Engine, x: date) -> tuple[set[str], Params]:
    """Record the date's run (committed at once) and the parameters of its steps."""
    day = to_day(x)
    with UnitOfWork(engine) as uow:
        uow.cob.open_run(day)
        done = uow.cob.steps_done(day)
        max_grace = uow.cob.max_grace()
        book = uow.cob.book_day()
        uow.commit()
    return done, {
        "x": day,
        "prev": day - 1,
        "scale": RATE_SCALE,
        "max_grace": max_grace,
        "leap": int(calendar.isleap(x.year)),
        "lo": _EVER if book == day - 1 else day - 1,
    }


StepDone = Callable[[date, str], None]
"""Told each business date and step name once the step has committed (progress)."""


TOGETHER: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...] = (
    (
        ("auto-debit", "month-end", "limits", "working-capital", "cases", "promises"),
        ("due", "accrual", "late-fee", "penalty", "delinquency", "charge-off", "reminders"),
    ),
)
"""Steps that run at the same time on PostgreSQL, as two lanes of consecutive steps (each
lane in its order, each step still one unit of work with its marker): a step never reads
what a step of the other lane running beside it writes, or it reads the book as it stood
before that step changed it (``AFTER_SNAPSHOT``), or it waits for it (``AFTER_COMMIT``).
The auto-debit amount is what has fallen due less what is paid (the ``due`` step sets only
the date arrears began, which the auto-debit statement reads for earlier dates and works out
from the installments for the date closed; accrual moves only what is accrued), read in one
snapshot taken before the late fee, penalty interest and charge-off of the date change the
book — as when it ran before them; month-end and the steps after it in its lane read the
book as charge-off left it; the reminders read loans, installments and applications as
penalty and charge-off left them and write only messages of their own, which no step of the
other lane reads. On a two-core server the night's heaviest statements (auto-debit, the
reminders) then use both cores from start to end; SQLite, one writer at a time, runs every
step in ``STEPS`` order."""
AFTER_SNAPSHOT: dict[str, frozenset[str]] = {
    "auto-debit": frozenset({"late-fee", "penalty", "delinquency", "charge-off"})
}
"""A step that reads the book in one snapshot (PostgreSQL's ``REPEATABLE READ``), and the
steps of the other lane that start only once that snapshot is taken: they change what it
reads (fees and penalty owed, a loan's status)."""
AFTER_COMMIT: dict[str, str] = {"month-end": "charge-off"}
"""A step, and the step of the other lane that must have committed before it begins (and
with it every step before it in its lane): the loan-month rows, limits, working-capital
periods, collection cases and promises follow the night's due dates, charges, delinquency
and charge-off. If that step fails, the waiting lane stops there."""
_LANE_OF = {name: group for group in TOGETHER for lane in group for name in lane}


def _run_step(
    engine: Engine,
    x: date,
    params: Params,
    name: str,
    step: Step,
    actor: str | None,
    report: list[tuple[date, str, int, float]],
    snapshot: Event | None = None,
) -> tuple[date, str, int, float]:
    """One step in a unit of work of its own, committed together with its marker. With
    ``snapshot``, the step reads the book as it stands when it begins (set once that
    snapshot is taken; a lane that stops first sets it, :func:`_run_lanes`)."""
    began = time.perf_counter()
    with UnitOfWork(engine) as uow:
        uow.cob.plan_for_batch()
        if snapshot is not None:
            uow.cob.read_as_of_now()
            snapshot.set()
        rows = step(uow, x, params)
        uow.cob.mark_step(to_day(x), name, rows)
        done = (x, name, rows, time.perf_counter() - began)
        if actor and name == "advance":  # the date is finished: audit it, last
            _audit_day(uow, actor, x, [*report, done])
        uow.commit()
    return done


def _run_day(
    engine: Engine,
    x: date,
    report: list[tuple[date, str, int, float]],
    actor: str | None = None,
    after_step: StepDone | None = None,
    retry_days: tuple[int, ...] = AUTO_DEBIT_RETRY_DAYS,
) -> None:
    day = to_day(x)
    done, params = _open_day(engine, x)
    steps = {
        name: partial(auto_debit_step, retry_days=retry_days) if name == "auto-debit" else step
        for name, step in STEPS
    }
    together = engine.dialect.name == "postgresql"
    started: set[str] = set()
    for name, _step in STEPS:
        if name in done or name in started:
            continue
        group = _LANE_OF.get(name) if together else None
        failure = None
        if group is None:
            finished = [_run_step(engine, x, params, name, steps[name], actor, report)]
            started.add(name)
        else:
            lanes = [[n for n in lane if n not in done] for lane in group]
            started.update(n for lane in lanes for n in lane)
            finished, failure = _run_lanes(engine, x, params, lanes, steps)
        for result in sorted(finished, key=lambda r: _ORDER[r[1]]):
            report.append(result)
            if after_step is not None:
                after_step(x, result[1])
        if failure is not None:
            raise failure
    with UnitOfWork(engine) as uow:
        uow.cob.finish_run(day)
        uow.commit()


_ORDER = {name: i for i, (name, _) in enumerate(STEPS)}


@dataclass
class _Gates:
    """What one date's lanes wait for: each ``AFTER_SNAPSHOT`` reader's snapshot and each
    ``AFTER_COMMIT`` step's commit (set also when its lane stops without it: nobody waits for
    good), and the steps committed so far."""

    taken: dict[str, Event]
    committed: dict[str, Event]
    ok: set[str]

    @classmethod
    def of(cls, names: set[str]) -> _Gates:
        taken = {
            reader: Event()
            for reader, changers in AFTER_SNAPSHOT.items()
            if reader in names and changers & names
        }
        committed = {b: Event() for step, b in AFTER_COMMIT.items() if {step, b} <= names}
        return cls(taken, committed, set())

    def may_begin(self, name: str) -> bool:
        """Wait until ``name`` may begin; False when a step it waits for failed."""
        for reader, event in self.taken.items():
            if name in AFTER_SNAPSHOT[reader]:
                event.wait()
        before = AFTER_COMMIT.get(name)
        if before not in self.committed:
            return True
        self.committed[before].wait()
        return before in self.ok

    def done(self, name: str) -> None:
        self.ok.add(name)
        if name in self.committed:
            self.committed[name].set()

    def release(self, names: list[str]) -> None:
        for name in names:
            for events in (self.taken, self.committed):
                if name in events:
                    events[name].set()


def _run_lanes(
    engine: Engine, x: date, params: Params, lanes: list[list[str]], steps: dict[str, Step]
) -> tuple[list[tuple[date, str, int, float]], BaseException | None]:
    """Each lane's steps in order, the lanes at the same time: every step that committed, and
    the first failure (if any), for the caller to raise once it has reported those. A step of
    ``AFTER_SNAPSHOT`` takes its snapshot before the other lane's steps it names begin; a step
    of ``AFTER_COMMIT`` begins once the step it names has committed, and its lane stops if
    that step failed."""
    gates = _Gates.of({n for lane in lanes for n in lane})
    finished: list[tuple[date, str, int, float]] = []

    def lane(names: list[str]) -> None:
        try:
            for n in names:
                if not gates.may_begin(n):
                    break  # the other lane's failure says why
                snapshot = gates.taken.get(n)
                finished.append(_run_step(engine, x, params, n, steps[n], None, [], snapshot))
                gates.done(n)
        finally:  # a lane that stopped early never keeps the other waiting
            gates.release(names)

    with ThreadPoolExecutor(max_workers=len(lanes), thread_name_prefix="cob-lane") as pool:
        futures = [pool.submit(lane, names) for names in lanes if names]
        wait(futures)
    failures = [f.exception() for f in futures]
    return finished, next((f for f in failures if f is not None), None)


def _first_day(engine: Engine) -> date | None:
    """The first date to close: an unfinished run's, else the day after the book's last
    closed date — open whether or not a loan is active on it (a night with no active loan
    still has its month-end rows, expiries and reviews), and no active loan or line is closed
    to less; on a book never closed, the day after the earliest closed-to day of an active
    loan or line."""
    with UnitOfWork(engine) as uow:
        running = uow.cob.first_unfinished_day()
        book = uow.cob.book_day()
        if book is not None:
            opened: list[int | None] = [book + 1]
        else:
            opened = [uow.cob.first_open_day(), uow.working_capital.cob.first_open_day()]
    days = [d for d in (running, *opened) if d is not None]
    return from_day(min(days)) if days else None


def run_cob(
    engine: Engine,
    through: date,
    *,
    actor: str | None = None,
    after_step: StepDone | None = None,
    retry_days: tuple[int, ...] = AUTO_DEBIT_RETRY_DAYS,
) -> CobReport:
    """Close every open business date up to ``through`` (catch-up included), in order.

    With ``actor`` each date closed is audited (``cob.close_day``) in the transaction that
    finishes it; ``after_step(date, step)`` is told each step once it has committed;
    ``retry_days`` are the days past due on which ``auto-debit`` retries past-due amounts."""
    if not isinstance(through, date):
        raise InvalidInputError("the business date must be a date", field="date")
    if any(not isinstance(d, int) or isinstance(d, bool) or not 1 <= d <= 365 for d in retry_days):
        raise InvalidInputError(
            "retry days are whole days past due from 1 to 365",
            field="retry_days",
            value=str(retry_days),
        )
    report: list[tuple[date, str, int, float]] = []
    days: list[date] = []
    x = _first_day(engine)
    while x is not None and x <= through:
        _run_day(engine, x, report, actor, after_step, tuple(retry_days))
        days.append(x)
        x += timedelta(days=1)
    return CobReport(tuple(days), tuple(report))
