"""Close of business in SQL: one statement group per step over every loan, and its runs.

Every statement is portable SQL (SQLite ≥ 3.33 and PostgreSQL): integer day numbers, integer
division, ``CASE`` instead of ``GREATEST``. Each step first sums what it will change per
currency (for the aggregated journal entry), then changes it, in the same transaction. The
formulas are those of ``thinfile.servicing.daily`` and ``thinfile.servicing.cob``;
:class:`CobRepository` runs them on the unit of work's connection (``uow.cob``), and also
answers what postings ask of close of business: the last closed date and whether a date is open.

An active loan is closed to its own ``cob_day`` or to the book's last finished date, whichever
is later, so the batch never rewrites every loan just to move its date. A step closing ``x``
takes the loans closed to ``x − 1``: ``cob_day`` between ``:lo`` and ``:prev``, where ``:lo`` is
``:prev`` when the book is behind ``x − 1`` and minus infinity when the book is at ``x − 1``.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from thinfile.store.hot import Hot
from thinfile.store.servicing_tables import cob_runs, cob_steps

__all__ = [
    "AUTO_DEBIT_PREFIX",
    "BATCH_WORK_MEM",
    "OWED_ROW",
    "CobRepository",
    "Params",
    "undisputed",
]

BATCH_WORK_MEM = "256MB"
"""PostgreSQL's ``work_mem`` for a step of close of business (see ``plan_for_batch``)."""

Params = dict[str, int]
"""A step's parameters: ``x`` (the date closed), ``prev``, ``lo``, ``scale``, ``max_grace``,
``leap`` (see the module)."""

_LOANS = "SELECT id FROM servicing_loans WHERE status = 'active' AND cob_day BETWEEN :lo AND :prev"
_ARREARS = (
    "(i.principal_due - i.principal_paid + i.interest_due - i.interest_paid "
    "+ i.fee_due - i.fee_paid)"
)


def undisputed(loan_id: str, day: str = ":x") -> str:
    """The loan is no purchase under a dispute open on ``day`` (``store.dispute_tables``):
    the late-fee, penalty, delinquency and charge-off steps pass such loans by, the
    auto-debit step those under dispute on the day its debits are sent, and the reminders
    and overdue notices (``store.notification_cob_sql``) those under dispute tonight."""
    return f"NOT EXISTS ({_disputed_loans(day)} AND c.loan_id = {loan_id})"


def _disputed_loans(day: str = ":x") -> str:
    """The loans of purchases under a dispute open on ``day``: one rule for the steps that
    pass them by (:func:`undisputed`) and those that pause them (``PAUSE``, ``PAUSE_ROWS``)."""
    return (
        "SELECT c.loan_id FROM checkout_disputes d JOIN checkout_captures c "
        f"ON c.session_id = d.session_id WHERE d.opened_day <= {day} "
        f"AND (d.resolved_day IS NULL OR d.resolved_day > {day})"
    )


def _retry_after_dispute(loan: str) -> str:
    """The loan's purchase had a dispute rejected a retry day before the next day, and its
    arrears began before the rejection: its debits were paused while the dispute was open, so
    the retries count again from the rejection (arrears that begin later have their own)."""
    return (
        "EXISTS (SELECT 1 FROM checkout_disputes d JOIN checkout_captures c "
        f"ON c.session_id = d.session_id WHERE c.loan_id = {loan}.id "
        "AND d.status = 'resolved-rejected' AND :x + 1 - d.resolved_day IN :retry "
        f"AND {loan}.overdue_since_day < d.resolved_day)"
    )


HELD_CREDIT = f"""
SELECT l.id FROM servicing_loans l
WHERE l.status = 'active' AND l.cob_day BETWEEN :lo AND :prev AND l.credit > 0
  AND EXISTS (SELECT 1 FROM servicing_installments i WHERE i.loan_id = l.id AND i.due_day <= :x
              AND {_ARREARS} + i.penalty_due - i.penalty_paid > 0)
ORDER BY l.id
"""
"""Loans holding overpayment while something has fallen due: the few the credit step loads."""

