"""The behaviour snapshot and feature aggregation of ``thinfile.scoring.behaviour`` in SQL.

Portable SQL (SQLite and PostgreSQL): integer day numbers, derived tables grouped by line
joined to the lines (one pass over loans, installments, transactions and bucket history
each, so a review of a million lines is a few hash joins, not a million sub-queries).
Parameters: ``:d`` the snapshot or review day, ``:ms`` the first day of its month,
``:month_end`` 1 when ``:d`` is the last day of its month.
"""

from __future__ import annotations

__all__ = [
    "FEATURE_SUMS",
    "FEATURE_SUMS_UNORDERED",
    "LINE_FACTS",
    "LINE_FACTS_UNORDERED",
    "MONTH_SNAPSHOT_AGAIN",
    "OFFERS_FROM_REVIEW",
    "REVIEW_LINES",
    "SNAPSHOT",
    "SUPERSEDE_FOR_REVIEW",
    "UNREVIEWED",
    "WORST_AGAIN",
    "snapshot_sql",
]

_DRAWN = "('active', 'closed')"
_PAST_DUE = "('active', 'charged-off')"

SNAPSHOT = f"""
INSERT INTO limit_line_months (line_id, day, month_end, opened_day, limit_amount, balance,
  days_past_due, worst_dpd, amount_due, amount_paid, drawn, prepaid)
SELECT c.id, :d, :month_end, c.opened_day, c.limit_amount,
  COALESCE(o.balance, 0), COALESCE(p.dpd, 0),
  CASE WHEN COALESCE(h.worst, 0) > COALESCE(p.dpd, 0) THEN h.worst ELSE COALESCE(p.dpd, 0) END,
  COALESCE(o.due, 0), COALESCE(t.paid, 0), COALESCE(dr.drawn, 0), COALESCE(t.prepaid, 0)
FROM servicing_credit_lines c
LEFT JOIN (
  SELECT l.credit_line_id AS line_id,
    SUM(CASE WHEN l.status IN {_DRAWN} THEN i.principal_due - i.principal_paid ELSE 0 END)
      AS balance,
    SUM(CASE WHEN i.due_day BETWEEN :ms AND :d
             THEN i.principal_due + i.interest_due + i.fee_due ELSE 0 END) AS due
  FROM servicing_loans l JOIN servicing_installments i ON i.loan_id = l.id
  WHERE l.credit_line_id IS NOT NULL AND l.disbursed_day <= :d {{only_l}}
  GROUP BY l.credit_line_id) o ON o.line_id = c.id
LEFT JOIN (
  SELECT credit_line_id AS line_id, MAX(:d - overdue_since_day) AS dpd
  FROM servicing_loans
  WHERE credit_line_id IS NOT NULL AND status IN {_PAST_DUE}
    AND overdue_since_day IS NOT NULL AND overdue_since_day <= :d {{only}}
  GROUP BY credit_line_id) p ON p.line_id = c.id
LEFT JOIN (
  SELECT l.credit_line_id AS line_id, MAX(b.days_past_due) AS worst
  FROM servicing_bucket_history b JOIN servicing_loans l ON l.id = b.loan_id
  WHERE l.credit_line_id IS NOT NULL AND b.day BETWEEN :ms AND :d {{only_l}}
  GROUP BY l.credit_line_id) h ON h.line_id = c.id
LEFT JOIN (
  SELECT l.credit_line_id AS line_id,
    SUM(x.paid_principal + x.paid_interest + x.paid_fee + x.paid_penalty) AS paid,
    SUM(CASE WHEN x.kind = 'prepayment'
             THEN x.paid_principal + x.paid_interest + x.paid_fee + x.paid_penalty
             ELSE 0 END) AS prepaid
  FROM servicing_transactions x JOIN servicing_loans l ON l.id = x.loan_id
  WHERE l.credit_line_id IS NOT NULL AND x.kind IN ('repayment', 'prepayment')
    AND x.reversed = false AND x.day BETWEEN :ms AND :d {{only_l}}
  GROUP BY l.credit_line_id) t ON t.line_id = c.id
LEFT JOIN (
  SELECT credit_line_id AS line_id, SUM(principal) AS drawn
  FROM servicing_loans
  WHERE credit_line_id IS NOT NULL AND disbursed_day BETWEEN :ms AND :d {{only}}
  GROUP BY credit_line_id) dr ON dr.line_id = c.id
WHERE c.status IN ('active', 'frozen') AND c.opened_day <= :d {{only_c}}
  AND NOT EXISTS (SELECT 1 FROM limit_line_months m WHERE m.line_id = c.id AND m.day = :d)
"""
"""One snapshot per open line on ``:d`` (a line snapshotted on ``:d`` already keeps it);
``{only…}`` narrow it to line ``:line`` or to a range of lines (:func:`snapshot_sql`)."""


