"""What every servicing use case does before it commits: check, close days, record, post.

Each use case has an in-unit form (``*_in_unit(uow, …)``) that works inside the caller's
:class:`UnitOfWork` and never commits, and an engine-level wrapper that opens its own unit of
work with :func:`in_own_unit` and commits once. An audited caller (the API, the console)
passes the actor: the audit row (:func:`receipt_audit`) is then appended last, in the
posting's own transaction, so the posting and its audit row commit or roll back together.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, TypeVar

from sqlalchemy.engine import Engine

from thinfile.errors import BusinessDateClosedError, CloseOfBusinessRunning
from thinfile.loanmath import build_schedule
from thinfile.money import Money
from thinfile.services.audit import AuditDraft
from thinfile.services.business_date import business_date_in
from thinfile.services.notifications import notify_settlement_ready_in_unit
from thinfile.services.uow import UnitOfWork
from thinfile.servicing import (
    BucketMove,
    Components,
    Event,
    EventKind,
    InvariantViolation,
    JournalEntry,
    LoanAccount,
    LoanStatus,
    Outcome,
    PrepaymentMode,
    ReplayStep,
    SubsidyOnRefund,
    WaiverTarget,
    balances_from_account,
    close_through,
    open_loan,
)
from thinfile.servicing.invariants import entries_balance, no_negative_balances
from thinfile.servicing.ledger import account_balances
from thinfile.store.delinquency_history_repo import MonthEnd
from thinfile.store.servicing_codec import from_day, to_day
from thinfile.store.servicing_repo import StoredLoan

__all__ = [
    "ACTIONS",
    "COB_RETRY_SECONDS",
    "HELD_EXTRA",
    "Post",
    "Receipt",
    "catch_up",
    "check_business_day",
    "close_missed_days",
    "event_of",
    "in_own_unit",
    "payment_row",
    "persist",
    "post_today",
    "rebuild_opening",
    "receipt_audit",
    "refuse_closed",
    "rewrite_history",
    "split_of",
    "stored_events",
]

T = TypeVar("T")

ACTIONS = {
    EventKind.REPAYMENT: "payment.post",
    EventKind.PREPAYMENT: "payment.prepay",
    EventKind.MERCHANT_REFUND: "loan.merchant_refund",
    EventKind.OVERPAYMENT_REFUND: "loan.overpayment_refund",
    EventKind.CHARGE_OFF: "loan.charge_off",
    EventKind.WRITE_OFF: "loan.write_off",
    EventKind.RECOVERY: "loan.recovery",
    EventKind.FEE_WAIVER: "loan.fee_waiver",
    EventKind.PAYMENT_HOLIDAY: "loan.payment_holiday",
    EventKind.RE_AGE: "loan.re_age",
    EventKind.TERM_EXTENSION: "loan.term_extension",
    EventKind.SETTLEMENT: "loan.settlement",
}
"""The audit action of each kind of posting (one name, whichever surface posts it)."""


@dataclass(frozen=True, slots=True)
class Receipt:
    """The result of a money posting: where the money went, in fen."""

    txn_id: int
    loan_id: int
    kind: EventKind
    on: date
    amount: int
    currency: str
    paid: Components
    overpayment: int
    status: LoanStatus
    replayed: bool = False
    """True when an idempotency key matched an earlier posting (nothing new was written)."""
    waived: Components = field(default_factory=Components)
    """What a fee waiver forgave, by component (fee and penalty); zero for other postings."""


def receipt_audit(actor: str, receipt: Receipt, **details: object) -> AuditDraft | None:
    """The audit row of a posting, to append last in its transaction (``None`` for a
    replayed posting: nothing new was written). No personal data in ``details``."""
    if receipt.replayed:
        return None
    return AuditDraft(
        actor,
        ACTIONS[receipt.kind],
        f"loan:{receipt.loan_id}",
        {
            "txn": receipt.txn_id,
            "amount_fen": receipt.amount,
            "currency": receipt.currency,
            **details,
        },
    )


def in_own_unit(
    engine: Engine,
    work: Callable[[UnitOfWork], T],
    audit: Callable[[T], AuditDraft | None] | None = None,
) -> T:
    """Run an in-unit use case in a unit of work of its own: ``work``, then the audit row
    ``audit`` makes of the result (appended last), then one commit."""
    with UnitOfWork(engine) as uow:
        result = work(uow)
        draft = audit(result) if audit else None
        if draft is not None:
            draft.append(uow)
        uow.commit()
    return result


Post = Callable[[UnitOfWork, date], Receipt]
"""A posting's in-unit use case on a business date."""


