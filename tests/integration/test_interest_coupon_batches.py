"""Interest-coupon batches through the services, on SQLite and PostgreSQL: a borrower is never
given more of a batch than its limit (also by 32 issues at once); a batch's budget is taken
by the value its redeemed coupons take off, checked against an independent calculation, and
once spent refuses its coupons and issues no more; a campaign issues to a segment once per
borrower and reference, skipping those who borrowed already when asked."""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Iterator
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from tests.integration.test_promotions import STAFF, THREADS, _accept, _approved, _kinds, _race
from tests.support.databases import fresh_database_url
from tests.support.decisioning import DECIDED_ON
from thinfile.decisioning.interest_coupons import CouponKind, InterestCouponTerms
from thinfile.errors import (
    CouponBudgetExhaustedError,
    CouponUnavailableError,
    InvalidInputError,
    PermissionDeniedError,
)
from thinfile.money import Money
from thinfile.security.crypto import PiiCipher
from thinfile.security.passwords import PasswordHasher
from thinfile.security.roles import Role
from thinfile.services import applications as apps
from thinfile.services import identity, promotions
from thinfile.services import interest_coupons as batches
from thinfile.services.identity_records import Actor
from thinfile.services.ledger import verify_ledger
from thinfile.services.policies import ensure_default_policy
from thinfile.services.uow import UnitOfWork
from thinfile.store import make_engine, upgrade

DISCOUNT = InterestCouponTerms(CouponKind.RATE_DISCOUNT, factor=Decimal("0.8"), periods=3)


@pytest.fixture
def world(engine: Engine) -> tuple[Engine, PiiCipher]:
    cipher = PiiCipher({"k1": os.urandom(32)}, active_key_id="k1", lookup_key=b"L" * 32)
    ensure_default_policy(engine, actor=STAFF)
    return engine, cipher


