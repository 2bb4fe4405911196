"""A demo lender: staff, borrowers from the synthetic population, and a year of servicing.

``seed_lender`` registers the default policy and a model, creates staff accounts and demo
borrowers (with profiles and consent), and takes each borrower through the real journey:
apply → decision → (underwriter review) → accept the offer → disbursement. ``run_year`` then
replays a year day by day — each borrower pays on time, late, early or not at all, as their
synthetic behaviour says — with close of business every night.
"""

from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
from sqlalchemy.engine import Engine

from thinfile.decisioning import Scorer
from thinfile.money import Money
from thinfile.security.crypto import PiiCipher
from thinfile.security.passwords import PasswordHasher
from thinfile.security.roles import Role
from thinfile.services import applications as apps
from thinfile.services import consent, identity
from thinfile.services.cob import run_cob
from thinfile.services.identity_records import Actor, Sessions
from thinfile.services.loans import get_loan, quote_payoff
from thinfile.services.payments import post_payment, prepay_loan
from thinfile.services.policies import (
    DecisionRuntime,
    decision_runtime,
    ensure_default_policy,
    register_model,
)

__all__ = [
    "DEMO_PASSWORD",
    "STAFF",
    "DemoBorrower",
    "DemoLender",
    "accept_offers",
    "run_year",
    "seed_lender",
]

DEMO_PASSWORD = "thinfile-demo-2026"
"""The password of every demo account; development mode only."""

STAFF = (
    ("admin@demo.thinfile.local", Role.ADMIN),
    ("underwriter@demo.thinfile.local", Role.UNDERWRITER),
    ("agent@demo.thinfile.local", Role.SERVICING_AGENT),
)
FORM_FIELDS = (
    "segment", "months_in_city", "purpose", "requested_amount", "requested_term_months",
    "city", "city_tier", "hukou_province", "is_local_hukou", "gender", "bureau_history_months",
    "bureau_records", "bureau_delinquencies_24m", "platform_tenure_months",
    "income_monthly_mean", "income_monthly_cv", "income_months_observed", "income_verified",
    "rent_months_reported", "rent_on_time_ratio", "utility_months_reported",
    "utility_on_time_ratio", "social_insurance_months", "ecommerce_months_active",
    "ecommerce_monthly_spend", "device_tenure_months", "address_changes_24m",
    "existing_debt_payment_monthly", "consent_alt_data",
)
MONEY_FIELDS = {"requested_amount", "income_monthly_mean", "ecommerce_monthly_spend",
                "existing_debt_payment_monthly"}
BEHAVIOURS = ("on time", "late", "prepays", "defaults")


@dataclass
class DemoBorrower:
    email: str
    user_id: str
    application_id: str
    outcome: str
    behaviour: str
    loan_id: int | None = None


@dataclass
class DemoLender:
    runtime: DecisionRuntime
    staff: dict[Role, Actor]
    borrowers: list[DemoBorrower] = field(default_factory=list)

    def counts(self) -> Counter[str]:
        return Counter(b.outcome for b in self.borrowers)


def _form(record: Mapping[str, object]) -> dict[str, object]:
    """An application form from a synthetic applicant (money back to yuan text)."""
    form: dict[str, object] = {}
    for name in FORM_FIELDS:
        value = record.get(name)
        if value is None or (isinstance(value, float) and math.isnan(value)):
            continue
        item = getattr(value, "item", None)
        value = item() if callable(item) else value
        form[name] = str(Money(int(value))) if name in MONEY_FIELDS else value  # type: ignore[arg-type]
    return {**form, "birth_date": str(record["birth_date"])[:10], "consent_credit": True}


def _borrower(sessions: Sessions, cipher: PiiCipher, hasher: PasswordHasher, n: int,
              record: Mapping[str, object]) -> tuple[Actor, str, str]:
    email = f"borrower{n:02d}@demo.thinfile.local"
    user = identity.create_user(sessions, hasher, email=email, password=DEMO_PASSWORD)
    actor = Actor(user.id, Role.BORROWER)
    profile = identity.register_applicant(sessions, cipher, actor=actor, name=str(record["name"]),
                                          id_number=str(record["id_number"]),
                                          phone=str(record["phone"]))
    for category in (consent.DataCategory.IDENTITY, consent.DataCategory.CREDIT_REPORT,
                     consent.DataCategory.GIG_PLATFORM_INCOME,
                     consent.DataCategory.RENT_AND_UTILITIES):
        consent.grant_consent(sessions, actor=actor, applicant_id=profile.id, category=category,
                              purpose=consent.Purpose.CREDIT_ASSESSMENT, separate=False,
                              notice_version="demo-1")
    return actor, profile.id, email


