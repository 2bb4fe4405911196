"""Servicing actions from the console, each audited in the posting's own transaction, and
each posted at most once per rendered form.

The console calls the use case's in-unit form, as the API does: the service checks the reason
by the same rule as for the API (:func:`thinfile.services.reasons.staff_reason`) and the audit
row (actor, loan, transaction, amount, reason) is appended last in the unit of work, so the
posting and its audit row commit or roll back together.

Every money form carries a one-time key (:func:`new_form_key`, ``console-{loan_id}-{random}``).
The posting runs under it (:func:`thinfile.services.idempotency.run_once`, scoped to the staff
member, the loan and the action): a second POST of the same rendered form — a double click, a
re-sent request — is answered as the first was and posts nothing; the same key with other
values is a conflict.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.engine import Engine

from thinfile.errors import InvalidInputError
from thinfile.money import Money
from thinfile.services import loan_adjustments, payment_reversals, write_offs
from thinfile.services.business_date import business_date_in
from thinfile.services.idempotency import Done, IdempotencyClaim, run_once
from thinfile.services.identity_records import Actor
from thinfile.services.loan_postings import Receipt, post_today
from thinfile.services.payment_reversals import Reversal
from thinfile.services.portfolio import JournalEntryView
from thinfile.services.reasons import staff_reason
from thinfile.services.uow import UnitOfWork
from thinfile.servicing import WaiverTarget
from thinfile.servicing.ledger import Account

__all__ = [
    "approve_write_off",
    "charge_off",
    "form_key",
    "merchant_refund",
    "new_form_key",
    "request_write_off",
    "reverse",
    "waive_fees",
    "written_off",
]

T = TypeVar("T")


def new_form_key(loan_id: int) -> str:
    """A fresh one-time key for one rendered servicing form of ``loan_id``."""
    return f"console-{loan_id}-{secrets.token_hex(16)}"


def form_key(text: str, loan_id: int) -> str:
    """The submitted key, refused unless it is one made for this loan's forms."""
    if not re.fullmatch(rf"console-{loan_id}-[0-9a-f]{{32}}", text):
        raise InvalidInputError("reload the page and try again", field="form")
    return text


def _once(
    engine: Engine,
    actor: Actor,
    loan_id: int,
    action: str,
    key: str,
    values: tuple[object, ...],
    work: Callable[[UnitOfWork], Done[T]],
    txn_of: Callable[[T], int],
) -> None:
    """Run ``work`` once per form key: a repeat of the same form posts nothing."""
    fingerprint = hashlib.sha256(repr((action, *values)).encode()).hexdigest()
    claim = IdempotencyClaim(f"console:{actor.user_id}:loan:{loan_id}:{action}", key, fingerprint)
    run_once(engine, claim, work, render=lambda result: str(txn_of(result)), status_code=303)


def _receipt_txn(receipt: Receipt) -> int:
    return receipt.txn_id


def reverse(
    engine: Engine, loan_id: int, txn_id: int, *, actor: Actor, reason: str, key: str
) -> None:
    """Reverse payment or fee waiver ``txn_id`` of ``loan_id`` (冲正), audited as
    ``payment.reverse`` (``loan.fee_waiver_reverse``)."""
    reason = staff_reason(reason)

    def work(uow: UnitOfWork) -> Done[Reversal]:
        on = business_date_in(uow)
        done = payment_reversals.reverse_in_unit(uow, txn_id, on, reason=reason, loan_id=loan_id)
        return done, payment_reversals.reversal_audit(actor.label, done, reason=reason)

    _once(engine, actor, loan_id, f"reversal:{txn_id}", key, (reason,), work, lambda d: d.txn_id)


