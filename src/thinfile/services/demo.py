"""A demo lender: staff, borrowers from the synthetic population, and a year of servicing.

``seed_lender`` registers the default policy and a model and creates staff accounts and demo
borrowers (with profiles and consent). ``run_year`` then replays a year day by day: borrowers
apply on days spread over the year and go through the real journey — decision, underwriter
review, acceptance after reading the cost statement, disbursement — and pay on time, late,
early or not at all, as their behaviour says, with close of business every night.

The lender's preferential programmes each get a small budget and one borrower an interest
coupon (:mod:`thinfile.services.demo_promotions`); three credit lines live through the year
(:mod:`thinfile.services.demo_limits`), and a collector works the cases of the borrowers who
pay late or stop paying (:mod:`thinfile.services.demo_collections`).
coupon (:mod:`thinfile.services.demo_promotions`). Three borrowers pay by bank card through the
sandbox payment gateway — auto-debit, retries, a card payment — and every day is reconciled
against the gateway's file (:mod:`thinfile.services.demo_payments`).
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pandas as pd
from sqlalchemy.engine import Engine

from thinfile.decisioning import Scorer
from thinfile.money import Money
from thinfile.security.crypto import PiiCipher
from thinfile.security.passwords import PasswordHasher
from thinfile.security.roles import Role
from thinfile.services import application_reviews, identity
from thinfile.services import applications as apps
from thinfile.services.cob import run_cob
from thinfile.services.demo_cast import (
    DEMO_PASSWORD,
    application_form,
    register_borrower,
    with_a_referral,
)
from thinfile.services.demo_collections import CollectionsStory, Debtor, collections_story_day
from thinfile.services.demo_limits import LimitStory, limit_story_day, open_limit_story
from thinfile.services.demo_mall import MallStory, mall_story_day
from thinfile.services.demo_payments import PaymentsStory, payments_story_day
from thinfile.services.demo_promotions import accept_priced, fund_programmes
from thinfile.services.demo_working_capital import (
    WorkingCapitalStory,
    open_working_capital_story,
    working_capital_story_day,
)
from thinfile.services.documents import Signing
from thinfile.services.identity_records import Actor
from thinfile.services.loans import get_loan, quote_payoff
from thinfile.services.mall_seed import seed_mall
from thinfile.services.payments import post_payment, prepay_loan
from thinfile.services.policies import (
    DecisionRuntime,
    decision_runtime,
    register_model,
    register_policy_and_model,
)
from thinfile.services.ports import RealNameVerifier
from thinfile.servicing import LoanStatus
from thinfile.settings import DEFAULT_LENDER_NAME

__all__ = [
    "DEMO_PASSWORD",
    "STAFF",
    "DemoBorrower",
    "DemoLender",
    "run_year",
    "seed_lender",
]

STAFF = (
    ("admin@demo.thinfile.local", Role.ADMIN),
    ("underwriter@demo.thinfile.local", Role.UNDERWRITER),
    ("agent@demo.thinfile.local", Role.SERVICING_AGENT),
    ("collector@demo.thinfile.local", Role.COLLECTOR),
)
BEHAVIOURS = ("on time", "late", "prepays", "defaults")
SPARE_APPLICANTS = 2000
"""Applicants after the cast the year's referral may be found among."""


@dataclass
class DemoBorrower:
    email: str
    actor: Actor
    applicant_id: str
    form: dict[str, object]
    apply_on: date
    behaviour: str
    phone: str = ""
    application_id: str | None = None
    outcome: str = "not yet applied"
    loan_id: int | None = None
    programme: str | None = None
    """The programme whose price the loan took (None: the standard price)."""
    price_reasons: tuple[str, ...] = ()
    """Why the loan took the standard price (``PROGRAMME_BUDGET_EXHAUSTED``)."""
    coupon_id: str | None = None
    coupon_value: int = 0
    """fen the interest coupon took off the loan's interest."""
    annualized: tuple[str, str] | None = None
    """The annualized rate before and after the coupon (percent text)."""


