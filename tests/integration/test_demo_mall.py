"""The demo's mall story over a fortnight of close of business, on SQLite and PostgreSQL: four
purchases confirmed with an instant decision and captured by their shops, a full and a partial
refund and a dispute's refund each taking exactly the refunded principal off what is owed, the
dispute resolved by an agent with a reason, a small campaign spent so that the next purchase
is offered no campaign plan, and the merchants' settlement files tied to the ledger. The
replay is in 2025 while the clock is later: everything lands on its replayed day."""

from __future__ import annotations

import os
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest
from sqlalchemy.engine import Engine

from tests.support.decisioning import ChosenPD, application, id_number
from thinfile.adapters import SandboxRealNameVerifier
from thinfile.decisioning import PolicyBook, load_policy
from thinfile.security.crypto import PiiCipher
from thinfile.security.passwords import PasswordHasher
from thinfile.security.roles import Role
from thinfile.services import applicants, consent, identity, real_name
from thinfile.services.applications_records import ApplicationStatus
from thinfile.services.campaigns import get_campaign
from thinfile.services.checkout_borrower import get_for_borrower
from thinfile.services.cob import run_cob
from thinfile.services.demo import DemoBorrower, DemoLender
from thinfile.services.demo_mall import (
    CAMPAIGN_NAME,
    COURSE,
    DISPUTE_DAY,
    FULL_REFUND_DAY,
    LAST_DAY,
    PARTIAL_REFUND_DAY,
    PHONE,
    RESOLVE_DAY,
    STAFF_REASON,
    TOOLS,
    check_mall_story,
    mall_story_day,
    open_mall_story,
)
from thinfile.services.disputes import list_for_staff
from thinfile.services.identity_records import Actor
from thinfile.services.ledger import verify_ledger
from thinfile.services.loans import get_loan
from thinfile.services.mall_seed import seed_mall
from thinfile.services.policies import DecisionRuntime, ensure_default_policy
from thinfile.services.settlements import settlements_for_merchant
from thinfile.servicing import LoanStatus

START = date(2025, 3, 3)
PRICES = {TOOLS: 100_000, COURSE: 360_000, PHONE: 130_000}
"""fen, as the sample shops sell them."""


def _world(engine: Engine) -> tuple[PiiCipher, DemoLender]:
    cipher = PiiCipher({"k1": os.urandom(32)}, active_key_id="k1", lookup_key=b"L" * 32)
    hasher = PasswordHasher(time_cost=1, memory_kib=8)
    admin = Actor(
        identity.create_user(
            engine, hasher, email="admin@example.com", password="pw-123456!", role=Role.ADMIN
        ).id,
        Role.ADMIN,
    )
    agent = Actor(
        identity.create_user(
            engine,
            hasher,
            email="agent@example.com",
            password="pw-123456!",
            role=Role.SERVICING_AGENT,
            actor=admin,
        ).id,
        Role.SERVICING_AGENT,
    )
    ensure_default_policy(engine, actor=admin)
    runtime = DecisionRuntime(PolicyBook(load_policy()), ChosenPD(0.01), ("test",))
    lender = DemoLender(runtime, {Role.ADMIN: admin, Role.SERVICING_AGENT: agent})
    seed_mall(engine, cipher, admin, on=START)
    form = application()
    for name in ("name", "id_number", "phone", "applicant_id"):
        form.pop(name, None)
    for n in range(1, 5):
        email = f"shopper{n}@example.com"
        user = identity.create_user(engine, hasher, email=email, password="pw-123456!")
        actor = Actor(user.id, Role.BORROWER)
        profile = applicants.register_applicant(
            engine,
            cipher,
            actor=actor,
            name="王小明",
            id_number=id_number(seq=f"{n:03d}"),
            phone=f"1380013{n:04d}",
        )
        for category in (
            consent.DataCategory.IDENTITY,
            consent.DataCategory.CREDIT_REPORT,
            consent.DataCategory.GIG_PLATFORM_INCOME,
        ):
            consent.grant_consent(
                engine,
                actor=actor,
                applicant_id=profile.id,
                category=category,
                purpose=consent.Purpose.CREDIT_ASSESSMENT,
                separate=False,
                notice_version="test-1",
            )
        real_name.verify_real_name(
            engine, cipher, SandboxRealNameVerifier(), applicant_id=profile.id, actor=actor
        )
        borrower = DemoBorrower(email, actor, profile.id, dict(form), START, "on time")
        borrower.outcome = ApplicationStatus.ACCEPTED  # took a loan before the year
        lender.borrowers.append(borrower)
    return cipher, lender


def _subsidy(price: int, rate: str) -> int:
    return int((Decimal(price) * Decimal(rate)).quantize(Decimal(1), ROUND_HALF_UP))


