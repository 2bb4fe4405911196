"""Coupons on SQLite and PostgreSQL: issued within the budget and the borrower's limit, listed
when usable, redeemed once per order, given back by cancelled or refunded orders (an expired
one is not revived), and refusals that write nothing."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy.engine import Engine

from tests.integration.commerce_helpers import (
    DAY,
    STAFF,
    active_merchant,
    borrowers,
    campaign_draft,
    coupon_draft,
)
from thinfile.commerce import BorrowerCouponStatus, CouponFunder
from thinfile.errors import (
    CouponBudgetExhaustedError,
    CouponUnavailableError,
    InvalidCouponError,
    InvalidInputError,
    NotFoundError,
)
from thinfile.money import Money
from thinfile.services import campaigns, coupons
from thinfile.services.uow import UnitOfWork


def _redeem(engine: Engine, held: str, borrower: str, order: str, yuan: str, **kw):
    on = kw.pop("on", DAY)
    with UnitOfWork(engine) as uow:
        done = coupons.redeem_coupon_in_unit(uow, held, borrower, order, Money.of(yuan), on, **kw)
        uow.commit()
    return done


def _return(engine: Engine, held: str, order: str, on: date = DAY):
    with UnitOfWork(engine) as uow:
        done = coupons.return_coupon_in_unit(uow, held, order, on)
        uow.commit()
    return done


def _usable(engine: Engine, borrower: str, on: date = DAY, **kw):
    with UnitOfWork(engine) as uow:
        return coupons.usable_coupons_in_unit(uow, borrower, on=on, **kw)


def test_a_coupon_is_issued_listed_and_used_once(engine):
    [alice] = borrowers(engine, 1)
    coupon = coupons.create_coupon(engine, STAFF, coupon_draft())
    held = coupons.issue_coupon(engine, STAFF, coupon.id, alice, on=DAY)
    assert [c.id for c in _usable(engine, alice)] == [held.id]
    assert _usable(engine, alice, order_amount=Money.of("999.99")) == []  # below 满1000
    used = _redeem(engine, held.id, alice, "order-1", "1000")
    assert (used.coupon.amount, used.coupon.funded_by) == (Money.of("100"), CouponFunder.LENDER)
    assert _usable(engine, alice) == []
    assert _redeem(engine, held.id, alice, "order-1", "1000").replayed  # the same order again
    with pytest.raises(CouponUnavailableError):
        _redeem(engine, held.id, alice, "order-2", "1000")
    after = coupons.get_coupon(engine, coupon.id)
    assert (after.issued, after.redeemed) == (Money.of("100"), Money.of("100"))


def test_another_borrowers_coupon_is_not_found_and_stays_unused(engine):
    alice, bob = borrowers(engine, 2)
    coupon = coupons.create_coupon(engine, STAFF, coupon_draft())
    held = coupons.issue_coupon(engine, STAFF, coupon.id, alice, on=DAY)
    with pytest.raises(NotFoundError):
        _redeem(engine, held.id, bob, "order-bob", "5000")
    assert [c.id for c in _usable(engine, alice)] == [held.id]


@pytest.mark.parametrize(
    ("yuan", "on", "merchant"),
    [
        ("999.99", DAY, None),
        ("1000", date(2026, 2, 28), None),
        ("1000", date(2026, 4, 1), None),
        ("1000", DAY, "other"),
    ],
)
def test_a_coupon_outside_its_rules_is_refused_and_not_used(engine, yuan, on, merchant):
    [alice] = borrowers(engine, 1)
    shop, other = active_merchant(engine), active_merchant(engine)
    coupon = coupons.create_coupon(
        engine, STAFF, coupon_draft(funded_by=CouponFunder.MERCHANT, merchant_ids=(shop,))
    )
    held = coupons.issue_coupon(engine, STAFF, coupon.id, alice, on=DAY)
    where = other if merchant == "other" else shop
    with pytest.raises(CouponUnavailableError):
        _redeem(engine, held.id, alice, "order-x", yuan, on=on, merchant_id=where)
    assert (
        _redeem(engine, held.id, alice, "order-y", "1000", merchant_id=shop).coupon.funded_by
        is CouponFunder.MERCHANT
    )


def test_the_budget_and_the_borrowers_limit_cap_issuing(engine):
    alice, bob, carol = borrowers(engine, 3)
    coupon = coupons.create_coupon(engine, STAFF, coupon_draft(budget="250", per_borrower_limit=2))
    coupons.issue_coupon(engine, STAFF, coupon.id, alice, on=DAY)
    coupons.issue_coupon(engine, STAFF, coupon.id, alice, on=DAY)
    with pytest.raises(CouponUnavailableError):  # alice holds her two
        coupons.issue_coupon(engine, STAFF, coupon.id, alice, on=DAY)
    with pytest.raises(CouponBudgetExhaustedError):  # 2 × 100 issued; 300 > 250
        coupons.issue_coupon(engine, STAFF, coupon.id, bob, on=DAY)
    assert coupons.get_coupon(engine, coupon.id).issued == Money.of("200")
    assert _usable(engine, bob) == [] and _usable(engine, carol) == []


def test_an_issue_reference_issues_once(engine):
    alice, bob = borrowers(engine, 2)
    coupon = coupons.create_coupon(engine, STAFF, coupon_draft(per_borrower_limit=5))
    first = coupons.issue_coupon(engine, STAFF, coupon.id, alice, on=DAY, reference="reward-1")
    again = coupons.issue_coupon(engine, STAFF, coupon.id, alice, on=DAY, reference="reward-1")
    assert first.id == again.id
    assert coupons.get_coupon(engine, coupon.id).issued == Money.of("100")
    with pytest.raises(Exception) as taken:
        coupons.issue_coupon(engine, STAFF, coupon.id, bob, on=DAY, reference="reward-1")
    assert getattr(taken.value, "code", "") == "conflict"


def test_no_coupon_is_issued_after_it_expired_or_to_a_non_borrower(engine):
    [alice] = borrowers(engine, 1)
    coupon = coupons.create_coupon(engine, STAFF, coupon_draft())
    with pytest.raises(CouponUnavailableError):
        coupons.issue_coupon(engine, STAFF, coupon.id, alice, on=date(2026, 4, 1))
    with pytest.raises(NotFoundError):
        coupons.issue_coupon(engine, STAFF, coupon.id, "no-such-user", on=DAY)
    assert coupons.get_coupon(engine, coupon.id).issued == Money(0)


def test_a_cancelled_order_gives_the_coupon_back_once(engine):
    [alice] = borrowers(engine, 1)
    coupon = coupons.create_coupon(engine, STAFF, coupon_draft())
    held = coupons.issue_coupon(engine, STAFF, coupon.id, alice, on=DAY)
    _redeem(engine, held.id, alice, "order-c", "1200")
    back = _return(engine, held.id, "order-c", DAY + timedelta(days=1))
    assert (back.status, back.replayed) == (BorrowerCouponStatus.ISSUED, False)
    assert _return(engine, held.id, "order-c", DAY + timedelta(days=2)).replayed
    assert [c.id for c in _usable(engine, alice)] == [held.id]
    assert coupons.get_coupon(engine, coupon.id).redeemed == Money(0)
    with pytest.raises(CouponUnavailableError):  # the cancelled order cannot take it again
        _redeem(engine, held.id, alice, "order-c", "1200")
    assert not _redeem(engine, held.id, alice, "order-d", "1200").replayed
    with pytest.raises(NotFoundError):
        _return(engine, held.id, "order-never")


def test_an_expired_coupon_given_back_is_void_not_revived(engine):
    [alice] = borrowers(engine, 1)
    coupon = coupons.create_coupon(engine, STAFF, coupon_draft())
    held = coupons.issue_coupon(engine, STAFF, coupon.id, alice, on=DAY)
    _redeem(engine, held.id, alice, "order-e", "1200", on=date(2026, 3, 31))
    back = _return(engine, held.id, "order-e", date(2026, 4, 2))  # refunded after expiry
    assert back.status is BorrowerCouponStatus.VOID
    assert _usable(engine, alice, on=date(2026, 3, 31)) == []  # void, even inside its window
    with pytest.raises(CouponUnavailableError):
        _redeem(engine, held.id, alice, "order-f", "1200", on=date(2026, 3, 31))


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"amount_off": "-5"}, "amount_off"),
        ({"amount_off": "0"}, "amount_off"),
        ({"amount_off": "１００"}, "amount_off"),
        ({"threshold": "100"}, "threshold"),
        ({"budget": "99.99"}, "budget"),
        ({"budget": "1" * 16}, "budget"),
        ({"valid_to": date(2026, 2, 1)}, "valid_to"),
        ({"per_borrower_limit": 0}, "per_borrower_limit"),
        ({"per_borrower_limit": 10**9}, "per_borrower_limit"),
        ({"funded_by": CouponFunder.MERCHANT}, "merchant_ids"),
        ({"merchant_ids": ("no-such",)}, "merchant_ids[0]"),
    ],
)
def test_a_bad_coupon_is_refused_naming_the_field(engine, overrides, field):
    with pytest.raises((InvalidInputError, NotFoundError)) as refused:
        coupons.create_coupon(engine, STAFF, coupon_draft(**overrides))
    assert refused.value.field == field or field in {p.field for p in refused.value.problems}
    assert coupons.list_coupons(engine, limit=10, offset=0) == []


def test_hostile_redemptions_are_refused(engine):
    [alice] = borrowers(engine, 1)
    coupon = coupons.create_coupon(engine, STAFF, coupon_draft())
    held = coupons.issue_coupon(engine, STAFF, coupon.id, alice, on=DAY)
    for amount, order in ((Money(-100000), "o-neg"), (Money(10**19), "o-huge"), (Money(1), "订单")):
        with pytest.raises(InvalidInputError), UnitOfWork(engine) as uow:
            coupons.redeem_coupon_in_unit(uow, held.id, alice, order, amount, DAY)
    assert [c.id for c in _usable(engine, alice)] == [held.id]
    with pytest.raises(InvalidCouponError):
        coupons.create_coupon(engine, STAFF, coupon_draft(threshold="50", amount_off="100"))


def test_a_campaign_rewards_an_order_with_its_coupons_once(engine):
    alice, bob = borrowers(engine, 2)
    shop = active_merchant(engine)
    made = campaigns.create_campaign(engine, STAFF, campaign_draft([shop]))
    rich = coupons.create_coupon(engine, STAFF, coupon_draft(campaign_id=made.id))
    poor = coupons.create_coupon(engine, STAFF, coupon_draft(campaign_id=made.id, budget="100"))
    coupons.create_coupon(engine, STAFF, coupon_draft())  # not the campaign's

    def reward(borrower: str, order: str) -> list[str]:
        with UnitOfWork(engine) as uow:
            given = coupons.issue_campaign_coupons_in_unit(uow, made.id, borrower, order, DAY)
            uow.commit()
        return [h.coupon_id for h in given]

    assert reward(alice, "order-a") == [rich.id, poor.id]
    assert reward(alice, "order-a") == [rich.id, poor.id]  # the same order: the same coupons
    assert reward(bob, "order-b") == [rich.id]  # the poor coupon's budget paid for one only
    assert coupons.get_coupon(engine, poor.id).issued == Money.of("100")
    assert len(_usable(engine, alice)) == 2 and len(_usable(engine, bob)) == 1