DUE = f"""
UPDATE servicing_loans SET overdue_since_day = :x
WHERE status = 'active' AND cob_day BETWEEN :lo AND :prev AND overdue_since_day IS NULL
  AND EXISTS (SELECT 1 FROM servicing_installments i
              WHERE i.loan_id = servicing_loans.id AND i.due_day = :x AND {_ARREARS} > 0)
"""


def _target(amount: str) -> str:
    """What ``amount`` (interest or fee) has earned by the end of ``:x``: what a restructure
    carried onto the installment (``interest_carried``, ``fee_carried``), and the rest in a
    straight line over the period; a fee less what was waived while the period ran
    (``fee_waived``, taken from its first days) — ``InstallmentState.interest_earned`` and
    ``fee_earned``."""
    days = "(:x - i.start_day) / (i.due_day - i.start_day)"
    if amount == "fee":
        line = f"(i.fee_due - i.fee_carried + i.fee_waived) * {days}"
        return (
            f"CASE WHEN i.due_day <= :x THEN i.fee_due "
            f"WHEN {line} < i.fee_waived THEN i.fee_carried "
            f"ELSE i.fee_carried + {line} - i.fee_waived END"
        )
    return (
        f"CASE WHEN i.due_day <= :x THEN i.{amount}_due "
        f"ELSE i.{amount}_carried + (i.{amount}_due - i.{amount}_carried) * {days} END"
    )


def _raise_to(amount: str) -> str:
    target = _target(amount)
    return f"CASE WHEN {target} > i.{amount}_accrued THEN {target} ELSE i.{amount}_accrued END"


_ACCRUING = f"i.start_day < :x AND i.due_day >= :x AND i.loan_id IN ({_LOANS})"

ACCRUAL_SUMS = f"""
SELECT l.currency,
       SUM({_raise_to("interest")} - i.interest_accrued) AS interest,
       SUM({_raise_to("fee")} - i.fee_accrued) AS fee
FROM servicing_installments i JOIN servicing_loans l ON l.id = i.loan_id
WHERE {_ACCRUING}
  AND ({_target("interest")} > i.interest_accrued OR {_target("fee")} > i.fee_accrued)
GROUP BY l.currency
"""

ACCRUAL = f"""
UPDATE servicing_installments AS i
SET interest_accrued = {_raise_to("interest")}, fee_accrued = {_raise_to("fee")}
WHERE {_ACCRUING}
  AND ({_target("interest")} > i.interest_accrued OR {_target("fee")} > i.fee_accrued)
"""

_PLAN_TARGET = """(SELECT p.recognized_before
        + p.amount * (:x - p.start_day) / (p.due_day - p.start_day)
     FROM servicing_subsidy_periods p
     WHERE p.loan_id = servicing_loans.id AND p.start_day < :x AND p.due_day >= :x)"""
"""What the loan's effective-interest plan has recognised by the end of ``:x``: the period
holding ``:x``, linear by days within it (``servicing.subsidy.recognized_by``)."""
_SUBSIDY_TARGET = f"""CASE WHEN :x >= subsidy_end_day THEN subsidy
     WHEN :x <= disbursed_day THEN 0
     ELSE COALESCE({_PLAN_TARGET},
       subsidy * (:x - disbursed_day) / (subsidy_end_day - disbursed_day)) END"""
"""A loan without plan rows was opened before plans: the straight line of its time."""
_SUBSIDY_WHERE = (
    f"status = 'active' AND cob_day BETWEEN :lo AND :prev "
    f"AND subsidy > subsidy_recognized AND {_SUBSIDY_TARGET} > subsidy_recognized"
)

SUBSIDY_SUMS = f"""
SELECT currency, SUM({_SUBSIDY_TARGET} - subsidy_recognized) AS subsidy
FROM servicing_loans WHERE {_SUBSIDY_WHERE} GROUP BY currency
"""

