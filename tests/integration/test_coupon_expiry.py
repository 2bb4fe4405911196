"""Close of business expires the coupons whose window has ended, on SQLite and PostgreSQL: a
coupon of either kind valid to day D is still usable on D and ``expired`` once D is closed; a
checkout coupon's face value goes back to its coupon's budget; redeemed coupons and coupons
valid beyond D are untouched; running the step again writes nothing."""

from __future__ import annotations

import os
from datetime import date, timedelta

import pytest
from sqlalchemy.engine import Engine

from tests.integration.commerce_helpers import coupon_draft
from tests.integration.test_interest_coupon_batches import DISCOUNT
from tests.integration.test_promotions import STAFF, _accept, _approved
from tests.support.decisioning import DECIDED_ON
from thinfile.decisioning.interest_coupons import InterestCouponTerms
from thinfile.errors import CouponUnavailableError
from thinfile.money import Money
from thinfile.security.crypto import PiiCipher
from thinfile.services import applications as apps
from thinfile.services import coupons, promotions
from thinfile.services import interest_coupons as batches
from thinfile.services.business_date import current_business_date
from thinfile.services.cob import run_cob
from thinfile.services.coupon_expiry import expire_coupons_step
from thinfile.services.ledger import verify_ledger
from thinfile.services.policies import ensure_default_policy
from thinfile.services.uow import UnitOfWork

D = DECIDED_ON + timedelta(days=3)


@pytest.fixture
def world(engine: Engine) -> tuple[Engine, PiiCipher]:
    cipher = PiiCipher({"k1": os.urandom(32)}, active_key_id="k1", lookup_key=b"L" * 32)
    ensure_default_policy(engine, actor=STAFF)
    return engine, cipher


def _batch(engine: Engine, valid_to: date) -> str:
    return batches.create_coupon_batch(
        engine,
        STAFF,
        batches.CouponBatchDraft(
            name="前三期利息八折券",
            terms=DISCOUNT,
            valid_from=DECIDED_ON,
            valid_to=valid_to,
            per_borrower_limit=2,
            budget=Money.of("1000.00"),
        ),
    ).id


def _interest_status(engine: Engine, coupon_id: str) -> str:
    with UnitOfWork(engine) as uow:
        found = uow.promotions.coupon(coupon_id)
    assert found is not None
    return found.status


def _checkout_status(engine: Engine, held_id: str) -> str:
    with UnitOfWork(engine) as uow:
        found = uow.coupons.held(held_id)
    assert found is not None
    return found.status


def test_coupons_expire_at_the_close_of_their_last_day_and_only_once(world):
    engine, _cipher = world
    borrower, record = _approved(world, 41)
    other, other_record = _approved(world, 42)
    ending = _batch(engine, D)
    later = _batch(engine, D + timedelta(days=1))
    used = batches.issue_batch_coupon(engine, STAFF, ending, borrower.user_id, on=DECIDED_ON)
    kept = batches.issue_batch_coupon(engine, STAFF, ending, other.user_id, on=DECIDED_ON)
    beyond = batches.issue_batch_coupon(engine, STAFF, later, other.user_id, on=DECIDED_ON)
    _accept(engine, borrower, record, coupon_id=used.id)  # redeemed; the loan keeps COB going

    # a checkout coupon (满1000减100, budget 1000) valid to D: two held, one used
    checkout = coupons.create_coupon(
        engine,
        STAFF,
        coupon_draft(valid_from=DECIDED_ON, valid_to=D, per_borrower_limit=2, budget="1000"),
    )
    spent = coupons.issue_coupon(engine, STAFF, checkout.id, other.user_id, on=DECIDED_ON)
    unused = coupons.issue_coupon(engine, STAFF, checkout.id, other.user_id, on=DECIDED_ON)
    theirs = coupons.issue_coupon(engine, STAFF, checkout.id, borrower.user_id, on=DECIDED_ON)
    with UnitOfWork(engine) as uow:
        coupons.redeem_coupon_in_unit(
            uow, spent.id, other.user_id, "order-1", Money.of("1200"), DECIDED_ON
        )
        uow.commit()
    assert coupons.get_coupon(engine, checkout.id).issued == Money.of("300")

    # closed through D − 1: on D both coupons are still usable
    run_cob(engine, D - timedelta(days=1))
    assert current_business_date(engine, today=DECIDED_ON) == D
    assert _interest_status(engine, kept.id) == "issued"
    quoted = apps.quote_offer(
        engine, other_record.id, actor=other, offer=0, on=D, coupon_id=kept.id
    )
    assert quoted.coupon_value > 0
    with UnitOfWork(engine) as uow:
        usable = coupons.usable_coupons_in_unit(uow, other.user_id, on=D)
    assert [c.id for c in usable] == [unused.id]

    # D closed: the unused coupons of both kinds are expired, the rest untouched
    report = run_cob(engine, D)
    assert report.days == (D,)
    assert [rows for day, name, rows, _ in report.steps if name == "coupons"] == [3]
    assert _interest_status(engine, kept.id) == "expired"
    assert _interest_status(engine, used.id) == "redeemed"
    assert _interest_status(engine, beyond.id) == "issued"
    assert _checkout_status(engine, unused.id) == "expired"
    assert _checkout_status(engine, theirs.id) == "expired"
    assert _checkout_status(engine, spent.id) == "redeemed"
    # the two expired coupons' 100 yuan each are back in the budget: 300 reserved − 200 =
    # the one used
    after = coupons.get_coupon(engine, checkout.id)
    assert (after.issued, after.redeemed) == (Money.of("100"), Money.of("100"))
    listed = {c.id: c.status for c in promotions.my_interest_coupons(engine, actor=other)}
    assert listed == {kept.id: "expired", beyond.id: "issued"}
    with pytest.raises(CouponUnavailableError):
        apps.quote_offer(
            engine,
            other_record.id,
            actor=other,
            offer=0,
            on=D + timedelta(days=1),
            coupon_id=kept.id,
        )

    # the step again writes nothing; the date is not closed twice
    with UnitOfWork(engine) as uow:
        assert expire_coupons_step(uow, D) == 0
        uow.commit()
    assert run_cob(engine, D).days == ()
    assert coupons.get_coupon(engine, checkout.id).issued == Money.of("100")
    assert promotions.check_promotions(engine) == []
    ledger = verify_ledger(engine)
    assert ledger.ok, ledger.problems
    assert isinstance(DISCOUNT, InterestCouponTerms)
