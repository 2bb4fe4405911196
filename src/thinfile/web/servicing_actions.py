"""Servicing actions from the console, each audited in the posting's own transaction.

The console calls the use case with ``actor``: the service checks the reason by the same rule
as for the API (:func:`thinfile.services.reasons.staff_reason`) and appends the audit row
(actor, loan, transaction, amount, reason) last in its unit of work, so the posting and its
audit row commit or roll back together.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy.engine import Engine

from thinfile.errors import InvalidInputError
from thinfile.money import Money
from thinfile.services import loan_adjustments, payment_reversals, write_offs
from thinfile.services.identity_records import Actor
from thinfile.services.loan_postings import Receipt
from thinfile.services.payment_reversals import Reversal
from thinfile.servicing import WaiverTarget

__all__ = [
    "approve_write_off",
    "charge_off",
    "merchant_refund",
    "request_write_off",
    "reverse",
    "waive_fees",
]


def reverse(
    engine: Engine, loan_id: int, txn_id: int, *, actor: Actor, on: date, reason: str
) -> Reversal:
    """Reverse payment or fee waiver ``txn_id`` of ``loan_id`` (冲正), audited as
    ``payment.reverse`` (``loan.fee_waiver_reverse``)."""
    return payment_reversals.reverse_payment(
        engine, txn_id, on, reason=reason, loan_id=loan_id, actor=actor.label
    )


def charge_off(engine: Engine, loan_id: int, *, actor: Actor, on: date, reason: str) -> Receipt:
    """Charge the loan off now (核销), audited as ``loan.charge_off``."""
    return loan_adjustments.charge_off_loan(engine, loan_id, on, reason=reason, actor=actor.label)


def request_write_off(
    engine: Engine, loan_id: int, *, actor: Actor, reason: str
) -> write_offs.WriteOffRequest:
    """Ask another staff member to approve writing the loan off (below the charge-off days
    past due one may not do it alone), audited as ``loan.write_off_request``."""
    return write_offs.request_write_off(engine, loan_id, reason=reason, actor=actor)


def approve_write_off(engine: Engine, loan_id: int, request_id: int, *, actor: Actor) -> Receipt:
    """Approve another staff member's write-off request of ``loan_id``: the write-off is
    posted, audited as ``loan.write_off`` by the approver."""
    return write_offs.approve_write_off(engine, request_id, approver=actor, loan_id=loan_id)


def merchant_refund(
    engine: Engine, loan_id: int, amount: Money, *, actor: Actor, on: date
) -> Receipt:
    """Record a merchant's refund on the loan (商户退款), audited as ``loan.merchant_refund``."""
    return loan_adjustments.record_merchant_refund(engine, loan_id, amount, on, actor=actor.label)


def waive_fees(
    engine: Engine,
    loan_id: int,
    amount: Money,
    *,
    actor: Actor,
    on: date,
    reason: str,
    kind: str = "",
) -> Receipt:
    """Waive fees or penalty interest (费用减免), audited as ``loan.fee_waiver``; ``kind``
    ``fee``, ``penalty`` or empty (penalty first, then fees)."""
    if kind not in ("", *WaiverTarget):
        raise InvalidInputError("choose fees or penalty interest", field="kind", value=kind)
    return loan_adjustments.waive_loan_fees(
        engine,
        loan_id,
        amount,
        on,
        reason=reason,
        target=WaiverTarget(kind) if kind else None,
        actor=actor.label,
    )
