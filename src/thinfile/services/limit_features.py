"""Behaviour features of credit lines from the live book (``thinfile.scoring.behaviour``).

Close of business takes a snapshot of every open line at each month-end, and a review takes
one on its date (:func:`snapshot_in`); the features are then one set-based aggregate over
the snapshots (SQL in ``store/limit_features_sql.py``), finished by the same
:meth:`~thinfile.scoring.behaviour.BehaviourFeatures.from_sums` as the table form.
:func:`export_line_months` reads the snapshots back as the line-month table, so a test (and a
model's training) can compute the same features from it with pandas.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal

import pandas as pd
from sqlalchemy.engine import Engine

from thinfile.errors import InvalidInputError
from thinfile.money import Money, Rounding, round_fen
from thinfile.scoring.behaviour import LINE_MONTH_COLUMNS, BehaviourFeatures
from thinfile.services.uow import UnitOfWork
from thinfile.store.servicing_codec import to_day

__all__ = [
    "backfill_incomes_in",
    "behaviour_on",
    "export_line_months",
    "is_month_end",
    "record_line_income",
    "refresh_incomes_in",
    "snapshot_in",
    "snapshot_lines",
]


def is_month_end(on: date) -> bool:
    return (on + timedelta(days=1)).day == 1


def snapshot_in(
    uow: UnitOfWork,
    on: date,
    *,
    line_id: int | None = None,
    lines: tuple[int, int] | None = None,
) -> int:
    """Snapshot every open line (or ``line_id`` only, or the lines ``lines[0]`` to
    ``lines[1]``) on ``on`` inside the caller's unit of work; rows added."""
    return uow.limits.snapshot(
        to_day(on),
        to_day(on.replace(day=1)),
        month_end=is_month_end(on),
        line_id=line_id,
        lines=lines,
    )


def snapshot_lines(engine: Engine, on: date) -> int:
    """:func:`snapshot_in` in a unit of work of its own (idempotent per date)."""
    with UnitOfWork(engine) as uow:
        added = snapshot_in(uow, on)
        uow.commit()
    return added


def behaviour_on(engine: Engine, on: date) -> list[BehaviourFeatures]:
    """The features of every line snapshotted on ``on`` (take the snapshot first), by line."""
    day = to_day(on)
    with UnitOfWork(engine) as uow:
        sums = uow.limits.feature_sums(day)
    return [BehaviourFeatures.from_sums(row, day) for row in sums]


def export_line_months(engine: Engine) -> pd.DataFrame:
    """The line-month table of the whole book (``thinfile.scoring.behaviour``)."""
    with UnitOfWork(engine) as uow:
        rows = uow.limits.line_months()
    frame = pd.DataFrame(rows, columns=list(LINE_MONTH_COLUMNS))
    return frame.astype({c: "int64" for c in LINE_MONTH_COLUMNS})


def backfill_incomes_in(uow: UnitOfWork, on: date, *, line_id: int | None = None) -> int:
    """Lines opened from an application (line ``line_id`` only, if given) take the income its
    decision assessed (after haircuts), dated the day it was decided, until a fresher one is
    recorded; how many were filled in."""
    filled = 0
    for line, decision_json, decided_on in uow.limits.lines_without_income(line_id):
        affordability = json.loads(decision_json).get("affordability") or {}
        income = affordability.get("income")
        if isinstance(income, int) and income >= 0:
            source = f"application: {affordability.get('source') or 'assessed'}"
            uow.limits.set_income(line, income, source, to_day(min(decided_on, on)))
            filled += 1
    return filled


FEED_DAYS = 90
"""Platform earnings are read over this many days ending on the review date, and only from a
feed that covers them all (three months observed, as an application's income)."""


def refresh_incomes_in(
    uow: UnitOfWork, on: date, *, haircut: Decimal, line_id: int | None = None
) -> int:
    """Lines (line ``line_id`` only, if given) whose borrower's platform earnings in the sales
    feed (with an active consent to their use for a credit assessment) are newer than the
    line's recorded income take the feed's monthly figure after ``haircut``: the 90 days to
    ``on``, a third of their net, rounded down; its day is the feed's last. How many were
    refreshed. Merchant turnover is not income and is left to the working-capital line."""
    since = on - timedelta(days=FEED_DAYS - 1)
    refreshed = 0
    for row in uow.limits.platform_earnings(since, on, line_id):
        first, last = _as_date(row["first_day"]), _as_date(row["last_day"])
        recorded = row["income_day"]
        if first > since or (recorded is not None and to_day(last) <= int(recorded)):
            continue  # under three months of feed, or nothing newer than the recorded income
        monthly = Decimal(int(row["earned"] or 0)) / 3 * (1 - haircut)
        income = max(0, round_fen(monthly, Rounding.DOWN))
        uow.limits.set_income(int(row["line_id"]), income, "platform income", to_day(last))
        refreshed += 1
    return refreshed


def _as_date(value: object) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def record_line_income(
    engine: Engine, line_id: int, income: Money, on: date, *, source: str
) -> None:
    """Record the borrower's current monthly income behind ``line_id`` (after haircuts), the
    income a limit increase must stay affordable on."""
    if income.fen < 0:
        raise InvalidInputError("an income cannot be negative", field="income", value=str(income))
    with UnitOfWork(engine) as uow:
        uow.credit_lines.get(line_id)
        uow.limits.set_income(line_id, income.fen, source.strip() or "recorded", to_day(on))
        uow.commit()
