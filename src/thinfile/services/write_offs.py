"""Write-offs below the charge-off threshold: requested by one staff member, approved by
another (maker-checker, 双人复核).

A loan at least the product's charge-off days past due may be written off by one servicing
agent or admin (:func:`thinfile.services.loan_adjustments.write_off_in_unit`). Below that, one staff
member requests it (:func:`request_write_off`, audited ``loan.write_off_request``) and a
different one, a servicing agent or an admin, approves it (:func:`approve_write_off_in_unit`):
only the approval posts the write-off, audited ``loan.write_off`` by the approver with the
request's number. A loan has at most one pending request.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.engine import Engine

from thinfile.errors import ConflictError, NotFoundError, PermissionDeniedError
from thinfile.security.roles import Role
from thinfile.services.audit import record_audit
from thinfile.services.business_date import business_date_in
from thinfile.services.identity_records import Actor
from thinfile.services.loan_adjustments import write_off_in_unit
from thinfile.services.loan_postings import Receipt
from thinfile.services.reasons import staff_reason
from thinfile.services.uow import UnitOfWork
from thinfile.store.servicing_codec import from_day, to_day

__all__ = [
    "APPROVER_ROLES",
    "WriteOffRequest",
    "approve_write_off",
    "approve_write_off_in_unit",
    "pending_write_off",
    "request_write_off",
]

APPROVER_ROLES = frozenset({Role.SERVICING_AGENT, Role.ADMIN})
"""Who may request and who may approve a write-off (never the same person for one loan)."""


@dataclass(frozen=True, slots=True)
class WriteOffRequest:
    id: int
    loan_id: int
    reason: str
    requested_by: str
    requested_on: date
    status: str
    decided_by: str | None
    txn_id: int | None


def _request(r: Any) -> WriteOffRequest:
    return WriteOffRequest(
        id=int(r.id),
        loan_id=int(r.loan_id),
        reason=str(r.reason),
        requested_by=str(r.requested_by),
        requested_on=from_day(r.requested_day),
        status=str(r.status),
        decided_by=r.decided_by,
        txn_id=r.txn_id,
    )


def _check_role(actor: Actor) -> None:
    if actor.role not in APPROVER_ROLES:
        raise PermissionDeniedError(
            f"a {actor.role.value} may not request or approve a write-off",
            extra={"allowed_roles": sorted(r.value for r in APPROVER_ROLES)},
        )


def request_write_off(
    engine: Engine, loan_id: int, *, reason: str, actor: Actor
) -> WriteOffRequest:
    """Ask for a second staff member's approval to write ``loan_id`` off."""
    _check_role(actor)
    reason = staff_reason(reason)
    with UnitOfWork(engine) as uow:
        uow.loans.get(loan_id, lock=True)  # the loan exists; one request at a time
        if uow.write_off_requests.pending_of_loan(loan_id) is not None:
            raise ConflictError(
                f"loan {loan_id} already has a write-off request waiting for approval",
                field="loan_id",
                value=loan_id,
                remedy="have another staff member approve the pending request",
            )
        on = business_date_in(uow)
        request_id = uow.write_off_requests.add(
            loan_id=loan_id, reason=reason, requested_by=actor.user_id, day=to_day(on)
        )
        request = _request(uow.write_off_requests.get(request_id))
        record_audit(
            uow,
            actor.label,
            "loan.write_off_request",
            f"loan:{loan_id}",
            {"request": request_id, "reason": reason},
        )
        uow.commit()
    return request


def pending_write_off(engine: Engine, loan_id: int) -> WriteOffRequest | None:
    """The loan's write-off request waiting for approval, if any."""
    with UnitOfWork(engine) as uow:
        row = uow.write_off_requests.pending_of_loan(loan_id)
    return None if row is None else _request(row)


def approve_write_off_in_unit(
    uow: UnitOfWork, request_id: int, on: date, *, approver: Actor, loan_id: int | None = None
) -> Receipt:
    """Approve pending request ``request_id`` and post its write-off, inside the caller's
    unit of work (the caller appends the audit row and commits). The approver must hold an
    approver role and be someone other than the requester."""
    _check_role(approver)
    row = uow.write_off_requests.get(request_id, lock=True)
    if row is None or (loan_id is not None and int(row.loan_id) != loan_id):
        raise NotFoundError("no such write-off request", field="request_id", value=request_id)
    request = _request(row)
    if request.status != "pending":
        raise ConflictError(
            f"write-off request {request_id} is already {request.status}",
            field="request_id",
            value=request_id,
        )
    if request.requested_by == approver.user_id:
        raise PermissionDeniedError(
            "the write-off must be approved by someone other than who requested it",
            field="request_id",
            value=request_id,
            remedy="ask another servicing agent or admin to approve it",
        )
    receipt = write_off_in_unit(uow, request.loan_id, on, reason=request.reason, approved=True)
    uow.write_off_requests.approve(
        request_id, by=approver.user_id, day=to_day(on), txn_id=receipt.txn_id
    )
    return receipt


def approve_write_off(
    engine: Engine, request_id: int, *, approver: Actor, loan_id: int | None = None
) -> Receipt:
    """:func:`approve_write_off_in_unit` in a unit of work of its own, on the current
    business date, audited as ``loan.write_off`` by the approver."""
    with UnitOfWork(engine) as uow:
        on = business_date_in(uow)
        receipt = approve_write_off_in_unit(uow, request_id, on, approver=approver, loan_id=loan_id)
        record_audit(
            uow,
            approver.label,
            "loan.write_off",
            f"loan:{receipt.loan_id}",
            {"txn": receipt.txn_id, "request": request_id},
        )
        uow.commit()
    return receipt
