"""The set-based SQL of close of business: one statement per step over every loan.

Every statement is portable SQL (SQLite ≥ 3.33 and PostgreSQL): integer day numbers, integer
division, ``CASE`` instead of ``GREATEST``. Each step first sums what it will change per
currency (for the aggregated journal entry), then changes it, in the same transaction. The
formulas are those of ``thinfile.servicing.daily`` and ``thinfile.servicing.cob``.

An active loan is closed to its own ``cob_day`` or to the book's last finished date, whichever
is later, so the batch never rewrites every loan just to move its date. A step closing ``x``
takes the loans closed to ``x − 1``: ``cob_day`` between ``:lo`` and ``:prev``, where ``:lo`` is
``:prev`` when the book is behind ``x − 1`` and minus infinity when the book is at ``x − 1``.
"""

from __future__ import annotations

_LOANS = ("SELECT id FROM servicing_loans WHERE status = 'active' "
          "AND cob_day BETWEEN :lo AND :prev")
_ARREARS = ("(i.principal_due - i.principal_paid + i.interest_due - i.interest_paid "
            "+ i.fee_due - i.fee_paid)")

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
    return (f"CASE WHEN i.due_day <= :x THEN i.{amount}_due "
            f"ELSE i.{amount}_due * (:x - i.start_day) / (i.due_day - i.start_day) END")


def _raise_to(amount: str) -> str:
    target = _target(amount)
    return f"CASE WHEN {target} > i.{amount}_accrued THEN {target} ELSE i.{amount}_accrued END"


_ACCRUING = f"i.start_day < :x AND i.due_day >= :x AND i.loan_id IN ({_LOANS})"

ACCRUAL_SUMS = f"""
SELECT l.currency,
       SUM({_raise_to('interest')} - i.interest_accrued) AS interest,
       SUM({_raise_to('fee')} - i.fee_accrued) AS fee
FROM servicing_installments i JOIN servicing_loans l ON l.id = i.loan_id
WHERE {_ACCRUING}
  AND ({_target('interest')} > i.interest_accrued OR {_target('fee')} > i.fee_accrued)
GROUP BY l.currency
"""

ACCRUAL = f"""
UPDATE servicing_installments AS i
SET interest_accrued = {_raise_to('interest')}, fee_accrued = {_raise_to('fee')}
WHERE {_ACCRUING}
  AND ({_target('interest')} > i.interest_accrued OR {_target('fee')} > i.fee_accrued)
"""

_SUBSIDY_TARGET = """CASE WHEN :x >= subsidy_end_day THEN subsidy
     WHEN :x <= disbursed_day THEN 0
     ELSE subsidy * (:x - disbursed_day) / (subsidy_end_day - disbursed_day) END"""
_SUBSIDY_WHERE = (f"status = 'active' AND cob_day BETWEEN :lo AND :prev "
                  f"AND subsidy > subsidy_recognized AND {_SUBSIDY_TARGET} > subsidy_recognized")

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
_ROOM = "(i.default_allowance - i.default_charged)"


def _within(gross: str) -> str:
    """The part of a default charge the installment's unused all-in allowance leaves room
    for (``thinfile.servicing.cob._within``)."""
    return f"CASE WHEN {gross} < {_ROOM} THEN {gross} WHEN {_ROOM} > 0 THEN {_ROOM} ELSE 0 END"


ALLOWANCE = f"""
UPDATE servicing_installments AS i
SET default_allowance = i.default_allowance
    + {_OVERDUE_BASE} * l.all_in_cap_units / ({_BASIS} * :scale)
FROM servicing_loans l
WHERE l.id = i.loan_id AND l.status = 'active' AND l.cob_day BETWEEN :lo AND :prev
  AND l.overdue_since_day IS NOT NULL AND i.due_day < :x AND {_OVERDUE_BASE} > 0
"""

_LATE_FEE = ("CASE WHEN l.late_fee < l.late_fee_cap - l.late_fees_charged THEN l.late_fee "
             "ELSE l.late_fee_cap - l.late_fees_charged END")
_LATE_WHERE = f"""l.status = 'active' AND l.cob_day BETWEEN :lo AND :prev AND l.late_fee > 0
  AND l.late_fees_charged < l.late_fee_cap
  AND i.due_day BETWEEN :prev - :max_grace AND :prev
  AND i.due_day + l.grace_days + 1 = :x AND {_ARREARS} > 0"""

