"""Reversing a checkout refund (merchant error, 退款冲正): the refund as a whole is undone.

A merchant that refunded by mistake reverses refund ``n`` of its session; staff may reverse
any session's. In one unit of work, each part's merchant refund on its loan is reversed by
reverse-and-replay (:func:`thinfile.services.payment_reversals.reverse_in_unit`), so the
schedule, the balances, the subsidy still deferred and the ledger are those of the purchase
never refunded; the capture's refunded amount, the session's refunded total and the refund
(stamped ``reversed_on``) follow; the merchant is told (``checkout.refund_reversed``) and the
change is audited (``checkout.refund_reversed``). The merchant's daily settlement pays the
refund back, less the unearned subsidy it had returned, on the reversal's business date (a
``refund-reversal`` line per part: :mod:`thinfile.services.settlements`).

The rules (each refusal is typed, names the field and writes nothing):

* **Newest first.** Only the newest refund of the session still in force can be reversed:
  an older one was the base the later ones were priced on (their unwound subsidy, the fees
  they gave back).
* **Money paid out stays a refusal.** When the refund paid the borrower back (an overpayment
  refund: what they had paid beyond the new total, and the fees on the refunded share), that
  money left the lender; reversing would make the borrower owe it again without telling
  them. The reversal is refused (:class:`~thinfile.errors.ConflictError`); the remedy is a
  new purchase for what the merchant meant to keep, or collections for the money paid out.
* **Promotions given back are taken again.** A refund returned to the campaign's budget the
  subsidy it freed (recorded with it), a full refund of an ended order the session's coupon
  too; reversing it takes them again
  (:func:`~thinfile.services.coupon_redemptions.retake_coupon_in_unit`,
  :func:`~thinfile.services.campaigns.retake_campaign_budget_in_unit`). Refused, writing
  nothing, when that cannot be done honestly: the borrower has used the coupon on another
  order since, its window was closed since, or the lender funded it (its marketing money
  went back through the merchant's settlement) — ``CouponUnavailableError`` naming
  ``coupon`` — or the campaign's budget no longer holds the subsidy
  (``CampaignBudgetExhaustedError`` naming ``campaign``; raise the budget, then reverse).
* **A dispute's refund is staff's.** A refund made resolving a borrower's dispute (reference
  ``dispute:<id>``) is not the merchant's to undo: the merchant is refused
  (:class:`~thinfile.errors.PermissionDeniedError`, ``refund_n``); staff may reverse it.
* **Once.** A refund already reversed is refused (ConflictError, ``refund_n``); a repeat of
  the same request under its ``Idempotency-Key`` replays the first answer
  (:func:`thinfile.services.idempotency.run_once`), like every other money call.
"""

from __future__ import annotations

from datetime import date

from thinfile.commerce.webhooks import WebhookEventType
from thinfile.errors import ConflictError, NotFoundError, PermissionDeniedError
from thinfile.money import Money
from thinfile.services.audit import AuditDraft
from thinfile.services.business_date import business_date_in
from thinfile.services.campaigns import retake_campaign_budget_in_unit
from thinfile.services.checkout import subsidy_in_force
from thinfile.services.checkout_records import (
    CheckoutRecord,
    checkout_event_in_unit,
    checkout_record,
    load_session,
    save_session,
)
from thinfile.services.checkout_refunds import DISPUTE_REFERENCE
from thinfile.services.coupon_redemptions import retake_coupon_in_unit
from thinfile.services.identity_records import Actor, now_utc
from thinfile.services.payment_reversals import reverse_in_unit
from thinfile.services.reasons import staff_reason
from thinfile.services.uow import UnitOfWork
from thinfile.servicing import EventKind
from thinfile.store.checkout_repo import StoredCheckout, StoredRefund, StoredRefundPart
from thinfile.store.servicing_codec import to_day

__all__ = [
    "reverse_refund_by_staff_in_unit",
    "reverse_refund_in_unit",
    "reverse_session_refund_in_unit",
]


def _own(uow: UnitOfWork, actor: Actor, session_id: str) -> StoredCheckout:
    merchant_id = uow.merchants.merchant_of_user(actor.user_id)
    if merchant_id is None:
        raise PermissionDeniedError(
            "this account acts for no merchant", remedy="ask staff to add it to a merchant"
        )
    row = load_session(uow, session_id, lock=True)
    if row.merchant_id != merchant_id:
        raise NotFoundError("no such checkout session", field="session_id", value=session_id)
    return row


def _refund(uow: UnitOfWork, row: StoredCheckout, n: int) -> StoredRefund:
    refunds = uow.checkouts.refunds(row.id)
    found = next((r for r in refunds if r.n == n), None)
    if found is None:
        raise NotFoundError("no such refund of the session", field="refund_n", value=n)
    if found.reversed_on is not None:
        raise ConflictError(
            f"refund {n} was reversed on {found.reversed_on}",
            field="refund_n",
            value=n,
            remedy="read the session: the refund is already undone",
        )
    newest = max(r.n for r in refunds if r.reversed_on is None)
    if n != newest:
        raise ConflictError(
            f"refund {newest} came after refund {n} and is still in force",
            field="refund_n",
            value=n,
            remedy=f"reverse refund {newest} first",
        )
    paid_out = sum(p.returned_to_borrower for p in found.parts)
    if paid_out:
        raise ConflictError(
            f"refund {n} paid {paid_out} fen back to the borrower: that money left the lender",
            field="refund_n",
            value=n,
            remedy="start a new purchase for what the merchant keeps; collect what was paid "
            "out through collections",
        )
    return found


