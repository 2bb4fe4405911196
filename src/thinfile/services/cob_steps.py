"""Close of business's steps (``run_cob`` in :mod:`thinfile.services.cob` runs them): each
closes one business date ``x`` for every loan with one statement group of
:mod:`thinfile.store.cob_statements` (``uow.cob``), posting one aggregated journal entry per
currency for what it changed, and returns how many rows it touched. ``STEPS`` is their order.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable
from datetime import date, timedelta

from thinfile.loanmath.defaults import RATE_SCALE
from thinfile.services.collection_contacts import settle_promises_in_unit
from thinfile.services.collections import follow_cases_in_unit
from thinfile.services.coupon_expiry import expire_coupons_step
from thinfile.services.identity_records import now_utc
from thinfile.services.limit_reviews import close_of_business_step
from thinfile.services.lost_lines import stop_lines_of_lost_draws_in
from thinfile.services.notifications import notify_settlement_ready_in_unit
from thinfile.services.reminders import reminders_step
from thinfile.services.uow import UnitOfWork
from thinfile.servicing import Account, EntryBuilder, LoanStatus, apply_held_credit
from thinfile.servicing.wc_terms import CHARGE_OFF_DAYS
from thinfile.store.cob_statements import Params
from thinfile.store.servicing_codec import to_day

__all__ = ["AUTO_DEBIT_RETRY_DAYS", "LIMIT_STEP_ON", "STEPS", "Step", "auto_debit_step"]

LIMIT_STEP_ON = True
"""The switch of the ``limits`` step (on by default; off, the night skips limit management)."""
Step = Callable[[UnitOfWork, date, Params], int]


def _post(uow: UnitOfWork, kind: str, x: date, builder: EntryBuilder) -> None:
    if not builder.is_empty():
        uow.ledger.post(
            [builder.build(kind, x, memo="close of business")], loan_id=None, cob_day=to_day(x)
        )


def _credit(uow: UnitOfWork, x: date, p: Params) -> int:
    """Overpayment held pays what has fallen due (``servicing.apply_held_credit``), loan by
    loan: only loans holding money with something due are loaded."""
    ids = uow.cob.loans_holding_credit(p)
    for loan_id in ids:
        stored = uow.loans.get(loan_id, lock=True)
        done = apply_held_credit(stored.account, x)
        uow.loans.write(stored, done)
        closed = done.loan.status is LoanStatus.CLOSED
        if closed and stored.account.status is not LoanStatus.CLOSED:
            notify_settlement_ready_in_unit(uow, loan_id)
    return len(ids)


def _due(uow: UnitOfWork, x: date, p: Params) -> int:
    return uow.cob.mark_due(p)


AUTO_DEBIT_RETRY_DAYS: tuple[int, ...] = (1, 3, 7)
"""Days past due on which a retry of what is past due reaches the card: the ``auto-debit``
step of the night before queues it (the default of ``run_cob``'s ``retry_days``)."""
_AUTO_DEBIT_HASH = hashlib.sha256(b"auto-debit").hexdigest()


def auto_debit_step(
    uow: UnitOfWork, x: date, p: Params, *, retry_days: tuple[int, ...] = AUTO_DEBIT_RETRY_DAYS
) -> int:
    """Queue the day's auto-debits (代扣), one statement: see ``thinfile.services.auto_debit``."""
    nonce = uuid.uuid4().hex[:8]
    return uow.cob.queue_auto_debits(
        p, retry_days=retry_days, nonce=nonce, request_hash=_AUTO_DEBIT_HASH, at=now_utc()
    )


def _accrual(uow: UnitOfWork, x: date, p: Params) -> int:
    sums: dict[str, EntryBuilder] = {}
    for row in uow.cob.accrual_sums(p):
        b = sums.setdefault(row["currency"], EntryBuilder(row["currency"]))
        b.move(
            debit=Account.INTEREST_RECEIVABLE,
            credit=Account.INTEREST_INCOME,
            fen=int(row["interest"]),
        )
        b.move(debit=Account.FEE_RECEIVABLE, credit=Account.FEE_INCOME, fen=int(row["fee"]))
    for row in uow.cob.subsidy_sums(p):
        b = sums.setdefault(row["currency"], EntryBuilder(row["currency"]))
        b.move(
            debit=Account.DEFERRED_SUBSIDY, credit=Account.INTEREST_INCOME, fen=int(row["subsidy"])
        )
    touched = uow.cob.accrue(p)
    touched += uow.cob.recognize_subsidy(p)
    for builder in sums.values():
        _post(uow, "cob-accrual", x, builder)
    return touched


def _late_fee(uow: UnitOfWork, x: date, p: Params) -> int:
    """Late fees, each within its installment's all-in allowance (the day's included)."""
    fees = uow.cob.late_fees(p)
    charged = [row for row in fees if row["net"]]
    if charged:
        uow.cob.charge_late_fees(charged)
    sums: dict[str, EntryBuilder] = {}
    for row in fees:
        b = sums.setdefault(row["currency"], EntryBuilder(row["currency"]))
        _charge(b, Account.FEE_RECEIVABLE, Account.FEE_INCOME, int(row["net"]), int(row["gross"]))
    for builder in sums.values():
        _post(uow, "cob-late-fee", x, builder)
    return len(charged)


def _charge(
    entry: EntryBuilder, receivable: Account, income: Account, net: int, gross: int
) -> None:
    """As ``thinfile.servicing.cob._book``: charged gross, the part above the all-in
    allowance relieved at once."""
    entry.debit(receivable, net).credit(income, gross).debit(Account.CAP_RELIEF, gross - net)


def _penalty(uow: UnitOfWork, x: date, p: Params) -> int:
    sums = uow.cob.penalty_sums(p)
    touched = uow.cob.charge_penalty(p)
    for row in sums:
        b = EntryBuilder(row["currency"])
        _charge(
            b,
            Account.PENALTY_RECEIVABLE,
            Account.PENALTY_INCOME,
            int(row["net"]),
            int(row["gross"]),
        )
        _post(uow, "cob-penalty", x, b)
    return touched


def _delinquency(uow: UnitOfWork, x: date, p: Params) -> int:
    return uow.cob.move_buckets(p)


def _charge_off(uow: UnitOfWork, x: date, p: Params) -> int:
    sums = uow.cob.charge_off_sums(p)
    touched = uow.cob.charge_off(p)
    if touched:  # a line one of whose draws is charged off never lends again
        stop_lines_of_lost_draws_in(uow, x, ended_day=int(p["x"]))
    for row in sums:
        b = EntryBuilder(row["currency"])
        b.move(
            debit=Account.CHARGE_OFF_EXPENSE,
            credit=Account.LOANS_RECEIVABLE,
            fen=int(row["co_principal"]),
        )
        b.move(
            debit=Account.INTEREST_INCOME,
            credit=Account.INTEREST_RECEIVABLE,
            fen=int(row["co_interest"]),
        )
        b.move(debit=Account.FEE_INCOME, credit=Account.FEE_RECEIVABLE, fen=int(row["co_fee"]))
        b.move(
            debit=Account.PENALTY_INCOME,
            credit=Account.PENALTY_RECEIVABLE,
            fen=int(row["co_penalty"]),
        )
        b.move(
            debit=Account.DEFERRED_SUBSIDY,
            credit=Account.CHARGE_OFF_EXPENSE,
            fen=int(row["subsidy"]),
        )
        _post(uow, "charge-off", x, b)
    return touched


def _month_end(uow: UnitOfWork, x: date, p: Params) -> int:
    """On the last day of a month, every loan's month-end row (the loan-month table)."""
    if (x + timedelta(days=1)).day != 1:
        return 0
    return uow.cob.snapshot_month_end(p, to_day(x.replace(day=1)))


def _limits(uow: UnitOfWork, x: date, p: Params) -> int:
    """Limit management's part of the night (``limit_reviews.close_of_business_step``):
    behaviour snapshots at month-end, temporary limits ending, the month-end review."""
    return close_of_business_step(uow, x) if LIMIT_STEP_ON else 0


def _working_capital(uow: UnitOfWork, x: date, p: Params) -> int:
    """Working-capital lines (``servicing.working_capital``), each closed to ``x`` once: the
    day's interest on what is drawn, the period checks (near breach, cure, breach with its
    shortfall installment, the next period) and the oldest unmet obligation
    (:mod:`thinfile.store.working_capital_cob`); one accrual entry per currency. Lines
    ``CHARGE_OFF_DAYS`` past due are then charged off, one entry per currency."""
    params = {"x": p["x"], "prev": p["prev"], "scale": RATE_SCALE}
    wc = uow.working_capital.cob
    for currency, fen in wc.accrual_sums(params).items():
        builder = EntryBuilder(currency).move(
            debit=Account.WC_INTEREST_RECEIVABLE, credit=Account.INTEREST_INCOME, fen=fen
        )
        _post(uow, "wc-accrual", x, builder)
    closed = wc.close(params)
    for currency, (principal, interest) in wc.charge_off(
        {**params, "charge_off_days": CHARGE_OFF_DAYS}
    ).items():
        builder = (
            EntryBuilder(currency)
            .move(debit=Account.CHARGE_OFF_EXPENSE, credit=Account.WC_RECEIVABLE, fen=principal)
            .move(
                debit=Account.INTEREST_INCOME, credit=Account.WC_INTEREST_RECEIVABLE, fen=interest
            )
        )
        _post(uow, "wc-charge-off", x, builder)
    return closed


def _cases(uow: UnitOfWork, x: date, p: Params) -> int:
    """Collection cases follow the buckets (``collections.follow_cases_in_unit``)."""
    return follow_cases_in_unit(uow, x)


def _promises(uow: UnitOfWork, x: date, p: Params) -> int:
    """Promises to pay kept or broken (``collection_contacts.settle_promises_in_unit``)."""
    return settle_promises_in_unit(uow, x)


def _reminders(uow: UnitOfWork, x: date, p: Params) -> int:
    """Before-due reminders and overdue notices for the next day, into the outbox
    (``thinfile.services.reminders``)."""
    return reminders_step(uow, x)


def _advance(uow: UnitOfWork, x: date, p: Params) -> int:
    """Finish the date: the book is now closed to ``x``, and so is every active loan that
    was closed to ``x − 1`` (no loan row is rewritten)."""
    return uow.cob.advance(p)


STEPS: tuple[tuple[str, Step], ...] = (
    ("credit", _credit),
    ("due", _due),
    ("auto-debit", auto_debit_step),
    ("accrual", _accrual),
    ("late-fee", _late_fee),
    ("penalty", _penalty),
    ("delinquency", _delinquency),
    ("charge-off", _charge_off),
    ("month-end", _month_end),
    ("limits", _limits),
    ("working-capital", _working_capital),
    ("cases", _cases),
    ("promises", _promises),
    ("reminders", _reminders),
    ("coupons", expire_coupons_step),
    ("advance", _advance),
)
