"""Repayments (还款), prepayments (提前还款), payoff quotes and merchant refunds.

A regular payment follows the product's allocation rules; money beyond everything payable is
held as overpayment (溢缴款), a refundable liability. A prepayment first settles past-due and
current amounts with the current period's interest cut to the days actually used (民法典
art. 677), then reduces principal and re-amortizes the rest (see :mod:`reamortize`).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from thinfile.money import Money
from thinfile.servicing.account import InstallmentState, LoanAccount, Outcome
from thinfile.servicing.allocation import allocate
from thinfile.servicing.daily import accrued_to
from thinfile.servicing.ledger import Account, EntryBuilder
from thinfile.servicing.product import Component, PrepaymentMode, Timing
from thinfile.servicing.reamortize import reamortize, rest_of_period
from thinfile.servicing.status import check_posting, refresh

__all__ = ["merchant_refund", "pay", "payoff_quote", "prepay"]


def _finish(loan: LoanAccount, rows: tuple[InstallmentState, ...], entry: EntryBuilder,
            kind: str, on: date, credit: int) -> Outcome:
    loan = replace(loan, installments=rows, credit=credit)
    loan, moves = refresh(loan, on, entry)
    return Outcome(loan, (entry.build(kind, on, loan_id=loan.loan_id),), moves)


def pay(loan: LoanAccount, amount: Money, on: date) -> Outcome:
    """A repayment of ``amount`` on ``on``, allocated by the product's waterfall."""
    fen = loan.check_amount(amount)
    check_posting(loan, on)
    p = loan.product
    rows, alloc = allocate(loan.installments, fen, on, p.allocation, target=p.advance_target)
    entry = alloc.post(EntryBuilder(loan.currency), source=Account.CASH)
    entry.credit(Account.OVERPAYMENT_LIABILITY, alloc.leftover)
    return _finish(loan, rows, entry, "repayment", on, loan.credit + alloc.leftover)


def _restate(inst: InstallmentState, interest: int, fee: int,
             entry: EntryBuilder) -> tuple[InstallmentState, int]:
    """Cut a row's interest and fee to the given amounts; returns the row and money freed.

    Accruals above the new amounts are reversed; any part already paid becomes overpayment.
    """
    freed = 0
    for name, new_due, receivable, income in (
        ("interest", interest, Account.INTEREST_RECEIVABLE, Account.INTEREST_INCOME),
        ("fee", fee, Account.FEE_RECEIVABLE, Account.FEE_INCOME),
    ):
        accrued, paid = getattr(inst, f"{name}_accrued"), getattr(inst, f"{name}_paid")
        new_accrued, new_paid = min(accrued, new_due), min(paid, new_due)
        reversed_accrual, refunded = accrued - new_accrued, paid - new_paid
        entry.debit(income, reversed_accrual)
        entry.credit(receivable, reversed_accrual - refunded)
        entry.credit(Account.OVERPAYMENT_LIABILITY, refunded)
        freed += refunded
        inst = replace(inst, **{f"{name}_due": new_due, f"{name}_accrued": new_accrued,
                                f"{name}_paid": new_paid})
    return inst, freed


def _current_index(loan: LoanAccount, on: date) -> int | None:
    return next((k for k, i in enumerate(loan.installments) if i.due >= on), None)


