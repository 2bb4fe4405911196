"""Hardship plans (纾困方案) with maker-checker approval (双人复核).

One collector, servicing agent or admin proposes a plan (:func:`propose_plan`); a servicing
agent or admin other than the proposer approves it (:func:`approve_plan`), and only the
approval posts it, in one unit of work through the ledger:

- **settlement** (折扣结清): the agreed amount is received as a prepayment (what is due
  first, then principal) and the rest is written off (charge-off entries), so the loan's
  transactions show both; the borrower pays less than the contract's cost, inside the cap;
- **payment holiday** (延期还款): every installment not yet due falls due 1 to 6 months
  later, with no interest or fee added (``servicing.reschedule.payment_holiday``);
- **restructure** (re-age, 重组): the arrears spread over the installments not yet due, the
  loan current again (``servicing.reschedule.re_age``); refused when the loan had one approved
  in the 12 months before.

- **term extension** (延长期限): the principal not yet due is re-planned over the
  installments not yet due and 1 to 6 new monthly ones at the contract's rate
  (``servicing.reschedule.term_extension``); only monthly equal-installment and
  equal-principal loans without installment fees, refused at proposal otherwise.

A holiday, an extension and a re-age are transactions of their own (kinds ``payment-holiday``,
``term-extension`` and ``re-age``), replayed like every posting; they change when money falls
due, not what is owed today, so their journal entry is empty. The borrower is told of every
approved plan but a settlement (message ``plan_changed``: the next installment and its date),
in the approval's own transaction.

A loan has at most one proposed plan at a time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.engine import Engine

from thinfile.collections import (
    HardshipKind,
    HardshipStatus,
    check_approver,
    check_months,
    check_reage_allowed,
    settlement_split,
)
from thinfile.errors import ConflictError, InvalidInputError, NotFoundError
from thinfile.money import Money
from thinfile.security.roles import SERVICING_ROLES
from thinfile.services.audit import record_audit
from thinfile.services.business_date import business_date_in
from thinfile.services.collections import check_collector, check_loan_in_reach_in
from thinfile.services.identity_records import Actor
from thinfile.services.loan_adjustments import settle_in_unit
from thinfile.services.loan_postings import catch_up, persist
from thinfile.services.notifications import notify_plan_changed_in_unit
from thinfile.services.reasons import staff_reason
from thinfile.services.uow import UnitOfWork
from thinfile.servicing import EventKind, LoanAccount, LoanStatus, payoff_quote
from thinfile.servicing.reschedule import (
    check_extendable,
    check_pausable,
    check_reschedulable,
    payment_holiday,
    re_age,
    term_extension,
)
from thinfile.store.servicing_codec import from_day, to_day

__all__ = ["HardshipPlan", "approve_plan", "decline_plan", "plans_of_loan", "propose_plan"]


@dataclass(frozen=True, slots=True)
class HardshipPlan:
    plan_id: int
    loan_id: int
    kind: HardshipKind
    months: int
    amount: int | None
    reason: str
    status: HardshipStatus
    proposed_by: str
    proposed_on: date
    approved_by: str | None
    txn_id: int | None


def _plan(r: Any) -> HardshipPlan:
    return HardshipPlan(
        plan_id=int(r.id),
        loan_id=int(r.loan_id),
        kind=HardshipKind(r.kind),
        months=int(r.months),
        amount=None if r.amount is None else int(r.amount),
        reason=str(r.reason),
        status=HardshipStatus(r.status),
        proposed_by=str(r.proposed_by),
        proposed_on=from_day(int(r.proposed_day)),
        approved_by=r.approved_by,
        txn_id=r.txn_id,
    )


def _restructured(uow: UnitOfWork, loan_id: int) -> list[date]:
    return [
        from_day(int(p.approved_day))
        for p in uow.collections.plans_of(loan_id)
        if p.kind == HardshipKind.RESTRUCTURE.value and p.status == "approved"
    ]


def propose_plan(
    engine: Engine,
    loan_id: int,
    kind: HardshipKind,
    *,
    reason: str,
    actor: Actor,
    months: int | None = None,
    amount: Money | None = None,
    today: date | None = None,
) -> HardshipPlan:
    """Propose a hardship plan for ``loan_id`` (audited ``collection.hardship_propose``) on
    the open business date (``today``: the clock's date unless a replay of past days says).
    An agency's collector proposes only on loans whose case their agency holds."""
    check_collector(actor)
    kind = HardshipKind(kind)
    reason = staff_reason(reason)
    months = check_months(kind, months)
    if (kind is HardshipKind.SETTLEMENT) != (amount is not None):
        raise InvalidInputError("only a settlement takes an amount", field="amount")
    with UnitOfWork(engine) as uow:
        loan = uow.loans.get(loan_id, lock=True).account
        check_loan_in_reach_in(uow, loan_id, actor)
        on = business_date_in(uow, today=today)
        _check_open_loan(loan)
        if kind is not HardshipKind.SETTLEMENT:
            check_reschedulable(loan, on)  # refused now rather than at approval
        if amount is not None:  # against what paying off would take today
            settlement_split(loan.check_amount(amount), payoff_quote(loan, on).fen)
        if kind is HardshipKind.RESTRUCTURE:
            check_reage_allowed(_restructured(uow, loan_id), on)
        if kind is HardshipKind.TERM_EXTENSION:
            check_extendable(loan, on, months)  # refused now rather than at approval
        if kind is HardshipKind.PAYMENT_HOLIDAY:
            check_pausable(loan, on)
        if any(p.status == "proposed" for p in uow.collections.plans_of(loan_id)):
            raise ConflictError(
                f"loan {loan_id} already has a hardship plan waiting for approval",
                field="loan_id",
                value=loan_id,
                remedy="have another staff member approve or decline it, or its proposer "
                "withdraw it",
            )
        plan_id = uow.collections.add_plan(
            {
                "loan_id": loan_id,
                "kind": kind.value,
                "months": months,
                "amount": None if amount is None else amount.fen,
                "reason": reason,
                "status": HardshipStatus.PROPOSED.value,
                "proposed_by": actor.user_id,
                "proposed_day": to_day(on),
            }
        )
        plan = _plan(uow.collections.plan(plan_id))
        record_audit(
            uow,
            actor.label,
            "collection.hardship_propose",
            f"loan:{loan_id}",
            {"plan": plan_id, "kind": kind.value},
        )
        uow.commit()
    return plan


def _check_open_loan(loan: LoanAccount) -> None:
    """A plan changes what an active loan asks; a loan repaid, charged off or written off
    takes none (money received on charged-off debt is a recovery)."""
    if loan.status is LoanStatus.ACTIVE:
        return
    remedy = (
        "record what the borrower pays on charged-off debt as a recovery"
        if loan.status is LoanStatus.CHARGED_OFF
        else "a plan is for a loan still being repaid"
    )
    raise ConflictError(
        f"loan {loan.loan_id} is {loan.status.value}: it takes no hardship plan",
        field="loan_id",
        value=loan.loan_id,
        remedy=remedy,
    )


def decline_plan(
    engine: Engine, plan_id: int, *, reason: str, actor: Actor, today: date | None = None
) -> HardshipPlan:
    """Decline a proposed plan (an approver, not its proposer) or withdraw it (its proposer),
    with a reason (audited ``collection.hardship_decline``): nothing is posted, and the loan
    may take another proposal."""
    text = staff_reason(reason)
    with UnitOfWork(engine) as uow:
        row = uow.collections.plan(plan_id, lock=True)
        if row is None:
            raise NotFoundError("no such hardship plan", field="plan_id", value=plan_id)
        plan = _plan(row)
        if plan.proposed_by == actor.user_id:
            check_collector(actor)
        else:
            check_collector(actor, SERVICING_ROLES)
        if plan.status is not HardshipStatus.PROPOSED:
            raise ConflictError(
                f"hardship plan {plan_id} is already {plan.status.value}", field="plan_id"
            )
        on = business_date_in(uow, today=today)
        uow.collections.decline_plan(plan_id, by=actor.user_id, day=to_day(on))
        declined = _plan(uow.collections.plan(plan_id))
        withdrawn = plan.proposed_by == actor.user_id
        record_audit(
            uow,
            actor.label,
            "collection.hardship_decline",
            f"loan:{plan.loan_id}",
            {"plan": plan_id, "kind": plan.kind.value, "withdrawn": withdrawn, "reason": text},
        )
        uow.commit()
    return declined


def _settle(uow: UnitOfWork, plan: HardshipPlan, on: date) -> int:
    """Receive the settlement amount and write the rest off; the write-off's transaction."""
    assert plan.amount is not None
    stored = catch_up(uow, uow.loans.get(plan.loan_id, lock=True), on)
    loan = stored.account
    # what paying off would take on the day: the current period's interest for the days used
    # included, which close of business has not accrued yet
    split = settlement_split(plan.amount, payoff_quote(loan, on).fen)
    receipt = settle_in_unit(
        uow, plan.loan_id, Money(split.paid, loan.currency), on, reason=f"plan {plan.plan_id}"
    )
    return receipt.txn_id


def approve_plan(
    engine: Engine, plan_id: int, *, approver: Actor, today: date | None = None
) -> HardshipPlan:
    """Approve a proposed plan and post it (audited ``collection.hardship_approve``) on the
    open business date (``today`` as in :func:`propose_plan`); the approver is a servicing
    agent or admin other than the proposer."""
    check_collector(approver, SERVICING_ROLES)
    with UnitOfWork(engine) as uow:
        row = uow.collections.plan(plan_id, lock=True)
        if row is None:
            raise NotFoundError("no such hardship plan", field="plan_id", value=plan_id)
        plan = _plan(row)
        if plan.status is not HardshipStatus.PROPOSED:
            raise ConflictError(
                f"hardship plan {plan_id} is already {plan.status.value}", field="plan_id"
            )
        check_approver(plan.proposed_by, approver.user_id)
        on = business_date_in(uow, today=today)
        txn_id = _post(uow, plan, on)
        uow.collections.approve_plan(plan_id, by=approver.user_id, day=to_day(on), txn_id=txn_id)
        approved = _plan(uow.collections.plan(plan_id))
        record_audit(
            uow,
            approver.label,
            "collection.hardship_approve",
            f"loan:{plan.loan_id}",
            {"plan": plan_id, "kind": plan.kind.value, "txn": txn_id},
        )
        uow.commit()
    return approved


def _reschedule(uow: UnitOfWork, plan: HardshipPlan, on: date) -> int:
    """Post a payment holiday, a term extension or a re-age as a transaction of its own (its
    event replays), and tell the borrower."""
    stored = catch_up(uow, uow.loans.get(plan.loan_id, lock=True), on)
    loan = stored.account
    if plan.kind is HardshipKind.PAYMENT_HOLIDAY:
        kind, amount, done = (
            EventKind.PAYMENT_HOLIDAY, plan.months, payment_holiday(loan, on, plan.months)
        )  # fmt: skip
    elif plan.kind is HardshipKind.TERM_EXTENSION:
        kind, amount, done = (
            EventKind.TERM_EXTENSION, plan.months, term_extension(loan, on, plan.months)
        )  # fmt: skip
    else:
        kind, amount, done = EventKind.RE_AGE, 0, re_age(loan, on)
    txn_id = persist(
        uow,
        stored,
        done,
        txn={
            "kind": kind,
            "day": to_day(on),
            "amount": amount,
            "currency": loan.currency,
            "mode": None,
            "paid_principal": 0,
            "paid_interest": 0,
            "paid_fee": 0,
            "paid_penalty": 0,
            "overpayment": 0,
        },
    )
    assert txn_id is not None
    notify_plan_changed_in_unit(uow, done.loan, plan.plan_id, on)
    return txn_id


def _post(uow: UnitOfWork, plan: HardshipPlan, on: date) -> int | None:
    if plan.kind is HardshipKind.SETTLEMENT:
        return _settle(uow, plan, on)
    if plan.kind is HardshipKind.RESTRUCTURE:
        check_reage_allowed(_restructured(uow, plan.loan_id), on)
    return _reschedule(uow, plan, on)


def plans_of_loan(engine: Engine, loan_id: int) -> list[HardshipPlan]:
    with UnitOfWork(engine) as uow:
        return [_plan(r) for r in uow.collections.plans_of(loan_id)]
