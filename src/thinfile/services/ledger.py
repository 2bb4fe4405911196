"""Ledger verification (对账): the journal balances and agrees with the loan accounts.

Close of business posts one aggregated entry per step and currency, so the check is the one a
bank runs between sub-ledger and general ledger: for every balance-sheet account, the
journal's balance equals the sum of what the loan accounts say is owed.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from thinfile.servicing import Account

__all__ = ["LedgerReport", "verify_ledger"]

UNBALANCED = """
SELECT entry_id, currency, SUM(amount) AS off FROM servicing_journal_lines
GROUP BY entry_id, currency HAVING SUM(amount) <> 0
"""

GENERAL_LEDGER = """
SELECT account, currency, SUM(amount) AS balance FROM servicing_journal_lines
GROUP BY account, currency
"""

_OPEN = "l.status IN ('active', 'closed')"
SUB_LEDGER = f"""
SELECT l.currency,
  SUM(CASE WHEN {_OPEN} THEN i.principal_due - i.principal_paid ELSE 0 END) AS loans,
  SUM(CASE WHEN {_OPEN} THEN i.interest_accrued - i.interest_paid ELSE 0 END) AS interest,
  SUM(CASE WHEN {_OPEN} THEN i.fee_accrued - i.fee_paid ELSE 0 END) AS fee,
  SUM(CASE WHEN {_OPEN} THEN i.penalty_due - i.penalty_paid ELSE 0 END) AS penalty
FROM servicing_installments i JOIN servicing_loans l ON l.id = i.loan_id GROUP BY l.currency
"""

LIABILITIES = """
SELECT currency, SUM(credit) AS credit, SUM(subsidy - subsidy_recognized) AS deferred
FROM servicing_loans GROUP BY currency
"""

NEGATIVE = """
SELECT COUNT(*) FROM servicing_installments WHERE principal_paid > principal_due
  OR interest_paid > interest_accrued OR interest_accrued > interest_due
  OR fee_paid > fee_accrued OR fee_accrued > fee_due OR penalty_paid > penalty_due
  OR principal_paid < 0 OR interest_paid < 0 OR fee_paid < 0 OR penalty_paid < 0
"""


@dataclass(frozen=True, slots=True)
class LedgerReport:
    """Balances per (account, currency) and every problem found; ``ok`` when none."""

    balances: dict[tuple[str, str], int]
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.problems


def _expected(conn: sa.Connection) -> dict[tuple[str, str], int]:
    out: dict[tuple[str, str], int] = {}
    for r in conn.execute(sa.text(SUB_LEDGER)).mappings():
        cur = r["currency"]
        out[(Account.LOANS_RECEIVABLE.value, cur)] = int(r["loans"])
        out[(Account.INTEREST_RECEIVABLE.value, cur)] = int(r["interest"])
        out[(Account.FEE_RECEIVABLE.value, cur)] = int(r["fee"])
        out[(Account.PENALTY_RECEIVABLE.value, cur)] = int(r["penalty"])
    for r in conn.execute(sa.text(LIABILITIES)).mappings():
        out[(Account.OVERPAYMENT_LIABILITY.value, r["currency"])] = -int(r["credit"])
        out[(Account.DEFERRED_SUBSIDY.value, r["currency"])] = -int(r["deferred"])
    return out


def verify_ledger(engine: Engine) -> LedgerReport:
    """Check every named ledger invariant over the whole book; writes nothing."""
    with engine.connect() as conn:
        unbalanced = conn.execute(sa.text(UNBALANCED)).all()
        balances = {(r.account, r.currency): int(r.balance)
                    for r in conn.execute(sa.text(GENERAL_LEDGER))}
        expected = _expected(conn)
        negative = int(conn.execute(sa.text(NEGATIVE)).scalar_one())
    problems = [f"entries_balance: entry {r.entry_id} is off by {r.off} {r.currency}"
                for r in unbalanced]
    problems += [f"ledger_matches_accounts: {account} {currency}: ledger "
                 f"{balances.get((account, currency), 0)}, accounts {amount}"
                 for (account, currency), amount in sorted(expected.items())
                 if balances.get((account, currency), 0) != amount]
    if negative:
        problems.append(f"no_negative_balances: {negative} installment(s) out of range")
    return LedgerReport(balances, tuple(problems))
