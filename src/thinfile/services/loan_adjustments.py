"""Adjustments staff (and merchants) post on an open loan: merchant and overpayment refunds,
charge-off, write-off, recovery after charge-off, fee waivers.

Each one replays the loan to the posting date, applies the servicing domain's event, posts its
journal entries and its transaction in one unit of work. The ``*_in_unit`` forms work inside
the caller's unit of work (the API runs them with its idempotent response and audit row in one
transaction); the engine-level functions wrap them (``loan_postings.in_own_unit``) and, given
``actor``, append the audit row last before their one commit.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from sqlalchemy.engine import Engine

from thinfile.errors import ConflictError, PermissionDeniedError
from thinfile.money import Money
from thinfile.services.audit import AuditDraft
from thinfile.services.loan_postings import (
    Receipt,
    catch_up,
    in_own_unit,
    paid_between,
    persist,
    receipt_audit,
)
from thinfile.services.lost_lines import stop_lines_of_lost_draws_in
from thinfile.services.reasons import staff_reason
from thinfile.services.uow import UnitOfWork
from thinfile.servicing import (
    Account,
    Components,
    EventKind,
    LoanAccount,
    Outcome,
    SubsidyOnRefund,
    WaiverTarget,
    account_balances,
    charge_off,
    merchant_refund,
    recover,
    refund_overpayment,
    settle,
    waive_fees,
    write_off,
)
from thinfile.servicing.purchase_refund import unwound_by
from thinfile.store.servicing_codec import from_day, to_day
from thinfile.store.servicing_repo import StoredLoan

__all__ = [
    "charge_off_in_unit",
    "charge_off_loan",
    "check_loss_alone",
    "may_record_merchant_refund",
    "may_write_off_alone",
    "merchant_refund_in_unit",
    "overpayment_refund_in_unit",
    "record_merchant_refund",
    "record_recovery",
    "recovery_in_unit",
    "refund_loan_overpayment",
    "settle_in_unit",
    "staff_merchant_refund_in_unit",
    "waive_fees_in_unit",
    "waive_loan_fees",
    "write_off_in_unit",
    "write_off_loan",
]


Apply = Callable[[LoanAccount], Outcome]


def _post_in_unit(
    uow: UnitOfWork,
    loan_id: int,
    on: date,
    kind: EventKind,
    amount: int,
    currency: str | None,
    apply: Apply,
    mode: str | None = None,
    extra: dict[str, int] | None = None,
) -> Receipt:
    """Post one business event on the loan (caught up to ``on`` first); ``extra``: more
    columns of its transaction, filled in by ``apply``."""
    stored: StoredLoan = catch_up(uow, uow.loans.get(loan_id, lock=True), on)
    done = apply(stored.account)
    paid = paid_between(stored.account, done.loan)
    overpayment = done.loan.credit - stored.account.credit
    currency = currency or done.loan.currency
    txn_id = persist(
        uow,
        stored,
        done,
        txn={
            "kind": kind,
            "day": to_day(on),
            "amount": amount,
            "currency": currency,
            "mode": mode,
            "paid_principal": paid.principal,
            "paid_interest": paid.interest,
            "paid_fee": paid.fee,
            "paid_penalty": paid.penalty,
            "overpayment": overpayment,
            **(extra or {}),
        },
    )
    assert txn_id is not None
    return Receipt(
        txn_id,
        loan_id,
        kind,
        on,
        amount,
        currency,
        paid,
        overpayment,
        done.loan.status,
        waived=_waived(done),
    )


def _waived(done: Outcome) -> Components:
    """Fees and penalty a posting forgave: its credits to those receivables against the
    fee-waiver account (none for other postings)."""
    waiver = [e for e in done.entries if e.amount_of(Account.FEE_WAIVERS)]
    moved = account_balances(waiver)
    return Components(
        fee=-moved.get(Account.FEE_RECEIVABLE, 0), penalty=-moved.get(Account.PENALTY_RECEIVABLE, 0)
    )


def _audited(actor: str | None, **details: object) -> Callable[[Receipt], AuditDraft | None]:
    return lambda receipt: receipt_audit(actor, receipt, **details) if actor else None


def merchant_refund_in_unit(
    uow: UnitOfWork,
    loan_id: int,
    amount: Money,
    on: date,
    *,
    unearned: SubsidyOnRefund | None = None,
) -> Receipt:
    """:func:`record_merchant_refund` inside the caller's unit of work (the caller commits).
    ``unearned`` (a checkout's refund) unwinds the subsidy as the merchant contract says: the
    rule is stored as the transaction's ``mode`` and what it unwound beside it, so a replay
    (after an earlier payment is reversed) unwinds the same amounts the merchant was settled
    on."""
    unwound: dict[str, int] = {}

    def apply(loan: LoanAccount) -> Outcome:
        if unearned is None:
            return merchant_refund(loan, amount, on)
        fixed = unwound_by(loan, amount.fen)
        unwound.update(subsidy_unwound=fixed[0], lender_unwound=fixed[1])
        return merchant_refund(loan, amount, on, unearned=unearned, unwound=fixed)

    return _post_in_unit(
        uow,
        loan_id,
        on,
        EventKind.MERCHANT_REFUND,
        amount.fen,
        amount.currency,
        apply,
        unearned.value if unearned else None,
        unwound,
    )


def _merchant_refund_refused(uow: UnitOfWork, loan: LoanAccount) -> ConflictError | None:
    """Why staff may not record a merchant refund on ``loan``, if they may not."""
    session = uow.checkouts.session_of_loan(loan.loan_id)
    if session is not None:
        return ConflictError(
            f"loan {loan.loan_id} was booked by checkout session {session}: its refunds go "
            "through the checkout, so that the merchant's settlement and subsidy follow them",
            field="loan_id",
            value=loan.loan_id,
            remedy=f"have the merchant refund the order (POST /v1/checkout/sessions/{session}"
            "/refunds), or resolve the borrower's dispute with a refund",
        )
    if loan.merchant is None:
        return ConflictError(
            f"loan {loan.loan_id} financed no merchant's sale: there is no merchant to refund it",
            field="loan_id",
            value=loan.loan_id,
            remedy="record money the borrower pays as a payment; forgive fees or penalty "
            "interest with a waiver",
        )
    return None


def may_record_merchant_refund(engine: Engine, loan: LoanAccount) -> bool:
    """Whether staff may record a merchant refund on ``loan`` (see
    :func:`staff_merchant_refund_in_unit`)."""
    with UnitOfWork(engine) as uow:
        return _merchant_refund_refused(uow, loan) is None


def staff_merchant_refund_in_unit(
    uow: UnitOfWork, loan_id: int, amount: Money, on: date, *, reason: str
) -> Receipt:
    """A merchant refund staff record (the console, ``POST /v1/staff/loans/{id}/merchant-
    refunds``) inside the caller's unit of work: only on a purchase loan booked with its
    merchant outside the checkout. A checkout's loan is refunded through the checkout, whose
    refunds the merchant's settlement nets and whose contract unwinds the subsidy; a loan that
    financed no merchant's sale has no merchant to send money back. ``reason`` (the merchant's
    return, say) is checked as every staff reason is; the caller audits it."""
    staff_reason(reason)

    def apply(loan: LoanAccount) -> Outcome:
        refused = _merchant_refund_refused(uow, loan)
        if refused is not None:
            raise refused
        return merchant_refund(loan, amount, on)

    return _post_in_unit(
        uow, loan_id, on, EventKind.MERCHANT_REFUND, amount.fen, amount.currency, apply
    )


def record_merchant_refund(
    engine: Engine, loan_id: int, amount: Money, on: date, *, actor: str | None = None
) -> Receipt:
    """A merchant refund on a point-of-sale loan: principal cut, schedule re-amortized.
    With ``actor``, audited as ``loan.merchant_refund`` in the same transaction."""
    return in_own_unit(
        engine, lambda uow: merchant_refund_in_unit(uow, loan_id, amount, on), _audited(actor)
    )


def charge_off_in_unit(
    uow: UnitOfWork, loan_id: int, on: date, *, reason: str, approved: bool = False
) -> Receipt:
    """:func:`charge_off_loan` inside the caller's unit of work (the caller commits).

    As with a write-off, one staff member alone may charge off only a loan at least the
    product's charge-off days past due; a loss recognised earlier (fraud, death) goes through a
    write-off request a second staff member approves (:mod:`thinfile.services.write_offs`)."""
    reason = staff_reason(reason)

    def apply(loan: LoanAccount) -> Outcome:
        if not approved:
            check_loss_alone(loan, on, "charge-off")
        return charge_off(loan, on, reason=reason)

    receipt = _post_in_unit(uow, loan_id, on, EventKind.CHARGE_OFF, 0, None, apply)
    stop_lines_of_lost_draws_in(uow, on, [loan_id])  # its line never lends again
    return receipt


def charge_off_loan(
    engine: Engine, loan_id: int, on: date, *, reason: str, actor: str | None = None
) -> Receipt:
    """Charge the loan off (核销) by one staff member: only at the product's charge-off days
    past due (see :func:`charge_off_in_unit`). With ``actor``, audited as ``loan.charge_off``
    in the same transaction."""
    reason = staff_reason(reason)
    return in_own_unit(
        engine,
        lambda uow: charge_off_in_unit(uow, loan_id, on, reason=reason),
        _audited(actor, reason=reason),
    )


def write_off_in_unit(
    uow: UnitOfWork, loan_id: int, on: date, *, reason: str, approved: bool = False
) -> Receipt:
    """:func:`write_off_loan` inside the caller's unit of work (the caller commits).

    One staff member alone may write off only a loan at least the product's charge-off days
    past due (``ServicingProduct.charge_off_days``); below that the write-off needs a second
    staff member's approval (:mod:`thinfile.services.write_offs`, which passes
    ``approved=True``)."""
    reason = staff_reason(reason)

    def apply(loan: LoanAccount) -> Outcome:
        if not approved:
            check_loss_alone(loan, on, "write-off")
        return write_off(loan, on, reason=reason)

    receipt = _post_in_unit(uow, loan_id, on, EventKind.WRITE_OFF, 0, None, apply)
    stop_lines_of_lost_draws_in(uow, on, [loan_id])  # its line never lends again
    return receipt


def settle_in_unit(
    uow: UnitOfWork, loan_id: int, amount: Money, on: date, *, reason: str
) -> Receipt:
    """A settlement approved in collections (``servicing.settle``: the money received for
    what is owed on ``on``, the rest written off) inside the caller's unit of work; the
    loan's line, if it was drawn from one, never lends again."""
    reason = staff_reason(reason)

    def apply(loan: LoanAccount) -> Outcome:
        return settle(loan, amount, on, reason=reason)

    receipt = _post_in_unit(
        uow, loan_id, on, EventKind.SETTLEMENT, amount.fen, amount.currency, apply
    )
    stop_lines_of_lost_draws_in(uow, on, [loan_id])
    return receipt