LATE_FEES = f"""
SELECT i.loan_id, i.n, l.currency, {_LATE_FEE} AS gross, {_within(_LATE_FEE)} AS net
FROM servicing_installments i JOIN servicing_loans l ON l.id = i.loan_id
WHERE {_LATE_WHERE}
"""
"""The installments a late fee falls on today: at most one per loan (due dates differ)."""

LATE_FEE_ROW = """
UPDATE servicing_installments SET fee_due = fee_due + :net, fee_accrued = fee_accrued + :net,
  default_charged = default_charged + :net
WHERE loan_id = :loan_id AND n = :n
"""

LATE_FEE_LOAN = """
UPDATE servicing_loans SET late_fees_charged = late_fees_charged + :net WHERE id = :loan_id
"""

_PENALTY = ("(2 * (i.principal_due - i.principal_paid) * l.penalty_rate_units "
            f"+ {_BASIS} * :scale) / (2 * {_BASIS} * :scale)")
_PENALTY_WHERE = """l.status = 'active' AND l.cob_day BETWEEN :lo AND :prev
  AND l.overdue_since_day IS NOT NULL AND l.overdue_since_day + l.grace_days < :x
  AND i.due_day + l.grace_days < :x AND i.principal_due > i.principal_paid"""

PENALTY_SUMS = f"""
SELECT l.currency, SUM({_PENALTY}) AS gross, SUM({_within(_PENALTY)}) AS net
FROM servicing_installments i JOIN servicing_loans l ON l.id = i.loan_id
WHERE {_PENALTY_WHERE} GROUP BY l.currency
"""

PENALTY = f"""
UPDATE servicing_installments AS i SET penalty_due = i.penalty_due + {_within(_PENALTY)},
  default_charged = i.default_charged + {_within(_PENALTY)}
FROM servicing_loans l
WHERE l.id = i.loan_id AND {_PENALTY_WHERE} AND {_within(_PENALTY)} > 0
"""

_NEW_BUCKET = """CASE WHEN overdue_since_day IS NULL THEN 'CURRENT' ELSE COALESCE(
  (SELECT r.label FROM servicing_bucket_ranges r
   WHERE r.product_code = servicing_loans.product_code
     AND :x - servicing_loans.overdue_since_day >= r.min_days
     AND (r.max_days IS NULL OR :x - servicing_loans.overdue_since_day <= r.max_days)),
  'CURRENT') END"""
_BUCKET_WHERE = (f"status = 'active' AND cob_day BETWEEN :lo AND :prev "
                 f"AND (overdue_since_day IS NOT NULL OR bucket <> 'CURRENT') "
                 f"AND bucket <> {_NEW_BUCKET}")

BUCKET_HISTORY = f"""
INSERT INTO servicing_bucket_history (loan_id, day, from_bucket, to_bucket, days_past_due)
SELECT id, :x, bucket, {_NEW_BUCKET},
       CASE WHEN overdue_since_day IS NULL THEN 0 ELSE :x - overdue_since_day END
FROM servicing_loans WHERE {_BUCKET_WHERE}
"""

BUCKET = f"UPDATE servicing_loans SET bucket = {_NEW_BUCKET} WHERE {_BUCKET_WHERE}"

_CHARGE_OFF_WHERE = """status = 'active' AND cob_day BETWEEN :lo AND :prev
  AND overdue_since_day IS NOT NULL AND :x - overdue_since_day >= charge_off_days"""


def _owed(expr: str) -> str:
    return (f"(SELECT COALESCE(SUM({expr}), 0) FROM servicing_installments i "
            f"WHERE i.loan_id = servicing_loans.id)")


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

ADVANCE = "UPDATE servicing_cob_runs SET status = 'done' WHERE business_day = :x"

MAX_GRACE = "SELECT COALESCE(MAX(grace_days), 0) FROM servicing_loans WHERE status = 'active'"

FIRST_OPEN_DAY = "SELECT MIN(cob_day) + 1 FROM servicing_loans WHERE status = 'active'"

BOOK_DAY = "SELECT MAX(business_day) FROM servicing_cob_runs WHERE status = 'done'"
