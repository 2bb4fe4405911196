"""Ledger verification (对账): the journal balances and agrees with the loan accounts.

Close of business posts one aggregated entry per step and currency, so the check is the one a
bank runs between sub-ledger and general ledger: for every balance-sheet account, the
journal's balance equals the sum of what the loan accounts say is owed.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.engine import Engine

from thinfile.services.uow import UnitOfWork
from thinfile.servicing import Account

__all__ = ["LedgerReport", "verify_ledger"]


@dataclass(frozen=True, slots=True)
class LedgerReport:
    """Balances per (account, currency) and every problem found; ``ok`` when none."""

    balances: dict[tuple[str, str], int]
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.problems


def _expected(uow: UnitOfWork) -> dict[tuple[str, str], int]:
    """What the loan accounts say each balance-sheet account holds, per currency."""
    out: dict[tuple[str, str], int] = {}
    for r in uow.ledger.sub_ledger():
        cur = r["currency"]
        out[(Account.LOANS_RECEIVABLE.value, cur)] = int(r["loans"])
        out[(Account.INTEREST_RECEIVABLE.value, cur)] = int(r["interest"])
        out[(Account.FEE_RECEIVABLE.value, cur)] = int(r["fee"])
        out[(Account.PENALTY_RECEIVABLE.value, cur)] = int(r["penalty"])
    for r in uow.ledger.liabilities():
        out[(Account.OVERPAYMENT_LIABILITY.value, r["currency"])] = -int(r["credit"])
        out[(Account.DEFERRED_SUBSIDY.value, r["currency"])] = -int(r["deferred"])
    return out


def verify_ledger(engine: Engine) -> LedgerReport:
    """Check every named ledger invariant over the whole book; writes nothing."""
    with UnitOfWork(engine) as uow:
        unbalanced = uow.ledger.unbalanced()
        balances = uow.ledger.general_ledger()
        expected = _expected(uow)
        negative = uow.ledger.out_of_range()
    problems = [
        f"entries_balance: entry {r.entry_id} is off by {r.off} {r.currency}" for r in unbalanced
    ]
    problems += [
        f"ledger_matches_accounts: {account} {currency}: ledger "
        f"{balances.get((account, currency), 0)}, accounts {amount}"
        for (account, currency), amount in sorted(expected.items())
        if balances.get((account, currency), 0) != amount
    ]
    if negative:
        problems.append(f"no_negative_balances: {negative} installment(s) out of range")
    return LedgerReport(balances, tuple(problems))