def may_write_off_alone(loan: LoanAccount, on: date) -> bool:
    """Whether one staff member may write ``loan`` off on ``on``: it is at least the
    product's charge-off days past due."""
    return loan.days_past_due(on) >= loan.product.charge_off_days


def check_loss_alone(loan: LoanAccount, on: date, what: str = "write-off") -> None:
    """Refuse a ``what`` (a write-off or charge-off) by one staff member below the charge-off
    threshold: a loss recognised early needs a second staff member's approval."""
    if not may_write_off_alone(loan, on):
        raise PermissionDeniedError(
            f"loan {loan.loan_id} is {loan.days_past_due(on)} days past due; below "
            f"{loan.product.charge_off_days} a {what} needs a second staff member's approval",
            field="loan_id",
            value=loan.loan_id,
            remedy="request the write-off (POST /v1/staff/loans/{loan_id}/write-off-requests) "
            "and have another servicing agent or admin approve it",
        )


def write_off_loan(
    engine: Engine, loan_id: int, on: date, *, reason: str, actor: str | None = None
) -> Receipt:
    """Write the loan off and stop collecting (audited as ``loan.write_off`` with ``actor``);
    only at the charge-off threshold (see :func:`write_off_in_unit`)."""
    reason = staff_reason(reason)
    return in_own_unit(
        engine,
        lambda uow: write_off_in_unit(uow, loan_id, on, reason=reason),
        _audited(actor, reason=reason),
    )


