"""Close of business (日终批处理): set-based, idempotent per date, resumable, catching up.

``run_cob(engine, through)`` closes every business date from the first one some active loan
has not closed up to ``through``, in order. Each date runs its steps — held credit applied,
due, auto-debit (代扣: queued debit intents for what falls due today, or is past due on a
retry day — ``thinfile.services.auto_debit`` sends them), accrual, late fee (with the
day's all-in allowance), penalty, delinquency, charge-off, month-end (on a month's last
day, every loan's row of the loan-month table), limits
(behaviour snapshots at month-end, temporary limits ending, the month-end limit review:
``limit_reviews``), working-capital (the day's interest, period checks and delinquency
of working-capital lines), cases (collection cases follow the buckets: ``collections``),
promises (promises to pay kept or broken: ``collection_contacts``), reminders (the next
day's before-due reminders and overdue notices into the notification outbox:
``reminders``), coupons (coupons of both kinds whose window ended that day expire:
``coupon_expiry``), advance (marks the date finished; loans closed to the day before follow
the book without a write) — each as one SQL statement group over all loans (``uow.cob``,
:mod:`thinfile.store.cob_statements`), in a unit of work of its own committed together
with its step marker in ``servicing_cob_steps``. On PostgreSQL two groups of steps run as two
lanes at the same time (``TOGETHER``: auto-debit beside due and accrual, reminders beside
month-end to promises), each step still its own unit of work. A killed run resumes at the
steps without a marker; a finished date is never run again. While a date is open (its run row
says ``running``), payments are refused, so nothing moves under the batch.

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
import hashlib
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import date, timedelta
from functools import partial

from sqlalchemy.engine import Engine

from thinfile.errors import InvalidInputError
from thinfile.loanmath.defaults import RATE_SCALE
from thinfile.services.audit import record_audit
from thinfile.services.collection_contacts import settle_promises_in_unit
from thinfile.services.collections import follow_cases_in_unit
from thinfile.services.coupon_expiry import expire_coupons_step
from thinfile.services.identity_records import now_utc
from thinfile.services.limit_reviews import close_of_business_step
from thinfile.services.notifications import notify_settlement_ready_in_unit
from thinfile.services.reminders import reminders_step
from thinfile.services.uow import UnitOfWork
from thinfile.servicing import Account, EntryBuilder, LoanStatus, apply_held_credit
from thinfile.servicing.wc_terms import CHARGE_OFF_DAYS
from thinfile.store.cob_statements import Params
from thinfile.store.servicing_codec import from_day, to_day

__all__ = ["AUTO_DEBIT_RETRY_DAYS", "STEPS", "CobReport", "StepDone", "run_cob"]


@dataclass(frozen=True, slots=True)
class CobReport:
    """What a run did: dates closed and, per step, rows touched and seconds taken."""

    days: tuple[date, ...]
    steps: tuple[tuple[date, str, int, float], ...]


LIMIT_STEP_ON = True
"""The switch of the ``limits`` step (on by default; off, the night skips limit management)."""
_EVER = -(2**31)
"""A day number before any loan: with the book closed to ``x − 1``, every active loan whose
own date is not later is closed to ``x − 1`` as well."""
Step = Callable[[UnitOfWork, date, Params], int]


def _post(uow: UnitOfWork, kind: str, x: date, builder: EntryBuilder) -> None:
    if not builder.is_empty():
        uow.ledger.post(
            [builder.build(kind, x, memo="close of business")], loan_id=None, cob_day=to_day(x)
        )


def _credit(uow: UnitOfWork, x: date, p: Params) -> int:
    """Overpayment held pays what has fallen due (``servicing.apply_held_credit``), loan by
    loan: only loans holding money with something due are loaded."""
    ids = uow.cob.loans_holding_credit(p)
    for loan_id in ids:
        stored = uow.loans.get(loan_id, lock=True)
        done = apply_held_credit(stored.account, x)
        uow.loans.write(stored, done)
        closed = done.loan.status is LoanStatus.CLOSED
        if closed and stored.account.status is not LoanStatus.CLOSED:
            notify_settlement_ready_in_unit(uow, loan_id)
    return len(ids)


def _due(uow: UnitOfWork, x: date, p: Params) -> int:
    return uow.cob.mark_due(p)


AUTO_DEBIT_RETRY_DAYS: tuple[int, ...] = (1, 3, 7)
"""Days past due on which the ``auto-debit`` step retries what is past due (the default of
``run_cob``'s ``retry_days``)."""
_AUTO_DEBIT_HASH = hashlib.sha256(b"auto-debit").hexdigest()


def _auto_debit(
    uow: UnitOfWork, x: date, p: Params, *, retry_days: tuple[int, ...] = AUTO_DEBIT_RETRY_DAYS
) -> int:
    """Queue the day's auto-debits (代扣), one statement: see ``thinfile.services.auto_debit``."""
    nonce = uuid.uuid4().hex[:8]
    return uow.cob.queue_auto_debits(
        p, retry_days=retry_days, nonce=nonce, request_hash=_AUTO_DEBIT_HASH, at=now_utc()
    )


def _accrual(uow: UnitOfWork, x: date, p: Params) -> int:
    sums: dict[str, EntryBuilder] = {}
    for row in uow.cob.accrual_sums(p):
        b = sums.setdefault(row["currency"], EntryBuilder(row["currency"]))
        b.move(
            debit=Account.INTEREST_RECEIVABLE,
            credit=Account.INTEREST_INCOME,
            fen=int(row["interest"]),
        )
        b.move(debit=Account.FEE_RECEIVABLE, credit=Account.FEE_INCOME, fen=int(row["fee"]))
    for row in uow.cob.subsidy_sums(p):
        b = sums.setdefault(row["currency"], EntryBuilder(row["currency"]))
        b.move(
            debit=Account.DEFERRED_SUBSIDY, credit=Account.INTEREST_INCOME, fen=int(row["subsidy"])
        )
    touched = uow.cob.accrue(p)
    touched += uow.cob.recognize_subsidy(p)
    for builder in sums.values():
        _post(uow, "cob-accrual", x, builder)
    return touched


def _late_fee(uow: UnitOfWork, x: date, p: Params) -> int:
    """Late fees, each within its installment's all-in allowance (the day's included)."""
    fees = uow.cob.late_fees(p)
    charged = [row for row in fees if row["net"]]
    if charged:
        uow.cob.charge_late_fees(charged)
    sums: dict[str, EntryBuilder] = {}
    for row in fees:
        b = sums.setdefault(row["currency"], EntryBuilder(row["currency"]))
        _charge(b, Account.FEE_RECEIVABLE, Account.FEE_INCOME, int(row["net"]), int(row["gross"]))
    for builder in sums.values():
        _post(uow, "cob-late-fee", x, builder)
    return len(charged)


def _charge(
    entry: EntryBuilder, receivable: Account, income: Account, net: int, gross: int
) -> None:
    """As ``thinfile.servicing.cob._book``: charged gross, the part above the all-in
    allowance relieved at once."""
    entry.debit(receivable, net).credit(income, gross).debit(Account.CAP_RELIEF, gross - net)


def _penalty(uow: UnitOfWork, x: date, p: Params) -> int:
    sums = uow.cob.penalty_sums(p)
    touched = uow.cob.charge_penalty(p)
    for row in sums:
        b = EntryBuilder(row["currency"])
        _charge(
            b,
            Account.PENALTY_RECEIVABLE,
            Account.PENALTY_INCOME,
            int(row["net"]),
            int(row["gross"]),
        )
        _post(uow, "cob-penalty", x, b)
    return touched


def _delinquency(uow: UnitOfWork, x: date, p: Params) -> int:
    return uow.cob.move_buckets(p)


def _charge_off(uow: UnitOfWork, x: date, p: Params) -> int:
    sums = uow.cob.charge_off_sums(p)
    touched = uow.cob.charge_off(p)
    for row in sums:
        b = EntryBuilder(row["currency"])
        b.move(
            debit=Account.CHARGE_OFF_EXPENSE,
            credit=Account.LOANS_RECEIVABLE,
            fen=int(row["co_principal"]),
        )
        b.move(
            debit=Account.INTEREST_INCOME,
            credit=Account.INTEREST_RECEIVABLE,
            fen=int(row["co_interest"]),
        )
        b.move(debit=Account.FEE_INCOME, credit=Account.FEE_RECEIVABLE, fen=int(row["co_fee"]))
        b.move(
            debit=Account.PENALTY_INCOME,
            credit=Account.PENALTY_RECEIVABLE,
            fen=int(row["co_penalty"]),
        )
        b.move(
            debit=Account.DEFERRED_SUBSIDY,
            credit=Account.CHARGE_OFF_EXPENSE,
            fen=int(row["subsidy"]),
        )
        _post(uow, "charge-off", x, b)
    return touched


def _month_end(uow: UnitOfWork, x: date, p: Params) -> int:
    """On the last day of a month, every loan's month-end row (the loan-month table)."""
    if (x + timedelta(days=1)).day != 1:
        return 0
    return uow.cob.snapshot_month_end(p, to_day(x.replace(day=1)))


def _limits(uow: UnitOfWork, x: date, p: Params) -> int:
    """Limit management's part of the night (``limit_reviews.close_of_business_step``):
    behaviour snapshots at month-end, temporary limits ending, the month-end review."""
    return close_of_business_step(uow, x) if LIMIT_STEP_ON else 0


def _working_capital(uow: UnitOfWork, x: date, p: Params) -> int:
    """Working-capital lines (``servicing.working_capital``), each closed to ``x`` once: the
    day's interest on what is drawn, the period checks (near breach, cure, breach with its
    shortfall installment, the next period) and the oldest unmet obligation
    (:mod:`thinfile.store.working_capital_cob`); one accrual entry per currency. Lines
    ``CHARGE_OFF_DAYS`` past due are then charged off, one entry per currency."""
    params = {"x": p["x"], "prev": p["prev"], "scale": RATE_SCALE}
    wc = uow.working_capital.cob
    for currency, fen in wc.accrual_sums(params).items():
        builder = EntryBuilder(currency).move(
            debit=Account.WC_INTEREST_RECEIVABLE, credit=Account.INTEREST_INCOME, fen=fen
        )
        _post(uow, "wc-accrual", x, builder)
    closed = wc.close(params)
    for currency, (principal, interest) in wc.charge_off(
        {**params, "charge_off_days": CHARGE_OFF_DAYS}
    ).items():
        builder = (
            EntryBuilder(currency)
            .move(debit=Account.CHARGE_OFF_EXPENSE, credit=Account.WC_RECEIVABLE, fen=principal)
            .move(
                debit=Account.INTEREST_INCOME, credit=Account.WC_INTEREST_RECEIVABLE, fen=interest
            )
        )
        _post(uow, "wc-charge-off", x, builder)
    return closed


def _cases(uow: UnitOfWork, x: date, p: Params) -> int:
    """Collection cases follow the buckets (``collections.follow_cases_in_unit``)."""
    return follow_cases_in_unit(uow, x)


def _promises(uow: UnitOfWork, x: date, p: Params) -> int:
    """Promises to pay kept or broken (``collection_contacts.settle_promises_in_unit``)."""
    return settle_promises_in_unit(uow, x)


def _reminders(uow: UnitOfWork, x: date, p: Params) -> int:
    """Before-due reminders and overdue notices for the next day, into the outbox
    (``thinfile.services.reminders``)."""
    return reminders_step(uow, x)


def _advance(uow: UnitOfWork, x: date, p: Params) -> int:
    """Finish the date: the book is now closed to ``x``, and so is every active loan that
    was closed to ``x − 1`` (no loan row is rewritten)."""
    return uow.cob.advance(p)


STEPS: tuple[tuple[str, Step], ...] = (
    ("credit", _credit),
    ("due", _due),
    ("auto-debit", _auto_debit),
    ("accrual", _accrual),
    ("late-fee", _late_fee),
    ("penalty", _penalty),
    ("delinquency", _delinquency),
    ("charge-off", _charge_off),
    ("month-end", _month_end),
    ("limits", _limits),
    ("working-capital", _working_capital),
    ("cases", _cases),
    ("promises", _promises),
    ("reminders", _reminders),
    ("coupons", expire_coupons_step),
    ("advance", _advance),
)


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
    (("auto-debit",), ("due", "accrual")),
    (("reminders",), ("month-end", "limits", "working-capital", "cases", "promises")),
)
"""Steps that run at the same time on PostgreSQL, as two lanes of consecutive steps (each
lane in its order, each step still one unit of work with its marker): neither lane reads what
the other writes. The auto-debit amount is what has fallen due less what is paid (the ``due``
step sets only the date arrears began, read by retries of earlier dates; accrual moves only
what is accrued); the reminders read loans, installments and applications as penalty and
charge-off left them, and write only messages of their own. On a two-core server the night's
two heaviest statements then use both cores; SQLite, one writer at a time, runs them in
order."""
_LANE_OF = {name: group for group in TOGETHER for lane in group for name in lane}


