"""The borrower's checkout pages, over the checkout service: one read gathers what the plans
page shows (the session, its plans, the campaigns' interest-free plans and the borrower's
coupons), and confirming runs once per form key, as the API's confirmation does."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.engine import Engine

from thinfile.commerce import Coupon, quote_checkout
from thinfile.resident_id import id_birth_date
from thinfile.security.crypto import PiiCipher
from thinfile.services import checkout_borrower
from thinfile.services.applicants import get_applicant
from thinfile.services.business_date import business_date_in
from thinfile.services.campaign_records import CampaignPlan, HeldCoupon
from thinfile.services.checkout_records import CheckoutRecord, PlanRecord, contract_of
from thinfile.services.idempotency import IdempotencyClaim, run_once
from thinfile.services.identity_records import Actor
from thinfile.services.policies import DecisionRuntime
from thinfile.services.uow import UnitOfWork

__all__ = ["CheckoutPage", "Choice", "checkout_page", "confirm"]


@dataclass(frozen=True, slots=True)
class CheckoutPage:
    session: CheckoutRecord
    merchant_name: str
    plans: list[PlanRecord]
    campaign_plans: list[CampaignPlan]
    coupons: list[HeldCoupon]
    has_line: bool
    """The borrower has a credit line: confirming may not need a new application."""
    coupon: HeldCoupon | None = None
    """The coupon the plans are priced with."""

    def plan(self, periods: int) -> PlanRecord | None:
        return next((p for p in self.plans if p.periods == periods), None)

    def campaign_for(self, periods: int) -> CampaignPlan | None:
        return next((c for c in self.campaign_plans if c.periods == periods), None)


@dataclass(frozen=True, slots=True)
class Choice:
    """What the borrower confirms."""

    periods: int
    coupon_id: str | None
    campaign_id: str | None
    confirmed: bool


def _with_coupon(
    uow: UnitOfWork, record: CheckoutRecord, periods: int, coupon: Coupon, today: date | None
) -> PlanRecord:
    """The plan of ``periods`` on the price less ``coupon`` (what the borrower finances)."""
    contract = contract_of(uow, record.row)
    pricing = contract.pricing(periods)
    quote = quote_checkout(
        record.money(record.row.total),
        pricing,
        start=business_date_in(uow, today=today),
        coupon=coupon,
        rounding=contract.rounding,
    )
    statement = quote.plan.statement
    cost = record.money(statement.total_cost)
    return PlanRecord(
        periods=periods,
        interest_free=quote.plan.is_interest_free,
        financed=quote.money.financed,
        installments=tuple(record.money(i.total) for i in quote.plan.schedule.installments),
        annualized_rate=quote.plan.annualized.nominal,
        total_cost=cost,
        total_repayable=quote.money.financed + cost,
        merchant_subsidy=quote.money.subsidy,
        statement=statement.as_dict(),
    )


def checkout_page(
    engine: Engine,
    actor: Actor,
    session_id: str,
    *,
    coupon_id: str = "",
    today: date | None = None,
) -> CheckoutPage:
    """The session (made the caller's on the first look, which starts the reading time),
    with everything the plans page shows; with ``coupon_id`` (one of the borrower's usable
    coupons) the plans are of the price less the coupon. ``today``: as the clock's date (a
    replayed day)."""
    with UnitOfWork(engine) as uow:
        found = checkout_borrower.plans_in_unit(uow, actor, session_id, today=today)
        record, plans = found.session, found.plans
        held = next((c for c in found.coupons if c.id == coupon_id), None)
        merchant = uow.merchants.get(record.row.merchant_id)
        lines = uow.applications.lines_of_user(actor.user_id)
        if held is not None:
            coupon = Coupon(held.rules.amount_off, held.rules.funded_by)
            plans = [_with_coupon(uow, record, p.periods, coupon, today) for p in plans]
        uow.commit()  # the first look made the session the caller's
    name = merchant.legal_name if merchant is not None else ""
    return CheckoutPage(record, name, plans, found.campaign_plans, found.coupons, bool(lines), held)


def confirm(
    engine: Engine,
    cipher: PiiCipher,
    runtime: DecisionRuntime,
    actor: Actor,
    session_id: str,
    choice: Choice,
    form: Mapping[str, object],
    *,
    key: str,
    today: date | None = None,
    now: datetime | None = None,
) -> CheckoutRecord:
    """Confirm ``choice`` after the cost statement: authorized or declined at once; the same
    ``key`` again answers with the session as it stands and changes nothing. ``today``: as
    the clock's date (a replayed day); ``now``: the moment of confirming, when it is not the
    clock's (the reading time runs from the plans' first showing to it)."""
    with UnitOfWork(engine) as uow:
        applicant_id = uow.applicants.id_of_user(actor.user_id)
    if applicant_id is not None:  # the application's birth date is the ID number's
        profile = get_applicant(engine, cipher, applicant_id=applicant_id, actor=actor)
        born = id_birth_date(profile.id_number)
        form = {**form, **({"birth_date": born.isoformat()} if born else {})}
    claim = IdempotencyClaim(f"web:{actor.user_id}:checkout", key, f"{session_id}:{choice.periods}")
    run_once(
        engine,
        claim,
        lambda uow: checkout_borrower.confirm_in_unit(
            uow,
            cipher,
            runtime,
            actor,
            session_id,
            periods=choice.periods,
            claimed_seconds=None,
            confirmed=choice.confirmed,
            form=form,
            coupon_id=choice.coupon_id,
            campaign_id=choice.campaign_id,
            today=today,
            now=now,
        ),
        render=lambda r: r.row.id,
    )
    return checkout_borrower.get_for_borrower(engine, actor, session_id)