def recovery_in_unit(uow: UnitOfWork, loan_id: int, amount: Money, on: date) -> Receipt:
    """:func:`record_recovery` inside the caller's unit of work (the caller commits). A loan
    settled for less than it owed (和解结清) has nothing to recover: the settlement released the
    borrower from the rest, so money received afterwards is the borrower's."""
    settled = uow.transactions.in_force(loan_id, [EventKind.SETTLEMENT])
    if settled:
        raise ConflictError(
            f"loan {loan_id} was settled on {from_day(settled[-1].day)}: the borrower owes "
            "nothing more, so there is nothing to recover",
            field="loan_id",
            value=loan_id,
            remedy="pay money received from the borrower after the settlement back to them",
        )
    return _post_in_unit(
        uow,
        loan_id,
        on,
        EventKind.RECOVERY,
        amount.fen,
        amount.currency,
        lambda loan: recover(loan, amount, on),
    )


def record_recovery(
    engine: Engine, loan_id: int, amount: Money, on: date, *, actor: str | None = None
) -> Receipt:
    """Money collected after charge-off (核销后收回); audited as ``loan.recovery`` with
    ``actor``."""
    return in_own_unit(
        engine, lambda uow: recovery_in_unit(uow, loan_id, amount, on), _audited(actor)
    )