def _run_step(
    engine: Engine,
    x: date,
    params: Params,
    name: str,
    step: Step,
    actor: str | None,
    report: list[tuple[date, str, int, float]],
) -> tuple[date, str, int, float]:
    """One step in a unit of work of its own, committed together with its marker."""
    began = time.perf_counter()
    with UnitOfWork(engine) as uow:
        uow.cob.plan_for_batch()
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
        name: partial(_auto_debit, retry_days=retry_days) if name == "auto-debit" else step
        for name, step in STEPS
    }
    together = engine.dialect.name == "postgresql"
    started: set[str] = set()
    for name, _step in STEPS:
        if name in done or name in started:
            continue
        group = _LANE_OF.get(name) if together else None
        if group is None:
            finished = [_run_step(engine, x, params, name, steps[name], actor, report)]
            started.add(name)
        else:
            lanes = [[n for n in lane if n not in done] for lane in group]
            started.update(n for lane in lanes for n in lane)
            finished = _run_lanes(engine, x, params, lanes, steps)
        for result in sorted(finished, key=lambda r: _ORDER[r[1]]):
            report.append(result)
            if after_step is not None:
                after_step(x, result[1])
    with UnitOfWork(engine) as uow:
        uow.cob.finish_run(day)
        uow.commit()


_ORDER = {name: i for i, (name, _) in enumerate(STEPS)}