def snapshot_sql(*, one_line: bool = False, ranged: bool = False) -> str:
    """The snapshot of every open line, of line ``:line`` only, or (``ranged``) of the lines
    ``:first`` to ``:last`` — a review batch's."""
    if one_line:
        return SNAPSHOT.format(
            only="AND credit_line_id = :line",
            only_l="AND l.credit_line_id = :line",
            only_c="AND c.id = :line",
        )
    if ranged:
        return SNAPSHOT.format(
            only="AND credit_line_id BETWEEN :first AND :last",
            only_l="AND l.credit_line_id BETWEEN :first AND :last",
            only_c="AND c.id BETWEEN :first AND :last",
        )
    return SNAPSHOT.format(only="", only_l="", only_c="")


_LINE_LOANS = "SELECT id FROM servicing_loans WHERE credit_line_id = :line"
MONTH_SNAPSHOT_AGAIN = f"""
UPDATE limit_line_months SET
  balance = COALESCE((SELECT SUM(me.principal_balance) FROM servicing_month_ends me
    WHERE me.loan_id IN ({_LINE_LOANS}) AND me.month_end_day = :d
      AND me.status IN {_DRAWN}), 0),
  days_past_due = COALESCE((SELECT MAX(q.dpd) FROM (
      SELECT me.days_past_due AS dpd FROM servicing_month_ends me
      WHERE me.loan_id IN ({_LINE_LOANS}) AND me.month_end_day = :d AND me.status = 'active'
      UNION ALL
      SELECT :d - l.overdue_since_day FROM servicing_loans l
      WHERE l.credit_line_id = :line AND l.status = 'charged-off' AND l.closed_day <= :d
        AND l.overdue_since_day IS NOT NULL AND l.overdue_since_day <= :d) q), 0),
  amount_paid = COALESCE((SELECT SUM(x.paid_principal + x.paid_interest + x.paid_fee
      + x.paid_penalty) FROM servicing_transactions x
    WHERE x.loan_id IN ({_LINE_LOANS}) AND x.kind IN ('repayment', 'prepayment')
      AND x.reversed = false AND x.day BETWEEN :ms AND :d), 0),
  prepaid = COALESCE((SELECT SUM(x.paid_principal + x.paid_interest + x.paid_fee
      + x.paid_penalty) FROM servicing_transactions x
    WHERE x.loan_id IN ({_LINE_LOANS}) AND x.kind = 'prepayment'
      AND x.reversed = false AND x.day BETWEEN :ms AND :d), 0)
WHERE line_id = :line AND day = :d AND month_end = 1
"""
"""Line ``:line``'s month-end snapshot of ``:d`` taken again from what stands as of that
month-end: the loans' month-end rows (``servicing_month_ends``: balance, days past due — a
loan charged off by then from its overdue date, as :data:`SNAPSHOT` counts it) and the
payments dated in the month. For a payment booked at its value date since
(``services.value_dated``), after the loan's own month-end rows were rewritten; the worst
days past due follow in :data:`WORST_AGAIN`."""

WORST_AGAIN = """
UPDATE limit_line_months SET worst_dpd = CASE
    WHEN COALESCE((SELECT MAX(b.days_past_due) FROM servicing_bucket_history b
      WHERE b.loan_id IN (SELECT id FROM servicing_loans WHERE credit_line_id = :line)
        AND b.day BETWEEN :ms AND :d), 0) > days_past_due
    THEN (SELECT MAX(b.days_past_due) FROM servicing_bucket_history b
      WHERE b.loan_id IN (SELECT id FROM servicing_loans WHERE credit_line_id = :line)
        AND b.day BETWEEN :ms AND :d)
    ELSE days_past_due END
WHERE line_id = :line AND day = :d AND month_end = 1
"""
"""The worst days past due of the month again, after :data:`MONTH_SNAPSHOT_AGAIN`: the
bucket moves of the month (rewritten with the loan's) or the month-end's, the higher."""