def charge_off(engine: Engine, loan_id: int, *, actor: Actor, reason: str, key: str) -> None:
    """Charge the loan off now (核销), audited as ``loan.charge_off``."""
    reason = staff_reason(reason)

    def work(uow: UnitOfWork) -> Done[Receipt]:
        return post_today(
            uow,
            actor.label,
            lambda unit, on: loan_adjustments.charge_off_in_unit(unit, loan_id, on, reason=reason),
            reason=reason,
        )

    _once(engine, actor, loan_id, "charge-off", key, (reason,), work, _receipt_txn)


def request_write_off(
    engine: Engine, loan_id: int, *, actor: Actor, reason: str
) -> write_offs.WriteOffRequest:
    """Ask another staff member to approve writing the loan off (below the charge-off days
    past due one may not do it alone), audited as ``loan.write_off_request``."""
    return write_offs.request_write_off(engine, loan_id, reason=reason, actor=actor)


def approve_write_off(
    engine: Engine, loan_id: int, request_id: int, *, actor: Actor, key: str
) -> None:
    """Approve another staff member's write-off request of ``loan_id``: the write-off is
    posted, audited as ``loan.write_off`` by the approver."""

    def work(uow: UnitOfWork) -> Done[Receipt]:
        return post_today(
            uow,
            actor.label,
            lambda unit, on: write_offs.approve_write_off_in_unit(
                unit, request_id, on, approver=actor, loan_id=loan_id
            ),
            request=request_id,
        )

    _once(engine, actor, loan_id, f"write-off:{request_id}", key, (), work, _receipt_txn)


def merchant_refund(
    engine: Engine, loan_id: int, amount: Money, *, actor: Actor, reason: str, key: str
) -> None:
    """Record a merchant's refund on a purchase loan booked outside the checkout (商户退款),
    audited as ``loan.merchant_refund`` with its reason."""
    reason = staff_reason(reason)

    def work(uow: UnitOfWork) -> Done[Receipt]:
        return post_today(
            uow,
            actor.label,
            lambda unit, on: loan_adjustments.staff_merchant_refund_in_unit(
                unit, loan_id, amount, on, reason=reason
            ),
            reason=reason,
        )

    _once(engine, actor, loan_id, "merchant-refund", key, (amount.fen, reason), work, _receipt_txn)


def waive_fees(
    engine: Engine,
    loan_id: int,
    amount: Money,
    *,
    actor: Actor,
    reason: str,
    key: str,
    kind: str = "",
) -> None:
    """Waive fees or penalty interest (费用减免), audited as ``loan.fee_waiver``; ``kind``
    ``fee``, ``penalty`` or empty (penalty first, then fees)."""
    if kind not in ("", *WaiverTarget):
        raise InvalidInputError("choose fees or penalty interest", field="kind", value=kind)
    target = WaiverTarget(kind) if kind else None
    reason = staff_reason(reason)

    def work(uow: UnitOfWork) -> Done[Receipt]:
        return post_today(
            uow,
            actor.label,
            lambda unit, on: loan_adjustments.waive_fees_in_unit(
                unit, loan_id, amount, on, reason=reason, target=target
            ),
            target=kind or None,
            reason=reason,
        )

    _once(engine, actor, loan_id, "fee-waiver", key, (amount.fen, kind, reason), work, _receipt_txn)


_RECEIVABLES = frozenset(
    {
        Account.LOANS_RECEIVABLE,
        Account.INTEREST_RECEIVABLE,
        Account.FEE_RECEIVABLE,
        Account.PENALTY_RECEIVABLE,
    }
)


def written_off(journal: list[JournalEntryView]) -> dict[int, int]:
    """Fen each charge-off (or write-off of a loan not yet charged off) moved to loss, by its
    transaction: the receivables its entry credited. The transaction itself is posted with
    amount 0 (it takes no money), so the list would show ¥0.00."""
    lost: dict[int, int] = {}
    for entry in journal:
        if entry.kind != "charge-off" or entry.txn_id is None:
            continue
        credited = -sum(
            line.amount for line in entry.lines if line.account in _RECEIVABLES and line.amount < 0
        )
        lost[entry.txn_id] = lost.get(entry.txn_id, 0) + credited
    return lost