SUBSIDY = f"""
UPDATE servicing_loans SET subsidy_recognized = {_SUBSIDY_TARGET} WHERE {_SUBSIDY_WHERE}
"""

_BASIS = "CAST(CASE WHEN :leap = 1 THEN l.leap_basis ELSE l.day_basis END AS BIGINT)"
"""The day's year basis: actual/actual loans divide by 366 on a day of a leap year."""
_OVERDUE_BASE = "(i.principal_due - i.principal_paid + i.interest_due - i.interest_paid)"
_YEAR_DAYS = "CAST(CASE WHEN :leap = 1 THEN 366 ELSE 365 END AS BIGINT)"
"""The days of the day's year: the all-in cap a day is the cap over them (``days_in_year``)."""
_DAY_ALLOWANCE = f"({_OVERDUE_BASE} * l.all_in_cap_units / ({_YEAR_DAYS} * :scale))"
"""The all-in allowance an overdue installment earns on day ``:x`` (truncated)."""
_ROOM = f"(i.default_allowance + {_DAY_ALLOWANCE} - i.default_charged)"
"""The allowance not yet used, counting the day's: the late-fee step reads it before the
penalty step stores the day's allowance (so each overdue row is written once a night)."""


def _within(gross: str) -> str:
    """The part of a default charge the installment's unused all-in allowance leaves room
    for (``thinfile.servicing.cob._within``)."""
    return f"CASE WHEN {gross} < {_ROOM} THEN {gross} WHEN {_ROOM} > 0 THEN {_ROOM} ELSE 0 END"


_LATE_FEE = (
    "CASE WHEN l.late_fee < l.late_fee_cap - l.late_fees_charged THEN l.late_fee "
    "ELSE l.late_fee_cap - l.late_fees_charged END"
)
_LATE_WHERE = f"""l.status = 'active' AND l.cob_day BETWEEN :lo AND :prev AND l.late_fee > 0
  AND l.late_fees_charged < l.late_fee_cap
  AND i.due_day + i.paused_days + l.grace_days + 1 = :x AND {_ARREARS} > 0
  AND {undisputed("l.id")}"""
_LATE_SELECT = f"""
SELECT i.loan_id, i.n, l.currency, {_LATE_FEE} AS gross, {_within(_LATE_FEE)} AS net
FROM servicing_installments i JOIN servicing_loans l ON l.id = i.loan_id
WHERE {_LATE_WHERE}"""

LATE_FEES = f"""{_LATE_SELECT}
  AND i.paused_days = 0 AND i.due_day BETWEEN :prev - :max_grace AND :prev
UNION ALL{_LATE_SELECT}
  AND i.paused_days > 0
"""
"""The installments a late fee falls on today, on the first day past the grace days counted
from where each ages from (``InstallmentState.ages_from``): at most one per loan (those days
differ). Rows a dispute never paused are found by due date (the index), the few it paused
by their own index."""

LATE_FEE_ROW = """
UPDATE servicing_installments SET fee_due = fee_due + :net, fee_accrued = fee_accrued + :net,
  default_charged = default_charged + :net
WHERE loan_id = :loan_id AND n = :n
"""

LATE_FEE_LOAN = """
UPDATE servicing_loans SET late_fees_charged = late_fees_charged + :net WHERE id = :loan_id
"""

_AT_RATE = (
    "(2 * (i.principal_due - i.principal_paid) * l.penalty_rate_units "
    f"+ {_BASIS} * :scale) / (2 * {_BASIS} * :scale)"
)
_AT_CAP = f"((i.principal_due - i.principal_paid) * l.all_in_cap_units / ({_YEAR_DAYS} * :scale))"
_PENALTY = f"(CASE WHEN {_AT_RATE} < {_AT_CAP} THEN {_AT_RATE} ELSE {_AT_CAP} END)"
"""A day's penalty (``loanmath.daily_penalty``): at the loan's rate over its basis, half up,
never more than the all-in cap over the days of the year, truncated."""
_PENALTY_DUE = """i.due_day + i.paused_days + l.grace_days < :x
  AND i.principal_due > i.principal_paid"""
