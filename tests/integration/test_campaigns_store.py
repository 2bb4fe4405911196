"""Campaigns on SQLite and PostgreSQL: the plans offered, the budget reserved and released
(never beyond it, once per reference), the warning staff see, and refusals that write nothing.
Amounts are checked against arithmetic written here, not the code's own functions."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from tests.integration.commerce_helpers import (
    _HASHER,
    DAY,
    STAFF,
    active_merchant,
    campaign_draft,
)
from thinfile.commerce import BudgetState, CampaignStatus
from thinfile.errors import (
    CampaignBudgetExhaustedError,
    CampaignUnavailableError,
    ConflictError,
    InvalidCampaignError,
    InvalidInputError,
    NotFoundError,
)
from thinfile.money import Money
from thinfile.security.roles import Role
from thinfile.services import campaigns, identity, merchant_portal, merchants
from thinfile.services.campaign_records import CampaignDraft
from thinfile.services.identity_records import Actor
from thinfile.services.uow import UnitOfWork
from thinfile.store.campaign_tables import campaigns as campaign_table


def _plans(engine: Engine, merchant_id: str, yuan: str, on: date = DAY):
    with UnitOfWork(engine) as uow:
        return campaigns.campaign_plans_for(uow, merchant_id, Money.of(yuan), on)


def _reserve(engine: Engine, campaign_id: str, yuan: str, reference: str, **kw):
    with UnitOfWork(engine) as uow:
        done = campaigns.reserve_campaign_budget_in_unit(
            uow, campaign_id, Money.of(yuan), reference, **kw
        )
        uow.commit()
    return done


def _release(engine: Engine, reference: str, yuan: str):
    with UnitOfWork(engine) as uow:
        done = campaigns.release_campaign_budget_in_unit(uow, reference, Money.of(yuan))
        uow.commit()
    return done


def test_a_campaign_offers_the_terms_its_merchant_prices_with_the_subsidy_split(engine):
    merchant = active_merchant(engine, subsidy={3: "2%", 6: "4%", 12: "7.5%"})
    made = campaigns.create_campaign(engine, STAFF, campaign_draft([merchant], terms=(3, 12, 24)))
    plans = _plans(engine, merchant, "10000")
    # oracle: 10,000 yuan × 2% = 200.00 and × 7.5% = 750.00; the merchant pays half of each
    assert [(p.periods, p.subsidy.total.fen, p.subsidy.merchant.fen) for p in plans] == [
        (3, 20000, 10000),
        (12, 75000, 37500),
    ]  # 24 periods: not in the merchant's contract, so not offered
    assert all(
        p.campaign_id == made.id and p.subsidy.lender.fen * 2 == p.subsidy.total.fen for p in plans
    )


def test_an_odd_fen_split_leaves_nothing_unpaid(engine):
    merchant = active_merchant(engine, subsidy={12: "7.5%"})
    campaigns.create_campaign(
        engine, STAFF, campaign_draft([merchant], terms=(12,), merchant_share="33.33%")
    )
    [plan] = _plans(engine, merchant, "1234.57")
    # oracle: 123457 fen × 0.075 = 9259.275 → 9259 fen; × 0.3333 = 3086.0247 → 3086
    assert (plan.subsidy.total.fen, plan.subsidy.merchant.fen, plan.subsidy.lender.fen) == (
        9259,
        3086,
        6173,
    )


@pytest.mark.parametrize(
    ("yuan", "on", "why"),
    [
        ("499.99", DAY, "below the minimum order"),
        ("20000.01", DAY, "above the maximum order"),
        ("1000", date(2026, 2, 28), "before the window"),
        ("1000", date(2026, 4, 1), "after the window"),
    ],
)
def test_no_plan_outside_the_window_or_the_order_amounts(engine, yuan, on, why):
    merchant = active_merchant(engine)
    campaigns.create_campaign(engine, STAFF, campaign_draft([merchant]))
    assert _plans(engine, merchant, yuan, on) == [], why
    assert len(_plans(engine, merchant, "500")) == 2  # the edges themselves are inside
    edge = _plans(engine, merchant, "20000", date(2026, 3, 31))
    # 20,000 × 7.5% = 1,500 is more than the 1,000 budget: only the 3-period plan (400)
    assert [(p.periods, p.subsidy.total.fen) for p in edge] == [(3, 40000)]


def test_another_merchant_and_a_paused_campaign_offer_nothing(engine):
    merchant, other = active_merchant(engine), active_merchant(engine)
    made = campaigns.create_campaign(engine, STAFF, campaign_draft([merchant]))
    assert _plans(engine, other, "1000") == []
    campaigns.set_campaign_status(engine, STAFF, made.id, CampaignStatus.PAUSED)
    assert _plans(engine, merchant, "1000") == []
    with pytest.raises(CampaignUnavailableError):
        _reserve(engine, made.id, "10", "order-paused")
    campaigns.set_campaign_status(engine, STAFF, made.id, CampaignStatus.ACTIVE)
    assert len(_plans(engine, merchant, "1000")) == 2
    campaigns.set_campaign_status(engine, STAFF, made.id, CampaignStatus.ENDED)
    with pytest.raises(CampaignUnavailableError):
        campaigns.set_campaign_status(engine, STAFF, made.id, CampaignStatus.ACTIVE)


def test_the_budget_is_never_overspent_and_a_refusal_writes_nothing(engine):
    merchant = active_merchant(engine)
    made = campaigns.create_campaign(engine, STAFF, campaign_draft([merchant]))  # budget 1000
    first = _reserve(engine, made.id, "750", "order-1")
    assert (first.budget_state, first.crossed_warning) == (BudgetState.OK, False)
    warned = _reserve(engine, made.id, "200", "order-2")
    assert warned.budget_state is BudgetState.WARNING  # 950 ≥ the 800 threshold
    assert warned.crossed_warning
    with pytest.raises(CampaignBudgetExhaustedError) as refused:
        _reserve(engine, made.id, "50.01", "order-3")
    assert refused.value.extra["remaining"] == "50.00"
    after = campaigns.get_campaign(engine, made.id)
    assert after.spent == Money.of("950") and after.warned_at is not None
    last = _reserve(engine, made.id, "50", "order-3")
    assert (last.budget_state, last.crossed_warning) == (BudgetState.SPENT, False)
    assert campaigns.get_campaign(engine, made.id).remaining == Money(0)
    # the 3-period plan on 500 yuan costs 10.00: no budget left, so no plan
    assert _plans(engine, merchant, "500") == []
    listed = campaigns.list_campaigns(engine, limit=10, offset=0, warning_only=True)
    assert [c.id for c in listed] == [made.id]


def test_a_reference_reserves_once(engine):
    merchant = active_merchant(engine)
    made = campaigns.create_campaign(engine, STAFF, campaign_draft([merchant]))
    first = _reserve(engine, made.id, "300", "order-once")
    again = _reserve(engine, made.id, "300", "order-once")
    assert not first.replayed and again.replayed
    assert campaigns.get_campaign(engine, made.id).spent == Money.of("300")
    with pytest.raises(ConflictError):
        _reserve(engine, made.id, "301", "order-once")


def test_releases_give_budget_back_never_more_than_was_reserved(engine):
    merchant = active_merchant(engine)
    made = campaigns.create_campaign(engine, STAFF, campaign_draft([merchant]))
    _reserve(engine, made.id, "900", "order-r")
    assert campaigns.get_campaign(engine, made.id).budget_state is BudgetState.WARNING
    part = _release(engine, "order-r", "150")  # a partial refund
    assert (part.held, part.budget_state) == (Money.of("750"), BudgetState.OK)
    assert campaigns.get_campaign(engine, made.id).warned_at is None  # below 800 again
    with pytest.raises(InvalidInputError):
        _release(engine, "order-r", "750.01")
    assert campaigns.get_campaign(engine, made.id).spent == Money.of("750")
    assert _release(engine, "order-r", "750").held == Money(0)  # the rest, a full refund
    assert campaigns.get_campaign(engine, made.id).spent == Money(0)
    with pytest.raises(NotFoundError):
        _release(engine, "order-unknown", "1")


def test_a_reservation_on_a_day_outside_the_window_is_refused(engine):
    merchant = active_merchant(engine)
    made = campaigns.create_campaign(engine, STAFF, campaign_draft([merchant]))
    with pytest.raises(CampaignUnavailableError):
        _reserve(engine, made.id, "1", "order-late", on=date(2026, 4, 1))
    assert _reserve(engine, made.id, "1", "order-in", on=DAY + timedelta(days=21)).amount.fen == 100


@pytest.mark.parametrize(
    ("amount", "reference"),
    [
        (Money(-1), "order-neg"),
        (Money(10**18), "order-huge"),
        (Money(100, "USD"), "order-usd"),
        (Money(100), "ｏｒｄｅｒ１"),
        (Money(100), ""),
        (Money(100), "x" * 101),
    ],
)
def test_hostile_reservations_are_refused_naming_the_field(engine, amount, reference):
    merchant = active_merchant(engine)
    made = campaigns.create_campaign(engine, STAFF, campaign_draft([merchant]))
    with pytest.raises(InvalidInputError) as refused, UnitOfWork(engine) as uow:
        campaigns.reserve_campaign_budget_in_unit(uow, made.id, amount, reference)
    assert refused.value.field in {"amount", "reference"}
    assert campaigns.get_campaign(engine, made.id).spent == Money(0)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"budget": "-1"}, "budget"),
        ({"budget": "１０００"}, "budget"),
        ({"budget": "1e9"}, "budget"),
        ({"budget": "9" * 16}, "budget"),
        ({"warning_threshold": "1000.01"}, "warning_threshold"),
        ({"ends_on": date(2026, 2, 28)}, "ends_on"),
        ({"min_order": "0"}, "min_order"),
        ({"max_order": "499"}, "max_order"),
        ({"terms": (5,)}, "terms"),
        ({"merchant_share": "101%"}, "merchant_share"),
        ({"name": "\u200b"}, "name"),
        ({"merchant_ids": ("no-such-merchant",)}, "merchant_ids[0]"),
    ],
)
def test_a_bad_campaign_is_refused_naming_the_field_and_nothing_is_written(
    engine, overrides, field
):
    merchant = active_merchant(engine)
    draft = _draft_with(merchant, overrides)
    with pytest.raises((InvalidInputError, NotFoundError)) as refused:
        campaigns.create_campaign(engine, STAFF, draft)
    assert refused.value.field == field or field in {p.field for p in refused.value.problems}
    assert campaigns.list_campaigns(engine, limit=10, offset=0) == []


def _draft_with(merchant: str, overrides: dict[str, Any]) -> CampaignDraft:
    merchant_ids = overrides.get("merchant_ids", (merchant,))
    rest = {k: v for k, v in overrides.items() if k != "merchant_ids"}
    return campaign_draft(list(merchant_ids), **rest)


def test_every_bad_field_is_reported_at_once(engine):
    merchant = active_merchant(engine)
    draft = campaign_draft(
        [merchant], ends_on=date(2026, 1, 1), warning_threshold="2000", terms=(7,)
    )
    with pytest.raises(InvalidCampaignError) as refused:
        campaigns.create_campaign(engine, STAFF, draft)
    assert {p.field for p in refused.value.problems} == {"ends_on", "warning_threshold", "terms"}


def test_a_merchant_sees_its_campaigns_however_many_other_merchants_have(engine):
    """The portal lists the newest campaigns naming the merchant: two hundred newer campaigns
    of another merchant do not push its own out of the list."""

    mine, other = active_merchant(engine), active_merchant(engine)
    own = campaigns.create_campaign(engine, STAFF, campaign_draft([mine], name="骑手节"))
    with UnitOfWork(engine) as uow:  # the other merchant's, straight into the store: quicker
        for n in range(200):
            uow.campaigns.add(
                {**_row_of(uow, own.id), "id": f"other-{n:03d}", "name": f"别家活动{n}"},
                (other,),
                (12,),
            )
        uow.commit()
    user = identity.create_user(
        engine, _HASHER, email="shop-owner@example.com", password="pw-123456789", role=Role.MERCHANT
    )
    with UnitOfWork(engine) as uow:
        _, audit = merchants.add_user_in_unit(uow, STAFF, mine, user.id)
        audit.append(uow)
        uow.commit()
    listed = merchant_portal.campaigns_of(engine, Actor(user.id, Role.MERCHANT))
    assert [c.campaign.name for c in listed] == ["骑手节"]


def _row_of(uow: UnitOfWork, campaign_id: str) -> dict[str, Any]:
    """A stored campaign's own columns, to copy (the created time one second later)."""

    row = (
        uow.conn.execute(sa.select(campaign_table).where(campaign_table.c.id == campaign_id))
        .one()
        ._asdict()
    )
    return {**row, "created_at": row["created_at"] + timedelta(seconds=1)}
