"""Payment use cases: post a repayment (idempotent), prepay, preview what a payment would do.

A payment locks its loan (``SELECT … FOR UPDATE``; SQLite serialises writers), so concurrent
payments on one loan apply one after another and never double-allocate. An idempotency key
makes a retried request return the first result without posting again.

Each use case has an in-unit form (``pay_in_unit``, ``prepay_in_unit``)
for a caller that owns the transaction (the API appends its idempotent response and audit row
to it), and an engine-level wrapper that commits on its own; given ``actor``, the wrapper
appends the audit row last, in the same transaction. Reversing a payment is in
:mod:`thinfile.services.payment_reversals`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from thinfile.errors import ConflictError, InvalidInputError, PermissionDeniedError
from thinfile.money import Money
from thinfile.security.roles import Role
from thinfile.services.identity_records import Actor
from thinfile.services.loan_postings import (
    HELD_EXTRA,
    Receipt,
    catch_up,
    check_business_day,
    close_missed_days,
    in_own_unit,
    paid_between,
    payment_row,
    persist,
    receipt_audit,
    split_of,
)
from thinfile.services.notifications import notify_payment_received_in_unit
from thinfile.services.uow import UnitOfWork
from thinfile.services.value_dated import post_late_in_unit
from thinfile.servicing import (
    Account,
    Components,
    Event,
    EventKind,
    LoanStatus,
    Outcome,
    PrepaymentMode,
    pay,
    payoff_quote,
    prepay,
)
from thinfile.store.servicing_codec import from_day, to_day
from thinfile.store.servicing_repo import Gate, StoredLoan

__all__ = [
    "PaymentPreview",
    "ensure_may_record",
    "pay_in_unit",
    "pay_on_business_date_in_unit",
    "post_payment",
    "prepay_in_unit",
    "prepay_loan",
    "preview_payment",
    "receipt_of_key",
]


def ensure_may_record(actor: Actor, *, borrowers_may: bool) -> None:
    """Who may record money as received without it coming through the card gateway: staff
    (a bank transfer or cash they saw arrive), and a borrower only where ``borrowers_may``
    (the settings' ``records_borrower_payments``: the sandbox's cash of a development
    server). Otherwise a borrower's payment is a card payment (a payment intent), posted when
    the gateway's signed notification says the money moved."""
    if actor.role is Role.BORROWER and not borrowers_may:
        raise PermissionDeniedError(
            "a borrower's payment comes from a bound bank card through the payment gateway",
            field="card",
            remedy="bind a bank card, then pay from it (POST /v1/me/loans/{loan_id}/"
            "payment-intents, or Pay now on the loan page)",
        )


def _receipt_of(row: Any, replayed: bool, status: LoanStatus) -> Receipt:
    r = row._mapping
    paid = Components(
        int(r["paid_principal"]),
        int(r["paid_interest"]),
        int(r["paid_fee"]),
        int(r["paid_penalty"]),
    )
    return Receipt(
        int(r["id"]),
        int(r["loan_id"]),
        EventKind(r["kind"]),
        from_day(int(r["day"])),
        int(r["amount"]),
        str(r["currency"]),
        paid,
        int(r["overpayment"]),
        status,
        replayed,
    )


def _modes(mode: PrepaymentMode | None, *, held: bool) -> tuple[str | None, ...]:
    """The stored ``mode`` a first posting under the key may have: a prepayment's mode; for a
    repayment holding its extra, "hold" — or none, had it been posted before repayments said
    so."""
    if mode is not None:
        return (mode.value,)
    return (HELD_EXTRA, None) if held else (None,)


def receipt_of_key(
    uow: UnitOfWork,
    key: str,
    loan_id: int,
    amount: Money,
    kind: EventKind,
    mode: PrepaymentMode | None = None,
    *,
    held: bool = False,
) -> Receipt | None:
    """The receipt of the payment first posted with ``key``, or None; refused when that
    payment was another: another loan, amount or currency, a repayment against a prepayment,
    a prepayment re-planned another way (``mode``), or one holding its extra (``held``)."""
    row = uow.transactions.by_key(key)
    if row is None:
        return None
    if (
        row.loan_id != loan_id
        or row.amount != amount.fen
        or row.currency != amount.currency
        or EventKind(row.kind) is not kind
        or row.mode not in _modes(mode, held=held)
    ):
        raise ConflictError(
            "this idempotency key was used for a different payment",
            field="idempotency_key",
            value=key,
            remedy="use a new key for a new payment",
        )
    status = uow.loans.get(loan_id).account.status
    return _receipt_of(row, True, status)