"""Penalty after the grace days counted from where the installment ages from."""
_OVERDUE_ROWS = f"""l.status = 'active' AND l.cob_day BETWEEN :lo AND :prev
  AND l.overdue_since_day IS NOT NULL AND i.due_day < :x AND {_OVERDUE_BASE} > 0
  AND {undisputed("l.id")}"""
_DAY_PENALTY = f"CASE WHEN {_PENALTY_DUE} THEN {_within(_PENALTY)} ELSE 0 END"

PENALTY_SUMS = f"""
SELECT l.currency, SUM({_PENALTY}) AS gross, SUM({_within(_PENALTY)}) AS net
FROM servicing_installments i JOIN servicing_loans l ON l.id = i.loan_id
WHERE {_OVERDUE_ROWS} AND {_PENALTY_DUE} GROUP BY l.currency
"""

PENALTY = f"""
UPDATE servicing_installments AS i
SET default_allowance = i.default_allowance + {_DAY_ALLOWANCE},
    penalty_due = i.penalty_due + {_DAY_PENALTY},
    default_charged = i.default_charged + {_DAY_PENALTY}
FROM servicing_loans l
WHERE l.id = i.loan_id AND {_OVERDUE_ROWS}
"""
"""Each overdue installment once a night: the day's allowance stored, and a day of penalty
interest within it where the grace days are over (all from the row as it was)."""

_NEW_BUCKET = """CASE WHEN overdue_since_day IS NULL THEN 'CURRENT' ELSE COALESCE(
  (SELECT r.label FROM servicing_bucket_ranges r
   WHERE r.product_code = servicing_loans.product_code
     AND :x - servicing_loans.overdue_since_day >= r.min_days
     AND (r.max_days IS NULL OR :x - servicing_loans.overdue_since_day <= r.max_days)),
  'CURRENT') END"""
_BUCKET_WHERE = (
    f"status = 'active' AND cob_day BETWEEN :lo AND :prev "
    f"AND (overdue_since_day IS NOT NULL OR bucket <> 'CURRENT') "
    f"AND bucket <> {_NEW_BUCKET} AND {undisputed('servicing_loans.id')}"
)

BUCKET_HISTORY = f"""
INSERT INTO servicing_bucket_history (loan_id, day, from_bucket, to_bucket, days_past_due)
SELECT id, :x, bucket, {_NEW_BUCKET},
       CASE WHEN overdue_since_day IS NULL THEN 0 ELSE :x - overdue_since_day END
FROM servicing_loans WHERE {_BUCKET_WHERE}
"""

BUCKET = f"UPDATE servicing_loans SET bucket = {_NEW_BUCKET} WHERE {_BUCKET_WHERE}"

_OPEN_DISPUTES = _disputed_loans()
"""The loans of purchases under a dispute open on ``:x``: the few the pause steps touch."""

PAUSE_ROWS = f"""
UPDATE servicing_installments AS i SET paused_days = i.paused_days + 1
WHERE i.due_day <= :x AND {_ARREARS} > 0 AND i.loan_id IN ({_OPEN_DISPUTES})
  AND EXISTS (SELECT 1 FROM servicing_loans l WHERE l.id = i.loan_id AND l.status = 'active'
              AND l.cob_day BETWEEN :lo AND :prev AND l.overdue_since_day IS NOT NULL)
"""
"""Each installment past due under an open dispute ages from a day later
(``InstallmentState.paused_days``)."""

PAUSE = f"""
UPDATE servicing_loans SET overdue_since_day = overdue_since_day + 1
WHERE status = 'active' AND cob_day BETWEEN :lo AND :prev AND overdue_since_day IS NOT NULL
  AND id IN ({_OPEN_DISPUTES})
"""
"""Arrears under an open dispute do not age: the day the loan's count from moves with the
date, as its installments' do (``thinfile.servicing.cob.Held``)."""

