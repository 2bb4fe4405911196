"""Interest-coupon batches (券批次): staff define a coupon once and issue it — to one borrower,
or by a campaign to every borrower of a segment.

A batch holds the coupon's terms (:mod:`thinfile.decisioning.interest_coupons`), its validity
(both days included), how many of it one borrower may be given, and its budget: the most its
redeemed coupons may take off loans in all (the lender's cost, booked as the batch's
``cost_booking`` says: marketing expense by default, or reduced interest income). The acceptance
that redeems one adds its value to the batch by one conditional ``UPDATE``
(``services.promotions``), so the budget is never overspent; once it is spent the batch
issues no more.

* :func:`issue_batch_coupon_in_unit` — staff give one borrower one coupon
  (:mod:`thinfile.services.interest_coupon_issuing`: the batch's row is written first,
  which holds its lock to the end of the unit, then the borrower's coupons of the batch are
  counted: never more than the limit, whatever runs at the same time). A ``reference``
  makes it idempotent.
* :func:`issue_to_segment_in_unit` — a campaign gives one coupon to every borrower who applied
  as ``segment`` (with ``first_loan_only``: who has no loan yet), once per borrower and
  ``reference``; a borrower at the limit is skipped, and issuing stops when the batch is
  spent or ended. The result counts each.

Changes come in an in-unit form returning the audit row for the caller to append last, as
:func:`thinfile.services.idempotency.run_once` runs them under a request's key.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date

from sqlalchemy.engine import Engine

from thinfile.decisioning.application import SEGMENTS
from thinfile.decisioning.interest_coupons import (
    MAX_PER_BORROWER,
    CouponBatchStatus,
    CouponCostBooking,
    InterestCouponTerms,
)
from thinfile.errors import (
    CouponBudgetExhaustedError,
    CouponUnavailableError,
    InvalidInputError,
)
from thinfile.money import Money
from thinfile.security.roles import Role
from thinfile.services.audit import AuditDraft, in_own_unit
from thinfile.services.business_date import business_date_in
from thinfile.services.identity_records import Actor, new_id, now_utc
from thinfile.services.interest_coupon_issuing import active_borrower as _borrower
from thinfile.services.interest_coupon_issuing import batch_row as _batch
from thinfile.services.interest_coupon_issuing import checked_reference as _reference
from thinfile.services.interest_coupon_issuing import issue_one as _issue
from thinfile.services.interest_coupon_issuing import staff_only as _staff
from thinfile.services.uow import UnitOfWork
from thinfile.store.promotions_repo import StoredCouponBatch, StoredInterestCoupon

__all__ = [
    "CouponBatchDraft",
    "SegmentIssue",
    "batch_terms",
    "create_coupon_batch",
    "create_coupon_batch_in_unit",
    "end_coupon_batch_in_unit",
    "get_coupon_batch",
    "issue_batch_coupon",
    "issue_batch_coupon_in_unit",
    "issue_to_segment",
    "issue_to_segment_in_unit",
    "list_coupon_batches",
]


@dataclass(frozen=True, slots=True)
class CouponBatchDraft:
    """A batch as staff write it."""

    name: str
    terms: InterestCouponTerms
    valid_from: date
    valid_to: date
    per_borrower_limit: int
    budget: Money
    cost_booking: CouponCostBooking = CouponCostBooking.MARKETING_EXPENSE
    """How a redeemed coupon's value is booked (marketing expense, or reduced interest
    income)."""


@dataclass(frozen=True, slots=True)
class SegmentIssue:
    """What a campaign's issue to a segment did."""

    batch_id: str
    segment: str
    reference: str
    issued: int
    """borrowers given a coupon now"""
    already: int
    """borrowers given one by this reference before"""
    at_limit: int
    """borrowers who hold as many of the batch as allowed"""
    not_issued: int
    """borrowers left without one because the batch was spent or ended meanwhile"""


def batch_terms(batch: StoredCouponBatch) -> InterestCouponTerms:
    return InterestCouponTerms.from_dict(json.loads(batch.terms_json))


