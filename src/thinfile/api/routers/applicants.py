"""Applicant profiles and consent: register, view, consent, revoke.

Borrowers act on their own profile only; staff read profiles masked (and each read is audited).
Only the applicant can grant or revoke consent.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from thinfile.api.deps import require_owner_or_role, require_roles
from thinfile.api.models import (
    ApplicantCreate,
    ApplicantPublic,
    ConsentCatalogPublic,
    ConsentCreate,
    ConsentPublic,
    ConsentUsePublic,
    PurposeRulePublic,
)
from thinfile.api.ratelimits import LimitSignUp
from thinfile.http import Context
from thinfile.security.roles import STAFF_ROLES, Role
from thinfile.services import applicants, consent
from thinfile.services.applications import ALT_DATA_CONSENTS, CREDIT_CONSENT
from thinfile.services.consent import SENSITIVE_CATEGORIES, DataCategory, Purpose
from thinfile.services.identity_records import Actor, ApplicantRecord, ConsentRecord

router = APIRouter(tags=["applicants"])

Borrower = Annotated[Actor, Depends(require_roles(Role.BORROWER))]
Staff = Annotated[Actor, Depends(require_roles(*STAFF_ROLES))]
OwnerOrStaff = Annotated[Actor, Depends(require_owner_or_role(*STAFF_ROLES))]
Owner = Annotated[Actor, Depends(require_owner_or_role())]
AnyCaller = Annotated[Actor, Depends(require_roles(*Role))]


_APPLY = "POST /v1/applicants/{applicant_id}/applications"
CONSENT_RULES = [
    PurposeRulePublic(
        purpose=Purpose.CREDIT_ASSESSMENT,
        meaning="Deciding whether to lend, how much and at what price",
        uses=[
            ConsentUsePublic(
                operation=_APPLY,
                data_categories=[CREDIT_CONSENT],
                required=True,
                effect="the application may be decided at all (the credit report is read)",
            ),
            ConsentUsePublic(
                operation=_APPLY,
                data_categories=list(ALT_DATA_CONSENTS),
                required=False,
                effect="the decision may use alternative data (platform income, rent and "
                "utility payments); without it they are ignored",
            ),
        ],
    ),
    PurposeRulePublic(
        purpose=Purpose.KYC,
        meaning="Confirming who the applicant is (real-name verification)",
        uses=[],
    ),
    PurposeRulePublic(
        purpose=Purpose.LOAN_SERVICING,
        meaning="Servicing a loan: reminders, collection, payments",
        uses=[],
    ),
    PurposeRulePublic(purpose=Purpose.MARKETING, meaning="Offers and promotions", uses=[]),
    PurposeRulePublic(
        purpose=Purpose.COLLECTION_OUT_OF_HOURS,
        meaning="Being contacted about a repayment past due between 22:00 and 08:00 in the "
        "borrower's time zone (never without this consent)",
        uses=[
            ConsentUsePublic(
                operation="POST /v1/staff/collections/cases/{case_id}/contacts",
                data_categories=[DataCategory.CONTACT],
                required=False,
                effect="a collector may contact the borrower themselves (never a third party) "
                "between 22:00 and 08:00 their time while it stands; without it such a contact "
                "is refused (403 conduct_rule_broken, rule contact_window)",
            )
        ],
    ),
]
"""What each purpose requires, as the consent catalogue states it."""


def applicant_public(record: ApplicantRecord) -> ApplicantPublic:
    return ApplicantPublic(
        id=record.id,
        name=record.name,
        id_number=record.id_number,
        phone=record.phone,
        masked=record.is_masked,
        created_at=record.created_at,
    )


def consent_public(record: ConsentRecord) -> ConsentPublic:
    return ConsentPublic(
        id=record.id,
        applicant_id=record.applicant_id,
        data_category=DataCategory(record.data_category),
        purpose=Purpose(record.purpose),
        sensitive=record.is_sensitive,
        separate_consent=record.is_separate,
        notice_version=record.notice_version,
        granted_at=record.granted_at,
        revoked_at=record.revoked_at,
        active=record.is_active,
    )


@router.post(
    "/applicants",
    status_code=201,
    response_model=ApplicantPublic,
    dependencies=[LimitSignUp],
    summary="Register my applicant profile",
)
def register_applicant(
    body: ApplicantCreate, borrower: Borrower, context: Context
) -> ApplicantPublic:
    """Register my applicant profile (one per account): name, resident ID number (18 characters,
    GB 11643 check character: the 18th is computed from the first 17, so a test number needs a
    valid one) and mainland mobile number. Identifiers are encrypted at rest and masked for
    staff."""
    return applicant_public(
        applicants.register_applicant(
            context.engine,
            context.cipher,
            actor=borrower,
            name=body.name,
            id_number=body.id_number,
            phone=body.phone,
        )
    )


@router.get("/me/applicant", response_model=ApplicantPublic, summary="My applicant profile")
def my_applicant(borrower: Borrower, context: Context) -> ApplicantPublic:
    applicant_id = applicants.applicant_id_of_user(context.engine, borrower.user_id)
    return applicant_public(
        applicants.get_applicant(
            context.engine, context.cipher, applicant_id=applicant_id, actor=borrower
        )
    )


@router.get(
    "/applicants", response_model=list[ApplicantPublic], summary="List applicants, masked (staff)"
)
def list_applicants(
    staff: Staff,
    context: Context,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> list[ApplicantPublic]:
    records = applicants.list_applicants(
        context.engine, context.cipher, actor=staff, limit=limit, offset=offset
    )
    return [applicant_public(r) for r in records]


@router.get(
    "/applicants/{applicant_id}",
    response_model=ApplicantPublic,
    summary="One applicant: full for its owner, masked for staff",
)
def get_applicant(applicant_id: str, caller: OwnerOrStaff, context: Context) -> ApplicantPublic:
    return applicant_public(
        applicants.get_applicant(
            context.engine, context.cipher, applicant_id=applicant_id, actor=caller
        )
    )


@router.get(
    "/consent-catalog",
    response_model=ConsentCatalogPublic,
    summary="The data categories and purposes one can consent to",
)
def consent_catalog(_caller: AnyCaller) -> ConsentCatalogPublic:
    """Consent is recorded per data category and purpose
    (`POST /v1/applicants/{applicant_id}/consents`); `rules` says which operation needs which.
    To apply, an applicant needs an active consent to `credit_report` for `credit_assessment`
    (otherwise 403 `consent_required`); consent to `gig_platform_income` or
    `rent_and_utilities` for `credit_assessment` lets the decision use alternative data."""
    return ConsentCatalogPublic(
        data_categories=list(DataCategory),
        sensitive_categories=sorted(SENSITIVE_CATEGORIES),
        purposes=list(Purpose),
        rules=CONSENT_RULES,
    )


@router.post(
    "/applicants/{applicant_id}/consents",
    status_code=201,
    response_model=ConsentPublic,
    summary="Record my consent to one use of one data",
)
def grant_consent(
    applicant_id: str, body: ConsentCreate, owner: Owner, context: Context
) -> ConsentPublic:
    """Record my consent to one data category for one purpose, with the version of the notice I
    was shown. Sensitive categories (see the catalogue) need `separate_consent: true`. `GET
    /v1/consent-catalog` says which operation needs which consent."""
    return consent_public(
        consent.grant_consent(
            context.engine,
            applicant_id=applicant_id,
            category=body.data_category,
            purpose=body.purpose,
            notice_version=body.notice_version,
            separate=body.separate_consent,
            actor=owner,
        )
    )


@router.get(
    "/applicants/{applicant_id}/consents",
    response_model=list[ConsentPublic],
    summary="Consents given by an applicant (owner or staff)",
)
def list_consents(applicant_id: str, caller: OwnerOrStaff, context: Context) -> list[ConsentPublic]:
    records = consent.list_consents(context.engine, applicant_id=applicant_id, actor=caller)
    return [consent_public(r) for r in records]


@router.post(
    "/applicants/{applicant_id}/consents/{consent_id}/revoke",
    response_model=ConsentPublic,
    summary="Revoke my consent",
)
def revoke_consent(
    applicant_id: str, consent_id: str, owner: Owner, context: Context
) -> ConsentPublic:
    """Revoke one of my consents; what already happened stays, nothing new uses it."""
    return consent_public(
        consent.revoke_consent(
            context.engine, applicant_id=applicant_id, consent_id=consent_id, actor=owner
        )
    )