FEATURE_SUMS_UNORDERED = """
SELECT m.line_id,
  MAX(m.opened_day) AS opened_day,
  COUNT(*) AS months_observed,
  SUM(CASE WHEN m.amount_due > 0 THEN 1 ELSE 0 END) AS due_months,
  SUM(CASE WHEN m.amount_due > 0 AND m.worst_dpd = 0 THEN 1 ELSE 0 END) AS on_time_months,
  MAX(m.worst_dpd) AS worst_dpd_12m,
  MAX(CASE WHEN m.day = :d THEN m.days_past_due ELSE 0 END) AS current_dpd,
  SUM(CASE WHEN m.worst_dpd > 0 AND m.day > :d - 92 THEN 1 ELSE 0 END) AS delinquent_3m,
  SUM(CASE WHEN m.worst_dpd > 0 AND m.day > :d - 183 THEN 1 ELSE 0 END) AS delinquent_6m,
  SUM(CASE WHEN m.worst_dpd > 0 THEN 1 ELSE 0 END) AS delinquent_12m,
  MAX(CASE WHEN m.day = :d THEN m.limit_amount ELSE 0 END) AS limit_fen,
  MAX(CASE WHEN m.day = :d THEN m.balance ELSE 0 END) AS balance_fen,
  SUM(m.balance) AS balance_sum,
  SUM(m.limit_amount) AS limit_sum,
  SUM(m.amount_due) AS due_sum,
  SUM(m.amount_paid) AS paid_sum,
  SUM(m.drawn) AS drawn_sum,
  SUM(m.prepaid) AS prepaid_sum
FROM limit_line_months m
WHERE m.day > :d - 365 AND m.day <= :d AND (m.month_end = 1 OR m.day = :d)
  {lines}
GROUP BY m.line_id
HAVING MAX(CASE WHEN m.day = :d THEN 1 ELSE 0 END) = 1
"""
FEATURE_SUMS = FEATURE_SUMS_UNORDERED + "ORDER BY m.line_id\n"
"""The aggregates of ``thinfile.scoring.behaviour.SUM_COLUMNS`` per line snapshotted on
``:d``; ``{lines}`` narrows it (``AND m.line_id IN (…)`` or a range), or is empty."""


LINE_FACTS_UNORDERED = """
SELECT c.id AS line_id, c.status, c.limit_amount, c.annual_rate, inc.income,
  inc_up.last_increase, tmp.line_id AS temporary
FROM servicing_credit_lines c
LEFT JOIN limit_line_incomes inc ON inc.line_id = c.id
LEFT JOIN (SELECT line_id, MAX(day) AS last_increase FROM servicing_limit_changes
           WHERE new_limit <> old_limit AND line_id BETWEEN :first AND :last
           GROUP BY line_id) inc_up ON inc_up.line_id = c.id
LEFT JOIN (SELECT DISTINCT line_id FROM limit_temporary
           WHERE status = 'active' AND line_id BETWEEN :first AND :last) tmp
  ON tmp.line_id = c.id
WHERE c.id BETWEEN :first AND :last AND c.status IN ('active', 'frozen')
  {unreviewed}
"""
LINE_FACTS = LINE_FACTS_UNORDERED + "ORDER BY c.id\n"
"""What a decision reads of each line besides its behaviour (``{unreviewed}``: only lines
the review of ``:d`` has not decided yet)."""
UNREVIEWED = (
    "AND NOT EXISTS (SELECT 1 FROM limit_decisions r WHERE r.line_id = c.id AND r.review_day = :d)"
)


REVIEW_LINES = f"""
SELECT f.line_id, f.status, f.limit_amount, f.annual_rate, f.income, f.last_increase,
  CASE WHEN f.temporary IS NULL THEN 0 ELSE 1 END AS temporary,
  s.opened_day, s.months_observed, s.due_months, s.on_time_months, s.worst_dpd_12m,
  s.current_dpd, s.delinquent_3m, s.delinquent_6m, s.delinquent_12m, s.limit_fen,
  s.balance_fen, s.balance_sum, s.limit_sum, s.due_sum, s.paid_sum, s.drawn_sum, s.prepaid_sum
FROM ({LINE_FACTS_UNORDERED}) f
JOIN ({FEATURE_SUMS_UNORDERED}) s ON s.line_id = f.line_id
ORDER BY f.line_id
"""
"""A review batch in one statement: what a decision reads of each open line (``LINE_FACTS``)
beside its behaviour aggregates (``FEATURE_SUMS``), lines without a snapshot on ``:d`` left
out; ``{unreviewed}`` and ``{lines}`` as there."""

_NOT_OFFERED = """NOT EXISTS (SELECT 1 FROM limit_offers o
  WHERE o.line_id = d.line_id AND o.decision_id = d.id)"""
_INCREASED = f"""SELECT d.line_id FROM limit_decisions d
  WHERE d.review_day = :d AND d.line_id BETWEEN :first AND :last AND d.action = 'increase'
    AND {_NOT_OFFERED}"""
SUPERSEDE_FOR_REVIEW = f"""
UPDATE limit_offers SET status = 'superseded', decided_day = :d
WHERE status = 'pending' AND decision_id IS NOT NULL AND line_id IN ({_INCREASED})
"""
"""A line offered an increase by the review of ``:d`` (not offered yet) loses its pending
policy offer (a staff member's offer stands)."""
OFFERS_FROM_REVIEW = f"""
INSERT INTO limit_offers (line_id, decision_id, old_limit, new_limit, offered_day,
  expires_day, status)
SELECT d.line_id, d.id, d.old_limit, d.new_limit, :d, :expires, 'pending'
FROM limit_decisions d
WHERE d.review_day = :d AND d.line_id BETWEEN :first AND :last AND d.action = 'increase'
  AND {_NOT_OFFERED}
ORDER BY d.line_id
"""
"""The offer of each increase the review of ``:d`` decided for lines ``:first`` to ``:last``
that has none yet (a run resumed with other batches meets decisions offered before)."""
