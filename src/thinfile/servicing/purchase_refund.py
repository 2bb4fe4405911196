"""What a refund on a financed purchase does beyond cutting principal (DOMAIN §11).

A merchant's refund (商户退款) on a loan that carries a merchant subsidy (贴息) also unwinds the
part of the subsidy not yet recognised that belongs to the refunded principal, as the merchant
contract says (:class:`SubsidyOnRefund`), gives the borrower back the fees they paid on the
refunded principal (and, when the whole purchase is refunded, the interest, penalty and fees
they paid), held as overpayment for the caller to return, and plans the subsidy still deferred
over the schedule the refund left. :func:`thinfile.servicing.merchant_refund` does all three
when it is given a policy.

The unearned share is ``deferred × refunded principal ÷ principal outstanding`` (all of it when
the refund reaches every fen outstanding), rounded half-up to the fen once::

    RETURN_TO_MERCHANT   Dr deferred subsidy   Cr cash            (netted in settlement)
    KEEP                 Dr deferred subsidy   Cr interest income (recognised at once)

``LoanAccount.subsidy_recognized`` counts the subsidy no longer deferred either way, so the
deferred balance stays ``subsidy − subsidy_recognized``.

**Fees on a partial refund** (分期手续费, DOMAIN §1.5: a fee per period on the amount
financed). A refund of ``R`` fen of the ``F`` still financed re-prices the fee plan as if the
purchase had been ``R`` smaller from the start: every installment's fee — those already paid,
the current one and those to come — loses ``fee × R ÷ F``, rounded half-up to the fen once per
installment. What was paid beyond the new fee is the borrower's (Dr fee income, Cr overpayment);
what was accrued beyond it is reversed; later fees are charged on what remains financed. Several
partial refunds compose (each on the fee left and the amount then financed), and a refund of
all of it gives back every fee, as before. So the borrower's cash flows after the refund are the
fee plan on the smaller amount, whose annualized rate never exceeds the one disclosed at signing
(the schedule is cut from the last installment backwards, which only shortens it).

**The subsidy still deferred** is planned again over the installments left, from the posting
date, by the effective-interest method (``subsidy_plan.plan_subsidy``, as a prepayment that
re-amortizes does): the deferred balance reaches zero on the new last due date and no day
recognises a negative amount.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import replace
from datetime import date
from decimal import Decimal

from thinfile.money import Rounding, round_fen
from thinfile.servicing.account import InstallmentState, LoanAccount, LoanStatus, Outcome
from thinfile.servicing.ledger import Account, EntryBuilder
from thinfile.servicing.status import refresh
from thinfile.servicing.subsidy_plan import plan_subsidy

__all__ = [
    "SubsidyOnRefund",
    "Unwound",
    "lender_unwound",
    "rebate_costs",
    "rebate_fees",
    "refund_purchase",
    "replan_after_refund",
    "unearned_share",
    "unwind_subsidy",
    "unwound_by",
]


class SubsidyOnRefund(enum.StrEnum):
    """What a refund does with the unearned subsidy (the contract's ``UnearnedSubsidy``)."""

    RETURN_TO_MERCHANT = "return-to-merchant"
    KEEP = "keep"


def unearned_share(loan: LoanAccount, fen: int) -> int:
    """The deferred subsidy tied to refunding ``fen`` of the principal outstanding."""
    deferred = loan.subsidy - loan.subsidy_recognized
    outstanding = loan.outstanding.principal
    if deferred <= 0 or outstanding <= 0:
        return 0
    if fen >= outstanding:
        return deferred
    return min(deferred, round_fen(Decimal(deferred) * fen / outstanding, Rounding.HALF_UP))


def _lender_part_of(loan: LoanAccount, deferred: int) -> int:
    """The lender's part of ``deferred`` fen of the loan's deferred subsidy (its share of the
    subsidy, half up)."""
    if not loan.lender_subsidy or deferred <= 0:
        return 0
    return round_fen(Decimal(deferred) * loan.lender_subsidy / loan.subsidy, Rounding.HALF_UP)


def lender_unwound(loan: LoanAccount, share: int) -> int:
    """The lender's part of unwinding ``share`` fen of the loan's deferred subsidy: its part of
    the deferred before less its part of the deferred after. Telescoping, the parts of all
    refunds together never exceed the lender's subsidy, and a refund of everything deferred
    unwinds the lender's part of it exactly."""
    deferred = loan.subsidy - loan.subsidy_recognized
    return _lender_part_of(loan, deferred) - _lender_part_of(loan, deferred - share)


Unwound = tuple[int, int]
"""What a refund unwound of a loan's deferred subsidy, and the lender's part of it (fen)."""


def unwound_by(loan: LoanAccount, fen: int) -> Unwound:
    """What refunding ``fen`` of the loan unwinds: :func:`unearned_share`, and the lender's
    part of it (:func:`lender_unwound`)."""
    share = unearned_share(loan, fen)
    return share, lender_unwound(loan, share)


def unwind_subsidy(
    loan: LoanAccount, fen: int, on: date, policy: SubsidyOnRefund, fixed: Unwound | None = None
) -> Outcome:
    """Unwind the subsidy tied to refunding ``fen``, as ``policy`` says (no entry when none).

    The merchant's part goes back to the merchant (``RETURN_TO_MERCHANT``) or becomes income
    (``KEEP``); the lender's part (:func:`lender_unwound`) was the lender's own marketing
    expense, which it no longer spends: the expense is reversed either way. ``fixed``: what
    the refund unwound when it was first posted — a replay (after an earlier payment is
    reversed) unwinds the same, the amounts the merchant was settled on, never more than is
    still deferred."""
    if fixed is None:
        share, lender = unwound_by(loan, fen)
    else:
        share = min(fixed[0], max(0, loan.subsidy - loan.subsidy_recognized))
        lender = min(fixed[1], share)
    if share == 0:
        return Outcome(loan)
    to = Account.CASH if policy is SubsidyOnRefund.RETURN_TO_MERCHANT else Account.INTEREST_INCOME
    entry = (
        EntryBuilder(loan.currency)
        .debit(Account.DEFERRED_SUBSIDY, share)
        .credit(to, share - lender)
        .credit(Account.MARKETING_EXPENSE, lender)
    )
    done = replace(loan, subsidy_recognized=loan.subsidy_recognized + share)
    return Outcome(done, (entry.build("subsidy-unwind", on, loan_id=loan.loan_id),))


def _fee_cut(row: InstallmentState, fen: int, financed: int) -> tuple[InstallmentState, int, int]:
    """``row`` with its fee cut by its share of refunding ``fen`` of ``financed``; returns the
    row, the accrual reversed and the fee paid that is now the borrower's."""
    share = Decimal(row.fee_due) * min(fen, financed) / financed
    cut = min(row.fee_due, round_fen(share, Rounding.HALF_UP))
    new_fee = row.fee_due - cut
    accrued, paid = min(row.fee_accrued, new_fee), min(row.fee_paid, new_fee)
    done = replace(row, fee_due=new_fee, fee_accrued=accrued, fee_paid=paid)
    return done, row.fee_accrued - accrued, row.fee_paid - paid


def rebate_fees(loan: LoanAccount, fen: int, financed: int, on: date) -> Outcome:
    """A refund of ``fen`` of the ``financed`` fen still financed before it: each
    installment's fee cut by its share (see the module docstring); the fee paid beyond the new
    fee held as overpayment (溢缴款) for the caller to return."""
    if fen <= 0 or not any(r.fee_due for r in loan.installments):
        return Outcome(loan)
    rows, reversed_accrual, freed = [], 0, 0
    for row in loan.installments:
        new, reversed_part, freed_part = _fee_cut(row, fen, financed) if row.n > 0 else (row, 0, 0)
        rows.append(new)
        reversed_accrual += reversed_part
        freed += freed_part
    entry = (
        EntryBuilder(loan.currency)
        .debit(Account.FEE_INCOME, reversed_accrual)
        .credit(Account.FEE_RECEIVABLE, reversed_accrual - freed)
        .credit(Account.OVERPAYMENT_LIABILITY, freed)
    )
    done = replace(loan, installments=tuple(rows), credit=loan.credit + freed)
    done, moves = refresh(done, on, entry) if done.status is LoanStatus.ACTIVE else (done, ())
    if entry.is_empty():
        return Outcome(done, (), moves)
    memo = "fees on the refunded principal given back"
    built = entry.build("cost-rebate", on, loan_id=loan.loan_id, memo=memo)
    return Outcome(done, (built,), moves)


def replan_after_refund(loan: LoanAccount, on: date) -> LoanAccount:
    """The subsidy still deferred after a refund posted on ``on``, planned over the
    installments left (from the day after the last business date closed)."""
    deferred = loan.subsidy - loan.subsidy_recognized
    rows = [r for r in loan.installments if r.due > on and not r.is_settled]
    if not loan.subsidy_plan or deferred <= 0 or loan.status is not LoanStatus.ACTIVE or not rows:
        return loan
    plan = plan_subsidy(
        [r for r in loan.installments if r.due > on],
        deferred,
        first_start=loan.replan_start,
        before=loan.subsidy_recognized,
        rounding=loan.schedule.terms.rounding,
    )
    return replace(loan, subsidy_plan=plan)


def rebate_costs(loan: LoanAccount, on: date) -> Outcome:
    """When every fen financed has been refunded, the interest, penalty interest (罚息) and
    fees the borrower paid go back to them: held as overpayment (溢缴款) for the caller to
    return."""
    if loan.merchant_refunded < loan.principal:
        return Outcome(loan)
    interest = sum(i.interest_paid for i in loan.installments)
    penalty = sum(i.penalty_paid for i in loan.installments)
    fee = sum(i.fee_paid for i in loan.installments)
    if interest + penalty + fee == 0:
        return Outcome(loan)
    entry = (
        EntryBuilder(loan.currency)
        .debit(Account.INTEREST_INCOME, interest)
        .debit(Account.PENALTY_INCOME, penalty)
        .debit(Account.FEE_INCOME, fee)
        .credit(Account.OVERPAYMENT_LIABILITY, interest + penalty + fee)
    )
    done = replace(loan, credit=loan.credit + interest + penalty + fee)
    return Outcome(done, (entry.build("cost-rebate", on, loan_id=loan.loan_id),))


def refund_purchase(
    loan: LoanAccount,
    fen: int,
    on: date,
    unearned: SubsidyOnRefund,
    cut: Callable[[LoanAccount, int, date], Outcome],
    unwound: Unwound | None = None,
) -> Outcome:
    """A checkout's refund of ``fen`` on ``on``: the subsidy tied to it unwound as
    ``unearned`` says (``unwound``: as first posted, for a replay), the principal ``cut``
    (the merchant refund proper), the fees re-priced and, for the whole amount financed, the
    interest paid given back; then the subsidy still deferred planned over what is left."""
    financed = loan.principal - loan.merchant_refunded
    done = unwind_subsidy(loan, fen, on, unearned, unwound)
    done = done.then(cut(done.loan, fen, on))
    done = done.then(rebate_fees(done.loan, fen, financed, on))
    done = done.then(_fees_of_periods_nothing_lent(done.loan, loan, fen, on))
    done = done.then(rebate_costs(done.loan, on))
    return Outcome(replan_after_refund(done.loan, on), done.entries, done.moves)


def _fees_of_periods_nothing_lent(
    loan: LoanAccount, before: LoanAccount, fen: int, on: date
) -> Outcome:
    """A refund leaving less financed than the borrower had repaid before the current period
    began: re-priced as if the purchase had been smaller from the start, the purchase was
    repaid by then, so the current period (and any later) lent nothing and its fee is not
    owed; what was paid of it is the borrower's. Principal repaid before the period counts
    earlier refunds too, so a period is let off only when that is certain."""
    k = next((j for j, row in enumerate(before.installments) if row.due >= on), None)
    active = loan.status is LoanStatus.ACTIVE
    if k is None or not active or any(r.unpaid.principal for r in loan.installments):
        return Outcome(loan)
    repaid = sum(r.principal_paid for r in before.installments[:k])
    if repaid < before.principal - fen:
        return Outcome(loan)
    rows = list(loan.installments)
    entry = EntryBuilder(loan.currency)
    freed = 0
    for j in range(k, len(rows)):
        row = rows[j]
        entry.debit(Account.FEE_INCOME, row.fee_accrued)
        entry.credit(Account.FEE_RECEIVABLE, row.fee_accrued - row.fee_paid)
        entry.credit(Account.OVERPAYMENT_LIABILITY, row.fee_paid)
        freed += row.fee_paid
        rows[j] = replace(row, fee_due=0, fee_accrued=0, fee_paid=0, fee_carried=0, fee_waived=0)
    done = replace(loan, installments=tuple(rows), credit=loan.credit + freed)
    done, moves = refresh(done, on, entry)
    if entry.is_empty():
        return Outcome(done, (), moves)
    memo = "no fee for a period in which nothing stayed financed"
    return Outcome(done, (entry.build("cost-rebate", on, loan_id=loan.loan_id, memo=memo),), moves)
