"""The set-based statements close of business writes its reminders and notices with
(:meth:`~thinfile.store.notifications_repo.NotificationRepository.add_before_due`,
``add_overdue``), and the one the delivery worker writes their deliveries with (``FAN_OUT``,
by the channel rules of their kinds)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from thinfile.store.cob_statements import OWED_ROW, undisputed

__all__ = [
    "BEFORE_DUE",
    "FAN_OUT",
    "FENCE",
    "OVERDUE",
    "SEPARATORS",
    "ChannelRule",
    "rules_sql",
]


@dataclass(frozen=True, slots=True)
class ChannelRule:
    """A kind's channel, and whether the borrower's in-app-only choice leaves it on."""

    kind: str
    channel: str
    legally_required: bool


# close of business: the owner of a loan (opened by an offer, or drawn from an owned line)
_OWNER = """COALESCE(
  (SELECT MIN(a.user_id) FROM applications a WHERE a.loan_id = CAST(l.id AS VARCHAR(32))),
  (SELECT MIN(a.user_id) FROM applications a
   WHERE l.credit_line_id IS NOT NULL
     AND a.credit_line_id = CAST(l.credit_line_id AS VARCHAR(32))))"""
_KEY = (
    "{kind} || CAST(:loan_tag AS VARCHAR(8)) || CAST(l.id AS VARCHAR(20))"
    " || CAST(:sep AS VARCHAR(1)) || CAST({day} AS VARCHAR(12))"
)
SEPARATORS = {"loan_tag": ":loan:", "sep": ":"}
"""Bound, not written in the SQL: a colon in the statement's text would start a parameter."""

FENCE = "/*fence*/"
"""Where PostgreSQL takes ``OFFSET 0``: a subquery with an offset keeps the outer filter on
its owner outside, so the owner lookup runs once per loan (pushed into the grouping, the
planner evaluated it twice: for the filter and for the row)."""

_BEFORE_DUE_KEY = _KEY.format(kind="CAST(:kind AS VARCHAR(32))", day="i.due_day")
BEFORE_DUE = f"""
INSERT INTO notifications (user_id, kind, loan_id, ref_day, dedupe_key, amount_fen, currency,
  params, legally_required, cob_day, created_at)
SELECT r.user_id, CAST(:kind AS VARCHAR(32)), r.loan_id, r.due_day, r.dedupe_key, r.owed,
       r.currency, '{{}}', :required, :x, :at
FROM (SELECT {_OWNER} AS user_id, l.id AS loan_id, i.due_day AS due_day, l.currency AS currency,
             SUM({OWED_ROW}) AS owed, {_BEFORE_DUE_KEY} AS dedupe_key
      FROM servicing_installments i JOIN servicing_loans l ON l.id = i.loan_id
      WHERE i.due_day = :target AND l.status = 'active' AND {undisputed("l.id")}
      GROUP BY l.id, i.due_day, l.currency, l.credit_line_id {FENCE}) r
WHERE r.user_id IS NOT NULL AND r.owed > 0
ON CONFLICT (dedupe_key) DO NOTHING
"""
"""The D−3 or D0 reminder of every active loan with something unpaid due on ``:target``;
none for a purchase under a dispute open tonight (its payments are paused: DOMAIN §11)."""

_OVERDUE_KIND = "'overdue_' || CAST(:d - g.since AS VARCHAR(4))"
OVERDUE = f"""
INSERT INTO notifications (user_id, kind, loan_id, ref_day, dedupe_key, amount_fen, currency,
  params, legally_required, cob_day, created_at)
SELECT g.user_id, {_OVERDUE_KIND}, g.loan_id, g.since,
       {_OVERDUE_KIND} || CAST(:loan_tag AS VARCHAR(8)) || CAST(g.loan_id AS VARCHAR(20))
         || CAST(:sep AS VARCHAR(1)) || CAST(g.since AS VARCHAR(12)),
       g.owed, g.currency, '{{}}', :required, :x, :at
FROM (SELECT l.id AS loan_id, l.overdue_since_day AS since, l.currency AS currency,
             {_OWNER} AS user_id, SUM({OWED_ROW}) AS owed
      FROM servicing_loans l
      JOIN servicing_installments i ON i.loan_id = l.id AND i.due_day <= :x
      WHERE l.status = 'active' AND l.overdue_since_day IN :since AND {undisputed("l.id")}
      GROUP BY l.id, l.overdue_since_day, l.currency, l.credit_line_id
      HAVING SUM({OWED_ROW}) > 0 {FENCE}) g
WHERE g.user_id IS NOT NULL
ON CONFLICT (dedupe_key) DO NOTHING
"""
"""The overdue notice (D+1, D+7 …) of every active loan overdue since one of ``:since``: what
it owes summed by a join grouped by loan (as a subquery per loan the planner evaluated the
sum twice, once for the filter and once for the row: two thirds of the step at 950,000
notices), its owner looked up once per loan. None for a purchase under a dispute open
tonight: collection pauses until it is resolved."""


def rules_sql(rules: Sequence[ChannelRule]) -> str:
    return " UNION ALL ".join(
        f"SELECT '{r.kind}' AS kind, '{r.channel}' AS channel,"
        f" {1 if r.legally_required or r.channel == 'in_app' else 0} AS keeps"
        for r in rules
    )


FAN_OUT = """
INSERT INTO notification_deliveries (notification_id, channel, user_id, status, attempts,
  next_attempt_at, created_at)
SELECT n.id, r.channel, n.user_id, 'pending', 0, :due, :at
FROM notifications n
JOIN ({rules}) r ON r.kind = n.kind
LEFT JOIN notification_preferences p ON p.user_id = n.user_id
WHERE n.cob_day = :x AND n.id > :after AND n.id <= :upto
  AND (r.keeps = 1 OR p.in_app_only IS NULL OR p.in_app_only = :false)
"""
"""The deliveries of a night's messages ``:after`` < id ≤ ``:upto`` (the delivery worker's
batch): each kind's channels, in-app only for a borrower who chose it, except the notices
the law requires."""
