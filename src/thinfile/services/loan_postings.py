"""What every servicing use case does before it commits: check, close days, record, post."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa

from thinfile.errors import ConflictError
from thinfile.loanmath import build_schedule
from thinfile.services.uow import UnitOfWork
from thinfile.servicing import (
    Components,
    Event,
    EventKind,
    InvariantViolation,
    LoanAccount,
    Outcome,
    PrepaymentMode,
    balances_from_account,
    close_through,
    open_loan,
)
from thinfile.servicing.invariants import entries_balance, no_negative_balances
from thinfile.servicing.ledger import account_balances
from thinfile.store.servicing_codec import from_day, to_day
from thinfile.store.servicing_repo import StoredLoan
from thinfile.store.servicing_tables import cob_runs, transactions

__all__ = ["Receipt", "catch_up", "check_business_day", "close_missed_days", "persist",
           "rebuild_opening", "refuse_closed", "stored_events"]


@dataclass(frozen=True, slots=True)
class Receipt:
    """The result of a money posting: where the money went, in fen."""

    txn_id: int
    loan_id: int
    kind: str
    on: date
    amount: int
    currency: str
    paid: Components
    overpayment: int
    status: str
    replayed: bool = False
    """True when an idempotency key matched an earlier posting (nothing new was written)."""


def check_business_day(uow: UnitOfWork, on: date) -> None:
    """Refuse postings while close of business runs, or into a date it has closed."""
    day = to_day(on)
    row = uow.conn.execute(sa.select(sa.func.max(cob_runs.c.business_day)).where(
        (cob_runs.c.status != "done") | (cob_runs.c.business_day >= day))).scalar()
    refuse_closed(on, row)


def refuse_closed(on: date, blocked_day: int | None) -> None:
    """Raise when ``blocked_day`` (see :class:`Gate`) refuses a posting on ``on``."""
    row = blocked_day
    if row is None:
        return
    if row >= to_day(on):
        raise ConflictError(f"business date {on} is closed", field="on", value=on.isoformat(),
                            remedy="post with the current business date")
    raise ConflictError(f"close of business for {from_day(row)} has not finished",
                        remedy="run `thinfile cob run` to finish it, then retry")


def validate_posting(before: LoanAccount, after: Outcome) -> None:
    """Named invariants on one posting: entries balance, nothing negative, and the ledger
    moves exactly as the account view moves."""
    problems = entries_balance(after.entries) + no_negative_balances(after.loan)
    moved = account_balances(after.entries)
    view_before, view_after = balances_from_account(before), balances_from_account(after.loan)
    problems += [f"{account}: ledger moved {moved.get(account, 0)}, account moved "
                 f"{view_after[account] - view_before[account]}"
                 for account in view_after
                 if moved.get(account, 0) != view_after[account] - view_before[account]]
    if problems:
        raise InvariantViolation(f"loan {before.loan_id}: " + "; ".join(problems[:5]),
                                 extra={"violations": problems})


def persist(uow: UnitOfWork, stored: StoredLoan, done: Outcome, *,
            txn: dict[str, Any] | None = None) -> int | None:
    """Validate and write an outcome: loan, installments, entries, bucket moves, transaction."""
    validate_posting(stored.account, done)
    return uow.loans.write(stored, done, txn)


def catch_up(uow: UnitOfWork, stored: StoredLoan, on: date) -> StoredLoan:
    """Close the loan's own business days up to the day before ``on`` (inline COB)."""
    check_business_day(uow, on)
    return close_missed_days(uow, stored, on)


def close_missed_days(uow: UnitOfWork, stored: StoredLoan, on: date) -> StoredLoan:
    """:func:`catch_up` once the business date was checked."""
    done = close_through(stored.account, on - timedelta(days=1))
    if done.loan == stored.account:
        return stored
    persist(uow, stored, done)
    return StoredLoan(done.loan, stored.version + 1, stored.down_payment)


def rebuild_opening(stored: StoredLoan) -> Outcome:
    """The loan as it was opened, rebuilt from its stored terms (for replay)."""
    loan = stored.account
    terms = loan.schedule.terms
    return open_loan(loan.loan_id, build_schedule(terms), loan.product,
                     down_payment=stored.down_payment, subsidy=loan.subsidy,
                     merchant=loan.merchant, credit_line_id=loan.credit_line_id)


def stored_events(uow: UnitOfWork, loan_id: int) -> list[tuple[int, Event]]:
    """The loan's events still in force, in posting order, with their transaction ids."""
    kinds = [k.value for k in EventKind]
    rows = uow.conn.execute(sa.select(transactions).where(
        transactions.c.loan_id == loan_id, transactions.c.kind.in_(kinds),
        transactions.c.reversed.is_(False)).order_by(transactions.c.id)).all()
    return [(r.id, Event(EventKind(r.kind), from_day(r.day), r.amount,
                         PrepaymentMode(r.mode) if r.mode else None)) for r in rows]


def paid_between(before: LoanAccount, after: LoanAccount) -> Components:
    """Components paid by a posting: the change in what the installments record as paid."""
    def total(loan: LoanAccount) -> Components:
        out = Components()
        for i in loan.installments:
            out += Components(i.principal_paid, i.interest_paid, i.fee_paid, i.penalty_paid)
        return out
    b, a = total(before), total(after)
    return Components(a.principal - b.principal, a.interest - b.interest, a.fee - b.fee,
                      a.penalty - b.penalty)