@pytest.fixture
def racing_engine(backend: str, tmp_path: Path) -> Iterator[Engine]:
    for url in fresh_database_url(backend, tmp_path):
        engine = make_engine(url, pool_size=THREADS // 2)
        upgrade(engine)
        yield engine
        engine.dispose()


def _draft(limit: int = 1, budget: str = "1000.00", **kw: Any) -> batches.CouponBatchDraft:
    return batches.CouponBatchDraft(
        name=kw.get("name", "前三期利息八折券"),
        terms=kw.get("terms", DISCOUNT),
        valid_from=DECIDED_ON,
        valid_to=kw.get("valid_to", date(2026, 12, 31)),
        per_borrower_limit=limit,
        budget=Money.of(budget),
    )


def _oracle_value(record: apps.ApplicationRecord, engine: Engine, actor: Actor) -> int:
    """What ×0.8 on the first three installments takes off, worked out here: each charge less
    the charge × 0.8 rounded half-up to the fen, with Decimal arithmetic."""
    plain = apps.quote_offer(engine, record.id, actor=actor, offer=0, on=DECIDED_ON)
    total = 0
    for inst in plain.schedule.installments[:3]:
        charge = Decimal(inst.interest + inst.fee)
        total += int(charge - (charge * Decimal("0.8")).quantize(Decimal(1), ROUND_HALF_UP))
    return total


def test_a_borrower_is_never_given_more_of_a_batch_than_its_limit(world):
    engine, _cipher = world
    actor, _record = _approved(world, 11)
    batch = batches.create_coupon_batch(engine, STAFF, _draft(limit=2))
    first = batches.issue_batch_coupon(engine, STAFF, batch.id, actor.user_id, on=DECIDED_ON)
    again = batches.issue_batch_coupon(
        engine, STAFF, batch.id, actor.user_id, reference="r-1", on=DECIDED_ON
    )
    replay = batches.issue_batch_coupon(
        engine, STAFF, batch.id, actor.user_id, reference="r-1", on=DECIDED_ON
    )
    assert replay.id == again.id != first.id
    with pytest.raises(CouponUnavailableError) as refused:
        batches.issue_batch_coupon(engine, STAFF, batch.id, actor.user_id, on=DECIDED_ON)
    assert refused.value.field == "borrower_id"
    stored = batches.get_coupon_batch(engine, batch.id)
    assert stored.issued == 2
    held = promotions.my_interest_coupons(engine, actor=actor)
    assert sorted(c.id for c in held) == sorted([first.id, again.id])
    assert {c.batch_id for c in held} == {batch.id}
    assert json.loads(held[0].terms_json) == DISCOUNT.as_dict()
    with pytest.raises(CouponUnavailableError):  # expired
        batches.issue_batch_coupon(engine, STAFF, batch.id, actor.user_id, on=date(2027, 1, 1))
    with pytest.raises(PermissionDeniedError):
        batches.create_coupon_batch(engine, actor, _draft())
    with pytest.raises(InvalidInputError) as bad:
        batches.create_coupon_batch(engine, STAFF, _draft(limit=0))
    assert bad.value.field == "per_borrower_limit"


def test_a_batch_budget_pays_its_redeemed_coupons_and_no_more(world):
    engine, _cipher = world
    actor, record = _approved(world, 12)
    other, other_record = _approved(world, 13)
    value = _oracle_value(record, engine, actor)
    assert value > 0
    batch = batches.create_coupon_batch(engine, STAFF, _draft(budget=str(Money(value))))
    mine = batches.issue_batch_coupon(engine, STAFF, batch.id, actor.user_id, on=DECIDED_ON)
    theirs = batches.issue_batch_coupon(engine, STAFF, batch.id, other.user_id, on=DECIDED_ON)
    quoted = apps.quote_offer(
        engine, record.id, actor=actor, offer=0, on=DECIDED_ON, coupon_id=mine.id
    )
    assert quoted.coupon_value == value
    _accept(engine, actor, record, coupon_id=mine.id)
    assert batches.get_coupon_batch(engine, batch.id).spent_fen == value
    # the budget is spent: the other borrower's coupon is refused, quoted or accepted
    with pytest.raises(CouponBudgetExhaustedError) as refused:
        apps.quote_offer(
            engine, other_record.id, actor=other, offer=0, on=DECIDED_ON, coupon_id=theirs.id
        )
    assert refused.value.field == "coupon_id"
    with pytest.raises(CouponBudgetExhaustedError):
        _accept(engine, other, other_record, coupon_id=theirs.id)
    with UnitOfWork(engine) as uow:
        still = uow.promotions.coupon(theirs.id)
    assert still is not None and still.status == "issued"
    # and the batch issues no more
    with pytest.raises(CouponBudgetExhaustedError):
        batches.issue_batch_coupon(
            engine, STAFF, batch.id, other.user_id, reference="x", on=DECIDED_ON
        )
    assert promotions.check_promotions(engine) == []
    report = verify_ledger(engine)
    assert report.ok, report.problems


def test_the_promotions_check_finds_a_batch_whose_spent_sum_is_not_its_coupons(world):
    engine, _cipher = world
    batch = batches.create_coupon_batch(engine, STAFF, _draft())
    with engine.begin() as conn:
        conn.execute(
            sa.text("UPDATE interest_coupon_batches SET spent_fen = 5 WHERE id = :i"),
            {"i": batch.id},
        )
    assert any(batch.id in p for p in promotions.check_promotions(engine))


def _apply_as(world: Any, n: int, segment: str) -> tuple[Actor, apps.ApplicationRecord]:
    import tests.integration.test_promotions as helpers

    original = getattr(helpers, "application")
    setattr(helpers, "application", lambda **kw: original(**{"segment": segment, **kw}))
    try:
        return _approved(world, n)
    finally:
        setattr(helpers, "application", original)


def test_a_campaign_issues_to_a_segment_once_per_borrower_and_reference(world):
    engine, _cipher = world
    rider_a, record_a = _apply_as(world, 21, "delivery_rider")
    rider_b, _ = _apply_as(world, 22, "delivery_rider")
    worker, _ = _apply_as(world, 23, "factory_worker")
    _accept(engine, rider_a, record_a)  # rider A has a loan now
    batch = batches.create_coupon_batch(engine, STAFF, _draft(limit=1))

    first = batches.issue_to_segment(
        engine,
        STAFF,
        batch.id,
        segment="delivery_rider",
        reference="2026-12 新市民首贷",
        first_loan_only=True,
        on=DECIDED_ON,
    )
    assert (first.issued, first.already, first.at_limit, first.not_issued) == (1, 0, 0, 0)
    assert [c.borrower_id for c in promotions.my_interest_coupons(engine, actor=rider_b)] == [
        rider_b.user_id
    ]
    assert promotions.my_interest_coupons(engine, actor=rider_a) == []
    assert promotions.my_interest_coupons(engine, actor=worker) == []

    replay = batches.issue_to_segment(
        engine,
        STAFF,
        batch.id,
        segment="delivery_rider",
        reference="2026-12 新市民首贷",
        first_loan_only=True,
        on=DECIDED_ON,
    )
    assert (replay.issued, replay.already) == (0, 1)
    everyone = batches.issue_to_segment(
        engine, STAFF, batch.id, segment="delivery_rider", reference="round 2", on=DECIDED_ON
    )
    # rider B holds the limit already; rider A, borrowing already, now gets one
    assert (everyone.issued, everyone.at_limit) == (1, 1)
    assert batches.get_coupon_batch(engine, batch.id).issued == 2
    with pytest.raises(InvalidInputError) as bad:
        batches.issue_to_segment(
            engine, STAFF, batch.id, segment="astronaut", reference="r", on=DECIDED_ON
        )
    assert bad.value.field == "segment"


def test_32_issues_at_once_never_give_a_borrower_more_than_the_limit(racing_engine):
    engine = racing_engine
    hasher = PasswordHasher(time_cost=1, memory_kib=8)
    user = identity.create_user(engine, hasher, email="l@example.com", password="pw-123456!")
    borrower = Actor(user.id, Role.BORROWER)
    batch = batches.create_coupon_batch(engine, STAFF, _draft(limit=3))

    def issue(i: int) -> None:
        batches.issue_batch_coupon(engine, STAFF, batch.id, borrower.user_id, on=DECIDED_ON)

    kinds = _kinds(_race(issue))
    assert kinds == Counter({"ok": 3, "CouponUnavailableError": THREADS - 3})
    assert len(promotions.my_interest_coupons(engine, actor=borrower)) == 3
    assert batches.get_coupon_batch(engine, batch.id).issued == 3