_CHARGE_OFF_WHERE = f"""status = 'active' AND cob_day BETWEEN :lo AND :prev
  AND overdue_since_day IS NOT NULL AND :x - overdue_since_day >= charge_off_days
  AND {undisputed("servicing_loans.id")}"""


def _owed(expr: str) -> str:
    return (
        f"(SELECT COALESCE(SUM({expr}), 0) FROM servicing_installments i "
        f"WHERE i.loan_id = servicing_loans.id)"
    )


_OWED = {
    "co_principal": _owed("i.principal_due - i.principal_paid"),
    "co_interest": _owed("i.interest_accrued - i.interest_paid"),
    "co_fee": _owed("i.fee_accrued - i.fee_paid"),
    "co_penalty": _owed("i.penalty_due - i.penalty_paid"),
}

CHARGE_OFF_SUMS = f"""
SELECT currency, {", ".join(f"SUM({expr}) AS {name}" for name, expr in _OWED.items())},
       SUM(subsidy - subsidy_recognized) AS subsidy
FROM servicing_loans WHERE {_CHARGE_OFF_WHERE} GROUP BY currency
"""

CHARGE_OFF = f"""
UPDATE servicing_loans SET status = 'charged-off', closed_day = :x, cob_day = :x,
  subsidy_recognized = subsidy, {", ".join(f"{name} = {expr}" for name, expr in _OWED.items())}
WHERE {_CHARGE_OFF_WHERE}
"""

MONTH_END = f"""
INSERT INTO servicing_month_ends
  (loan_id, month_end_day, status, days_past_due, principal_balance)
SELECT id, :x, status,
       CASE WHEN status <> 'closed' AND overdue_since_day < :x
            THEN :x - overdue_since_day ELSE 0 END,
       {_owed("i.principal_due - i.principal_paid")}
FROM servicing_loans
WHERE disbursed_day <= :x AND (status = 'active' OR closed_day >= :month_start)
  AND NOT EXISTS (SELECT 1 FROM servicing_month_ends m
                  WHERE m.loan_id = servicing_loans.id AND m.month_end_day = :x)
"""

AUTO_DEBIT_PREFIX = "auto-debit:"
"""The idempotency keys of the intents close of business queues: ``auto-debit:<day>:<loan>``."""
OWED_ROW = f"{_ARREARS} + i.penalty_due - i.penalty_paid"
"""What an installment row ``i`` still owes: principal, interest, fees and penalty, less paid."""
_AUTO_DEBIT_OWNERS = """LEFT JOIN (SELECT loan_id, MIN(user_id) AS user_id FROM applications
           WHERE loan_id IS NOT NULL GROUP BY loan_id) ao
  ON ao.loan_id = CAST(l.id AS VARCHAR(32))
LEFT JOIN (SELECT credit_line_id, MIN(user_id) AS user_id FROM applications
           WHERE credit_line_id IS NOT NULL GROUP BY credit_line_id) al
  ON l.credit_line_id IS NOT NULL AND al.credit_line_id = CAST(l.credit_line_id AS VARCHAR(32))
JOIN (SELECT user_id, MIN(id) AS card_id FROM payment_cards
      WHERE is_default AND status = 'active' AND agreement_token IS NOT NULL
      GROUP BY user_id) c
  ON c.user_id = COALESCE(ao.user_id, al.user_id)"""
"""The loan's borrower (the owner the reminders write to: the borrower of the application that
opened the loan, else of the credit line's) and that borrower's default card with an active
agreement (协议支付), if any. Each lookup is grouped on its own table's column, one row per
loan, joined over the whole book rather than looked up per loan: grouped over a ``UNION ALL``
of both routes, the planner guessed 200 loans and probed the loans and cards by index a
million times each (8 of the statement's 40 s at a million loans)."""

