"""Servicing actions from the console, each written to the audit log.

The use cases in :mod:`thinfile.services.payments` and :mod:`thinfile.services.loans` post
and commit on their own and write no audit row, and none takes the caller's transaction. So
each action here runs the use case, then appends its audit row (actor, loan, transaction,
amount, reason) in a second transaction straight after. The gap: if the process dies between
the two commits, the posting stands without its audit row. The cure belongs in the services
(an ``actor`` argument, audited inside their unit of work); then these wrappers go.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy.engine import Engine

from thinfile.errors import InvalidInputError, NotFoundError
from thinfile.money import Money
from thinfile.services import loans, payments
from thinfile.services.audit import record_audit
from thinfile.services.identity_records import Actor, Sessions
from thinfile.services.loan_postings import Receipt
from thinfile.services.payments import Reversal

__all__ = ["charge_off", "merchant_refund", "reverse"]


def _audit(sessions: Sessions, actor: Actor, action: str, loan_id: int,
           details: dict[str, object]) -> None:
    with sessions.begin() as session:
        record_audit(session, actor.label, action, f"loan:{loan_id}", details)


def _reason(text: str) -> str:
    reason = text.strip()
    if len(reason) < 3:
        raise InvalidInputError("give a reason of at least 3 characters", field="reason")
    return reason[:500]


def reverse(engine: Engine, sessions: Sessions, loan_id: int, txn_id: int, *, actor: Actor,
            on: date, reason: str) -> Reversal:
    """Reverse payment ``txn_id`` of ``loan_id`` (冲正) and audit it as ``loan.reverse``."""
    why = _reason(reason)
    txn_ids = {t.txn_id for t in loans.get_loan(engine, loan_id).transactions}
    if txn_id not in txn_ids:
        raise NotFoundError("no such payment on this loan", field="txn_id", value=txn_id)
    done = payments.reverse_payment(engine, txn_id, on, reason=why)
    _audit(sessions, actor, "loan.reverse", loan_id,
           {"txn": txn_id, "reversal_txn": done.txn_id, "on": on.isoformat(), "reason": why,
            "adjusted": done.adjusted})
    return done


def charge_off(engine: Engine, sessions: Sessions, loan_id: int, *, actor: Actor, on: date,
               reason: str) -> Receipt:
    """Charge the loan off now (核销) and audit it as ``loan.charge_off``."""
    why = _reason(reason)
    done = loans.charge_off_loan(engine, loan_id, on, reason=why)
    _audit(sessions, actor, "loan.charge_off", loan_id,
           {"txn": done.txn_id, "on": on.isoformat(), "reason": why})
    return done


def merchant_refund(engine: Engine, sessions: Sessions, loan_id: int, amount: Money, *,
                    actor: Actor, on: date) -> Receipt:
    """Record a merchant's refund on the loan (商户退款), audited as ``loan.merchant_refund``."""
    done = loans.record_merchant_refund(engine, loan_id, amount, on)
    _audit(sessions, actor, "loan.merchant_refund", loan_id,
           {"txn": done.txn_id, "on": on.isoformat(), "amount_fen": amount.fen,
            "currency": amount.currency})
    return done