def _apply(
    uow: UnitOfWork,
    stored: StoredLoan,
    done: Outcome,
    kind: EventKind,
    on: date,
    amount: Money,
    key: str | None,
    mode: PrepaymentMode | None = None,
    borrower: str | None = None,
    *,
    held: bool = False,
) -> Receipt:
    paid, overpayment = split_of(stored.account, done.loan)
    txn = payment_row(kind, on, amount, key, mode, paid, overpayment, held=held)
    txn_id = persist(uow, stored, done, txn=txn)
    assert txn_id is not None
    notify_payment_received_in_unit(uow, done.loan.loan_id, txn_id, amount, borrower=borrower)
    return Receipt(
        txn_id,
        done.loan.loan_id,
        kind,
        on,
        amount.fen,
        amount.currency,
        paid,
        overpayment,
        done.loan.status,
    )


def pay_in_unit(
    uow: UnitOfWork,
    loan_id: int,
    amount: Money,
    on: date,
    key: str | None,
    *,
    borrower: str | None = None,
) -> Receipt:
    """Post a repayment inside an open unit of work (the caller commits); ``borrower``, the
    loan's owner when the caller knows it already (a payment intent carries it), spares
    looking them up for the "payment received" message."""
    _check_positive(amount)
    stored, gate = uow.loans.lock_for_posting(loan_id, to_day(on), key)
    return _pay_locked(uow, stored, gate, amount, on, key, borrower)


def pay_on_business_date_in_unit(
    uow: UnitOfWork,
    loan_id: int,
    amount: Money,
    key: str | None,
    *,
    today: date,
    borrower: str | None = None,
    value_on: date | None = None,
    hold_extra: bool = False,
) -> Receipt:
    """:func:`pay_in_unit` on the current business date for ``today``
    (:func:`~thinfile.services.business_date.business_date_in`: ``today``, or the day after
    the last closed date when that is later), read in the statement that locks the loan
    instead of in one of its own. The posting gate is read for ``today``; when the business
    date is later, close of business has closed ``today``, the gate says so, and the date
    is checked again as :func:`pay_in_unit` checks a blocked one. A card debit the gateway
    completed on a date closed since (``value_on``) is posted at that date
    (:func:`~thinfile.services.value_dated.post_late_in_unit`). ``hold_extra``: an automatic
    debit's, whose money beyond what is due (the borrower paid the installment another way
    while the debit was with the gateway) is held as overpayment, refundable, not paid ahead
    (:func:`~thinfile.servicing.pay`)."""
    _check_positive(amount)
    stored, gate = uow.loans.lock_for_posting(loan_id, to_day(today), key)
    on = today if gate.book_day is None else max(today, from_day(gate.book_day + 1))
    return _pay_locked(uow, stored, gate, amount, on, key, borrower, value_on, hold_extra)


def _check_positive(amount: Money) -> None:
    if amount.fen <= 0:
        raise InvalidInputError("a payment must be positive", field="amount", value=str(amount))


def _pay_locked(
    uow: UnitOfWork,
    stored: StoredLoan,
    gate: Gate,
    amount: Money,
    on: date,
    key: str | None,
    borrower: str | None,
    value_on: date | None = None,
    hold_extra: bool = False,
) -> Receipt:
    loan_id = stored.account.loan_id
    if (
        gate.key_txn is not None
        and key is not None
        and (
            first := receipt_of_key(uow, key, loan_id, amount, EventKind.REPAYMENT, held=hold_extra)
        )
    ):
        return first
    if gate.blocked_day is not None:  # rare: read whether its run is still running
        check_business_day(uow, on)
    if value_on is not None and value_on < on:
        event = Event(EventKind.REPAYMENT, value_on, amount.fen, hold=hold_extra)
        if late := post_late_in_unit(uow, stored, event, key, on, borrower):
            return late
    stored = close_missed_days(uow, stored, on)
    done = pay(stored.account, amount, on, hold_extra=hold_extra)
    return _apply(
        uow, stored, done, EventKind.REPAYMENT, on, amount, key, borrower=borrower, held=hold_extra
    )


