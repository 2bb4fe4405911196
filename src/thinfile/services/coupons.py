"""Coupons (满减券): staff define and issue them; a borrower sees the usable ones; the
checkout redeems one per order and gives it back when the order is cancelled or fully
refunded.

* Issuing locks the coupon's row, then takes one coupon's face value from its budget with
  a conditional ``UPDATE`` and checks the borrower's limit: never more issued than the budget
  pays for, never more held than the limit, whatever runs at the same time. An issue
  ``reference`` makes issuing idempotent (a campaign rewarding an order names the order).
* Redeeming and giving back (:func:`redeem_coupon_in_unit`, :func:`return_coupon_in_unit`,
  :func:`order_coupon_in_unit`) live in :mod:`thinfile.services.coupon_redemptions` and are
  re-exported here; close of business expires unused coupons after their window
  (:mod:`thinfile.services.coupon_expiry`).

The checkout's forms write no audit row (the checkout's own event records them); a refusal
writes nothing.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy.engine import Engine

from thinfile.commerce import (
    BorrowerCouponStatus,
    CouponRules,
    CouponStatus,
)
from thinfile.errors import (
    ConflictError,
    CouponBudgetExhaustedError,
    CouponUnavailableError,
    NotFoundError,
)
from thinfile.money import Money
from thinfile.security.roles import Role
from thinfile.services.audit import AuditDraft, in_own_unit
from thinfile.services.business_date import business_date_in
from thinfile.services.campaign_records import (
    CouponDraft,
    CouponRecord,
    HeldCoupon,
    coupon_record,
    coupon_rules,
    held_coupon,
    purchase_amount,
    purchase_reference,
)
from thinfile.services.coupon_redemptions import (
    order_coupon_in_unit,
    redeem_coupon_in_unit,
    return_coupon_in_unit,
)
from thinfile.services.coupon_rows import coupon_row as _coupon
from thinfile.services.coupon_rows import held_row as _held
from thinfile.services.identity_records import Actor, new_id, now_utc
from thinfile.services.uow import UnitOfWork
from thinfile.store.coupons_repo import StoredCoupon

__all__ = [
    "create_coupon",
    "create_coupon_in_unit",
    "get_coupon",
    "issue_campaign_coupons_in_unit",
    "issue_coupon",
    "issue_coupon_in_unit",
    "list_coupons",
    "my_coupons",
    "order_coupon_in_unit",
    "redeem_coupon_in_unit",
    "return_coupon_in_unit",
    "set_coupon_status_in_unit",
    "usable_coupons_in_unit",
]


def coupon_rules_from(draft: CouponDraft) -> CouponRules:
    """The coupon staff typed, its amounts read strictly and its rules checked."""
    return CouponRules(
        name=draft.name,
        amount_off=Money.of(draft.amount_off, field="amount_off"),
        threshold=Money.of(draft.threshold, field="threshold"),
        valid_from=draft.valid_from,
        valid_to=draft.valid_to,
        per_borrower_limit=draft.per_borrower_limit,
        budget=Money.of(draft.budget, field="budget"),
        funded_by=draft.funded_by,
        merchant_ids=tuple(draft.merchant_ids),
    )


def create_coupon_in_unit(
    uow: UnitOfWork, actor: Actor, draft: CouponDraft
) -> tuple[CouponRecord, AuditDraft]:
    """A new coupon, active; the merchants (and campaign) it names must exist."""
    rules = coupon_rules_from(draft)
    for i, merchant_id in enumerate(rules.merchant_ids):
        if uow.merchants.get(merchant_id) is None:
            raise NotFoundError("no such merchant", field=f"merchant_ids[{i}]", value=merchant_id)
    if draft.campaign_id is not None and uow.campaigns.get(draft.campaign_id) is None:
        raise NotFoundError("no such campaign", field="campaign_id", value=draft.campaign_id)
    coupon_id = new_id()
    uow.coupons.add(
        {
            "id": coupon_id,
            "name": rules.name,
            "amount_off_fen": rules.amount_off.fen,
            "threshold_fen": rules.threshold.fen,
            "valid_from": rules.valid_from,
            "valid_to": rules.valid_to,
            "per_borrower_limit": rules.per_borrower_limit,
            "budget_fen": rules.budget.fen,
            "issued_fen": 0,
            "redeemed_fen": 0,
            "funded_by": rules.funded_by.value,
            "campaign_id": draft.campaign_id,
            "status": CouponStatus.ACTIVE.value,
            "created_at": now_utc(),
            "created_by": actor.label,
        },
        rules.merchant_ids,
    )
    audit = AuditDraft(
        actor.label,
        "coupon.create",
        f"coupon:{coupon_id}",
        {"amount_off_fen": rules.amount_off.fen, "budget_fen": rules.budget.fen},
    )
    return coupon_record(_coupon(uow, coupon_id)), audit


def set_coupon_status_in_unit(
    uow: UnitOfWork, actor: Actor, coupon_id: str, status: CouponStatus
) -> tuple[CouponRecord, AuditDraft]:
    """End a coupon (no more are issued; those held stay usable in their window); an ended
    coupon stays ended."""
    was = CouponStatus(_coupon(uow, coupon_id, lock=True).status)
    if was is CouponStatus.ENDED and status is not CouponStatus.ENDED:
        raise CouponUnavailableError(
            "an ended coupon is not issued again",
            field="status",
            value=status.value,
            remedy="create a new coupon",
        )
    if status is not was:
        uow.coupons.set_status(coupon_id, status.value)
    details = {"from": was.value, "to": status.value}
    audit = AuditDraft(actor.label, f"coupon.{status.value}", f"coupon:{coupon_id}", details)
    return coupon_record(_coupon(uow, coupon_id)), audit


def _borrower(uow: UnitOfWork, borrower_id: str) -> None:
    user = uow.users.get(borrower_id)
    if user is None or not user.is_active or user.role != Role.BORROWER.value:
        raise NotFoundError(
            "no such active borrower account", field="borrower_id", value=borrower_id
        )


def _issue_checks(uow: UnitOfWork, row: StoredCoupon, borrower_id: str, on: date) -> None:
    if row.status != CouponStatus.ACTIVE.value:
        raise CouponUnavailableError(
            "the coupon is no longer issued", field="coupon_id", value=row.id
        )
    if on > row.valid_to:
        raise CouponUnavailableError(
            f"the coupon expired on {row.valid_to}", field="coupon_id", value=row.id
        )
    if uow.coupons.held_count(row.id, borrower_id) >= row.per_borrower_limit:
        raise CouponUnavailableError(
            f"a borrower may hold {row.per_borrower_limit} of this coupon",
            field="borrower_id",
            value=borrower_id,
        )


def _issue(
    uow: UnitOfWork,
    issued_by: str,
    coupon_id: str,
    borrower_id: str,
    on: date | None,
    reference: str | None,
) -> tuple[HeldCoupon, bool]:
    """Issue one coupon; the coupon held and whether it was issued now (not replayed)."""
    if reference is not None:
        reference = purchase_reference(reference)
    row = _coupon(uow, coupon_id, lock=True)  # issuing one coupon at a time
    rules = coupon_rules(row)
    if reference is not None and (held := uow.coupons.issued_under(coupon_id, reference)):
        if held.borrower_id != borrower_id:
            raise ConflictError(
                "this reference issued the coupon to another borrower",
                field="reference",
                value=reference,
            )
        return held_coupon(held, rules), False
    _borrower(uow, borrower_id)
    _issue_checks(uow, row, borrower_id, on or business_date_in(uow))
    if not uow.coupons.take_budget(coupon_id, active=CouponStatus.ACTIVE.value):
        raise CouponBudgetExhaustedError(
            "the coupon's budget cannot pay for one more",
            field="coupon_id",
            value=coupon_id,
            extra={"budget": str(rules.budget), "issued": str(Money(row.issued_fen))},
        )
    held_id = new_id()
    uow.coupons.issue(
        {
            "id": held_id,
            "coupon_id": coupon_id,
            "borrower_id": borrower_id,
            "status": BorrowerCouponStatus.ISSUED.value,
            "order_reference": None,
            "issue_reference": reference,
            "issued_at": now_utc(),
            "issued_by": issued_by,
        }
    )
    return held_coupon(_held(uow, held_id), rules), True


def issue_coupon_in_unit(
    uow: UnitOfWork,
    actor: Actor,
    coupon_id: str,
    borrower_id: str,
    *,
    on: date | None = None,
    reference: str | None = None,
) -> tuple[HeldCoupon, AuditDraft]:
    """Give the borrower one coupon (staff) on ``on`` (default: the business date).

    Refused when the coupon has ended or expired, the borrower holds the limit
    (:class:`CouponUnavailableError`), or the budget cannot pay one more
    (:class:`CouponBudgetExhaustedError`); a refusal writes nothing. The same ``reference``
    again returns the coupon issued under it."""
    held, now = _issue(uow, actor.label, coupon_id, borrower_id, on, reference)
    action = "coupon.issue" if now else "coupon.issue_replayed"
    details = {"held": held.id, "borrower_id": borrower_id}
    return held, AuditDraft(actor.label, action, f"coupon:{coupon_id}", details)


def issue_campaign_coupons_in_unit(
    uow: UnitOfWork, campaign_id: str, borrower_id: str, order_reference: str, on: date
) -> list[HeldCoupon]:
    """A campaign rewards the order ``order_reference``: one of each of the campaign's active
    coupons to the borrower, issued once per order (a repeat returns the same coupons).
    A coupon whose budget, window or per-borrower limit refuses is skipped (its refusal
    writes nothing); no audit row (the checkout's confirmation records it)."""
    order_reference = purchase_reference(order_reference, field="order_reference")
    given: list[HeldCoupon] = []
    for coupon_id in uow.coupons.of_campaign(campaign_id, status=CouponStatus.ACTIVE.value):
        try:
            held, _ = _issue(
                uow, f"campaign:{campaign_id}", coupon_id, borrower_id, on, order_reference
            )
        except (CouponUnavailableError, CouponBudgetExhaustedError):
            continue
        given.append(held)
    return given


def usable_coupons_in_unit(
    uow: UnitOfWork,
    borrower_id: str,
    *,
    on: date,
    order_amount: Money | None = None,
    merchant_id: str | None = None,
) -> list[HeldCoupon]:
    """The borrower's coupons usable on ``on``, oldest first; given an order, only those the
    order admits (its amount, its merchant)."""
    if order_amount is not None:
        order_amount = purchase_amount(order_amount, field="order_amount")
    rules: dict[str, CouponRules] = {}
    out: list[HeldCoupon] = []
    for row in uow.coupons.held_by(borrower_id, status=BorrowerCouponStatus.ISSUED.value):
        if row.coupon_id not in rules:
            rules[row.coupon_id] = coupon_rules(_coupon(uow, row.coupon_id))
        these = rules[row.coupon_id]
        if not these.is_valid_on(on):
            continue
        if order_amount is not None and these.refusal(order_amount, merchant_id, on):
            continue
        if (
            order_amount is None
            and merchant_id
            and these.merchant_ids
            and (merchant_id not in these.merchant_ids)
        ):
            continue
        out.append(held_coupon(row, these))
    return out


def create_coupon(engine: Engine, actor: Actor, draft: CouponDraft) -> CouponRecord:
    """:func:`create_coupon_in_unit` in a unit of its own."""
    return in_own_unit(engine, lambda uow: create_coupon_in_unit(uow, actor, draft))


def issue_coupon(
    engine: Engine,
    actor: Actor,
    coupon_id: str,
    borrower_id: str,
    *,
    on: date | None = None,
    reference: str | None = None,
) -> HeldCoupon:
    """:func:`issue_coupon_in_unit` in a unit of its own."""
    return in_own_unit(
        engine,
        lambda uow: issue_coupon_in_unit(
            uow, actor, coupon_id, borrower_id, on=on, reference=reference
        ),
    )


def get_coupon(engine: Engine, coupon_id: str) -> CouponRecord:
    with UnitOfWork(engine) as uow:
        return coupon_record(_coupon(uow, coupon_id))


def list_coupons(
    engine: Engine, *, limit: int, offset: int, status: CouponStatus | None = None
) -> list[CouponRecord]:
    """A page of coupons, newest first."""
    with UnitOfWork(engine) as uow:
        rows = uow.coupons.page(
            limit=limit, offset=offset, status=None if status is None else status.value
        )
    return [coupon_record(row) for row in rows]


def my_coupons(
    engine: Engine,
    actor: Actor,
    *,
    order_amount: Money | None = None,
    merchant_id: str | None = None,
) -> list[HeldCoupon]:
    """The signed-in borrower's coupons usable on the business date (for an order, if
    given)."""
    with UnitOfWork(engine) as uow:
        return usable_coupons_in_unit(
            uow,
            actor.user_id,
            on=business_date_in(uow),
            order_amount=order_amount,
            merchant_id=merchant_id,
        )
