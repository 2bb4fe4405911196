"""Interest-free campaigns (商家贴息活动): staff create and run them; the checkout asks which
plans they offer and reserves and releases their budget.

Staff's changes come in an in-unit form (``…_in_unit(uow, actor, …) -> (result,
AuditDraft)``) that :func:`thinfile.services.idempotency.run_once` runs under the request's
key. The checkout's forms work inside the checkout's own unit of work and write no audit row
(the checkout's confirmation, void or refund records it):

* :func:`campaign_plans_for` — the plans campaigns offer a merchant's order on a day, each
  with the subsidy it costs; a campaign whose budget left cannot pay it offers nothing;
* :func:`reserve_campaign_budget_in_unit` — a confirmed purchase takes its subsidy from the
  budget: one conditional ``UPDATE`` (never overspent, also under concurrent confirmations),
  once per reference (a repeat returns the first reservation);
* :func:`release_campaign_budget_in_unit` — a void or a refund gives some or all of it back.

A refusal writes nothing, so the checkout may catch it and carry on in the same unit.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy.engine import Engine

from thinfile.commerce import (
    Campaign,
    CampaignStatus,
    MerchantContract,
    MerchantStatus,
    campaign_subsidy,
)
from thinfile.errors import (
    CampaignBudgetExhaustedError,
    CampaignUnavailableError,
    ConflictError,
    InvalidInputError,
    NotFoundError,
)
from thinfile.money import Money, format_yuan, parse_rate
from thinfile.services.audit import AuditDraft, in_own_unit
from thinfile.services.campaign_records import (
    BudgetReservation,
    CampaignDraft,
    CampaignPlan,
    CampaignRecord,
    budget_reservation,
    campaign_record,
    purchase_amount,
    purchase_reference,
)
from thinfile.services.identity_records import Actor, new_id, now_utc
from thinfile.services.merchant_records import contract_record
from thinfile.services.uow import UnitOfWork
from thinfile.store.campaigns_repo import StoredBudgetUse, StoredCampaign

__all__ = [
    "campaign_plans_for",
    "create_campaign",
    "create_campaign_in_unit",
    "get_campaign",
    "list_campaigns",
    "merchant_share_in_unit",
    "release_campaign_budget_in_unit",
    "reserve_campaign_budget_in_unit",
    "retake_campaign_budget_in_unit",
    "set_campaign_status",
    "set_campaign_status_in_unit",
]


def _stored(uow: UnitOfWork, campaign_id: str, *, lock: bool = False) -> StoredCampaign:
    row = uow.campaigns.get(campaign_id, lock=lock)
    if row is None:
        raise NotFoundError("no such campaign", field="campaign_id", value=campaign_id)
    return row


def campaign_from(draft: CampaignDraft) -> Campaign:
    """The campaign staff typed, its amounts read strictly and its rules checked."""
    return Campaign(
        name=draft.name,
        starts_on=draft.starts_on,
        ends_on=draft.ends_on,
        merchant_ids=tuple(draft.merchant_ids),
        terms=tuple(draft.terms),
        min_order=Money.of(draft.min_order, field="min_order"),
        max_order=Money.of(draft.max_order, field="max_order"),
        merchant_share=parse_rate(draft.merchant_share, field="merchant_share"),
        budget=Money.of(draft.budget, field="budget"),
        warning_threshold=Money.of(draft.warning_threshold, field="warning_threshold"),
    )


def create_campaign_in_unit(
    uow: UnitOfWork, actor: Actor, draft: CampaignDraft
) -> tuple[CampaignRecord, AuditDraft]:
    """A new campaign, active: every merchant it names must be onboarded."""
    campaign = campaign_from(draft)
    for i, merchant_id in enumerate(campaign.merchant_ids):
        if uow.merchants.get(merchant_id) is None:
            raise NotFoundError("no such merchant", field=f"merchant_ids[{i}]", value=merchant_id)
    campaign_id, at = new_id(), now_utc()
    uow.campaigns.add(
        {
            "id": campaign_id,
            "name": campaign.name,
            "starts_on": campaign.starts_on,
            "ends_on": campaign.ends_on,
            "min_order_fen": campaign.min_order.fen,
            "max_order_fen": campaign.max_order.fen,
            "merchant_share": str(campaign.merchant_share),
            "budget_fen": campaign.budget.fen,
            "warning_fen": campaign.warning_threshold.fen,
            "spent_fen": 0,
            "warned_at": None,
            "status": CampaignStatus.ACTIVE.value,
            "created_at": at,
            "created_by": actor.label,
            "updated_at": at,
        },
        campaign.merchant_ids,
        campaign.terms,
    )
    audit = AuditDraft(
        actor.label,
        "campaign.create",
        f"campaign:{campaign_id}",
        {"budget_fen": campaign.budget.fen, "merchants": len(campaign.merchant_ids)},
    )
    return campaign_record(_stored(uow, campaign_id)), audit


def set_campaign_status_in_unit(
    uow: UnitOfWork, actor: Actor, campaign_id: str, status: CampaignStatus
) -> tuple[CampaignRecord, AuditDraft]:
    """Pause, resume or end a campaign; an ended one stays ended."""
    was = CampaignStatus(_stored(uow, campaign_id, lock=True).status)
    if was is CampaignStatus.ENDED and status is not CampaignStatus.ENDED:
        raise CampaignUnavailableError(
            "an ended campaign cannot run again",
            field="status",
            value=status.value,
            remedy="create a new campaign",
        )
    if status is not was:
        uow.campaigns.set_status(campaign_id, status.value, at=now_utc())
    audit = AuditDraft(
        actor.label,
        f"campaign.{status.value}",
        f"campaign:{campaign_id}",
        {"from": was.value, "to": status.value},
    )
    return campaign_record(_stored(uow, campaign_id)), audit


def campaign_plans_for(
    uow: UnitOfWork,
    merchant_id: str,
    order_amount: Money,
    on: date,
    *,
    known: tuple[int, MerchantContract] | None = None,
) -> list[CampaignPlan]:
    """The interest-free plans campaigns offer on ``merchant_id``'s order of ``order_amount``
    on ``on``: active campaigns naming the merchant, running that day, admitting the amount,
    for each of their terms the merchant's contract prices interest-free (a term the borrower
    pays a fee on is no campaign's plan, whatever the campaign names), whose budget left pays
    the subsidy on the whole order amount. Ordered by campaign (oldest first), then term. An
    inactive merchant, or one without a contract, is offered nothing. ``known``: a version of
    the merchant's contract the caller has read (contract versions never change), used when it
    is still the latest."""
    order_amount = purchase_amount(order_amount, field="order_amount")
    merchant = uow.merchants.get(merchant_id)
    version = uow.merchants.latest_version(merchant_id) if merchant is not None else 0
    if merchant is None or merchant.status != MerchantStatus.ACTIVE.value or version == 0:
        return []
    if known is not None and known[0] == version:
        contract = known[1]
    else:
        stored = uow.merchants.contract(merchant_id, version)
        if stored is None:
            return []
        contract = contract_record(stored).contract
    free = {t.periods for t in contract.terms if t.is_interest_free}  # a campaign is 免息
    plans: list[CampaignPlan] = []
    for row in uow.campaigns.running_for(merchant_id, on, CampaignStatus.ACTIVE.value):
        record = campaign_record(row)
        if not record.campaign.covers(merchant_id, order_amount, on):
            continue
        for periods in record.campaign.terms:
            if periods not in free:
                continue
            rate = contract.pricing(periods).subsidy_rate
            subsidy = campaign_subsidy(
                order_amount, rate, record.campaign.merchant_share, rounding=contract.rounding
            )
            if subsidy.total <= record.remaining:
                plans.append(
                    CampaignPlan(
                        record.id, record.campaign.name, periods, rate, subsidy, record.remaining
                    )
                )
    return plans


def _use(uow: UnitOfWork, reference: str) -> StoredBudgetUse:
    found = uow.campaigns.use(reference)
    if found is None:
        raise NotFoundError(
            "no campaign reservation has this reference", field="reference", value=reference
        )
    return found


def _replay(
    uow: UnitOfWork, use: StoredBudgetUse, campaign_id: str, amount: Money
) -> BudgetReservation:
    if use.campaign_id != campaign_id or use.amount_fen != amount.fen:
        raise ConflictError(
            "this reference reserved another amount or campaign already",
            field="reference",
            value=use.reference,
            remedy="use a new reference for a new purchase",
        )
    return budget_reservation(use, _stored(uow, campaign_id), replayed=True)


def _refusal(row: StoredCampaign, amount: Money, on: date | None) -> Exception:
    status = CampaignStatus(row.status)
    if status is not CampaignStatus.ACTIVE:
        return CampaignUnavailableError(
            f"the campaign is {status.value}", field="campaign_id", value=row.id
        )
    if on is not None and not row.starts_on <= on <= row.ends_on:
        return CampaignUnavailableError(
            f"the campaign runs from {row.starts_on} to {row.ends_on}",
            field="campaign_id",
            value=row.id,
        )
    left = row.budget_fen - row.spent_fen
    return CampaignBudgetExhaustedError(
        f"the campaign has {format_yuan(left)} of its budget left, not {amount}",
        field="amount",
        value=str(amount),
        remedy="offer the plans without this campaign",
        extra={"remaining": format_yuan(left)},
    )


def reserve_campaign_budget_in_unit(
    uow: UnitOfWork,
    campaign_id: str,
    amount: Money,
    reference: str,
    *,
    on: date | None = None,
) -> BudgetReservation:
    """Take ``amount`` (the purchase's subsidy) from the campaign's budget for the purchase
    ``reference``, in the caller's unit of work.

    One conditional statement adds it only while the campaign is active and the budget holds
    it, so the budget is never overspent, whatever runs at the same time. The same reference
    again returns the first reservation (``replayed=True``); with another amount or campaign
    it is a conflict. Refused with :class:`CampaignBudgetExhaustedError` (budget left too
    small) or :class:`CampaignUnavailableError` (paused, ended, or — given ``on`` — outside
    its window); a refusal writes nothing.
    """
    amount = purchase_amount(amount, field="amount", positive=False)
    reference = purchase_reference(reference)
    row = _stored(uow, campaign_id)
    found = uow.campaigns.use(reference)
    if found is not None:
        return _replay(uow, found, campaign_id, amount)
    if on is not None and not row.starts_on <= on <= row.ends_on:
        raise _refusal(row, amount, on)
    at = now_utc()
    if not uow.campaigns.reserve(
        campaign_id, amount.fen, active=CampaignStatus.ACTIVE.value, at=at
    ):
        found = uow.campaigns.use(reference)  # a concurrent one under this reference won
        if found is not None:
            return _replay(uow, found, campaign_id, amount)
        raise _refusal(_stored(uow, campaign_id), amount, on)
    if not uow.campaigns.add_use(reference, campaign_id, amount.fen, at=at):
        uow.campaigns.release(campaign_id, amount.fen, at=at)  # the reference was taken
        return _replay(uow, _use(uow, reference), campaign_id, amount)
    use = StoredBudgetUse(reference, campaign_id, amount.fen, 0)
    after = _stored(uow, campaign_id)  # this unit holds the row: no one else moved it
    crossed = after.spent_fen - amount.fen < after.warning_fen <= after.spent_fen
    return budget_reservation(use, after, crossed_warning=crossed)


def merchant_share_in_unit(uow: UnitOfWork, reference: str) -> Decimal:
    """The share of the subsidy the merchant pays on the purchase ``reference``: its
    campaign's ``merchant_share`` (a campaign's share never changes), 100% without one."""
    use = uow.campaigns.use(reference)
    if use is None:
        return Decimal(1)
    return campaign_record(_stored(uow, use.campaign_id)).campaign.merchant_share


def release_campaign_budget_in_unit(
    uow: UnitOfWork, reference: str, amount: Money
) -> BudgetReservation:
    """Give ``amount`` of the purchase ``reference``'s reservation back to its campaign (a
    void, a refund). Never more than the reservation still holds (refused, nothing written);
    an ended or paused campaign takes it back too. Each call releases: the caller's own
    idempotency (the refund's key) keeps a repeat from releasing twice."""
    amount = purchase_amount(amount, field="amount", positive=False)
    reference = purchase_reference(reference)
    use = _use(uow, reference)
    at = now_utc()
    if not uow.campaigns.release_use(reference, amount.fen, at=at):
        held = use.amount_fen - use.released_fen
        raise InvalidInputError(
            f"the purchase holds {format_yuan(held)} of the campaign's budget, not {amount}",
            field="amount",
            value=str(amount),
            remedy=f"release at most {format_yuan(held)}",
        )
    uow.campaigns.release(use.campaign_id, amount.fen, at=at)
    return budget_reservation(_use(uow, reference), _stored(uow, use.campaign_id))


def retake_campaign_budget_in_unit(
    uow: UnitOfWork, reference: str, *, most: int | None = None
) -> Money | None:
    """Take back into the purchase ``reference``'s reservation what it released (a refund
    reversed in error), at most ``most`` fen (the subsidy of what was captured: a part voided
    before stays released): the purchase is subsidised again, so its campaign carries the
    subsidy again, whatever the campaign's status now, but never beyond its budget — then
    refused (:class:`CampaignBudgetExhaustedError`, nothing written; raising the budget first
    lets the reversal through). Returns the amount taken, None when nothing had been
    released."""
    reference = purchase_reference(reference)
    use = uow.campaigns.use(reference)
    if use is None or not use.released_fen:
        return None
    row = _stored(uow, use.campaign_id)
    amount = Money(use.released_fen if most is None else min(most, use.released_fen))
    if not amount.fen:
        return None
    at = now_utc()
    if not uow.campaigns.reserve(use.campaign_id, amount.fen, active=None, at=at):
        left = Money(row.budget_fen - row.spent_fen)
        raise CampaignBudgetExhaustedError(
            f"the campaign's budget has {left} left, less than the {amount} of subsidy the "
            "refund gave back",
            field="campaign",
            value=use.campaign_id,
            remedy=f"raise the campaign's budget by at least {amount - left}, then reverse again",
        )
    if not uow.campaigns.unrelease_use(reference, amount.fen, at=at):
        raise AssertionError("this unit read the reservation's release; it cannot have moved")
    return amount


def create_campaign(engine: Engine, actor: Actor, draft: CampaignDraft) -> CampaignRecord:
    """:func:`create_campaign_in_unit` in a unit of its own."""
    return in_own_unit(engine, lambda uow: create_campaign_in_unit(uow, actor, draft))


def set_campaign_status(
    engine: Engine, actor: Actor, campaign_id: str, status: CampaignStatus
) -> CampaignRecord:
    """:func:`set_campaign_status_in_unit` in a unit of its own."""
    return in_own_unit(
        engine, lambda uow: set_campaign_status_in_unit(uow, actor, campaign_id, status)
    )


def get_campaign(engine: Engine, campaign_id: str) -> CampaignRecord:
    with UnitOfWork(engine) as uow:
        return campaign_record(_stored(uow, campaign_id))


def list_campaigns(
    engine: Engine,
    *,
    limit: int,
    offset: int,
    status: CampaignStatus | None = None,
    warning_only: bool = False,
) -> list[CampaignRecord]:
    """A page of campaigns, newest first; ``warning_only``: those at or past their warning
    threshold (spent ones included)."""
    with UnitOfWork(engine) as uow:
        rows = uow.campaigns.page(
            limit=limit,
            offset=offset,
            status=None if status is None else status.value,
            warning_only=warning_only,
        )
    return [campaign_record(row) for row in rows]