def overpayment_refund_in_unit(uow: UnitOfWork, loan_id: int, amount: Money, on: date) -> Receipt:
    """:func:`refund_loan_overpayment` inside the caller's unit of work."""
    return _post_in_unit(
        uow,
        loan_id,
        on,
        EventKind.OVERPAYMENT_REFUND,
        amount.fen,
        amount.currency,
        lambda loan: refund_overpayment(loan, amount, on),
    )


def refund_loan_overpayment(
    engine: Engine, loan_id: int, amount: Money, on: date, *, actor: str | None = None
) -> Receipt:
    """Pay overpayment held on the loan back to the borrower; audited as
    ``loan.overpayment_refund`` with ``actor``."""
    return in_own_unit(
        engine, lambda uow: overpayment_refund_in_unit(uow, loan_id, amount, on), _audited(actor)
    )


def waive_fees_in_unit(
    uow: UnitOfWork,
    loan_id: int,
    amount: Money,
    on: date,
    *,
    reason: str,
    target: WaiverTarget | None = None,
) -> Receipt:
    """:func:`waive_loan_fees` inside the caller's unit of work (the caller commits)."""
    reason = staff_reason(reason)
    return _post_in_unit(
        uow,
        loan_id,
        on,
        EventKind.FEE_WAIVER,
        amount.fen,
        amount.currency,
        lambda loan: waive_fees(loan, amount, on, reason=reason, target=target),
        target.value if target else None,
    )


def waive_loan_fees(
    engine: Engine,
    loan_id: int,
    amount: Money,
    on: date,
    *,
    reason: str,
    target: WaiverTarget | None = None,
    actor: str | None = None,
) -> Receipt:
    """Waive fees or penalty interest (费用减免): ``target`` ``fee``, ``penalty``, or ``None``
    for penalty first, then fees. The receipt's ``amount`` is what was waived. With
    ``actor``, audited as ``loan.fee_waiver`` in the same transaction."""
    reason = staff_reason(reason)
    return in_own_unit(
        engine,
        lambda uow: waive_fees_in_unit(uow, loan_id, amount, on, reason=reason, target=target),
        _audited(actor, target=target.value if target else None, reason=reason),
    )