AUTO_DEBIT = f"""
INSERT INTO payment_intents (id, loan_id, user_id, card_id, kind, mode, amount, currency, status,
  failure, idempotency_key, request_hash, gateway_txn_id, txn_id, created_at, settled_at,
  business_day)
SELECT :nonce || 'd' || CAST(:x AS VARCHAR(12)) || 'l' || CAST(l.id AS VARCHAR(20)), l.id,
       c.user_id, c.card_id, 'payment', NULL, d.owed - l.credit, l.currency, 'created', NULL,
       '{AUTO_DEBIT_PREFIX}' || CAST(:x AS VARCHAR(12)) || ':' || CAST(l.id AS VARCHAR(20)),
       :request_hash, NULL, NULL, :at, NULL, :x + 1
FROM servicing_loans l
JOIN (SELECT i.loan_id, SUM({OWED_ROW}) AS owed,
             MAX(CASE WHEN i.due_day = :x + 1 AND {_ARREARS} > 0 THEN 1 ELSE 0 END) AS due_next,
             MAX(CASE WHEN i.due_day = :x AND {_ARREARS} > 0 THEN 1 ELSE 0 END) AS due_now
      FROM servicing_installments i WHERE i.due_day <= :x + 1 AND {OWED_ROW} <> 0
      GROUP BY i.loan_id) d
  ON d.loan_id = l.id
{_AUTO_DEBIT_OWNERS}
WHERE l.status = 'active' AND l.cob_day BETWEEN :lo AND :prev AND d.owed - l.credit > 0
  AND (d.due_next = 1
       OR :x + 1 - COALESCE(l.overdue_since_day, CASE WHEN d.due_now = 1 THEN :x END)
          IN :retry
       OR {_retry_after_dispute("l")})
  AND NOT EXISTS (SELECT 1 FROM payment_intents p
                  WHERE p.loan_id = l.id AND p.status IN ('created', 'pending'))
  AND {undisputed("l.id", ":x + 1")}
ORDER BY l.id
"""
"""Queue one auto-debit intent (``created``) per active loan whose borrower has a default card
with an agreement and that has an installment falling due on the next day (``:x + 1``, the day
the queue is sent: the debit reaches the card on its due date, so a borrower with funds is
never past due), or that is past due by a retry day on the next day (days past due in
``:retry``): for what has fallen due by the next day and is unpaid (less overpayment held),
never more; none while another intent of the loan is unsettled, nor for a purchase under a
dispute open on the next day (its payments are paused while the lender investigates; once a
dispute is rejected, the retry days count again from the rejection for arrears that began
before it, so that a dispute that outlasted them does not leave the arrears to the next due
date, or to no date at all after the last installment). Arrears that begin on ``:x`` itself are
read from the installments as the ``due`` step reads them (``COALESCE``), not from the date
that step records: on PostgreSQL the two run at the same time (``cob.TOGETHER``). Only
installments with something unpaid are summed (the rest add nothing); the rows go in in loan
order, so the intents' indexes on the loan and on its id (which ends in the loan) grow at one
end instead of at random pages: 1,000,000 intents in 22 s instead of 27 s."""

ADVANCE = "UPDATE servicing_cob_runs SET status = 'done' WHERE business_day = :x"

MAX_GRACE = "SELECT COALESCE(MAX(grace_days), 0) FROM servicing_loans WHERE status = 'active'"

FIRST_OPEN_DAY = "SELECT MIN(cob_day) + 1 FROM servicing_loans WHERE status = 'active'"

BOOK_DAY = "SELECT MAX(business_day) FROM servicing_cob_runs WHERE status = 'done'"


_LAST_CLOSED = Hot(
    sa.select(sa.func.max(cob_runs.c.business_day)).where(cob_runs.c.status == "done")
)


def _sums(conn: Connection, sql: str, params: Params) -> list[dict[str, Any]]:
    return [dict(row) for row in conn.execute(sa.text(sql), params).mappings()]


def _change(conn: Connection, sql: str, params: Params) -> int:
    return int(conn.execute(sa.text(sql), params).rowcount)


