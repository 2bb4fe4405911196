"""Issuing one interest coupon of a batch (the rules :mod:`thinfile.services.interest_coupons`
applies for staff and campaigns): who may issue, the batch and the borrower found, the issue's
reference read, and the issue itself — the batch's row claimed first (``issued + 1``, only
while active and not spent), which holds its lock to the end of the unit, then the borrower's
coupons of the batch counted: never more than the limit, whatever runs at the same time."""

from __future__ import annotations

from datetime import date

from thinfile.decisioning.interest_coupons import CouponBatchStatus, InterestCouponStatus
from thinfile.errors import (
    CouponBudgetExhaustedError,
    CouponUnavailableError,
    InvalidInputError,
    NotFoundError,
    PermissionDeniedError,
)
from thinfile.money import Money
from thinfile.security.roles import Role
from thinfile.services.identity_records import Actor, new_id, now_utc
from thinfile.services.uow import UnitOfWork
from thinfile.store.promotions_repo import StoredCouponBatch, StoredInterestCoupon

__all__ = ["active_borrower", "batch_row", "checked_reference", "issue_one", "staff_only"]

_STAFF = (Role.ADMIN, Role.UNDERWRITER)
_MAX_REFERENCE = 100


def staff_only(actor: Actor) -> None:
    if actor.role not in _STAFF:
        raise PermissionDeniedError("only staff define and issue interest coupons")


def batch_row(uow: UnitOfWork, batch_id: str) -> StoredCouponBatch:
    batch = uow.promotions.batch(batch_id)
    if batch is None:
        raise NotFoundError("no such coupon batch", field="batch_id", value=batch_id)
    return batch


def checked_reference(reference: str | None) -> str | None:
    if reference is None:
        return None
    reference = reference.strip()
    if not reference or len(reference) > _MAX_REFERENCE:
        raise InvalidInputError(
            f"a reference has 1 to {_MAX_REFERENCE} characters",
            field="reference",
            value=reference,
        )
    return reference


def active_borrower(uow: UnitOfWork, borrower_id: str) -> None:
    user = uow.users.get(borrower_id)
    if user is None or not user.is_active or user.role != Role.BORROWER.value:
        raise NotFoundError(
            "no such active borrower account", field="borrower_id", value=borrower_id
        )


def issue_one(
    uow: UnitOfWork,
    issued_by: str,
    batch: StoredCouponBatch,
    borrower_id: str,
    reference: str | None,
    on: date,
) -> tuple[StoredInterestCoupon, bool]:
    """One coupon of ``batch`` to the borrower; it and whether it was issued now."""
    if reference is not None and (
        held := uow.promotions.issued_under(batch.id, borrower_id, reference)
    ):
        return held, False
    if on > batch.valid_to:
        raise CouponUnavailableError(
            f"the coupon expired on {batch.valid_to}", field="batch_id", value=batch.id
        )
    if not uow.promotions.claim_batch(batch.id, active=CouponBatchStatus.ACTIVE.value):
        now = batch_row(uow, batch.id)
        if now.status != CouponBatchStatus.ACTIVE.value:
            raise CouponUnavailableError(
                "the coupon is no longer issued", field="batch_id", value=batch.id
            )
        raise CouponBudgetExhaustedError(
            "the coupon's budget is spent",
            field="batch_id",
            value=batch.id,
            extra={"budget": str(Money(now.budget_fen)), "spent": str(Money(now.spent_fen))},
        )
    # the claim holds the batch's lock: nothing below can change before this commits
    if reference is not None and (
        held := uow.promotions.issued_under(batch.id, borrower_id, reference)
    ):  # the same issue, committed while this one waited for the lock
        uow.promotions.claim_batch_undo(batch.id)
        return held, False
    if uow.promotions.held_of_batch(batch.id, borrower_id) >= batch.per_borrower_limit:
        uow.promotions.claim_batch_undo(batch.id)
        raise CouponUnavailableError(
            f"a borrower may be given {batch.per_borrower_limit} of this coupon",
            field="borrower_id",
            value=borrower_id,
            remedy="issue another coupon batch",
        )
    coupon_id = new_id()
    uow.promotions.add_coupon(
        {
            "id": coupon_id,
            "borrower_id": borrower_id,
            "name": batch.name,
            "terms_json": batch.terms_json,
            "valid_from": batch.valid_from,
            "valid_to": batch.valid_to,
            "status": InterestCouponStatus.ISSUED.value,
            "issued_by": issued_by,
            "issued_at": now_utc(),
            "batch_id": batch.id,
            "issue_reference": reference,
        }
    )
    coupon = uow.promotions.coupon(coupon_id)
    assert coupon is not None
    return coupon, True