@pytest.mark.slow
def test_purchases_refunds_a_dispute_and_a_spent_campaign_settle_tied_to_the_ledger(engine):
    cipher, lender = _world(engine)
    story = open_mall_story(engine, cipher, lender, START, begin=1)
    lender.mall = story
    first = START + timedelta(days=1)
    days = (first - START).days + LAST_DAY + 2
    for k in range(days):
        day = START + timedelta(days=k)
        mall_story_day(engine, cipher, lender, day)
        run_cob(engine, day)

    assert lender.mall is story and not story.problems and story.declined == 0
    tools, course, phone, disputed = story.purchases
    assert [(p.product, p.periods, p.day) for p in story.purchases] == [
        (TOOLS, 3, first),
        (COURSE, 12, first + timedelta(days=1)),
        (PHONE, 12, first + timedelta(days=2)),
        (PHONE, 12, first + timedelta(days=3)),
    ]
    assert len({p.email for p in (tools, course, disputed)}) == 3  # new faces
    for p in story.purchases:
        assert p.price == PRICES[p.product]
        borrower = next(b for b in lender.borrowers if b.email == p.email)
        session = get_for_borrower(engine, borrower.actor, p.session_id)
        assert [c.captured_on for c in session.captures] == [p.day]
        assert session.captures[0].amount == p.price and session.captures[0].loan_id == p.loan_id

    # the campaign: its plan taken once, its subsidy (7.5% of the phone) leaves less than
    # another phone's, so the next day's phone is offered no campaign plan
    assert phone.campaign == CAMPAIGN_NAME and CAMPAIGN_NAME in phone.campaigns_offered
    assert disputed.campaign is None and CAMPAIGN_NAME not in disputed.campaigns_offered
    assert story.exhausted_on == disputed.day
    campaign = get_campaign(engine, story.campaign_id)
    assert campaign.remaining.fen == 10_000 - _subsidy(PRICES[PHONE], "0.075")
    assert campaign.remaining.fen < _subsidy(PRICES[PHONE], "0.075")

    # refunds take exactly the refunded principal off what is owed (no installment is due yet)
    full, partial, by_dispute = story.full_refund, story.partial_refund, story.dispute_refund
    assert full is not None and partial is not None and by_dispute is not None
    assert (full.loan_id, full.amount, full.on) == (
        tools.loan_id,
        PRICES[TOOLS],
        first + timedelta(days=FULL_REFUND_DAY),
    )
    assert (partial.loan_id, partial.amount, partial.on) == (
        course.loan_id,
        PRICES[COURSE] // 3,
        first + timedelta(days=PARTIAL_REFUND_DAY),
    )
    assert (by_dispute.loan_id, by_dispute.amount) == (disputed.loan_id, PRICES[PHONE])
    for refund in (full, partial, by_dispute):
        assert refund.owed_after == refund.owed_before - refund.amount
    owed = {p.loan_id: get_loan(engine, p.loan_id) for p in story.purchases}
    assert owed[course.loan_id].outstanding.total == PRICES[COURSE] - PRICES[COURSE] // 3
    assert owed[phone.loan_id].outstanding.total == PRICES[PHONE]
    for loan_id in (tools.loan_id, disputed.loan_id):
        assert owed[loan_id].outstanding.total == 0
        assert owed[loan_id].account.status is LoanStatus.CLOSED

    # the dispute: opened by the borrower, resolved by the agent with a reason, refunded
    (dispute,) = list_for_staff(engine)
    assert dispute.id == story.dispute_id and dispute.session_id == disputed.session_id
    assert dispute.status.value == "resolved-refunded" and dispute.refunded.fen == PRICES[PHONE]
    assert dispute.opened_on == first + timedelta(days=DISPUTE_DAY)
    assert dispute.resolved_on == by_dispute.on == first + timedelta(days=RESOLVE_DAY)
    assert dispute.staff_reason == STAFF_REASON
    assert dispute.resolved_by == lender.staff[Role.SERVICING_AGENT].label
    borrower = next(b for b in lender.borrowers if b.email == disputed.email)
    session = get_for_borrower(engine, borrower.actor, disputed.session_id)
    assert (session.row.captured, session.row.refunded) == (PRICES[PHONE], PRICES[PHONE])
    assert [r.reference for r in session.refunds] == [f"dispute:{dispute.id}"]

    # each shop settles the day after its captures and refunds, every day was settled
    tools_shop = story.shops[TOOLS][1]
    dates = sorted(
        s.settlement.settlement_date for s in settlements_for_merchant(engine, tools_shop)
    )
    assert dates == [first + timedelta(days=1), first + timedelta(days=FULL_REFUND_DAY + 1)]
    assert story.settled_days == days
    assert story.settlements == 7  # tools 2, course 2, phones 3 (two captures, one refund)
    assert check_mall_story(engine, story) == []
    assert verify_ledger(engine).ok
