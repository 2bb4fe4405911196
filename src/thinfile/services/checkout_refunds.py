"""Checkout refunds, the merchant's side (退款), and staff's when they resolve a dispute.

A refund is shared over the captures, newest first; on each loan it is a merchant refund that
cuts the schedule from the last installment backwards, unwinds the unearned subsidy as the
contract says (the merchant's share of it back to the merchant or kept, the lender's share of a
campaign subsidy out of its marketing expense; the rest re-planned), re-prices the fee plan on
what stays financed and returns what the borrower paid beyond the new total and in fees on the
refunded share. The campaign's budget gets back the subsidy the refund unwound; a full refund
of an ended order gives back every promotion (:func:`thinfile.services.checkout.
give_back_promotions_in_unit`). Each refund is idempotent under its key (``run_once``).
"""

from __future__ import annotations

import json
from datetime import date

from thinfile.commerce import split_refund
from thinfile.commerce.webhooks import WebhookEventType
from thinfile.errors import CheckoutStateError, InvalidInputError
from thinfile.money import Money
from thinfile.services.audit import AuditDraft
from thinfile.services.business_date import business_date_in
from thinfile.services.campaigns import release_campaign_budget_in_unit
from thinfile.services.checkout import (
    check_coupon_kept,
    checkout_audit,
    freed_subsidy,
    give_back_promotions_in_unit,
    own_session,
    save_amounts,
)
from thinfile.services.checkout_records import (
    CheckoutRecord,
    amounts_of,
    checkout_event_in_unit,
    checkout_record,
    pricing_of,
)
from thinfile.services.identity_records import Actor, new_id, now_utc
from thinfile.services.loan_adjustments import merchant_refund_in_unit, overpayment_refund_in_unit
from thinfile.services.loan_postings import catch_up
from thinfile.services.uow import UnitOfWork
from thinfile.servicing import LoanStatus, SubsidyOnRefund
from thinfile.servicing.purchase_refund import unwound_by
from thinfile.store.checkout_repo import StoredCheckout, StoredRefundPart

__all__ = ["DISPUTE_REFERENCE", "refund_in_unit", "refund_session_in_unit"]

DISPUTE_REFERENCE = "dispute:"
"""How the reference of a refund that resolved a dispute begins (``dispute:<id>``, written by
``services.disputes``); reserved: a merchant's own reference may not begin so."""


def _release_freed(uow: UnitOfWork, row: StoredCheckout, freed: int) -> int:
    """A partial refund: the campaign's budget gets back the subsidy it freed
    (:func:`~thinfile.services.checkout.freed_subsidy`; never more than the reservation still
    holds: captures' subsidies are rounded one by one). The fen released."""
    use = uow.campaigns.use(row.id)
    if use is None or not freed:
        return 0
    back = min(freed, use.amount_fen - use.released_fen)
    if back > 0:
        release_campaign_budget_in_unit(uow, row.id, Money(back, row.currency))
    return max(back, 0)


def refund_in_unit(
    uow: UnitOfWork,
    actor: Actor,
    session_id: str,
    amount: Money,
    *,
    reference: str | None,
    today: date | None = None,
) -> tuple[CheckoutRecord, AuditDraft]:
    """Refund ``amount`` of what was captured (never more in total), newest capture first.
    A ``reference`` may not begin with :data:`DISPUTE_REFERENCE`: that marks a dispute's
    refund, which the merchant may not reverse."""
    if reference is not None and reference.lower().startswith(DISPUTE_REFERENCE):
        raise InvalidInputError(
            f"a refund reference beginning with {DISPUTE_REFERENCE!r} is reserved for the "
            "refunds that resolve a borrower's dispute",
            field="reference",
            value=reference,
            remedy="use the merchant's own reference, such as its return number (RMA-0042)",
        )
    return refund_session_in_unit(
        uow,
        actor,
        own_session(uow, actor, session_id, lock=True),
        amount,
        reference=reference,
        today=today,
    )


def refund_session_in_unit(
    uow: UnitOfWork,
    actor: Actor,
    row: StoredCheckout,
    amount: Money,
    *,
    reference: str | None,
    today: date | None = None,
) -> tuple[CheckoutRecord, AuditDraft]:
    """:func:`refund_in_unit` of a session the caller has already checked and locked (a
    merchant's own, or staff resolving a dispute: ``services.disputes``); booked on the
    current business date (``today``: as the clock's date, for a replayed day)."""
    record = checkout_record(uow, row)
    state = amounts_of(row, record.status).refund(amount)
    check_coupon_kept(uow, row, state)
    _, policy = pricing_of(row)
    unearned = SubsidyOnRefund(policy.value)
    on = business_date_in(uow, today=today)
    open_parts = [
        (i, Money(c.amount - c.refunded, row.currency)) for i, c in enumerate(record.captures)
    ]
    parts = []
    for i, part in split_refund(open_parts, amount):
        capture = record.captures[i]
        stored = catch_up(uow, uow.loans.get(capture.loan_id, lock=True), on)
        if stored.account.status not in (LoanStatus.ACTIVE, LoanStatus.CLOSED):
            raise CheckoutStateError(
                f"the loan of capture {capture.n} is {stored.account.status.value}: a refund "
                "can no longer reduce what the borrower owes on it",
                field="amount",
                value=str(amount),
                remedy="refund the borrower outside checkout, through collections",
            )
        share, lender = unwound_by(stored.account, part.fen)
        merchant_refund_in_unit(uow, capture.loan_id, part, on, unearned=unearned)
        held = uow.loans.get(capture.loan_id).account.credit
        if held:
            overpayment_refund_in_unit(uow, capture.loan_id, Money(held, row.currency), on)
        uow.checkouts.add_to_capture_refunded(capture.id, part.fen)
        parts.append(StoredRefundPart(capture.id, capture.loan_id, part.fen, share, held, lender))
    refund_id = new_id()
    uow.checkouts.add_refund(
        {
            "id": refund_id,
            "session_id": row.id,
            "n": len(record.refunds) + 1,
            "amount": amount.fen,
            "reference": reference,
            "refunded_on": on,
            "created_at": now_utc(),
        },
        parts,
    )
    if state.refunded == state.captured and not state.capturable.fen:
        # the order ended with nothing bought: while the merchant may still capture, the
        # promotions stay with the order (a void afterwards gives them back)
        released = give_back_promotions_in_unit(uow, row, refunded=True, today=today)
    else:  # the subsidy the refund freed is no longer the campaign's to pay
        released = _release_freed(uow, row, sum(freed_subsidy(p, policy) for p in parts))
    uow.checkouts.set_budget_released(refund_id, released)
    saved = save_amounts(uow, row, state)
    checkout_event_in_unit(
        uow, saved, WebhookEventType.CHECKOUT_REFUNDED, amount=str(amount), reference=reference
    )
    audit = checkout_audit(
        actor,
        "checkout.refund",
        row,
        amount_fen=amount.fen,
        loans=json.dumps([p.loan_id for p in parts]),
    )
    return checkout_record(uow, saved, lines=record.lines), audit