def post_today(
    uow: UnitOfWork, actor: str, post: Post, **details: object
) -> tuple[Receipt, AuditDraft | None]:
    """Run ``post`` in ``uow`` on the current business date (read in the same transaction);
    the receipt and its audit row (``details`` added), which the caller appends last."""
    receipt = post(uow, business_date_in(uow))
    return receipt, receipt_audit(actor, receipt, **details)


COB_RETRY_SECONDS = 60
"""How long an API client waits before retrying a posting refused while close of business
runs (its ``Retry-After``); a date's steps take seconds to minutes."""


def check_business_day(uow: UnitOfWork, on: date) -> None:
    """Refuse postings while close of business runs, or into a date it has closed."""
    blocked = uow.cob.blocked_day(to_day(on))
    running = blocked is not None and uow.cob.is_running(blocked)
    refuse_closed(on, blocked, running=running)


def refuse_closed(on: date, blocked_day: int | None, *, running: bool | None = None) -> None:
    """Raise when ``blocked_day`` (see :class:`Gate`) refuses a posting on ``on``: a
    :class:`CloseOfBusinessRunning` (503, retry after :data:`COB_RETRY_SECONDS`) while the run
    of ``blocked_day`` has not finished, a :class:`BusinessDateClosedError` (409) for a date
    it finished. ``running`` is whether that run is unfinished, when the caller knows; a
    blocking run before ``on`` is always unfinished."""
    row = blocked_day
    if row is None:
        return
    if row < to_day(on) or running:
        raise CloseOfBusinessRunning(
            f"close of business for {from_day(row)} is running; postings wait until it finishes",
            remedy=f"retry in {COB_RETRY_SECONDS} seconds",
            extra={"retry_after_seconds": COB_RETRY_SECONDS, "closing": from_day(row).isoformat()},
        )
    raise BusinessDateClosedError(
        f"business date {on} is closed",
        field="on",
        value=on.isoformat(),
        remedy=f"post on the current business date, {from_day(row + 1)}",
        extra={"current_business_date": from_day(row + 1).isoformat()},
    )


def validate_posting(before: LoanAccount, after: Outcome) -> None:
    """Named invariants on one posting: entries balance, nothing negative, and the ledger
    moves exactly as the account view moves."""
    problems = entries_balance(after.entries) + no_negative_balances(after.loan)
    moved = account_balances(after.entries)
    view_before, view_after = balances_from_account(before), balances_from_account(after.loan)
    problems += [
        f"{account}: ledger moved {moved.get(account, 0)}, account moved "
        f"{view_after[account] - view_before[account]}"
        for account in view_after
        if moved.get(account, 0) != view_after[account] - view_before[account]
    ]
    if problems:
        raise InvariantViolation(
            f"loan {before.loan_id}: " + "; ".join(problems[:5]), extra={"violations": problems}
        )


def persist(
    uow: UnitOfWork, stored: StoredLoan, done: Outcome, *, txn: dict[str, Any] | None = None
) -> int | None:
    """Validate and write an outcome: loan, installments, entries, bucket moves, transaction;
    a loan it repays in full tells its borrower the settlement certificate is ready."""
    validate_posting(stored.account, done)
    txn_id = uow.loans.write(stored, done, txn)
    if stored.account.status is not LoanStatus.CLOSED and done.loan.status is LoanStatus.CLOSED:
        notify_settlement_ready_in_unit(uow, done.loan.loan_id)
    return txn_id