def _checked(draft: CouponBatchDraft) -> None:
    if not draft.name.strip() or len(draft.name) > 200:
        raise InvalidInputError(
            "a coupon's name has 1 to 200 characters", field="name", value=draft.name
        )
    if draft.valid_to < draft.valid_from:
        raise InvalidInputError(
            "a coupon is valid to a day on or after it starts",
            field="valid_to",
            value=draft.valid_to.isoformat(),
            remedy="give a valid_to on or after valid_from",
        )
    if not 1 <= draft.per_borrower_limit <= MAX_PER_BORROWER:
        raise InvalidInputError(
            f"a borrower may be given 1 to {MAX_PER_BORROWER} of one coupon",
            field="per_borrower_limit",
            value=draft.per_borrower_limit,
        )
    if draft.cost_booking not in set(CouponCostBooking):
        raise InvalidInputError(
            "no such way of booking a coupon's cost",
            field="cost_booking",
            value=str(draft.cost_booking),
            remedy=", ".join(CouponCostBooking),
        )
    if draft.budget.fen <= 0:
        raise InvalidInputError(
            "a coupon's budget is above 0", field="budget", value=str(draft.budget)
        )


def create_coupon_batch_in_unit(
    uow: UnitOfWork, actor: Actor, draft: CouponBatchDraft
) -> tuple[StoredCouponBatch, AuditDraft]:
    """A new batch, active."""
    _staff(actor)
    _checked(draft)
    batch_id = new_id()
    uow.promotions.add_batch(
        {
            "id": batch_id,
            "name": draft.name.strip(),
            "terms_json": json.dumps(draft.terms.as_dict()),
            "valid_from": draft.valid_from,
            "valid_to": draft.valid_to,
            "per_borrower_limit": draft.per_borrower_limit,
            "budget_fen": draft.budget.fen,
            "spent_fen": 0,
            "issued": 0,
            "status": CouponBatchStatus.ACTIVE.value,
            "created_at": now_utc(),
            "created_by": actor.label,
            "cost_booking": CouponCostBooking(draft.cost_booking).value,
        }
    )
    audit = AuditDraft(
        actor.label,
        "interest_coupon_batch.create",
        f"interest_coupon_batch:{batch_id}",
        {
            "terms": draft.terms.as_dict(),
            "per_borrower_limit": draft.per_borrower_limit,
            "budget": str(draft.budget),
            "cost_booking": CouponCostBooking(draft.cost_booking).value,
        },
    )
    return _batch(uow, batch_id), audit


def end_coupon_batch_in_unit(
    uow: UnitOfWork, actor: Actor, batch_id: str
) -> tuple[StoredCouponBatch, AuditDraft]:
    """The batch issues no more coupons (those issued stay usable in their validity)."""
    _staff(actor)
    _batch(uow, batch_id)
    uow.promotions.set_batch_status(batch_id, CouponBatchStatus.ENDED.value)
    audit = AuditDraft(
        actor.label, "interest_coupon_batch.end", f"interest_coupon_batch:{batch_id}", {}
    )
    return _batch(uow, batch_id), audit


def issue_batch_coupon_in_unit(
    uow: UnitOfWork,
    actor: Actor,
    batch_id: str,
    borrower_id: str,
    *,
    reference: str | None = None,
    on: date | None = None,
) -> tuple[StoredInterestCoupon, AuditDraft]:
    """Staff give the borrower one coupon of the batch on ``on`` (default: the business
    date). Refused when the batch has ended or expired or the borrower holds the limit
    (:class:`CouponUnavailableError`), or its budget is spent
    (:class:`CouponBudgetExhaustedError`). The same ``reference`` again returns the coupon it
    gave."""
    _staff(actor)
    reference = _reference(reference)
    batch = _batch(uow, batch_id)
    _borrower(uow, borrower_id)
    coupon, now = _issue(
        uow, actor.label, batch, borrower_id, reference, on or business_date_in(uow)
    )
    action = "interest_coupon.issue" if now else "interest_coupon.issue_replayed"
    details = {"borrower": borrower_id, "batch": batch_id, "coupon": coupon.id}
    return coupon, AuditDraft(actor.label, action, f"interest_coupon:{coupon.id}", details)


