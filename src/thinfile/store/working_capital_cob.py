"""Close of business for working-capital lines in SQL: one statement group over every line.

Run for business day ``:x`` over the active lines opened before it (``cob_day``, the day before
a line opened, ``<= :prev``), in order, in one transaction with the step's marker
(``services.cob``): a finished step is never run again, so a line is never closed twice for a
date. As for loans, a line follows the book without a write: it is closed to the later of its
``cob_day`` and the book's last finished date (``WorkingCapitalRepository.get``), so no row is
rewritten just to say the night has passed. Each statement repeats
``thinfile.servicing.working_capital.close_day`` to the fen (a test runs both): integer
arithmetic only, half up as ``(a·u·2 + S) ÷ (2·S)`` for units ``u`` of 1/S. A ``SUM`` in such
a formula is cast to ``BIGINT`` first: PostgreSQL sums ``BIGINT`` into ``NUMERIC``, whose
division does not truncate (a period minimum came out a fen high).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

__all__ = ["WorkingCapitalCob"]

Params = dict[str, Any]

_LINES = "SELECT id FROM wc_lines WHERE status = 'active' AND cob_day <= :prev"
_OUT = "(d.principal - d.principal_paid)"
_EXACT = f"({_OUT} * d.rate_units)"
"""A draw's night in units of ``:scale`` (whole numbers on both databases)."""
_ACCRUING = f"d.drawn_day <= :x AND d.principal > d.principal_paid AND d.line_id IN ({_LINES})"
_NIGHT = f"""
SELECT r.id, r.line_id,
       r.base + CASE WHEN r.rk <= r.whole - r.bases THEN 1 ELSE 0 END AS night
FROM (SELECT d.id, d.line_id, {_EXACT} / :scale AS base,
             ROW_NUMBER() OVER (PARTITION BY d.line_id
                                ORDER BY {_EXACT} - {_EXACT} / :scale * :scale DESC,
                                         d.id) AS rk,
             CAST(SUM({_EXACT}) OVER (PARTITION BY d.line_id) AS BIGINT) / :scale AS whole,
             SUM({_EXACT} / :scale) OVER (PARTITION BY d.line_id) AS bases
      FROM wc_draws d WHERE {_ACCRUING}) r"""
"""Each accruing draw's night (``servicing.working_capital.night_interest``): the line's
``principal × rate`` truncated to the fen once (``wc_terms.DAY_ROUNDING``), each draw its own
truncated share and the fen the fractions make one each to the largest fractions, then the
earliest draw. Integer division truncates alike on both databases (the line's sum cast back
to a whole number first: PostgreSQL sums integers as numeric)."""

ACCRUAL_SUMS = f"""
SELECT l.currency, SUM(n.night) AS interest
FROM ({_NIGHT}) n JOIN wc_lines l ON l.id = n.line_id
GROUP BY l.currency
"""

ACCRUE = f"""
UPDATE wc_draws SET interest_accrued = interest_accrued + n.night
FROM ({_NIGHT}) n
WHERE wc_draws.id = n.id AND n.night > 0
"""

_OWED = """(SELECT COALESCE(SUM(d.principal - d.principal_paid + d.interest_accrued
                             - d.interest_paid), 0)
     FROM wc_draws d WHERE d.line_id = wc_periods.line_id)"""
_UNCOVERED = f"""({_OWED} - (SELECT COALESCE(SUM(s.amount - s.paid), 0)
     FROM wc_shortfalls s WHERE s.line_id = wc_periods.line_id))"""
"""What the line owes beyond its unpaid shortfall installments (a new one asks no more)."""
_MET_AT_END = f"(repaid >= minimum OR {_UNCOVERED} <= 0)"

END_PERIODS = f"""
UPDATE wc_periods SET
  status = CASE WHEN {_MET_AT_END} THEN 'met' ELSE 'breach' END,
  shortfall = CASE
    WHEN {_MET_AT_END} THEN shortfall
    WHEN minimum - repaid < {_UNCOVERED} THEN minimum - repaid
    ELSE {_UNCOVERED} END
WHERE end_day = :x AND line_id IN ({_LINES})
"""
"""Periods ending today (about one in sixty): met, or breached with the shortfall."""

_NEAR = """(p.repaid < p.minimum AND p.end_day - :x <= l.near_breach_days
     AND p.repaid < p.minimum * (:x - p.start_day + 1) / (p.end_day - p.start_day + 1))"""
_STATUS = f"""CASE WHEN p.repaid >= p.minimum THEN 'met'
    WHEN {_NEAR} THEN 'near-breach' ELSE 'open' END"""

CHECK_PERIODS = f"""
UPDATE wc_periods AS p SET
  status = {_STATUS},
  flagged_day = CASE WHEN p.flagged_day IS NULL AND {_NEAR} THEN :x ELSE p.flagged_day END
FROM wc_lines l
WHERE l.id = p.line_id AND l.status = 'active' AND l.cob_day <= :prev
  AND p.start_day <= :x AND p.end_day > :x
  AND (p.status <> {_STATUS} OR (p.flagged_day IS NULL AND {_NEAR}))
"""
"""Periods running on: met, near breach (flagged once) or open — rows that change only."""

_ENDING = "p.end_day = :x AND l.status = 'active' AND l.cob_day <= :prev"

SHORTFALLS = f"""
INSERT INTO wc_shortfalls (line_id, n, period_n, due_day, amount, paid)
SELECT p.line_id,
       (SELECT COUNT(*) FROM wc_shortfalls s WHERE s.line_id = p.line_id) + 1,
       p.n, :x + l.shortfall_days, p.shortfall, 0
FROM wc_periods p JOIN wc_lines l ON l.id = p.line_id
WHERE {_ENDING} AND p.status = 'breach'
"""

