"""Disputes of financed purchases (争议): the borrower opens one, staff resolve it.

A borrower disputes a checkout session they financed (the purchase: every loan its captures
booked) with a reason; one dispute per purchase, ever — a second is refused (409), a repeat of
the same request with its ``Idempotency-Key`` replays the first answer. While the dispute is
open close of business charges the purchase's loans no late fee and no penalty interest, moves
them to no other delinquency bucket, charges none off and queues no auto-debit for them (one
queued before, or claimed but never received by the gateway, closes unsent;
``store.cob_statements`` reads the dispute's span of business dates, ``opened_on <= x <
resolved_on``, and so do the Python twin's replays — ledger rebooking, payment reversals,
inline catch-up — through ``uow.disputes.held_of_loan``; contractual interest and subsidy
recognition go on, and the date an installment fell due is still recorded).

Staff resolve it with an outcome and a reason:

* **refund** refunds the captured remainder (captured − refunded) through the checkout refund
  use case (:func:`thinfile.services.checkout_refunds.refund_session_in_unit`), in the same
  unit: the loans are cut and closed, what the borrower paid goes back to them; what the
  merchant has not captured is voided
  (:func:`thinfile.services.checkout.end_disputed_purchase_in_unit`), so no later capture
  books the borrower a new loan for the disputed purchase;
* **reject** ends the dispute and nothing else. *Ageing resumes where it paused*: while the
  dispute was open the borrower's payments on the purchase were paused (DOMAIN §11), so the
  arrears did not age — each disputed date moved the day each installment then past due ages
  from a day later (:data:`thinfile.servicing.cob.Held`,
  :attr:`~thinfile.servicing.InstallmentState.paused_days`) — and the loan comes out of the
  dispute as many days past due as it went in, in that bucket, with the grace days before a
  late fee and penalty interest running again from there (an installment that fell due inside
  the dispute has all its grace days after it); the charge-off comes at the product's
  charge-off days counted without the dispute, also when the oldest installment is paid later
  (the next is as old as its own count). The auto-debit retry days (1, 3 and 7 by default)
  count from the rejection, as the debits were paused. The days of the dispute are not
  charged afterwards: no penalty is charged for them, and a late fee falls on the first day
  past the grace days counted without them. Why a
  pause and not the original due dates: a borrower told to stop paying while the lender
  investigates was not late for those days, and counting them put a loan rejected after weeks
  straight into a worse bucket, or charged it off days after the rejection. Why not a restart:
  the count never goes back below where the dispute found it, so opening one cannot make a
  late loan current.

Each change writes its audit row (``dispute.open``, ``dispute.resolve``; a refund also its
``checkout.refund`` row) and a merchant webhook event (``dispute.opened``,
``dispute.resolved``), all in the unit of work of the change.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.engine import Engine

from thinfile.commerce.webhooks import WebhookEventType
from thinfile.errors import CheckoutStateError, ConflictError, InvalidInputError, NotFoundError
from thinfile.money import Money
from thinfile.services.audit import AuditDraft
from thinfile.services.business_date import business_date_in
from thinfile.services.checkout import end_disputed_purchase_in_unit
from thinfile.services.checkout_records import load_session
from thinfile.services.checkout_refunds import DISPUTE_REFERENCE, refund_session_in_unit
from thinfile.services.identity_records import Actor, new_id, now_utc
from thinfile.services.reasons import staff_reason
from thinfile.services.uow import UnitOfWork
from thinfile.services.webhooks import enqueue_merchant_event_in_unit
from thinfile.store.disputes_repo import StoredDispute

__all__ = [
    "DISPUTE_REASON_MAX_CHARS",
    "DisputeOutcome",
    "DisputeRecord",
    "DisputeStatus",
    "list_for_staff",
    "open_in_unit",
    "resolve_in_unit",
]

DISPUTE_REASON_MAX_CHARS = 1000
LIST_MAX = 200


class DisputeStatus(enum.StrEnum):
    OPEN = "open"
    REFUNDED = "resolved-refunded"
    REJECTED = "resolved-rejected"


class DisputeOutcome(enum.StrEnum):
    REFUND = "refund"
    REJECT = "reject"


@dataclass(frozen=True, slots=True)
class DisputeRecord:
    id: str
    session_id: str
    merchant_id: str
    status: DisputeStatus
    reason: str
    opened_on: date
    opened_at: datetime
    resolved_on: date | None
    resolved_by: str | None
    staff_reason: str | None
    refunded: Money
    loan_ids: tuple[int, ...]


def _record(uow: UnitOfWork, row: StoredDispute) -> DisputeRecord:
    session = load_session(uow, row.session_id)
    return DisputeRecord(
        id=row.id,
        session_id=row.session_id,
        merchant_id=row.merchant_id,
        status=DisputeStatus(row.status),
        reason=row.reason,
        opened_on=row.opened_on,
        opened_at=row.opened_at,
        resolved_on=row.resolved_on,
        resolved_by=row.resolved_by,
        staff_reason=row.staff_reason,
        refunded=Money(row.refunded_fen, session.currency),
        loan_ids=tuple(c.loan_id for c in uow.checkouts.captures(row.session_id)),
    )


def _reason(text: str) -> str:
    reason = text.strip()
    if not 3 <= len(reason) <= DISPUTE_REASON_MAX_CHARS:
        raise InvalidInputError(
            f"give a reason of 3 to {DISPUTE_REASON_MAX_CHARS} characters",
            field="reason",
            value=reason[:40],
            remedy="say what is wrong with the purchase, in a few words",
        )
    return reason


def open_in_unit(
    uow: UnitOfWork, actor: Actor, session_id: str, reason: str, *, today: date | None = None
) -> tuple[DisputeRecord, AuditDraft]:
    """Open the caller's dispute of their purchase ``session_id`` (captured, not all refunded)
    on the current business date (``today``: as the clock's date, for a replayed day).
    Another borrower's session looks like none."""
    text = _reason(reason)
    row = load_session(uow, session_id, lock=True)
    if row.borrower_user_id != actor.user_id:
        raise NotFoundError("no such checkout session", field="session_id", value=session_id)
    if row.captured - row.refunded <= 0:
        raise CheckoutStateError(
            "nothing of this purchase is financed: there is no loan to dispute",
            field="session_id",
            value=session_id,
            remedy="a purchase can be disputed once it is captured and not fully refunded",
        )
    if uow.disputes.of_session(row.id) is not None:
        raise ConflictError(
            "this purchase has been disputed already",
            field="session_id",
            value=session_id,
            remedy="read the dispute you opened; a purchase is disputed once",
        )
    dispute_id = new_id()
    uow.disputes.add(
        {
            "id": dispute_id,
            "session_id": row.id,
            "borrower_user_id": actor.user_id,
            "merchant_id": row.merchant_id,
            "reason": text,
            "status": DisputeStatus.OPEN.value,
            "opened_on": business_date_in(uow, today=today),
            "opened_at": now_utc(),
        }
    )
    stored = uow.disputes.get(dispute_id)
    assert stored is not None
    record = _record(uow, stored)
    enqueue_merchant_event_in_unit(
        uow,
        row.merchant_id,
        WebhookEventType.DISPUTE_OPENED,
        {"dispute_id": dispute_id, "session_id": row.id, "order_id": row.merchant_order_id},
    )
    audit = AuditDraft(actor.label, "dispute.open", f"dispute:{dispute_id}", {"session_id": row.id})
    return record, audit


def resolve_in_unit(
    uow: UnitOfWork,
    actor: Actor,
    dispute_id: str,
    outcome: str,
    reason: str,
    *,
    today: date | None = None,
) -> tuple[DisputeRecord, AuditDraft]:
    """Resolve an open dispute: ``refund`` (the captured remainder) or ``reject``, on the
    current business date (``today``: as the clock's date, for a replayed day)."""
    try:
        chosen = DisputeOutcome(outcome)
    except ValueError:
        raise InvalidInputError(
            "outcome must be refund or reject", field="outcome", value=str(outcome)[:40]
        ) from None
    text = staff_reason(reason)
    stored = uow.disputes.get(dispute_id, lock=True)
    if stored is None:
        raise NotFoundError("no such dispute", field="dispute_id", value=dispute_id)
    if stored.status != DisputeStatus.OPEN.value:
        raise ConflictError(
            f"this dispute is {stored.status} already",
            field="dispute_id",
            value=dispute_id,
            remedy="a dispute is resolved once",
        )
    refunded = 0
    if chosen is DisputeOutcome.REFUND:
        row = load_session(uow, stored.session_id, lock=True)
        refunded = row.captured - row.refunded
        if refunded > 0:
            _, refund_audit = refund_session_in_unit(
                uow,
                actor,
                row,
                Money(refunded, row.currency),
                reference=f"{DISPUTE_REFERENCE}{dispute_id}",
                today=today,
            )
            refund_audit.append(uow)
        end_disputed_purchase_in_unit(uow, stored.session_id)
    status = DisputeStatus.REFUNDED if chosen is DisputeOutcome.REFUND else DisputeStatus.REJECTED
    uow.disputes.resolve(
        dispute_id,
        {
            "status": status.value,
            "resolved_on": business_date_in(uow, today=today),
            "resolved_at": now_utc(),
            "resolved_by": actor.label,
            "staff_reason": text,
            "refunded_fen": refunded,
        },
    )
    after = uow.disputes.get(dispute_id)
    assert after is not None
    record = _record(uow, after)
    enqueue_merchant_event_in_unit(
        uow,
        stored.merchant_id,
        WebhookEventType.DISPUTE_RESOLVED,
        {
            "dispute_id": dispute_id,
            "session_id": stored.session_id,
            "outcome": chosen.value,
            "refunded_fen": refunded,
        },
    )
    audit = AuditDraft(
        actor.label,
        "dispute.resolve",
        f"dispute:{dispute_id}",
        {"outcome": chosen.value, "reason": text, "refunded_fen": refunded},
    )
    return record, audit


def list_for_staff(
    engine: Engine, status: DisputeStatus | None = None, limit: int = LIST_MAX
) -> list[DisputeRecord]:
    """Disputes, oldest first (``status`` to filter), at most ``limit``."""
    with UnitOfWork(engine) as uow:
        rows = uow.disputes.listing(None if status is None else status.value, min(limit, LIST_MAX))
        return [_record(uow, row) for row in rows]
