"""Repayments (还款), early repayments (提前还款), payoff quotes and merchant refunds: one rule.

Money received on a date is applied the same way whichever path it arrives by (:func:`pay`,
:func:`prepay`, the borrower's page, the API):

1. **What has fallen due** — past-due installments and the one due that day, by the product's
   allocation rules (penalty, fees, interest, principal; oldest first).
2. **The current period** — the installment whose period is running has its interest and fees
   cut to the days used (民法典 art. 677); the money pays them, then its principal, and, if
   more is left, interest for the rest of its period on the principal still outstanding after
   this payment, so that the installment is settled.
3. **Principal not yet due** — by ``ServicingProduct.extra_payment``: cut at once and the rest
   of the schedule re-amortized by ``prepayment_mode`` (interest is then owed only on the
   principal actually outstanding), or held as overpayment (溢缴款) and applied as amounts fall
   due. Money enough to pay everything off closes the loan either way. A re-amortization
   re-plans the merchant subsidy still deferred (``subsidy.replan_after_prepayment``).
4. **Beyond the payoff** — refused (default), refunded at once, or held
   (``ServicingProduct.beyond_payoff``).

So a payment equal to :func:`payoff_quote` closes the loan through :func:`pay` as through
:func:`prepay`; ``prepay`` only lets the borrower choose the re-amortization mode and never
holds money. A merchant refund (商户退款) cuts principal including the current installment's
and re-amortizes; it may not exceed the amount still financed.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from functools import partial

from thinfile.errors import InvalidInputError
from thinfile.money import Money
from thinfile.servicing.account import InstallmentState, LoanAccount, LoanStatus, Outcome
from thinfile.servicing.allocation import allocate, timing_of
from thinfile.servicing.ledger import Account, EntryBuilder
from thinfile.servicing.lifecycle import write_off
from thinfile.servicing.product import (
    BeyondPayoff,
    Component,
    ExtraPayment,
    PrepaymentMode,
    Timing,
)
from thinfile.servicing.purchase_refund import SubsidyOnRefund, Unwound, refund_purchase
from thinfile.servicing.reamortize import (
    carried_fee,
    carried_interest,
    pass_relief,
    reamortize,
    relief_left,
    rest_cost,
    rest_of_period,
    unused_relief,
    used_fee,
    used_interest,
    with_carried,
)
from thinfile.servicing.status import check_posting, refresh
from thinfile.servicing.subsidy import replan_after_prepayment

__all__ = ["apply_held_credit", "merchant_refund", "pay", "payoff_quote", "prepay", "settle"]


@dataclass(frozen=True, slots=True)
class _Applied:
    """Money applied: the new rows, the entry so far, what was held and what was left over."""

    rows: tuple[InstallmentState, ...]
    entry: EntryBuilder
    held: int
    excess: int


def pay(loan: LoanAccount, amount: Money, on: date, *, hold_extra: bool = False) -> Outcome:
    """A repayment of ``amount`` on ``on``: what is due first, then the product's rule for
    money beyond it (see the module docstring); with ``hold_extra`` (an automatic debit,
    which takes what is due and never an installment ahead of its date) money beyond it is
    held as overpayment whatever the product's rule, to be used as amounts fall due or
    refunded."""
    fen = loan.check_amount(amount)
    check_posting(loan, on)
    hold = hold_extra or loan.product.extra_payment is ExtraPayment.HOLD
    return _receive(loan, fen, on, "repayment", None, hold=hold)


def prepay(
    loan: LoanAccount, amount: Money, on: date, *, mode: PrepaymentMode | None = None
) -> Outcome:
    """Pay ahead of schedule (提前还款): what is due, then principal cut at once and the rest
    re-amortized by ``mode`` (the product's when None). Overpayment held is used first."""
    fen = loan.check_amount(amount)
    check_posting(loan, on)
    return _receive(loan, fen, on, "prepayment", mode, hold=False)


def settle(loan: LoanAccount, amount: Money, on: date, *, reason: str) -> Outcome:
    """A settlement (和解结清): ``amount``, less than :func:`payoff_quote`, received on ``on``
    for what the loan owes that day and the rest written off at once (:func:`write_off`).

    The money (with any overpayment held) pays, by the product's rules, what has fallen due,
    then the current period's interest and fees for the days used and its principal, then
    the principal of later installments. Unlike a prepayment it pays no interest for the
    rest of the period: nothing stays lent to earn it, so every yuan not paid is principal,
    interest, fees or penalty owed on ``on``, and that is what the write-off takes."""
    fen = loan.check_amount(amount)
    check_posting(loan, on)
    owed = _payoff(loan, on)
    if fen >= owed:
        raise InvalidInputError(
            f"a settlement is less than the {loan.money(owed)} that pays loan {loan.loan_id} "
            f"off on {on}",
            field="amount",
            value=str(amount),
            remedy=f"settle for less than {loan.money(owed)}, or take the payoff as a payment",
        )
    rows, entry, left, k = _fallen_due(loan, fen, on)
    if left and k is not None:
        cut, freed = _restated(loan, rows, k, on, entry)
        due = [r for r in loan.product.allocation if r[0] is Timing.DUE]
        rows, alloc = allocate(cut, left + freed, on, due, current=k)
        alloc.credit_paid(entry)
        later = [(Timing.IN_ADVANCE, Component.PRINCIPAL)]
        rows, alloc = allocate(rows, alloc.leftover, on, later)
        alloc.credit_paid(entry)
        left = alloc.leftover
    assert left == 0, "less than the payoff leaves nothing over"
    paid = replace(loan, installments=rows, credit=0)
    received = Outcome(
        paid, (entry.build("settlement", on, loan_id=loan.loan_id, memo=f"settlement: {reason}"),)
    )
    return received.then(write_off(paid, on, reason=f"settlement: {reason}"))


def apply_held_credit(loan: LoanAccount, on: date) -> Outcome:
    """Overpayment held (溢缴款) pays what has fallen due by ``on``: close of business runs
    this first on every date, so held money is never idle while an installment is due."""
    if not loan.credit or loan.status is not LoanStatus.ACTIVE:
        return Outcome(loan)
    rules = [r for r in loan.product.allocation if r[0] is not Timing.IN_ADVANCE]
    rows, alloc = allocate(loan.installments, loan.credit, on, rules, fallen_due_only=True)
    if not alloc.paid.total:
        return Outcome(loan)
    entry = alloc.credit_paid(
        EntryBuilder(loan.currency).debit(Account.OVERPAYMENT_LIABILITY, alloc.paid.total)
    )
    done, moves = refresh(replace(loan, installments=rows, credit=alloc.leftover), on, entry)
    return Outcome(
        done,
        (
            entry.build(
                "credit-applied",
                on,
                loan_id=loan.loan_id,
                memo="overpayment held applied to what fell due",
            ),
        ),
        moves,
    )


def payoff_quote(loan: LoanAccount, on: date) -> Money:
    """What the borrower must pay on ``on`` to close the loan (提前结清金额).

    Past-due amounts, the current period's interest and fees for the days used, and all
    principal; less any overpayment held.
    """
    return loan.money(_payoff(loan, on))


def _payoff(loan: LoanAccount, on: date) -> int:
    ceiling = sum(i.unpaid.total for i in loan.installments) + 1
    return max(0, ceiling - _apply(loan, ceiling, on, None, hold=False).excess)


def _receive(
    loan: LoanAccount, fen: int, on: date, kind: str, mode: PrepaymentMode | None, *, hold: bool
) -> Outcome:
    applied = _apply(loan, fen, on, mode, hold=hold)
    rule = loan.product.beyond_payoff
    if applied.excess and rule is BeyondPayoff.REFUSE:
        payoff = loan.money(fen - applied.excess)
        raise InvalidInputError(
            f"{loan.money(fen)} is more than loan {loan.loan_id} can take on {on}: paying "
            f"{payoff} closes it",
            field="amount",
            value=str(loan.money(fen)),
            remedy=f"pay at most the payoff, {payoff}",
        )
    entry = applied.entry.credit(Account.OVERPAYMENT_LIABILITY, applied.held + applied.excess)
    done = replace(loan, installments=applied.rows, credit=applied.held + applied.excess)
    done = replan_after_prepayment(loan, done, on, entry)
    done, moves = refresh(done, on, entry)
    entries = [entry.build(kind, on, loan_id=loan.loan_id)]
    if applied.excess and rule is BeyondPayoff.REFUND:
        entries.append(
            EntryBuilder(loan.currency)
            .move(
                debit=Account.OVERPAYMENT_LIABILITY,
                credit=Account.CASH,
                fen=applied.excess,
            )
            .build(
                "overpayment-refund",
                on,
                loan_id=loan.loan_id,
                memo="money beyond the payoff returned to the borrower",
            )
        )
        done = replace(done, credit=applied.held)
    return Outcome(done, tuple(entries), moves)


def _apply(
    loan: LoanAccount, fen: int, on: date, mode: PrepaymentMode | None, *, hold: bool
) -> _Applied:
    """Apply ``fen`` of cash and any overpayment held: steps 1–3 of the module docstring."""
    rows, entry, left, k = _fallen_due(loan, fen, on)
    if left == 0 or k is None:
        return _Applied(rows, entry, 0, left)
    early = EntryBuilder(loan.currency)
    after, excess = _early(loan, rows, k, left, on, mode or loan.product.prepayment_mode, early)
    if hold and not all(row.is_settled for row in after):
        return _Applied(rows, entry, left, 0)
    return _Applied(after, entry.add(early), 0, excess)


def _fallen_due(
    loan: LoanAccount, fen: int, on: date
) -> tuple[tuple[InstallmentState, ...], EntryBuilder, int, int | None]:
    """``fen`` of cash and any overpayment held paid to what has fallen due by ``on``, by the
    product's order: the rows, the entry so far, the money left and the first row not yet due
    (None: every row has fallen due)."""
    entry = (
        EntryBuilder(loan.currency)
        .debit(Account.CASH, fen)
        .debit(Account.OVERPAYMENT_LIABILITY, loan.credit)
    )
    rules = [r for r in loan.product.allocation if r[0] is not Timing.IN_ADVANCE]
    rows, alloc = allocate(loan.installments, fen + loan.credit, on, rules, fallen_due_only=True)
    alloc.credit_paid(entry)
    k = next((j for j, row in enumerate(rows) if row.due > on), None)
    return rows, entry, alloc.leftover, k


def _restated(
    loan: LoanAccount,
    rows: tuple[InstallmentState, ...],
    k: int,
    on: date,
    entry: EntryBuilder,
) -> tuple[list[InstallmentState], int]:
    """The rows with row ``k`` (not yet due) cut to the interest and fees of the days used by
    ``on``, and the money that frees (interest paid ahead, money again: booked to overpayment
    for the caller to use)."""
    cut = list(rows)
    cut[k], freed = _restate(
        rows[k], used_interest(loan, rows, k, on), used_fee(loan, rows[k], on), entry
    )
    entry.debit(Account.OVERPAYMENT_LIABILITY, freed)
    return cut, freed


def _early(
    loan: LoanAccount,
    rows: tuple[InstallmentState, ...],
    k: int,
    money: int,
    on: date,
    mode: PrepaymentMode,
    entry: EntryBuilder,
) -> tuple[tuple[InstallmentState, ...], int]:
    """Money paid before row ``k`` falls due; returns the rows and the money left over."""
    original, relief = rows[k], relief_left(loan, rows, k, on)
    cut, freed = _restated(loan, rows, k, on, entry)
    money += freed
    due = [r for r in loan.product.allocation if r[0] is Timing.DUE]
    if timing_of(original, on) is Timing.IN_ADVANCE:  # its period has not started: all principal
        spread, left = _cut_principal(
            loan, cut, (k, original, relief), money, on, mode, entry, spread=True
        )
        # every later row dropped: interest a re-age moved onto them is owed now, from the rest
        final, alloc = allocate(spread, left, on, due, current=k)
        alloc.credit_paid(entry)
        return final, alloc.leftover
    settled, alloc = allocate(cut, money, on, due, current=k)
    alloc.credit_paid(entry)
    later = sum(row.unpaid.principal for row in settled[k + 1 :])
    bearing = sum(row.bearing for row in settled[k + 1 :])  # a re-age's principal bears none
    if alloc.leftover == 0 and settled[k].bearing == original.bearing:
        # nothing reached principal: the period asks what it asked (the days used, truncated,
        # and the rest, rounded, could come to a fen less)
        kept = replace(settled[k], interest_due=original.interest_due, fee_due=original.fee_due)
        return (*settled[:k], kept, *settled[k + 1 :]), 0
    if alloc.leftover == 0:
        rest = rest_of_period(loan, settled[k], original, bearing, on, relief=relief)
        passed = unused_relief(loan, original, relief, bearing + settled[k].bearing, on)
        if not passed:
            return (*settled[:k], rest, *settled[k + 1 :]), 0
        rest = replace(rest, relief_moved=rest.relief_moved - passed)
        return (*settled[:k], rest, *pass_relief(loan, settled[k + 1 :], passed)), 0
    money = alloc.leftover
    room = (
        original.interest_due - settled[k].interest_due,
        original.fee_due - settled[k].fee_due,
    )
    principal = _affordable_cut(loan, original, (later, bearing), money, on, relief, room)
    reduced, _ = _cut_principal(
        loan, list(settled), (k, original, relief), principal, on, mode, entry, spread=False
    )
    final, alloc = allocate(reduced, money - principal, on, due, current=k)
    alloc.credit_paid(entry)
    return final, alloc.leftover


def _affordable_cut(
    loan: LoanAccount,
    original: InstallmentState,
    principal: tuple[int, int],
    money: int,
    on: date,
    relief: int,
    room: tuple[int, int],
) -> int:
    """The most principal not yet due that ``money`` can cut while also paying the current
    installment's interest and fees for the rest of its period on what stays lent (less a
    coupon's cut not yet used, ``relief``), never more than the ``room`` (interest, fees) the
    period's original amounts leave them, as :func:`rest_of_period` charges them.
    ``principal`` is what is not yet due and the part of it bearing interest, which a cut
    takes first."""
    later, bearing = principal
    interest_room, fee_room = room

    def needs(c: int) -> int:
        interest, fee = rest_cost(loan, original, max(0, bearing - c), on, relief=relief)
        return c + min(interest, interest_room) + min(fee, fee_room)

    if needs(later) <= money:
        return later
    interest0, fee0 = rest_cost(loan, original, bearing, on, relief=relief)
    interest0, fee0 = min(interest0, interest_room), min(fee0, fee_room)
    if needs(0) > money:
        return 0
    share = Decimal(interest0) / bearing if bearing else Decimal(0)
    c = int((money - fee0 - interest0) / (1 - share)) if share < 1 else 0
    c = min(max(c, 0), later - 1)
    while c > 0 and needs(c) > money:
        c -= 1
    while c + 1 < later and needs(c + 1) <= money:
        c += 1
    return c


def _restate(
    inst: InstallmentState, interest: int, fee: int, entry: EntryBuilder
) -> tuple[InstallmentState, int]:
    """Cut a row's interest and fee to the given amounts; returns the row and money freed.

    Accruals above the new amounts are reversed; any part already paid is freed (booked to
    overpayment, for the caller to use).
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
        inst = replace(
            inst,
            **{f"{name}_due": new_due, f"{name}_accrued": new_accrued, f"{name}_paid": new_paid},
        )
    return inst, freed


def _cut_principal(
    loan: LoanAccount,
    rows: list[InstallmentState],
    current: tuple[int, InstallmentState, int],
    money: int,
    on: date,
    mode: PrepaymentMode,
    entry: EntryBuilder,
    *,
    spread: bool,
) -> tuple[tuple[InstallmentState, ...], int]:
    """Apply ``money`` to principal not yet due and re-amortize it.

    The current row records the principal cut (as paid), so principal due always sums to the
    principal lent. With ``spread`` the current row's own principal is re-amortized too,
    rather than paid first. Returns the rows and the money beyond all principal.
    """
    k, original, relief = current
    group = rows[k:] if spread else rows[k + 1 :]
    unpaid = sum(i.unpaid.principal for i in group)
    cut = min(money, unpaid)
    entry.credit(Account.LOANS_RECEIVABLE, cut)
    moved = sum(i.principal_paid for i in group) + cut
    # the installment as it asks: principal already cut ahead of it (recorded as paid) is not
    # part of it
    level = original.unpaid.principal + original.interest_due if spread else None
    rebuilt = list(reamortize(loan, group, unpaid - cut, mode, level=level)) if unpaid > cut else []
    if spread:
        first = rebuilt.pop(0) if rebuilt else None
        part = first.principal_due if first else 0
        carried = first.principal_carried if first else 0  # what the cut left of a re-age's
        cur = replace(
            rows[k],
            principal_due=part + moved,
            principal_paid=moved,
            principal_carried=carried,
            relief_moved=first.relief_moved if first else rows[k].relief_moved,
        )
        if first is not None:  # interest moved onto dropped rows: the current row keeps its own
            cur = with_carried(
                cur,
                first.interest_accrued - rows[k].interest_accrued,
                fee=first.fee_accrued - rows[k].fee_accrued,
            )
    else:
        cur = replace(
            rows[k],
            principal_due=rows[k].principal_due + moved,
            principal_paid=rows[k].principal_paid + moved,
        )
    later = sum(i.bearing for i in rebuilt)
    passed = 0 if spread else unused_relief(loan, original, relief, later + cur.bearing, on)
    cur = rest_of_period(loan, cur, original, later, on, relief=relief)
    if passed:
        cur = replace(cur, relief_moved=cur.relief_moved - passed)
        rebuilt = list(pass_relief(loan, rebuilt, passed))
    if not rebuilt:  # every later row dropped: interest and fees moved onto them are owed now
        cur = with_carried(cur, carried_interest(rows[k + 1 :]), fee=carried_fee(rows[k + 1 :]))
    return (*rows[:k], cur, *rebuilt), money - cut


def merchant_refund(
    loan: LoanAccount,
    amount: Money,
    on: date,
    *,
    unearned: SubsidyOnRefund | None = None,
    unwound: Unwound | None = None,
) -> Outcome:
    """A merchant's refund on a point-of-sale loan (商户退款): reduces principal, re-amortizes.

    Past-due amounts and the current period's interest (and, but for a checkout's refund, fee)
    for the days used are settled first; the rest cuts principal, the current installment's
    included. A refund above the amount still financed (principal less earlier refunds) is
    refused; what it leaves after every principal is cut is the borrower's, held as overpayment.
    A refund of all of it unwinds the purchase: the penalty still unpaid is forgiven, not paid
    from the refund, so nothing is left owed.

    With ``unearned`` (a checkout refund, :func:`purchase_refund.refund_purchase`), the
    subsidy tied to the refunded principal is unwound as it says; each installment's fee loses
    the refunded share of the amount financed (what was paid of it held for the borrower); a
    refund of the whole amount financed gives back the interest and penalty paid too; the
    subsidy still deferred is planned over the schedule left.

    A purchase the borrower has already repaid (the loan ``closed``) can still be refunded: the
    merchant's money is the borrower's, held as overpayment for the caller to pay back, and a
    refund of the whole amount financed gives back the interest and fees paid as well.
    """
    fen = loan.check_amount(amount)
    check_posting(loan, on, statuses=(LoanStatus.ACTIVE, LoanStatus.CLOSED))
    closed = loan.status is LoanStatus.CLOSED
    if unearned is None:
        return (_refund_of_repaid if closed else _merchant_refund)(loan, fen, on)
    cut = _refund_of_repaid if closed else partial(_merchant_refund, repriced=True)
    return refund_purchase(loan, fen, on, unearned, cut, unwound)


def _check_financed(loan: LoanAccount, fen: int) -> None:
    financed = loan.principal - loan.merchant_refunded
    if fen > financed:
        raise InvalidInputError(
            f"a refund of {loan.money(fen)} is more than the {loan.money(financed)} still "
            f"financed by loan {loan.loan_id}",
            field="amount",
            value=str(loan.money(fen)),
            remedy=f"refund at most {loan.money(financed)}",
        )


def _penalty_forgiven(rows: list[InstallmentState], entry: EntryBuilder) -> list[InstallmentState]:
    """``rows`` with the penalty still unpaid forgiven (its charge reversed): a refund of the
    whole purchase unwinds it, so the penalty on its principal is not owed, and the refund is
    not spent on it (which left the penalty owed as principal, a purchase fully refunded and
    still ageing into delinquency)."""
    out = []
    for row in rows:
        unpaid = row.penalty_due - row.penalty_paid
        entry.debit(Account.PENALTY_INCOME, unpaid).credit(Account.PENALTY_RECEIVABLE, unpaid)
        out.append(replace(row, penalty_due=row.penalty_paid) if unpaid else row)
    return out


def _refund_of_repaid(loan: LoanAccount, fen: int, on: date) -> Outcome:
    """The merchant's refund of a repaid purchase: all of it is the borrower's (溢缴款)."""
    _check_financed(loan, fen)
    entry = EntryBuilder(loan.currency).move(
        debit=Account.CASH, credit=Account.OVERPAYMENT_LIABILITY, fen=fen
    )
    done = replace(loan, credit=loan.credit + fen, merchant_refunded=loan.merchant_refunded + fen)
    return Outcome(done, (entry.build("merchant-refund", on, loan_id=loan.loan_id),))


def _merchant_refund(loan: LoanAccount, fen: int, on: date, *, repriced: bool = False) -> Outcome:
    _check_financed(loan, fen)
    entry = (
        EntryBuilder(loan.currency)
        .debit(Account.CASH, fen)
        .debit(Account.OVERPAYMENT_LIABILITY, loan.credit)
    )
    k = next((j for j, row in enumerate(loan.installments) if row.due >= on), None)
    rows, funds = list(loan.installments), fen + loan.credit
    if fen == loan.principal - loan.merchant_refunded:  # the whole purchase taken back
        rows = _penalty_forgiven(rows, entry)
    relief = 0
    if k is not None:
        original, relief = rows[k], relief_left(loan, rows, k, on)
        rows[k], freed = _restate(
            original,
            used_interest(loan, rows, k, on),
            used_fee(loan, original, on),
            entry,
        )
        entry.debit(Account.OVERPAYMENT_LIABILITY, freed)
        funds += freed
    # a checkout's refund leaves the current installment's fee due on its due date: the fee
    # plan is re-priced on what stays financed (``rebate_fees``) and the refund cuts principal
    skip = {(Timing.DUE, Component.PRINCIPAL)} | (
        {(Timing.DUE, Component.FEE)} if repriced else set()
    )
    rules = [r for r in loan.product.allocation if r[0] is not Timing.IN_ADVANCE and r not in skip]
    settled, alloc = allocate(rows, funds, on, rules, current=k)
    alloc.credit_paid(entry)
    final, left = settled, alloc.leftover
    if k is not None and left == 0:  # nothing reaches principal: an ordinary payment of dues
        return _refund_of_dues(loan, fen, on)
    if k is not None:
        # the refund comes off the last installments: the current one keeps what it asks and
        # what the borrower paid towards it, unless its period has not begun or the refund
        # is more than every later installment's principal
        later = sum(row.unpaid.principal for row in settled[k + 1 :])
        spread = timing_of(original, on) is Timing.IN_ADVANCE or left > later
        final, left = _cut_principal(
            loan,
            list(settled),
            (k, original, relief),
            left,
            on,
            loan.product.prepayment_mode,
            entry,
            spread=spread,
        )
    entry.credit(Account.OVERPAYMENT_LIABILITY, left)
    done = replace(
        loan, installments=tuple(final), credit=left, merchant_refunded=loan.merchant_refunded + fen
    )
    done, moves = refresh(done, on, entry)
    return Outcome(done, (entry.build("merchant-refund", on, loan_id=loan.loan_id),), moves)


def _refund_of_dues(loan: LoanAccount, fen: int, on: date) -> Outcome:
    rules = [r for r in loan.product.allocation if r[0] is not Timing.IN_ADVANCE]
    rows, alloc = allocate(loan.installments, fen, on, rules)
    entry = alloc.post(EntryBuilder(loan.currency), source=Account.CASH)
    entry.credit(Account.OVERPAYMENT_LIABILITY, alloc.leftover)
    done = replace(
        loan,
        installments=rows,
        credit=loan.credit + alloc.leftover,
        merchant_refunded=loan.merchant_refunded + fen,
    )
    done, moves = refresh(done, on, entry)
    return Outcome(done, (entry.build("merchant-refund", on, loan_id=loan.loan_id),), moves)