def _promotions_taken_again(uow: UnitOfWork, row: StoredCheckout, refund: StoredRefund) -> None:
    """What the refund gave back of the session's promotions is taken again: the campaign
    budget it released (recorded with it; for a refund made before that was recorded, what
    the purchases use again), and the coupon a full refund of an ended order returned."""
    ended = row.refunded == row.captured and not row.authorized - row.captured - row.voided
    if ended:
        retake_coupon_in_unit(uow, row.id)
    if refund.budget_released is not None:
        back = refund.budget_released
    elif ended:
        back = subsidy_in_force(uow, row, besides=refund.id)
    else:
        back = sum(p.subsidy_unwound for p in refund.parts)
    if back:
        retake_campaign_budget_in_unit(uow, row.id, most=back)


def _merchant_refund_txn(uow: UnitOfWork, part: StoredRefundPart, on: date) -> int:
    """The merchant-refund posting of ``part`` (on its loan, its business date, its amount,
    still in force; the newest of identical ones)."""
    found = [
        int(t.id)
        for t in uow.transactions.in_force(part.loan_id, [EventKind.MERCHANT_REFUND.value])
        if t.day == to_day(on) and t.amount == part.amount
    ]
    if not found:
        raise ConflictError(
            f"the merchant refund on loan {part.loan_id} is no longer in force",
            field="refund_n",
            value=part.loan_id,
            remedy="ask staff: the loan's refund was reversed on its own",
        )
    return found[-1]


def reverse_session_refund_in_unit(
    uow: UnitOfWork,
    actor: Actor,
    row: StoredCheckout,
    refund_n: int,
    *,
    reason: str,
    today: date | None = None,
) -> tuple[CheckoutRecord, AuditDraft]:
    """Reverse refund ``refund_n`` of a session the caller has already checked and locked,
    on the current business date (``today``: as the clock's date, for a replayed day)."""
    reason = staff_reason(reason)
    refund = _refund(uow, row, refund_n)
    _promotions_taken_again(uow, row, refund)
    on = business_date_in(uow, today=today)
    txns = []
    for part in refund.parts:
        txn = _merchant_refund_txn(uow, part, refund.refunded_on)
        done = reverse_in_unit(uow, txn, on, reason=reason, loan_id=part.loan_id)
        uow.checkouts.add_to_capture_refunded(part.capture_id, -part.amount)
        txns.append(done.txn_id)
    if not uow.checkouts.mark_refund_reversed(refund.id, on):
        raise ConflictError("the refund was reversed meanwhile", field="refund_n", value=refund_n)
    saved = save_session(uow, row.id, refunded=row.refunded - refund.amount, updated_at=now_utc())
    checkout_event_in_unit(
        uow,
        saved,
        WebhookEventType.CHECKOUT_REFUND_REVERSED,
        refund_n=refund_n,
        amount=str(Money(refund.amount, row.currency)),
        reason=reason,
    )
    audit = AuditDraft(
        actor.label,
        "checkout.refund_reversed",
        f"checkout:{row.id}",
        {
            "refund_n": refund_n,
            "amount_fen": refund.amount,
            "reversal_txns": ",".join(str(t) for t in txns),
            "on": on.isoformat(),
            "reason": reason,
        },
    )
    return checkout_record(uow, saved), audit


def reverse_refund_in_unit(
    uow: UnitOfWork,
    actor: Actor,
    session_id: str,
    refund_n: int,
    *,
    reason: str,
    today: date | None = None,
) -> tuple[CheckoutRecord, AuditDraft]:
    """The merchant's own session's refund ``refund_n`` reversed (another merchant's session
    looks like none); see the module for the rules."""
    row = _own(uow, actor, session_id)
    refund = next((r for r in uow.checkouts.refunds(row.id) if r.n == refund_n), None)
    if refund is not None and (refund.reference or "").startswith(DISPUTE_REFERENCE):
        raise PermissionDeniedError(
            f"refund {refund_n} resolved the borrower's dispute {refund.reference}",
            field="refund_n",
            value=refund_n,
            remedy="ask staff to review the dispute",
        )
    return reverse_session_refund_in_unit(uow, actor, row, refund_n, reason=reason, today=today)


def reverse_refund_by_staff_in_unit(
    uow: UnitOfWork,
    actor: Actor,
    session_id: str,
    refund_n: int,
    *,
    reason: str,
    today: date | None = None,
) -> tuple[CheckoutRecord, AuditDraft]:
    """Staff reverse refund ``refund_n`` of any merchant's session (the same rules)."""
    row = load_session(uow, session_id, lock=True)
    return reverse_session_refund_in_unit(uow, actor, row, refund_n, reason=reason, today=today)
