"""Daily payment reconciliation (对账, DOMAIN.md §15): the gateway's file of a date against the
books.

:func:`reconcile_payments` reads the provider's CSV of the transactions it completed on a date
(China Standard Time; :data:`~thinfile.services.gateway_port.RECONCILIATION_COLUMNS`), checked
whole before anything is written by :mod:`thinfile.services.reconciliation_file` (whose
:func:`parse_reconciliation_file`, :class:`FileRow` and :data:`MAX_FILE_BYTES` are importable
from here too), and compares each debit with the payment intent whose id is its ``request_id``:

=======================  ========================================================================
``matched``              the books say what the file says (succeeded and posted, or failed)
``posted``               paid at the gateway but not posted: posted now, on the file's word (the
                         notification was lost or is late; a late one then finds it done)
``failed``               failed at the gateway while the intent still waited: recorded
``unposted``             paid at the gateway, but the loan refused the posting (repaid in full
                         meanwhile), or the posting was reversed since without a refund at the
                         gateway: **a break** — the money is the borrower's to return
``amount-mismatch``      the amount (or the gateway transaction) is not the intent's: **a break**,
                         nothing posted
``status-mismatch``      failed at the gateway, succeeded and posted in the books: **a break**,
                         never reversed here
``unknown``              the file names a request no intent has (or a refund): **a break**
``missing-at-gateway``   the books settled a success that day that no gateway file lists: **a
                         break**, never reversed — a later (or earlier) date's file that lists it
                         resolves it
=======================  ========================================================================

A date is reconciled once: the same file again reads the stored result back (``made`` False);
another file for a reconciled date is refused — breaks are resolved by staff
(:func:`resolve_break`, with a reason, audited), never by re-running. Postings go through
:func:`~thinfile.services.payment_settlement.settle_payment_intent`, each intent under its lock
and at most once, so a run that dies half-way is run again and finds those postings done
(``matched``).
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from sqlalchemy.engine import Engine

from thinfile.errors import ConflictError, NotFoundError
from thinfile.services.audit import record_audit
from thinfile.services.conflicts import duplicate_is_conflict
from thinfile.services.gateway_port import TransactionKind, TransactionStatus
from thinfile.services.identity_records import now_utc
from thinfile.services.payment_settlement import GatewayWord, Settlement, settle_payment_intent
from thinfile.services.reasons import staff_reason
from thinfile.services.reconciliation_file import (
    MAX_FILE_BYTES,
    FileRow,
    day_window,
    parse_reconciliation_file,
)
from thinfile.services.uow import UnitOfWork
from thinfile.store.payment_intents_repo import StoredIntent
from thinfile.store.reconciliation_repo import StoredReconciliation, StoredReconItem

__all__ = [
    "BREAKS",
    "MAX_FILE_BYTES",
    "FileRow",
    "ReconOutcome",
    "Reconciliation",
    "parse_reconciliation_file",
    "reconcile_payments",
    "reconciled_days",
    "reconciliation_of",
    "resolve_break",
]


class ReconOutcome(StrEnum):
    """What the comparison found for one transaction (see the module docstring)."""

    MATCHED = "matched"
    POSTED = "posted"
    FAILED = "failed"
    UNPOSTED = "unposted"
    AMOUNT_MISMATCH = "amount-mismatch"
    STATUS_MISMATCH = "status-mismatch"
    UNKNOWN = "unknown"
    MISSING_AT_GATEWAY = "missing-at-gateway"


BREAKS = frozenset(
    {
        ReconOutcome.UNPOSTED,
        ReconOutcome.AMOUNT_MISMATCH,
        ReconOutcome.STATUS_MISMATCH,
        ReconOutcome.UNKNOWN,
        ReconOutcome.MISSING_AT_GATEWAY,
    }
)
"""The outcomes staff must look at; the others need nothing more."""


@dataclass(frozen=True, slots=True)
class Reconciliation:
    """A reconciled date: its items, and whether this call made it (``made``)."""

    run: StoredReconciliation
    made: bool

    @property
    def counts(self) -> dict[str, int]:
        return dict(Counter(i.outcome for i in self.run.items))

    @property
    def open_breaks(self) -> list[StoredReconItem]:
        return [i for i in self.run.items if i.outcome in BREAKS and i.resolved_at is None]


def _item(
    n: int,
    outcome: ReconOutcome,
    row: FileRow | None,
    *,
    gateway_txn_id: str | None = None,
    request_id: str | None = None,
    book_status: str | None = None,
    book_amount: int | None = None,
    loan_id: int | None = None,
) -> StoredReconItem:
    return StoredReconItem(
        n=n,
        outcome=outcome.value,
        gateway_txn_id=row.gateway_txn_id if row else gateway_txn_id,
        request_id=row.request_id if row else request_id,
        kind=row.kind.value if row else TransactionKind.DEBIT.value,
        file_status=row.status.value if row else None,
        file_amount=row.amount_fen if row else None,
        book_status=book_status,
        book_amount=book_amount,
        loan_id=loan_id,
    )


_SETTLED = {
    Settlement.POSTED: ReconOutcome.POSTED,
    Settlement.CONFLICT: ReconOutcome.POSTED,  # a success after a recorded failure: posted
    Settlement.DUPLICATE: ReconOutcome.MATCHED,
    Settlement.FAILED: ReconOutcome.FAILED,
    Settlement.UNPOSTED: ReconOutcome.UNPOSTED,
    Settlement.MISMATCH: ReconOutcome.AMOUNT_MISMATCH,
    Settlement.UNKNOWN: ReconOutcome.UNKNOWN,
}


def _outcome(
    engine: Engine, row: FileRow, intent: StoredIntent, held: bool, today: date | None
) -> tuple[ReconOutcome, str]:
    """What the file row says of ``intent`` and the intent's status after it: settled on the
    file's word when the books are behind it; ``held``: whether the books hold its money
    (:func:`_held`)."""
    if row.amount_fen != intent.amount or intent.gateway_txn_id not in (None, row.gateway_txn_id):
        return ReconOutcome.AMOUNT_MISMATCH, intent.status
    succeeded = row.status is TransactionStatus.SUCCEEDED
    if intent.status == "succeeded":
        if not succeeded:
            return ReconOutcome.STATUS_MISMATCH, intent.status
        return (ReconOutcome.MATCHED if held else ReconOutcome.UNPOSTED), intent.status
    if intent.status == "failed" and not succeeded:
        return ReconOutcome.MATCHED, intent.status
    word = GatewayWord(
        row.gateway_txn_id, row.status, row.amount_fen, row.failure, row.completed_at
    )
    settled = settle_payment_intent(engine, intent.id, word, today=today)
    with UnitOfWork(engine) as uow:
        after = uow.payment_intents.get(intent.id)
    status = after.status if after is not None else intent.status
    return _SETTLED.get(settled, ReconOutcome.AMOUNT_MISMATCH), status


def _held(uow: UnitOfWork, intent: StoredIntent) -> bool:
    """Whether the books hold ``intent``'s money: posted, and the posting not reversed since
    (a reversal without a refund at the gateway leaves the card debited and the books
    without the money)."""
    if intent.txn_id is None:
        return False
    row = uow.transactions.get(intent.txn_id)
    return row is not None and not row.reversed


def _compare(engine: Engine, n: int, row: FileRow, today: date | None) -> StoredReconItem:
    """One file row against its intent (a refund is no intent's: ``unknown``)."""
    intent, held = None, False
    if row.kind is TransactionKind.DEBIT:
        with UnitOfWork(engine) as uow:
            intent = uow.payment_intents.get(row.request_id)
            held = intent is not None and _held(uow, intent)
    if intent is None:
        return _item(n, ReconOutcome.UNKNOWN, row)
    outcome, status = _outcome(engine, row, intent, held, today)
    return _item(
        n, outcome, row, book_status=status, book_amount=intent.amount, loan_id=intent.loan_id
    )


def _taken(day: date) -> ConflictError:
    return ConflictError(
        f"another run is reconciling {day}",
        field="date",
        value=day.isoformat(),
        remedy="run it again once that run ends: it will read the result",
    )


def _another_file(day: date) -> ConflictError:
    return ConflictError(
        f"{day} was reconciled with another file",
        field="file",
        value=day.isoformat(),
        remedy="resolve that date's breaks (staff, with a reason); a date is reconciled once",
    )


def reconcile_payments(
    engine: Engine, day: date, data: bytes, *, actor: str, today: date | None = None
) -> Reconciliation:
    """Reconcile ``day`` against the gateway's file ``data`` (see the module docstring); what
    it posts on the file's word goes on the business date (``today``: a replay's day, see
    :func:`~thinfile.services.payment_settlement.settle_in_unit`)."""
    rows = parse_reconciliation_file(data, day)
    digest = hashlib.sha256(data).hexdigest()
    with UnitOfWork(engine) as uow:
        stored = uow.reconciliations.get(day)
    if stored is not None:
        if stored.file_sha256 != digest:
            raise _another_file(day)
        return Reconciliation(stored, made=False)
    items = [_compare(engine, n, row, today) for n, row in enumerate(rows, start=1)]
    listed = {r.gateway_txn_id for r in rows}
    start, end = day_window(day)
    with UnitOfWork(engine) as uow:
        settled = uow.reconciliations.succeeded_settled_between(start, end)
        unlisted = [s for s in settled if s.gateway_txn_id not in listed]
        elsewhere = uow.reconciliations.matched_elsewhere(
            [s.gateway_txn_id for s in unlisted if s.gateway_txn_id], day
        )
        for s in unlisted:
            if s.gateway_txn_id in elsewhere:
                continue
            items.append(
                _item(
                    len(items) + 1,
                    ReconOutcome.MISSING_AT_GATEWAY,
                    None,
                    gateway_txn_id=s.gateway_txn_id,
                    request_id=s.id,
                    book_status="succeeded",
                    book_amount=int(s.amount),
                    loan_id=int(s.loan_id),
                )
            )
        at = now_utc()
        run = StoredReconciliation(day, digest, len(rows), actor, at, tuple(items))
        with duplicate_is_conflict(lambda: _taken(day)):
            uow.reconciliations.add(run)
        for txn in listed:
            uow.reconciliations.resolve_missing(txn, found_on=day, at=at)
        counts = Counter(i.outcome for i in items)
        record_audit(uow, actor, "payments.reconcile", f"reconciliation:{day}", dict(counts))
        uow.commit()
    return Reconciliation(run, made=True)


def reconciled_days(engine: Engine, *, limit: int = 60) -> list[date]:
    """The latest reconciled dates, newest first."""
    with UnitOfWork(engine) as uow:
        return uow.reconciliations.days(limit=limit)


def reconciliation_of(engine: Engine, day: date) -> Reconciliation:
    """The stored reconciliation of ``day``, or :class:`NotFoundError`."""
    with UnitOfWork(engine) as uow:
        stored = uow.reconciliations.get(day)
    if stored is None:
        raise NotFoundError(
            f"{day} has not been reconciled",
            field="date",
            value=day.isoformat(),
            remedy="run thinfile payments reconcile --date for it",
        )
    return Reconciliation(stored, made=False)


def resolve_break(engine: Engine, day: date, n: int, reason: str, *, actor: str) -> Reconciliation:
    """Staff close break ``n`` of ``day`` saying what was done (audited, once)."""
    text = staff_reason(reason)
    with UnitOfWork(engine) as uow:
        stored = uow.reconciliations.get(day, lock=True)
        item = next((i for i in stored.items if i.n == n), None) if stored else None
        if stored is None or item is None or item.outcome not in BREAKS:
            raise NotFoundError(
                f"{day} has no break {n}", field="n", value=n, remedy="pick a break of the report"
            )
        if not uow.reconciliations.resolve(day, n, resolution=text, by=actor, at=now_utc()):
            raise ConflictError(
                f"break {n} of {day} is resolved already",
                field="n",
                value=n,
                remedy="read the report: it says who resolved it and how",
            )
        record_audit(
            uow,
            actor,
            "payments.reconcile.resolve",
            f"reconciliation:{day}",
            {"n": n, "outcome": item.outcome, "reason": text},
        )
        uow.commit()
    return reconciliation_of(engine, day)