class CobRepository:
    """Close-of-business runs, steps and statements on one connection (day numbers, see
    ``servicing_codec.to_day``)."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def plan_for_batch(self) -> None:
        """PostgreSQL: room for the step's hash tables in memory (this transaction only).
        A step groups the whole book's installments by loan; at the server's default
        ``work_mem`` (4 MB) the grouping of a million loans spilled 585 MB to disk. No JIT:
        compiling the auto-debit statement took 2.5 s of its 13 at a million loans, and its
        plan ran no faster compiled."""
        if self.conn.dialect.name == "postgresql":
            self.conn.execute(sa.text(f"SET LOCAL work_mem = '{BATCH_WORK_MEM}'"))
            self.conn.execute(sa.text("SET LOCAL jit = off"))

    def read_as_of_now(self) -> None:
        """PostgreSQL: the rest of this transaction reads the book as it stands now
        (``REPEATABLE READ``, its snapshot taken at once), whatever commits meanwhile. Called
        before the transaction's first query."""
        if self.conn.dialect.name == "postgresql":
            self.conn.execute(sa.text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ"))
            self.conn.execute(sa.text("SELECT 1"))

    # what postings ask

    def last_closed_day(self) -> int | None:
        """The newest business day close of business finished, if any."""
        day = _LAST_CLOSED.scalar(self.conn, {})
        return None if day is None else int(day)

    def blocked_day(self, day: int) -> int | None:
        """The newest business day that refuses a posting on ``day``: a run not yet finished,
        or a finished run on or after ``day``; None when postings are open."""
        found = self.conn.execute(
            sa.select(sa.func.max(cob_runs.c.business_day)).where(
                (cob_runs.c.status != "done") | (cob_runs.c.business_day >= day)
            )
        ).scalar()
        return None if found is None else int(found)

    def is_running(self, day: int) -> bool:
        """Whether the run of business day ``day`` exists and has not finished."""
        status = self.conn.execute(
            sa.select(cob_runs.c.status).where(cob_runs.c.business_day == day)
        ).scalar()
        return status is not None and status != "done"

    # runs and steps

    def open_run(self, day: int) -> None:
        """Record the run of ``day`` (unless it exists). On PostgreSQL the loans table is
        locked until the commit: in-flight payments finish first, later ones see the run."""
        if self.conn.dialect.name == "postgresql":
            self.conn.execute(sa.text("LOCK TABLE servicing_loans IN EXCLUSIVE MODE"))
        exists = self.conn.execute(
            sa.select(cob_runs.c.status).where(cob_runs.c.business_day == day)
        ).scalar()
        if exists is None:
            self.conn.execute(sa.insert(cob_runs).values(business_day=day, status="running"))

    def steps_done(self, day: int) -> set[str]:
        return set(
            self.conn.execute(
                sa.select(cob_steps.c.step).where(cob_steps.c.business_day == day)
            ).scalars()
        )

    def mark_step(self, day: int, step: str, rows: int) -> None:
        self.conn.execute(sa.insert(cob_steps).values(business_day=day, step=step, rows=rows))

    def finish_run(self, day: int) -> None:
        self.conn.execute(
            sa.update(cob_runs).where(cob_runs.c.business_day == day).values(status="done")
        )

    def max_grace(self) -> int:
        """The longest grace period of any active loan (days)."""
        return int(self.conn.execute(sa.text(MAX_GRACE)).scalar_one())

    def book_day(self) -> int | None:
        """The book's last finished business day (every active loan is closed to it)."""
        day = self.conn.execute(sa.text(BOOK_DAY)).scalar()
        return None if day is None else int(day)

    def first_unfinished_day(self) -> int | None:
        day = self.conn.execute(
            sa.select(sa.func.min(cob_runs.c.business_day)).where(cob_runs.c.status != "done")
        ).scalar()
        return None if day is None else int(day)

    def first_open_day(self) -> int | None:
        """The day after the earliest closed-to day of an active loan."""
        day = self.conn.execute(sa.text(FIRST_OPEN_DAY)).scalar()
        return None if day is None else int(day)

    # the steps' statements

    def loans_holding_credit(self, p: Params) -> list[int]:
        """Loans holding overpayment while something has fallen due."""
        return [int(i) for i in self.conn.execute(sa.text(HELD_CREDIT), p).scalars()]

    def mark_due(self, p: Params) -> int:
        """Date the arrears falling due today, then pause the ageing of disputed ones (before
        the day's auto-debits read how many days past due a loan is)."""
        marked = _change(self.conn, DUE, p)
        _change(self.conn, PAUSE_ROWS, p)
        _change(self.conn, PAUSE, p)
        return marked

    def accrual_sums(self, p: Params) -> list[dict[str, Any]]:
        """Per ``currency``: ``interest`` and ``fee`` the day accrues."""
        return _sums(self.conn, ACCRUAL_SUMS, p)

    def subsidy_sums(self, p: Params) -> list[dict[str, Any]]:
        """Per ``currency``: merchant ``subsidy`` the day recognizes."""
        return _sums(self.conn, SUBSIDY_SUMS, p)

    def accrue(self, p: Params) -> int:
        return _change(self.conn, ACCRUAL, p)

    def recognize_subsidy(self, p: Params) -> int:
        return _change(self.conn, SUBSIDY, p)

    def late_fees(self, p: Params) -> list[dict[str, Any]]:
        """The late fees falling today: ``loan_id``, ``n``, ``currency``, ``gross``, ``net``."""
        return _sums(self.conn, LATE_FEES, p)

    def charge_late_fees(self, charged: list[dict[str, Any]]) -> None:
        """Charge each late fee (``loan_id``, ``n``, ``net``) to its installment and loan."""
        self.conn.execute(sa.text(LATE_FEE_ROW), charged)
        self.conn.execute(sa.text(LATE_FEE_LOAN), charged)

    def penalty_sums(self, p: Params) -> list[dict[str, Any]]:
        """Per ``currency``: penalty interest ``gross`` and ``net`` (within the allowance)."""
        return _sums(self.conn, PENALTY_SUMS, p)

    def charge_penalty(self, p: Params) -> int:
        """Store each overdue installment's day of allowance and charge its penalty."""
        return _change(self.conn, PENALTY, p)

    def move_buckets(self, p: Params) -> int:
        """Record and make the day's delinquency bucket moves."""
        _change(self.conn, BUCKET_HISTORY, p)
        return _change(self.conn, BUCKET, p)

    def charge_off_sums(self, p: Params) -> list[dict[str, Any]]:
        """Per ``currency``: what the loans charged off today owe (``co_principal``,
        ``co_interest``, ``co_fee``, ``co_penalty``) and their deferred ``subsidy``."""
        return _sums(self.conn, CHARGE_OFF_SUMS, p)

    def charge_off(self, p: Params) -> int:
        return _change(self.conn, CHARGE_OFF, p)

    def snapshot_month_end(self, p: Params, month_start: int) -> int:
        """Write every loan's month-end row (day ``x`` ends its month): the loans on the
        book and those that ended since ``month_start``, but for a loan a posting closed past
        ``x`` before this run (its row written then, as it stood at ``x``)."""
        return _change(self.conn, MONTH_END, {**p, "month_start": month_start})

    def queue_auto_debits(
        self, p: Params, *, retry_days: tuple[int, ...], nonce: str, request_hash: str, at: object
    ) -> int:
        """Insert the day's auto-debit intents (``AUTO_DEBIT``); ``nonce`` starts their ids."""
        statement = sa.text(AUTO_DEBIT).bindparams(sa.bindparam("retry", expanding=True))
        params = {**p, "retry": list(retry_days), "nonce": nonce}
        params |= {"request_hash": request_hash, "at": at}
        return int(self.conn.execute(statement, params).rowcount)

    def advance(self, p: Params) -> int:
        """Mark the date finished: the book is closed to it."""
        return _change(self.conn, ADVANCE, p)
