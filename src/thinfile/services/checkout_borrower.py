"""Checkout sessions, the borrower's side: the plans for an order, and confirming one.

The first borrower to open a session's plans becomes its borrower (another borrower then finds
no such session), and the moment the plans were first shown starts the reading time of the
cost statement. Confirming takes the same rule as accepting an offer
(:func:`thinfile.services.acceptance.ensure_confirmed`: read for at least
``MIN_READING_SECONDS``, then confirmed), then decides at once:

* an open credit line of the borrower with enough available (less what other sessions
  authorized on it may still capture) → authorized on that line (each capture draws on it);
* otherwise a new application for the financed amount through the decision path
  (:func:`thinfile.services.applications.decide_in`, purpose from the merchant's category) →
  approved for at least the amount: a purchase line of the financed amount is opened with the
  application (its offer accepted by this confirmation) and the session authorized on it;
  referred or declined: the session is declined with the decision's reason codes.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy.engine import Engine

from thinfile.commerce import (
    CheckoutStatus,
    Coupon,
    MerchantCategory,
    MerchantContract,
    TermPricing,
    purchase_money,
    quote_checkout,
)
from thinfile.commerce.webhooks import WebhookEventType
from thinfile.errors import (
    CampaignBudgetExhaustedError,
    CampaignUnavailableError,
    CheckoutStateError,
    InvalidInputError,
    NotFoundError,
)
from thinfile.money import Money, Rounding, format_yuan
from thinfile.security.crypto import PiiCipher
from thinfile.services.acceptance import ensure_confirmed, seconds_read
from thinfile.services.applications import decide_in
from thinfile.services.applications_records import ApplicationStatus
from thinfile.services.audit import AuditDraft
from thinfile.services.business_date import business_date_in
from thinfile.services.campaign_records import CampaignPlan, HeldCoupon, campaign_record
from thinfile.services.campaigns import campaign_plans_for, reserve_campaign_budget_in_unit
from thinfile.services.checkout import give_back_promotions_in_unit
from thinfile.services.checkout_records import (
    CheckoutRecord,
    PlanRecord,
    amounts_of,
    checkout_event_in_unit,
    checkout_record,
    contract_of,
    load_session,
    save_session,
)
from thinfile.services.coupons import redeem_coupon_in_unit, usable_coupons_in_unit
from thinfile.services.credit_lines import open_line_in_unit, room_on_line
from thinfile.services.identity_records import Actor, now_utc
from thinfile.services.policies import DecisionRuntime
from thinfile.services.uow import UnitOfWork
from thinfile.servicing import LineStatus
from thinfile.store.checkout_repo import StoredCheckout

__all__ = [
    "PURPOSES",
    "BorrowerPlans",
    "borrower_plans",
    "confirm_in_unit",
    "get_for_borrower",
    "plans_in_unit",
]

PURPOSES: Mapping[str, str] = {
    MerchantCategory.PHONES_ELECTRONICS: "phone_purchase",
    MerchantCategory.E_BIKES: "vehicle",
    MerchantCategory.VOCATIONAL_EDUCATION: "education",
    MerchantCategory.TOOLS_AND_STOCK: "business_working_capital",
}
"""The application purpose of a purchase by merchant category ("consumption" otherwise)."""


def _mine(uow: UnitOfWork, actor: Actor, session_id: str, *, lock: bool = False) -> StoredCheckout:
    """The session, made the caller's if no borrower has it yet; another's looks like none."""
    row = load_session(uow, session_id, lock=lock)
    if row.borrower_user_id is None:
        claimed = uow.checkouts.claim(row.id, actor.user_id, at=now_utc())
        row = claimed or load_session(uow, session_id, lock=lock)  # None: another was first
    if row.borrower_user_id != actor.user_id:
        raise NotFoundError("no such checkout session", field="session_id", value=session_id)
    return row


def _plan(
    record: CheckoutRecord, pricing: TermPricing, contract: MerchantContract, start: date
) -> PlanRecord:
    quote = quote_checkout(
        record.money(record.row.total), pricing, start=start, rounding=contract.rounding
    )
    schedule, statement = quote.plan.schedule, quote.plan.statement
    cost = statement.total_cost
    return PlanRecord(
        periods=pricing.periods,
        interest_free=quote.plan.is_interest_free,
        financed=quote.money.financed,
        installments=tuple(record.money(i.total) for i in schedule.installments),
        annualized_rate=quote.plan.annualized.nominal,
        total_cost=record.money(cost),
        total_repayable=record.money(quote.money.financed.fen + cost),
        merchant_subsidy=quote.money.subsidy,
        statement=statement.as_dict(),
    )


@dataclass(frozen=True, slots=True)
class BorrowerPlans:
    """What the borrower is shown for an order: the session, one plan per allowed term, the
    campaigns' interest-free plans and the borrower's coupons the order admits."""

    session: CheckoutRecord
    plans: list[PlanRecord]
    campaign_plans: list[CampaignPlan]
    coupons: list[HeldCoupon]


def plans_in_unit(
    uow: UnitOfWork, actor: Actor, session_id: str, *, today: date | None = None
) -> BorrowerPlans:
    """The session (the first look makes it the caller's: the caller commits) and one plan
    per allowed term, priced from the current business date (``today``: as the clock's date,
    for a replayed day); the campaigns' plans on the order, of the session's terms and only
    while a campaign's budget covers the subsidy; the borrower's coupons the order admits."""
    record = checkout_record(uow, _mine(uow, actor, session_id))
    row = record.row
    contract = contract_of(uow, row)
    on = business_date_in(uow, today=today)
    plans = [_plan(record, contract.pricing(t), contract, on) for t in record.allowed_terms]
    total = Money(row.total, row.currency)
    offered = set(record.allowed_terms)
    campaign_plans = [
        p
        for p in campaign_plans_for(
            uow, row.merchant_id, total, on, known=(row.contract_version, contract)
        )
        if p.periods in offered
    ]
    coupons = usable_coupons_in_unit(
        uow, actor.user_id, on=on, order_amount=total, merchant_id=row.merchant_id
    )
    return BorrowerPlans(record, plans, campaign_plans, coupons)


def borrower_plans(
    engine: Engine, actor: Actor, session_id: str, *, today: date | None = None
) -> BorrowerPlans:
    """:func:`plans_in_unit` in a unit of work of its own, committed (the claim)."""
    with UnitOfWork(engine) as uow:
        found = plans_in_unit(uow, actor, session_id, today=today)
        uow.commit()
    return found


def _promotions(
    uow: UnitOfWork,
    actor: Actor,
    row: StoredCheckout,
    pricing: TermPricing,
    coupon_id: str | None,
    campaign_id: str | None,
    rounding: Rounding,
    on: date,
) -> Money:
    """Redeem the coupon and reserve the campaign's budget for the subsidy (reference: the
    session id), in the confirmation's unit, on business date ``on``; the financed amount
    (price − coupon)."""
    price = Money(row.total, row.currency)
    coupon: Coupon | None = None
    if coupon_id is not None:
        coupon = redeem_coupon_in_unit(
            uow, coupon_id, actor.user_id, row.id, price, on, merchant_id=row.merchant_id
        ).coupon
    money = purchase_money(price, pricing, coupon=coupon, rounding=rounding)
    if campaign_id is not None:
        found = uow.campaigns.get(campaign_id)
        campaign = campaign_record(found).campaign if found is not None else None
        if campaign is None or not (
            campaign.covers(row.merchant_id, price, on)
            and pricing.periods in campaign.terms
            and pricing.is_interest_free
        ):
            raise CampaignUnavailableError(
                f"the campaign offers no {pricing.periods}-period plan on this order",
                field="campaign_id",
                value=campaign_id,
                remedy="choose one of the plans' campaign_plans, or a plan without a campaign",
            )
        try:
            reserve_campaign_budget_in_unit(uow, campaign_id, money.subsidy, row.id, on=on)
        except (CampaignBudgetExhaustedError, CampaignUnavailableError) as refused:
            raise type(refused)(
                f"this plan's campaign can no longer pay its subsidy: {refused.message}",
                field="campaign_id",
                value=campaign_id,
                remedy="choose another plan",
                extra=refused.extra,
            ) from refused
    return money.financed


def get_for_borrower(engine: Engine, actor: Actor, session_id: str) -> CheckoutRecord:
    with UnitOfWork(engine) as uow:
        row = load_session(uow, session_id)
        if row.borrower_user_id != actor.user_id:
            raise NotFoundError("no such checkout session", field="session_id", value=session_id)
        return checkout_record(uow, row)


def _line_with_room(uow: UnitOfWork, user_id: str, amount: Money) -> int | None:
    """The borrower's newest active line whose available amount, less what other sessions
    authorized on it may still capture, covers ``amount`` (the line is locked)."""
    for line_id in uow.applications.lines_of_user(user_id):
        stored = uow.credit_lines.get(line_id, lock=True)
        line = stored.line
        if line.status is not LineStatus.ACTIVE or line.limit.currency != amount.currency:
            continue
        if room_on_line(uow, line)[1] >= amount:
            return line_id
    return None


def _apply(
    uow: UnitOfWork,
    cipher: PiiCipher,
    runtime: DecisionRuntime,
    actor: Actor,
    row: StoredCheckout,
    form: Mapping[str, object],
    financed: Money,
    on: date,
) -> tuple[str, int | None, list[str], AuditDraft]:
    """A new application for the order: its id, the purchase line (None when not approved
    for the amount), the reason codes and the decision's audit row (appended with the
    confirmation's: see :class:`AuditDraft`)."""
    applicant_id = uow.applicants.id_of_user(actor.user_id)
    if applicant_id is None:
        raise NotFoundError(
            "you have no applicant profile yet", remedy="register one with POST /v1/applicants"
        )
    merchant = uow.merchants.get(row.merchant_id)
    purpose = PURPOSES.get(merchant.category if merchant else "", "consumption")
    # offers come in whole steps of the policy's amount (¥100 by default), rounded down: ask
    # for the step at or above the price so that a ¥2,999 phone is decided at ¥3,000 (never
    # less than it costs); the purchase line itself is for exactly what is financed
    step = max(
        live.settings.amount_step
        for live in (runtime.book.champion, runtime.book.challenger)
        if live is not None
    )
    asked = {
        **form,
        "purpose": purpose,
        "requested_amount": format_yuan(-(-financed.fen // step) * step),
        "requested_term_months": row.periods,
    }
    record, audit = decide_in(
        uow, cipher, runtime, actor=actor, applicant_id=applicant_id, form=asked, on=on
    )  # the decision's own audit row is appended with the confirmation's, last
    decision = record.decision
    codes = decision.get("reason_codes")
    reasons = [str(c) for c in codes] if isinstance(codes, list) else []
    found = decision.get("offers")
    offers: list[Mapping[str, object]] = found if isinstance(found, list) else []
    enough = [o for o in offers if Money.of(str(o["amount"])).fen >= financed.fen]
    if record.status is not ApplicationStatus.APPROVED or not enough:
        return record.id, None, reasons or ["NOT_APPROVED_FOR_AMOUNT"], audit
    offer = enough[0]
    line = open_line_in_unit(uow, financed, Decimal(str(offer["annual_rate"])), on).line.line_id
    stored = uow.applications.get(record.id)
    if stored is None or not uow.applications.update(
        record.id,
        stored.version,
        status=ApplicationStatus.ACCEPTED.value,
        accepted_offer=offers.index(offer),
        statement_confirmed_at=now_utc(),
        credit_line_id=str(line),
    ):
        raise CheckoutStateError("the application changed meanwhile; confirm again")
    return record.id, line, reasons, audit


def confirm_in_unit(
    uow: UnitOfWork,
    cipher: PiiCipher,
    runtime: DecisionRuntime,
    actor: Actor,
    session_id: str,
    *,
    periods: int,
    claimed_seconds: float | None,
    confirmed: bool,
    form: Mapping[str, object],
    now: datetime | None = None,
    coupon_id: str | None = None,
    campaign_id: str | None = None,
    today: date | None = None,
) -> tuple[CheckoutRecord, AuditDraft]:
    """The borrower confirms the plan of ``periods`` after its cost statement: authorized (on
    a line with room, or a new approved application) or declined with reasons, on the
    current business date (``today``: as the clock's date, for a replayed day)."""
    row = _mine(uow, actor, session_id, lock=True)
    record = checkout_record(uow, row, now=now)
    if record.status is not CheckoutStatus.OPEN:
        article = "an" if record.status.value[0] in "aeiou" else "a"
        raise CheckoutStateError(
            f"{article} {record.status.value} session cannot be confirmed",
            field="session_id",
            value=session_id,
            remedy="go back to the shop and check out again",
        )
    if periods not in record.allowed_terms:
        raise InvalidInputError(
            f"choose one of {', '.join(str(t) for t in record.allowed_terms)} periods",
            field="periods",
            value=periods,
        )
    seconds = seconds_read(shown_at=row.plans_shown_at, claimed=claimed_seconds, now=now)
    ensure_confirmed(confirmed=confirmed, seconds_read=seconds)
    contract = contract_of(uow, row)
    pricing = contract.pricing(periods)
    row = save_session(
        uow,
        row.id,
        periods=periods,
        subsidy_rate=str(pricing.subsidy_rate),
        monthly_fee_rate=str(pricing.monthly_fee_rate),
        unearned_subsidy=contract.unearned_subsidy.value,
        confirmed_at=now_utc(),
    )
    amounts = amounts_of(row, record.status)
    on = business_date_in(uow, today=today)
    financed = _promotions(uow, actor, row, pricing, coupon_id, campaign_id, contract.rounding, on)
    line = _line_with_room(uow, actor.user_id, financed)
    application: str | None = None
    reasons: list[str] = []
    decided: tuple[AuditDraft, ...] = ()
    if line is None:
        application, line, reasons, drafted = _apply(
            uow, cipher, runtime, actor, row, form, financed, on
        )
        decided = (drafted,)
    extra: dict[str, object]
    if line is None:  # declined: the coupon and the campaign's budget are not kept
        give_back_promotions_in_unit(uow, row, refunded=False, today=today)
        state, extra = amounts.decline(), {"decline_reasons": json.dumps(reasons)}
    else:
        state = amounts.authorize(financed)
        extra = {"credit_line_id": line}
    saved = save_session(
        uow,
        row.id,
        status=state.status.value,
        authorized=state.authorized.fen,
        application_id=application,
        updated_at=now_utc(),
        **extra,
    )
    if line is not None:
        checkout_event_in_unit(uow, saved, WebhookEventType.CHECKOUT_AUTHORIZED)
    audit = AuditDraft(
        actor.label,
        f"checkout.{'authorize' if line else 'decline'}",
        f"checkout:{row.id}",
        {
            "periods": periods,
            "statement_read_seconds": round(seconds, 1),
            "line": line,
            "coupon": coupon_id,
            "campaign": campaign_id,
            "financed_fen": financed.fen,
        },
    ).along_with(*decided)
    return checkout_record(uow, saved, now=now, lines=record.lines), audit