NEXT_PERIODS = f"""
INSERT INTO wc_periods (line_id, n, start_day, end_day, minimum, repaid, status, shortfall)
SELECT p.line_id, p.n + 1, :x + 1, :x + l.period_days,
       (CAST((SELECT COALESCE(SUM(d.principal - d.principal_paid), 0)
         FROM wc_draws d WHERE d.line_id = p.line_id) AS BIGINT)
         * l.minimum_share_units * 2 + :scale) / (2 * :scale),
       0, 'open', 0
FROM wc_periods p JOIN wc_lines l ON l.id = p.line_id
WHERE {_ENDING}
"""

_OLDEST_SHORTFALL = """(SELECT MIN(s.due_day) FROM wc_shortfalls s
     WHERE s.line_id = wc_lines.id AND s.paid < s.amount AND s.due_day <= :x)"""
_OLDEST_MATURITY = """(SELECT MIN(d.maturity_day) FROM wc_draws d
     WHERE d.line_id = wc_lines.id AND d.maturity_day <= :x
       AND d.principal - d.principal_paid + d.interest_accrued - d.interest_paid > 0)"""

_MAY_AGE = """(overdue_since_day IS NOT NULL
    OR id IN (SELECT s.line_id FROM wc_shortfalls s WHERE s.due_day = :x AND s.paid < s.amount)
    OR id IN (SELECT d.line_id FROM wc_draws d WHERE d.maturity_day = :x
              AND d.principal - d.principal_paid + d.interest_accrued - d.interest_paid > 0))"""
"""Lines whose oldest unmet obligation may change tonight: those past due already, and those
with an obligation due today still unmet at its close (past due from tomorrow; nothing else
can fall past due tonight)."""

OVERDUE = f"""
UPDATE wc_lines SET overdue_since_day = CASE
    WHEN {_OLDEST_SHORTFALL} IS NULL THEN {_OLDEST_MATURITY}
    WHEN {_OLDEST_MATURITY} IS NULL THEN {_OLDEST_SHORTFALL}
    WHEN {_OLDEST_SHORTFALL} < {_OLDEST_MATURITY} THEN {_OLDEST_SHORTFALL}
    ELSE {_OLDEST_MATURITY} END
WHERE status = 'active' AND cob_day <= :prev AND {_MAY_AGE}
"""

_CHARGED_OFF = """l.status = 'active' AND l.cob_day <= :prev AND l.overdue_since_day IS NOT NULL
  AND :x - l.overdue_since_day >= :charge_off_days"""

CHARGE_OFF_SUMS = f"""
SELECT l.currency,
       SUM(d.principal - d.principal_paid) AS principal,
       SUM(d.interest_accrued - d.interest_paid) AS interest
FROM wc_draws d JOIN wc_lines l ON l.id = d.line_id
WHERE {_CHARGED_OFF}
GROUP BY l.currency
"""
"""Per currency, what the lines charged off tonight still owe (read before they are)."""

CHARGE_OFF = f"""
UPDATE wc_lines SET status = 'charged-off'
WHERE id IN (SELECT l.id FROM wc_lines l WHERE {_CHARGED_OFF})
"""
"""Lines ``charge_off_days`` past due tonight are charged off (after ``OVERDUE`` dated them)."""

CLOSED = "SELECT COUNT(*) FROM wc_lines WHERE status = 'active' AND cob_day <= :prev"

FIRST_OPEN_DAY = "SELECT MIN(cob_day) + 1 FROM wc_lines WHERE status = 'active'"
"""The day the earliest active line opened (the book bounds it: ``services.cob``)."""


class WorkingCapitalCob:
    """The working-capital step's statements on one connection."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def first_open_day(self) -> int | None:
        day = self.conn.execute(sa.text(FIRST_OPEN_DAY)).scalar()
        return None if day is None else int(day)

    def accrual_sums(self, p: Params) -> dict[str, int]:
        """Per currency, the interest the day earns."""
        self._without_jit()
        rows = self.conn.execute(sa.text(ACCRUAL_SUMS), p).all()
        return {str(r.currency): int(r.interest or 0) for r in rows}

    def close(self, p: Params) -> int:
        """Accrue, check and roll periods, date the oldest unmet obligation; how many lines
        were closed."""
        self._without_jit()
        for sql in (ACCRUE, END_PERIODS, CHECK_PERIODS, SHORTFALLS, NEXT_PERIODS, OVERDUE):
            self.conn.execute(sa.text(sql), p)
        return int(self.conn.execute(sa.text(CLOSED), p).scalar_one())

    def charge_off(self, p: Params) -> dict[str, tuple[int, int]]:
        """Charge off the lines ``:charge_off_days`` past due after :meth:`close`; per
        currency, the principal and interest they owed."""
        rows = self.conn.execute(sa.text(CHARGE_OFF_SUMS), p).all()
        self.conn.execute(sa.text(CHARGE_OFF), p)
        return {str(r.currency): (int(r.principal or 0), int(r.interest or 0)) for r in rows}

    def _without_jit(self) -> None:
        """On PostgreSQL the step's transaction runs without JIT compilation: the planner's
        cost estimates of the correlated subqueries switch it on, and compiling took longer
        than the statements themselves (2.5 s of 2.5 s for 20,000 lines, measured)."""
        if self.conn.dialect.name == "postgresql":
            self.conn.execute(sa.text("SET LOCAL jit = off"))