def split_of(prior: LoanAccount, after: LoanAccount) -> tuple[Components, int]:
    """What a payment paid, by component, and what it left held as overpayment: the loan
    ``prior`` it met against the loan ``after`` it."""
    return paid_between(prior, after), after.credit - prior.credit


HELD_EXTRA = "hold"
"""The stored ``mode`` of a repayment whose money beyond what was due was held (an automatic
debit's)."""


def payment_row(
    kind: EventKind,
    on: date,
    amount: Money,
    key: str | None,
    mode: PrepaymentMode | None,
    paid: Components,
    overpayment: int,
    *,
    held: bool = False,
) -> dict[str, Any]:
    """The transaction row of a repayment or prepayment (``held``: a repayment holding what
    was beyond what was due)."""
    return {
        "kind": kind,
        "day": to_day(on),
        "amount": amount.fen,
        "currency": amount.currency,
        "idempotency_key": key,
        "mode": mode.value if mode else (HELD_EXTRA if held else None),
        "paid_principal": paid.principal,
        "paid_interest": paid.interest,
        "paid_fee": paid.fee,
        "paid_penalty": paid.penalty,
        "overpayment": overpayment,
    }


def rewrite_history(
    uow: UnitOfWork,
    stored: StoredLoan,
    after: LoanAccount,
    entries: tuple[JournalEntry, ...],
    txn: dict[str, Any],
    on: date,
    steps: Sequence[tuple[int, Event, ReplayStep]] = (),
) -> tuple[int, list[int]]:
    """Write a loan replayed on business date ``on`` (reverse-and-replay: a reversal, a
    posting at its value date) over ``stored``: the loan, the bucket move when the replay
    changed its bucket, the transaction ``txn`` and its ``entries`` — checked first as a
    posting is (balanced, nothing negative, the ledger moving as the account view moves). A
    loan it closes tells its borrower the settlement certificate is ready. The payments
    among the other events replayed (``steps``: transaction id, event, its replayed step)
    keep what they paid as the replay allocates it. The new transaction's id and its
    entries' ids."""
    before, loan_id = stored.account, stored.account.loan_id
    validate_posting(before, Outcome(after, entries))
    uow.loans.save(stored, after)
    if after.bucket != before.bucket:
        dpd = after.days_past_due(after.cob_date)
        uow.loans.record_moves([BucketMove(loan_id, on, before.bucket, after.bucket, dpd)])
    txn_id = uow.transactions.add({"loan_id": loan_id, **txn})
    ids = uow.ledger.post(entries, loan_id=loan_id, txn_id=txn_id)
    for other, event, step in steps:
        if event.kind in (EventKind.REPAYMENT, EventKind.PREPAYMENT):
            paid, over = split_of(step.prior, step.own.loan)
            split = (paid.principal, paid.interest, paid.fee, paid.penalty)
            uow.transactions.set_split(other, split, over)
    if before.status is not LoanStatus.CLOSED and after.status is LoanStatus.CLOSED:
        notify_settlement_ready_in_unit(uow, loan_id)
    return txn_id, ids


def catch_up(uow: UnitOfWork, stored: StoredLoan, on: date) -> StoredLoan:
    """Close the loan's own business days up to the day before ``on`` (inline COB)."""
    check_business_day(uow, on)
    return close_missed_days(uow, stored, on)


def close_missed_days(uow: UnitOfWork, stored: StoredLoan, on: date) -> StoredLoan:
    """:func:`catch_up` once the business date was checked. A loan already closed to the day
    before ``on`` (or no longer active) has no day to close: its disputes are not read.

    A month-end among the days closed gets the loan's month-end row as it stood at that
    day's close: close of business, reaching the date later, finds the loan closed past it
    (and perhaps paid since) and leaves its row alone."""
    through, loan = on - timedelta(days=1), stored.account
    if loan.status is not LoanStatus.ACTIVE or loan.cob_date >= through:
        return stored  # what close_through would find: nothing to close
    held = uow.disputes.held_of_loan(loan.loan_id)
    done = close_through(loan, through, held)
    if done.loan == stored.account:
        return stored
    persist(uow, stored, done)
    for day in month_ends_between(loan.cob_date, through):
        at = done.loan if day == through else close_through(loan, day, held).loan
        if (row := month_end_row(at, day)) is not None:
            uow.delinquency_history.add_month_end(loan.loan_id, row)
    return StoredLoan(done.loan, stored.version + 1, stored.down_payment)


