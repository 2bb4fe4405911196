"""Named invariants of a loan and its ledger, checked before anything is committed.

Each validator returns the violations it finds (empty when all is well); :func:`check_loan`
runs them all and raises :class:`InvariantViolation`, so a broken posting is never stored.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from thinfile.errors import InvariantViolation
from thinfile.servicing.account import LoanAccount, LoanStatus
from thinfile.servicing.ledger import Account, JournalEntry, account_balances

_LOST = (LoanStatus.CHARGED_OFF, LoanStatus.WRITTEN_OFF)

__all__ = [
    "InvariantViolation",
    "balances_from_account",
    "check_loan",
    "entries_balance",
    "ledger_matches_account",
    "no_negative_balances",
    "principal_is_conserved",
]


def entries_balance(entries: Iterable[JournalEntry]) -> list[str]:
    """Every journal entry sums to zero in each currency."""
    return [
        f"{e.kind} on {e.on} is out of balance by {e.balance_by_currency()}"
        for e in entries
        if not e.is_balanced()
    ]


def balances_from_account(loan: LoanAccount) -> dict[Account, int]:
    """The balance-sheet balances the account view implies (debit positive)."""
    owed = loan.outstanding
    return {
        Account.LOANS_RECEIVABLE: owed.principal,
        Account.INTEREST_RECEIVABLE: owed.interest,
        Account.FEE_RECEIVABLE: owed.fee,
        Account.PENALTY_RECEIVABLE: owed.penalty,
        Account.OVERPAYMENT_LIABILITY: -loan.credit,
        Account.DEFERRED_SUBSIDY: -(loan.subsidy - loan.subsidy_recognized),
    }


def ledger_matches_account(loan: LoanAccount, entries: Iterable[JournalEntry]) -> list[str]:
    """The loan's ledger balances equal what its installments say is owed."""
    return _compare(balances_from_account(loan), account_balances(entries))


def _compare(view: Mapping[Account, int], ledger: Mapping[Account, int]) -> list[str]:
    return [
        f"{account}: ledger {ledger.get(account, 0)} ≠ account {amount}"
        for account, amount in view.items()
        if ledger.get(account, 0) != amount
    ]


def no_negative_balances(loan: LoanAccount) -> list[str]:
    """Nothing is paid beyond what is due, accrued beyond what is due, or owed below zero."""
    out = []
    for i in loan.installments:
        for name in ("principal", "interest", "fee", "penalty"):
            due, paid = getattr(i, f"{name}_due"), getattr(i, f"{name}_paid")
            if not 0 <= paid <= due:
                out.append(f"installment {i.n} {name}: paid {paid} of {due}")
        for name in ("interest", "fee"):
            due, paid = getattr(i, f"{name}_due"), getattr(i, f"{name}_paid")
            accrued = getattr(i, f"{name}_accrued")
            if not paid <= accrued <= due:
                out.append(f"installment {i.n} {name}: accrued {accrued} outside {paid}..{due}")
    if loan.credit < 0 or not 0 <= loan.subsidy_recognized <= loan.subsidy:
        out.append(f"credit {loan.credit} or subsidy {loan.subsidy_recognized} out of range")
    return out


def principal_is_conserved(loan: LoanAccount, entries: Iterable[JournalEntry]) -> list[str]:
    """Principal lent = repaid + outstanding + charged off (本金守恒).

    Repaid includes merchant refunds; lent is read from the disbursement entries.
    """
    lent = sum(e.amount_of(Account.LOANS_RECEIVABLE) for e in entries if e.kind == "disbursement")
    scheduled = sum(i.principal_due for i in loan.installments)
    repaid = sum(i.principal_paid for i in loan.installments)
    lost = loan.charged_off.principal
    expected_lost = scheduled - repaid if loan.status in _LOST else 0
    out = []
    if not lent == scheduled == loan.principal:
        out.append(f"lent {lent}, scheduled {scheduled}, principal {loan.principal}")
    if lost != expected_lost:
        out.append(f"charged off {lost}, expected {expected_lost}")
    if loan.principal != repaid + loan.outstanding.principal + lost:
        out.append(
            f"{loan.principal} ≠ repaid {repaid} + outstanding "
            f"{loan.outstanding.principal} + charged off {lost}"
        )
    return out


Validator = Callable[[LoanAccount, tuple[JournalEntry, ...]], list[str]]
VALIDATORS: dict[str, Validator] = {
    "entries_balance": lambda _loan, entries: entries_balance(entries),
    "ledger_matches_account": ledger_matches_account,
    "no_negative_balances": lambda loan, _entries: no_negative_balances(loan),
    "principal_is_conserved": principal_is_conserved,
}


def check_loan(loan: LoanAccount, entries: Iterable[JournalEntry]) -> None:
    """Run every validator over a loan and its whole ledger; raise on any violation."""
    history = tuple(entries)
    found = [
        f"{name}: {problem}"
        for name, validator in VALIDATORS.items()
        for problem in validator(loan, history)
    ]
    if found:
        raise InvariantViolation(
            f"loan {loan.loan_id} breaks {len(found)} invariant(s): " + "; ".join(found[:5]),
            extra={"violations": found},
        )