def prepay(loan: LoanAccount, amount: Money, on: date, *, mode: PrepaymentMode | None = None,
           kind: str = "prepayment") -> Outcome:
    """Pay ahead of schedule: settle what is owed to date, then cut principal and re-amortize.

    Money enough to clear everything pays the loan off (全部提前还款); the rest is held as
    overpayment. Existing overpayment is used first.
    """
    fen = loan.check_amount(amount)
    check_posting(loan, on)
    k = _current_index(loan, on)
    if k is None:
        return _pay_due_only(loan, fen, on, kind)
    entry = EntryBuilder(loan.currency)
    rows = list(loan.installments)
    original = rows[k]
    rows[k], freed = _restate(original, accrued_to(original.interest_due, original.start,
                                                   original.due, on),
                              accrued_to(original.fee_due, original.start, original.due, on),
                              entry)
    funds = fen + loan.credit + freed
    spread = kind == "merchant-refund"
    rules = [r for r in loan.product.allocation if r[0] is not Timing.IN_ADVANCE
             and not (spread and r == (Timing.DUE, Component.PRINCIPAL))]
    settled, alloc = allocate(rows, funds, on, rules, current=k)
    if alloc.leftover == 0:
        return _pay_due_only(loan, fen, on, kind)
    entry.debit(Account.OVERPAYMENT_LIABILITY, loan.credit + freed)
    alloc.post(entry, source=Account.CASH)
    entry.credit(Account.CASH, funds - fen)  # part of the funds was overpayment, not cash
    new_rows, left = _reduce_principal(loan, list(settled), (k, original), alloc.leftover, on,
                                       mode or loan.product.prepayment_mode, entry,
                                       spread=spread)
    entry.credit(Account.OVERPAYMENT_LIABILITY, left)
    return _finish(loan, new_rows, entry, kind, on, left)


def _pay_due_only(loan: LoanAccount, fen: int, on: date, kind: str) -> Outcome:
    """A prepayment too small to reduce principal is an ordinary payment of what is due."""
    rules = [r for r in loan.product.allocation if r[0] is not Timing.IN_ADVANCE]
    rows, alloc = allocate(loan.installments, fen, on, rules)
    entry = alloc.post(EntryBuilder(loan.currency), source=Account.CASH)
    entry.credit(Account.OVERPAYMENT_LIABILITY, alloc.leftover)
    return _finish(loan, rows, entry, kind, on, loan.credit + alloc.leftover)


def _reduce_principal(loan: LoanAccount, rows: list[InstallmentState],
                      current: tuple[int, InstallmentState], money: int, on: date,
                      mode: PrepaymentMode, entry: EntryBuilder, *, spread: bool,
                      ) -> tuple[tuple[InstallmentState, ...], int]:
    """Apply ``money`` to principal not yet due and re-amortize it.

    The current row records the principal prepaid (as paid), so principal due always sums to
    the principal lent. With ``spread`` (merchant refunds) the current row's own principal is
    re-amortized too, rather than paid first.
    """
    k, original = current
    group = rows[k:] if spread else rows[k + 1:]
    unpaid = sum(i.unpaid.principal for i in group)
    cut = min(money, unpaid)
    entry.credit(Account.LOANS_RECEIVABLE, cut)
    moved = sum(i.principal_paid for i in group) + cut
    rebuilt = list(reamortize(loan, group, unpaid - cut, mode)) if unpaid > cut else []
    if spread:
        part = rebuilt.pop(0).principal_due if rebuilt else 0
        cur = replace(rows[k], principal_due=part + moved, principal_paid=moved)
    else:
        cur = replace(rows[k], principal_due=rows[k].principal_due + moved,
                      principal_paid=rows[k].principal_paid + moved)
    later = sum(i.principal_due for i in rebuilt)
    cur = rest_of_period(loan, cur, original, later, on)
    return (*rows[:k], cur, *rebuilt), money - cut


def payoff_quote(loan: LoanAccount, on: date) -> Money:
    """What the borrower must pay on ``on`` to close the loan (提前结清金额).

    Past-due amounts, the current period's interest and fees for the days used, and all
    principal; less any overpayment held.
    """
    ceiling = sum(i.unpaid.total for i in loan.installments) + 1
    done = prepay(loan, Money(ceiling, loan.currency), on)
    return Money(max(0, ceiling - done.loan.credit), loan.currency)


def merchant_refund(loan: LoanAccount, amount: Money, on: date) -> Outcome:
    """A merchant's refund on a point-of-sale loan (商户退款): reduces principal, re-amortizes."""
    return prepay(loan, amount, on, kind="merchant-refund")