def _run_lanes(
    engine: Engine, x: date, params: Params, lanes: list[list[str]], steps: dict[str, Step]
) -> list[tuple[date, str, int, float]]:
    """Each lane's steps in order, the lanes at the same time; every step that committed is
    reported, then the first failure (if any) is raised."""

    def lane(names: list[str]) -> list[tuple[date, str, int, float]]:
        return [_run_step(engine, x, params, n, steps[n], None, []) for n in names]

    with ThreadPoolExecutor(max_workers=len(lanes), thread_name_prefix="cob-lane") as pool:
        futures = [pool.submit(lane, names) for names in lanes if names]
        wait(futures)
    failures = [f.exception() for f in futures if f.exception() is not None]
    if failures:
        raise failures[0]  # type: ignore[misc]
    return [r for f in futures for r in f.result()]


def _first_day(engine: Engine) -> date | None:
    with UnitOfWork(engine) as uow:
        running = uow.cob.first_unfinished_day()
        first = uow.cob.first_open_day()
        lines = uow.working_capital.cob.first_open_day()
        book = uow.cob.book_day()
    if book is not None:  # active loans and lines are closed at least to the book
        first, lines = (None if d is None else max(d, book + 1) for d in (first, lines))
    days = [d for d in (running, first, lines) if d is not None]
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
