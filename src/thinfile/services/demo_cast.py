"""The demo's cast: which synthetic applicants play the year's borrowers.

The stories the smoke run checks must not hang on where a trained model happens to put one
applicant. The underwriter's queue is the one that did: a referral (a large amount on an
unverified income, or a weak grade asking for much) is rare among 24 applicants, so whether
one was left waiting at the year's end changed with the population's size and the model's
kind. :func:`with_a_referral` makes it a matter of casting: the year's last applicant is one
the live policy refers. :func:`register_borrower` brings an applicant to the lender (account,
profile, consents, real name) and :func:`application_form` writes their application.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any, TypeVar

from sqlalchemy.engine import Engine

from thinfile.decisioning import Outcome, application_from_record, decide
from thinfile.decisioning.simulate import plain_value
from thinfile.money import Money
from thinfile.security.crypto import PiiCipher
from thinfile.security.passwords import PasswordHasher
from thinfile.security.roles import Role
from thinfile.services import applicants, consent, identity
from thinfile.services.identity_records import Actor
from thinfile.services.policies import DecisionRuntime
from thinfile.services.ports import RealNameVerifier
from thinfile.services.real_name import verify_real_name

__all__ = [
    "CONSENTS",
    "DEMO_PASSWORD",
    "FORM_FIELDS",
    "MONEY_FIELDS",
    "application_form",
    "register_borrower",
    "with_a_referral",
]

DEMO_PASSWORD = "thinfile-demo-2026"
"""The password of every demo account; development mode only."""

FORM_FIELDS = (
    "segment",
    "months_in_city",
    "purpose",
    "requested_amount",
    "requested_term_months",
    "city",
    "city_tier",
    "hukou_province",
    "is_local_hukou",
    "gender",
    "bureau_history_months",
    "bureau_records",
    "bureau_delinquencies_24m",
    "platform_tenure_months",
    "income_monthly_mean",
    "income_monthly_cv",
    "income_months_observed",
    "income_verified",
    "rent_months_reported",
    "rent_on_time_ratio",
    "utility_months_reported",
    "utility_on_time_ratio",
    "social_insurance_months",
    "ecommerce_months_active",
    "ecommerce_monthly_spend",
    "device_tenure_months",
    "address_changes_24m",
    "existing_debt_payment_monthly",
    "declared_monthly_income",
    "consent_alt_data",
)
MONEY_FIELDS = {
    "requested_amount",
    "income_monthly_mean",
    "ecommerce_monthly_spend",
    "existing_debt_payment_monthly",
    "declared_monthly_income",
}
_ASSESS = consent.Purpose.CREDIT_ASSESSMENT
CONSENTS = (
    (consent.DataCategory.IDENTITY, _ASSESS),
    (consent.DataCategory.CREDIT_REPORT, _ASSESS),
    (consent.DataCategory.GIG_PLATFORM_INCOME, _ASSESS),
    (consent.DataCategory.RENT_AND_UTILITIES, _ASSESS),
    (consent.DataCategory.BANK_ACCOUNT, consent.Purpose.LOAN_SERVICING),
)
"""What each demo borrower consents to: the assessment's data, and the bank card repayments
come from (sensitive, so given with its separate consent)."""

Record = TypeVar("Record", bound=Mapping[Any, Any])
"""An applicant's row (a data frame's record)."""


def with_a_referral(
    cast: list[Record], spare: Iterable[Record], runtime: DecisionRuntime, on: date
) -> list[Record]:
    """``cast`` with its last applicant swapped, if the live policy (the champion, and the
    challenger when one runs) would not refer them on ``on``, for the first of ``spare`` it
    would: a new applicant, decided as one with no history with the lender. Unchanged when
    no spare applicant is referred."""
    policies = [p for p in (runtime.book.champion, runtime.book.challenger) if p is not None]

    def referred(record: Record) -> bool:
        app = application_from_record(record)
        return all(
            decide(app, policy=p, model=runtime.model, on=on).outcome is Outcome.REFER
            for p in policies
        )

    if not cast or referred(cast[-1]):
        return cast
    found = next((r for r in spare if referred(r)), None)
    return cast if found is None else [*cast[:-1], found]


def application_form(record: Mapping[str, object]) -> dict[str, object]:
    """An application form from a synthetic applicant (money back to yuan text)."""
    form: dict[str, object] = {}
    for name in FORM_FIELDS:
        value = plain_value(record.get(name))
        if value is None:
            continue
        form[name] = str(Money(int(value))) if name in MONEY_FIELDS else value  # type: ignore[call-overload]
    return {**form, "birth_date": str(record["birth_date"])[:10], "consent_credit": True}


def register_borrower(
    engine: Engine,
    cipher: PiiCipher,
    hasher: PasswordHasher,
    verifier: RealNameVerifier,
    n: int,
    record: Mapping[str, object],
) -> tuple[Actor, str, str]:
    """Demo borrower ``n`` played by the applicant of ``record``: an account, a profile,
    the consents of :data:`CONSENTS` and a verified real name; (actor, applicant id, e-mail)."""
    email = f"borrower{n:02d}@demo.thinfile.local"
    user = identity.create_user(engine, hasher, email=email, password=DEMO_PASSWORD)
    actor = Actor(user.id, Role.BORROWER)
    profile = applicants.register_applicant(
        engine,
        cipher,
        actor=actor,
        name=str(record["name"]),
        id_number=str(record["id_number"]),
        phone=str(record["phone"]),
    )
    for category, purpose in CONSENTS:
        consent.grant_consent(
            engine,
            actor=actor,
            applicant_id=profile.id,
            category=category,
            purpose=purpose,
            separate=category in consent.SENSITIVE_CATEGORIES,  # the bank card: its own tick
            notice_version="demo-1",
        )
    verify_real_name(engine, cipher, verifier, applicant_id=profile.id, actor=actor)
    return actor, profile.id, email