@dataclass
class DemoLender:
    runtime: DecisionRuntime
    staff: dict[Role, Actor]
    borrowers: list[DemoBorrower] = field(default_factory=list)
    limits: LimitStory | None = None
    """Three credit lines through the year: one grows with on-time repayment, one declines an
    increase, one is frozen after going past due."""
    collections: CollectionsStory | None = None
    """The collector's year: a promise kept, a promise broken, a restructure granted."""
    working_capital: WorkingCapitalStory | None = None
    """A shop owner's sales-linked working-capital line: a draw, an early repayment, a slow
    month's near breach, cured."""
    payments: PaymentsStory | None = None
    """Card payers, auto-debit and daily reconciliation against the sandbox gateway (set by
    ``thinfile demo`` before :func:`run_year`, which has no gateway of its own)."""
    mall: MallStory | None = None
    """Mall purchases on installments: refunds in full and in part, a dispute, a campaign spent."""

    def counts(self) -> Counter[str]:
        return Counter(b.outcome for b in self.borrowers)


def seed_lender(
    engine: Engine,
    cipher: PiiCipher,
    hasher: PasswordHasher,
    *,
    verifier: RealNameVerifier,
    population: pd.DataFrame,
    model_dir: Path,
    load_model: Callable[[Path], Scorer],
    model_version: str,
    borrowers: int,
    start: date,
    days: int,
    seed: int,
    behaviour_model: tuple[str, Path] | None = None,
) -> DemoLender:
    """Staff, policy, model (and the behaviour model ``(version, directory)`` the limit
    reviews score lines with, when given) and ``borrowers`` borrowers (profiles, consent, real names
    verified by ``verifier``, the sandbox in the demo) who will apply on
    days spread over the year; the applications themselves happen in :func:`run_year`."""
    admin = identity.create_user(
        engine, hasher, email=STAFF[0][0], password=DEMO_PASSWORD, role=Role.ADMIN
    )
    admin_actor = Actor(admin.id, Role.ADMIN)
    staff = {Role.ADMIN: admin_actor}
    for email, role in STAFF[1:]:
        user = identity.create_user(
            engine, hasher, email=email, password=DEMO_PASSWORD, role=role, actor=admin_actor
        )
        staff[role] = Actor(user.id, role)
    register_policy_and_model(engine, model_version, model_dir, actor=admin_actor)
    if behaviour_model is not None:
        register_model(engine, *behaviour_model, actor=admin_actor, kind="behaviour")
    lender = DemoLender(decision_runtime(engine, load_model), staff)
    fund_programmes(engine, lender)
    seed_mall(engine, cipher, admin_actor, on=start)
    rng = random.Random(seed)
    spread = max(1, days - 75)
    last_day = start + timedelta(days=(borrowers - 1) * spread // max(1, borrowers))
    rows = population.head(borrowers + SPARE_APPLICANTS).to_dict("records")
    people: list[dict[str, object]] = rows  # type: ignore[assignment]
    records = with_a_referral(people[:borrowers], people[borrowers:], lender.runtime, last_day)
    for n, record in enumerate(records, start=1):
        actor, applicant_id, email = register_borrower(engine, cipher, hasher, verifier, n, record)
        apply_on = start + timedelta(days=(n - 1) * spread // max(1, len(records)))
        lender.borrowers.append(
            DemoBorrower(
                email,
                actor,
                applicant_id,
                application_form(record),
                apply_on,
                rng.choice(BEHAVIOURS),
                phone=str(record["phone"]),
            )
        )
    return lender


def _apply(
    engine: Engine, cipher: PiiCipher, lender: DemoLender, borrower: DemoBorrower, day: date
) -> None:
    decided = apps.apply_for_credit(
        engine,
        cipher,
        lender.runtime,
        actor=borrower.actor,
        applicant_id=borrower.applicant_id,
        form=borrower.form,
        on=day,
        consents_recorded=False,
        at=datetime.combine(day, time(10), tzinfo=UTC),
    )
    borrower.application_id, borrower.outcome = decided.id, decided.status
    if decided.status is apps.ApplicationStatus.APPROVED:
        _accept(engine, cipher, lender, borrower, day)


def _accept(
    engine: Engine, cipher: PiiCipher, lender: DemoLender, borrower: DemoBorrower, day: date
) -> None:
    """The borrower reads the statement and accepts offer 0 (with a coupon or at the standard
    price, as :func:`thinfile.services.demo_promotions.accept_priced` says); every behaviour
    appears early."""
    taken = sum(1 for b in lender.borrowers if b.loan_id is not None)
    if taken < len(BEHAVIOURS):
        borrower.behaviour = BEHAVIOURS[taken]
    signing = Signing(cipher, DEFAULT_LENDER_NAME, ip="127.0.0.1", device="thinfile demo")
    borrower.loan_id = accept_priced(engine, lender, borrower, day, signing)
    borrower.outcome = apps.ApplicationStatus.ACCEPTED


def _review(
    engine: Engine, cipher: PiiCipher, lender: DemoLender, day: date, queue_from: date
) -> None:
    """The underwriter works referrals two days old, approving every other one; those
    applied for from ``queue_from`` on stay in the queue for the staff console."""
    waiting = [
        b
        for b in lender.borrowers
        if b.outcome == apps.ApplicationStatus.REFERRED
        and b.apply_on <= day - timedelta(days=2)
        and b.apply_on < queue_from
    ]
    for k, borrower in enumerate(waiting):
        assert borrower.application_id is not None
        reviewed = application_reviews.review_referral(
            engine,
            borrower.application_id,
            actor=lender.staff[Role.UNDERWRITER],
            approve=k % 2 == 0,
            note="income checked",
        )
        borrower.outcome = reviewed.status
        if reviewed.status is apps.ApplicationStatus.APPROVED:
            _accept(engine, cipher, lender, borrower, day)


def _days(start: date, days: int) -> Iterator[date]:
    for k in range(days):
        yield start + timedelta(days=k)


def _pay_today(engine: Engine, borrower: DemoBorrower, day: date) -> None:
    """Pay whatever this borrower's behaviour says is paid today."""
    assert borrower.loan_id is not None
    view = get_loan(engine, borrower.loan_id)
    if view.account.status is not LoanStatus.ACTIVE:
        return
    delay = {"on time": 0, "late": 12, "prepays": 0, "defaults": 0}[borrower.behaviour]
    for row in view.account.installments:
        if row.due + timedelta(days=delay) != day:
            continue
        if borrower.behaviour == "defaults" and row.n > 2:
            return
        if borrower.behaviour == "prepays" and row.n == 5:
            prepay_loan(
                engine,
                borrower.loan_id,
                quote_payoff(engine, borrower.loan_id, day),
                day,
                idempotency_key=f"demo-{borrower.loan_id}-payoff",
                actor=borrower.actor.label,
            )
            return
        owed = row.unpaid.total
        if owed > 0:
            post_payment(
                engine,
                borrower.loan_id,
                Money(owed),
                day,
                idempotency_key=f"demo-{borrower.loan_id}-{row.n}",
                actor=borrower.actor.label,
            )


def _debtors(lender: DemoLender) -> dict[int, Debtor]:
    return {
        b.loan_id: Debtor(b.loan_id, b.behaviour, b.phone)
        for b in lender.borrowers
        if b.loan_id is not None
    }


def run_year(
    engine: Engine,
    cipher: PiiCipher,
    lender: DemoLender,
    *,
    start: date,
    days: int,
    progress: Callable[[date], None] = lambda _day: None,
) -> None:
    """Each day: new applications, referral reviews, repayments, the limit and collections
    stories, then close of business; ``progress`` after each close.

    Referrals of the last 30 days of applications are left in the queue for the staff
    console.
    """
    last = max((b.apply_on for b in lender.borrowers), default=start)
    queue_from = last - timedelta(days=30)
    lender.limits = open_limit_story(engine, start)
    lender.collections = CollectionsStory(
        lender.staff[Role.COLLECTOR], lender.staff[Role.SERVICING_AGENT], cipher
    )
    lender.working_capital = open_working_capital_story(engine, cipher, start)
    for day in _days(start, days):
        for borrower in lender.borrowers:
            if borrower.apply_on == day:
                _apply(engine, cipher, lender, borrower, day)
        _review(engine, cipher, lender, day, queue_from)
        for borrower in lender.borrowers:
            if borrower.loan_id is not None:
                _pay_today(engine, borrower, day)
        limit_story_day(engine, lender.limits, day)
        collections_story_day(engine, lender.collections, _debtors(lender), day)
        working_capital_story_day(engine, lender.working_capital, day)
        payments_story_day(engine, cipher, lender.payments, lender.borrowers, day)
        mall_story_day(engine, cipher, lender, day)
        run_cob(engine, day, actor=lender.staff[Role.ADMIN].label)
        progress(day)