def post_payment(
    engine: Engine,
    loan_id: int,
    amount: Money,
    on: date,
    *,
    idempotency_key: str | None = None,
    actor: str | None = None,
) -> Receipt:
    """Post a repayment (还款) allocated by the product's waterfall.

    The same ``idempotency_key`` twice posts once: the second call returns the first
    receipt with ``replayed=True``. With ``actor``, audited as ``payment.post``.
    """
    try:
        with UnitOfWork(engine) as uow:
            receipt = pay_in_unit(uow, loan_id, amount, on, idempotency_key)
            if not receipt.replayed:
                if actor and (draft := receipt_audit(actor, receipt)):
                    draft.append(uow)
                uow.commit()
            return receipt
    except IntegrityError:
        if idempotency_key is None:
            raise
    with UnitOfWork(engine) as uow:  # the key was taken concurrently on another loan
        first = receipt_of_key(uow, idempotency_key, loan_id, amount, EventKind.REPAYMENT)
        if first is None:
            raise ConflictError("the payment could not be posted", remedy="retry")
        return first


def prepay_in_unit(
    uow: UnitOfWork,
    loan_id: int,
    amount: Money,
    on: date,
    *,
    mode: PrepaymentMode | None = None,
    key: str | None = None,
    borrower: str | None = None,
    value_on: date | None = None,
) -> Receipt:
    """Post a prepayment inside an open unit of work (the caller commits); ``borrower`` and
    ``value_on`` as for :func:`pay_on_business_date_in_unit`."""
    stored = uow.loans.get(loan_id, lock=True)
    if key and (first := receipt_of_key(uow, key, loan_id, amount, EventKind.PREPAYMENT, mode)):
        return first
    if value_on is not None and value_on < on:
        event = Event(EventKind.PREPAYMENT, value_on, amount.fen, mode)
        if late := post_late_in_unit(uow, stored, event, key, on, borrower):
            return late
    stored = catch_up(uow, stored, on)
    done = prepay(stored.account, amount, on, mode=mode)
    return _apply(uow, stored, done, EventKind.PREPAYMENT, on, amount, key, mode, borrower)


def prepay_loan(
    engine: Engine,
    loan_id: int,
    amount: Money,
    on: date,
    *,
    mode: PrepaymentMode | None = None,
    idempotency_key: str | None = None,
    actor: str | None = None,
) -> Receipt:
    """Prepay (提前还款): dues first, then principal with re-amortization by ``mode``.

    Paying the payoff quote closes the loan with interest only for the days used. With
    ``actor``, audited as ``payment.prepay`` in the same transaction.
    """
    return in_own_unit(
        engine,
        lambda uow: prepay_in_unit(uow, loan_id, amount, on, mode=mode, key=idempotency_key),
        lambda receipt: receipt_audit(actor, receipt) if actor else None,
    )


@dataclass(frozen=True, slots=True)
class PaymentPreview:
    """What a payment would do, before the borrower pays (nothing is written).

    ``paid`` is what it pays by component (principal includes any cut ahead of schedule);
    ``held`` stays on the loan as overpayment, ``refunded`` goes straight back. After it,
    ``next_due`` / ``next_amount`` is the next installment still owed, ``payoff_after`` what
    would then close the loan.
    """

    loan_id: int
    on: date
    amount: int
    currency: str
    paid: Components
    held: int
    refunded: int
    closes: bool
    next_due: date | None
    next_amount: int
    payoff_after: int


def preview_payment(
    engine: Engine,
    loan_id: int,
    amount: Money,
    on: date,
    *,
    prepayment: bool = False,
    mode: PrepaymentMode | None = None,
) -> PaymentPreview:
    """What paying ``amount`` on ``on`` would do — by the same rule the payment itself
    follows; an amount the payment would refuse is refused here with the same error."""
    with UnitOfWork(engine) as uow:  # never committed: a preview writes nothing
        stored = catch_up(uow, uow.loans.get(loan_id, lock=True), on)
    before = stored.account
    done = prepay(before, amount, on, mode=mode) if prepayment else pay(before, amount, on)
    after = done.loan
    refunded = sum(e.amount_of(Account.CASH) for e in done.entries[1:])
    upcoming = next((i for i in after.installments if i.unpaid.total and i.due >= on), None)
    return PaymentPreview(
        loan_id,
        on,
        amount.fen,
        amount.currency,
        paid_between(before, after),
        after.credit - before.credit if after.credit > before.credit else 0,
        -refunded,
        after.status is LoanStatus.CLOSED,
        upcoming.due if upcoming else None,
        sum(i.unpaid.total for i in after.installments if upcoming and i.due <= upcoming.due),
        payoff_quote(after, on).fen if after.status is LoanStatus.ACTIVE else 0,
    )