def seed_lender(
    engine: Engine, sessions: Sessions, cipher: PiiCipher, hasher: PasswordHasher, *,
    population: pd.DataFrame, model_dir: Path, load_model: Callable[[Path], Scorer],
    model_version: str, borrowers: int, start: date, seed: int,
    progress: Callable[[str], None] = lambda _step: None,
) -> DemoLender:
    """Staff, policy, model and ``borrowers`` demo borrowers who have applied on ``start``."""
    admin = identity.create_user(sessions, hasher, email=STAFF[0][0], password=DEMO_PASSWORD,
                                 role=Role.ADMIN)
    admin_actor = Actor(admin.id, Role.ADMIN)
    staff = {Role.ADMIN: admin_actor}
    for email, role in STAFF[1:]:
        user = identity.create_user(sessions, hasher, email=email, password=DEMO_PASSWORD,
                                    role=role, actor=admin_actor)
        staff[role] = Actor(user.id, role)
    with sessions.begin() as session:
        ensure_default_policy(session, actor=admin_actor)
        register_model(session, model_version, model_dir, actor=admin_actor)
    lender = DemoLender(decision_runtime(sessions, load_model), staff)
    rng = random.Random(seed)
    records: list[dict[str, object]] = population.head(borrowers).to_dict(  # type: ignore[assignment]
        "records")
    for n, record in enumerate(records, start=1):
        actor, applicant_id, email = _borrower(sessions, cipher, hasher, n, record)
        decided = apps.submit_application(sessions, cipher, lender.runtime, actor=actor,
                                          applicant_id=applicant_id, form=_form(record), on=start)
        lender.borrowers.append(DemoBorrower(email, actor.user_id, decided.id,
                                             decided.status, rng.choice(BEHAVIOURS)))
        progress(f"borrower {n}: {decided.status}")
    return lender


def accept_offers(engine: Engine, sessions: Sessions, lender: DemoLender, *, on: date) -> None:
    """The underwriter approves every other referral; approved borrowers accept offer 0."""
    underwriter = lender.staff[Role.UNDERWRITER]
    for k, borrower in enumerate(b for b in lender.borrowers if b.outcome == "referred"):
        reviewed = apps.review_referral(sessions, borrower.application_id, actor=underwriter,
                                        approve=k % 2 == 0, note="demo review")
        borrower.outcome = reviewed.status
    takers = [b for b in lender.borrowers if b.outcome == "approved"]
    for k, borrower in enumerate(takers):
        # every behaviour appears at least once, then the synthetic draw decides
        borrower.behaviour = BEHAVIOURS[k] if k < len(BEHAVIOURS) else borrower.behaviour
        accepted = apps.accept_offer(engine, borrower.application_id,
                                     actor=Actor(borrower.user_id, Role.BORROWER), offer=0,
                                     seconds_read=apps.MIN_READING_SECONDS, on=on)
        borrower.loan_id = accepted.loan_id
        borrower.outcome = "accepted"


def _days(start: date, days: int) -> Iterator[date]:
    for k in range(days):
        yield start + timedelta(days=k)


def _pay_today(engine: Engine, borrower: DemoBorrower, day: date) -> None:
    """Pay whatever this borrower's behaviour says is paid today."""
    assert borrower.loan_id is not None
    view = get_loan(engine, borrower.loan_id)
    if view.account.status.value != "active":
        return
    delay = {"on time": 0, "late": 12, "prepays": 0, "defaults": 0}[borrower.behaviour]
    for row in view.account.installments:
        if row.due + timedelta(days=delay) != day:
            continue
        if borrower.behaviour == "defaults" and row.n > 2:
            return
        if borrower.behaviour == "prepays" and row.n == 5:
            prepay_loan(engine, borrower.loan_id, quote_payoff(engine, borrower.loan_id, day), day,
                        idempotency_key=f"demo-{borrower.loan_id}-payoff")
            return
        owed = row.unpaid.total
        if owed > 0:
            post_payment(engine, borrower.loan_id, Money(owed), day,
                         idempotency_key=f"demo-{borrower.loan_id}-{row.n}")


def run_year(engine: Engine, lender: DemoLender, *, start: date, days: int,
             progress: Callable[[date], None] = lambda _day: None) -> None:
    """Each day: the borrowers' payments, then close of business for that date."""
    with_loans = [b for b in lender.borrowers if b.loan_id is not None]
    for day in _days(start, days):
        for borrower in with_loans:
            _pay_today(engine, borrower, day)
        run_cob(engine, day)
        progress(day)