def month_ends_between(after: date, through: date) -> list[date]:
    """The last days of months in ``(after, through]``."""
    days, day = [], _end_of_month(after + timedelta(days=1))
    while day <= through:
        days.append(day)
        day = _end_of_month(day + timedelta(days=1))
    return days


def _end_of_month(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


def month_end_row(loan: LoanAccount, day: date) -> MonthEnd | None:
    """The loan's month-end row for ``day`` as close of business writes it (``MONTH_END``);
    None for a loan that ended before the month began (close of business writes none)."""
    active = loan.status is LoanStatus.ACTIVE
    if not active and (loan.closed_on is None or loan.closed_on < day.replace(day=1)):
        return None
    aging = loan.status is not LoanStatus.CLOSED  # a loss (charged or written off) keeps its age
    dpd = loan.days_past_due(day) if aging else 0  # never below 0 (a dispute's pause)
    principal = sum(i.principal_due - i.principal_paid for i in loan.installments)
    return MonthEnd(day, loan.status.value, dpd, principal)


def rebuild_opening(stored: StoredLoan) -> Outcome:
    """The loan as it was opened, rebuilt from its stored terms (for replay); a subsidised
    loan stored without a plan was opened before plans and keeps its straight line."""
    loan = stored.account
    terms = loan.schedule.terms
    return open_loan(
        loan.loan_id,
        build_schedule(terms),
        loan.product,
        down_payment=stored.down_payment,
        subsidy=loan.subsidy,
        lender_subsidy=loan.lender_subsidy,
        merchant=loan.merchant,
        credit_line_id=loan.credit_line_id,
        effective_interest=bool(loan.subsidy_plan) or not loan.subsidy,
    )


def stored_events(uow: UnitOfWork, loan_id: int) -> list[tuple[int, Event]]:
    """The loan's events still in force, in the order they apply (by date, then posting
    order), with their transaction ids."""
    rows = uow.transactions.in_force(loan_id, [k.value for k in EventKind])
    return [(r.id, event_of(r)) for r in rows]


def event_of(r: Any) -> Event:
    """The business event a stored transaction row (``kind``, ``day``, ``amount``, ``mode``,
    a checkout refund's ``subsidy_unwound`` and ``lender_unwound``) posted."""
    kind = EventKind(r.kind)
    mode = PrepaymentMode(r.mode) if r.mode and kind is EventKind.PREPAYMENT else None
    waive = WaiverTarget(r.mode) if r.mode and kind is EventKind.FEE_WAIVER else None
    unearned = SubsidyOnRefund(r.mode) if r.mode and kind is EventKind.MERCHANT_REFUND else None
    unwound = None
    if unearned is not None and r.subsidy_unwound is not None:
        unwound = (int(r.subsidy_unwound), int(r.lender_unwound or 0))
    hold = kind is EventKind.REPAYMENT and r.mode == HELD_EXTRA
    return Event(kind, from_day(r.day), r.amount, mode, waive, unearned, unwound, hold=hold)


def paid_between(before: LoanAccount, after: LoanAccount) -> Components:
    """Components paid by a posting: the change in what the installments record as paid."""

    def total(loan: LoanAccount) -> Components:
        out = Components()
        for i in loan.installments:
            out += Components(i.principal_paid, i.interest_paid, i.fee_paid, i.penalty_paid)
        return out

    b, a = total(before), total(after)
    return Components(
        a.principal - b.principal, a.interest - b.interest, a.fee - b.fee, a.penalty - b.penalty
    )