def issue_to_segment_in_unit(
    uow: UnitOfWork,
    actor: Actor,
    batch_id: str,
    *,
    segment: str,
    reference: str,
    first_loan_only: bool = False,
    on: date | None = None,
) -> tuple[SegmentIssue, AuditDraft]:
    """A campaign gives one coupon of the batch to every borrower who applied as ``segment``
    (with ``first_loan_only``: who has no loan yet), once per borrower and ``reference``."""
    _staff(actor)
    if segment not in SEGMENTS:
        raise InvalidInputError(
            "no such segment", field="segment", value=segment, remedy=", ".join(SEGMENTS)
        )
    checked = _reference(reference)
    assert checked is not None
    batch = _batch(uow, batch_id)
    day = on or business_date_in(uow)
    issued = already = at_limit = left = 0
    label = f"campaign:{checked}"
    for borrower_id in uow.promotions.borrowers_in_segment(
        segment, first_loan_only=first_loan_only
    ):
        if left:
            left += 1
            continue
        user = uow.users.get(borrower_id)
        if user is None or not user.is_active or user.role != Role.BORROWER.value:
            continue
        try:
            _, now = _issue(uow, label, batch, borrower_id, checked, day)
        except (CouponUnavailableError, CouponBudgetExhaustedError) as refused:
            if refused.field == "borrower_id":
                at_limit += 1
            else:
                left += 1
            continue
        issued += now
        already += not now
    result = SegmentIssue(batch_id, segment, checked, issued, already, at_limit, left)
    audit = AuditDraft(
        actor.label,
        "interest_coupon_batch.issue_segment",
        f"interest_coupon_batch:{batch_id}",
        {
            "segment": segment,
            "reference": checked,
            "first_loan_only": first_loan_only,
            "issued": issued,
            "already": already,
            "at_limit": at_limit,
            "not_issued": left,
        },
    )
    return result, audit


def create_coupon_batch(engine: Engine, actor: Actor, draft: CouponBatchDraft) -> StoredCouponBatch:
    """:func:`create_coupon_batch_in_unit` in a unit of its own."""
    return in_own_unit(engine, lambda uow: create_coupon_batch_in_unit(uow, actor, draft))


def issue_batch_coupon(
    engine: Engine,
    actor: Actor,
    batch_id: str,
    borrower_id: str,
    *,
    reference: str | None = None,
    on: date | None = None,
) -> StoredInterestCoupon:
    """:func:`issue_batch_coupon_in_unit` in a unit of its own."""
    return in_own_unit(
        engine,
        lambda uow: issue_batch_coupon_in_unit(
            uow, actor, batch_id, borrower_id, reference=reference, on=on
        ),
    )


def issue_to_segment(
    engine: Engine,
    actor: Actor,
    batch_id: str,
    *,
    segment: str,
    reference: str,
    first_loan_only: bool = False,
    on: date | None = None,
) -> SegmentIssue:
    """:func:`issue_to_segment_in_unit` in a unit of its own."""
    return in_own_unit(
        engine,
        lambda uow: issue_to_segment_in_unit(
            uow,
            actor,
            batch_id,
            segment=segment,
            reference=reference,
            first_loan_only=first_loan_only,
            on=on,
        ),
    )


def get_coupon_batch(engine: Engine, batch_id: str) -> StoredCouponBatch:
    with UnitOfWork(engine) as uow:
        return _batch(uow, batch_id)


def list_coupon_batches(engine: Engine, *, limit: int, offset: int) -> list[StoredCouponBatch]:
    """A page of batches, newest first."""
    with UnitOfWork(engine) as uow:
        return uow.promotions.batches(limit=limit, offset=offset)
