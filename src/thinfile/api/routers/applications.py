"""Applications: apply (the decision runs at once), read the decision and its offers, accept
one offer after reading its cost statement, or decline them.

An applicant applies for their own profile only, and only with an active consent to a credit
assessment of their credit report. Accepting opens and disburses the loan on the current
business date, in the same transaction.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response

from thinfile.api.deps import require_owner_or_role, require_roles
from thinfile.api.idempotency import Idempotent, answered
from thinfile.api.mappers import application_public
from thinfile.api.metrics import count_decision
from thinfile.api.models_applications import (
    AcceptanceCreate,
    AcceptancePublic,
    ApplicationCreate,
    ApplicationPublic,
)
from thinfile.api.ratelimits import ApplyingOwner
from thinfile.api.runtime import Runtime
from thinfile.http import Context, signing_of
from thinfile.security.roles import STAFF_ROLES, Role
from thinfile.services import applications
from thinfile.services.acceptance import seconds_read
from thinfile.services.applications import AcceptedOffer
from thinfile.services.identity_records import Actor

router = APIRouter(tags=["applications"])

Owner = Annotated[Actor, Depends(require_owner_or_role())]
OwnerOrStaff = Annotated[Actor, Depends(require_owner_or_role(*STAFF_ROLES))]
Borrower = Annotated[Actor, Depends(require_roles(Role.BORROWER))]


@router.post(
    "/applicants/{applicant_id}/applications",
    status_code=201,
    response_model=ApplicationPublic,
    summary="Apply for credit: the decision, its reasons and offers come back at once",
)
def apply(
    applicant_id: str,
    body: ApplicationCreate,
    owner: ApplyingOwner,
    idem: Idempotent,
    runtime: Runtime,
) -> Response:
    """Submit the application form for my applicant profile; the decision (approve, refer or
    decline) comes back at once with its reasons and, when approved, its offers, each with its
    schedule, annualized rate and all-in cost statement.

    **Consents**: an active consent to `credit_report` for `credit_assessment` is required
    (403 `consent_required` otherwise); consent to `gig_platform_income` or
    `rent_and_utilities` for `credit_assessment` lets the decision use alternative data. A
    first application needs a verified real name
    (`POST /v1/applicants/{applicant_id}/real-name`; 403 `real_name_required` otherwise)."""
    form = body.model_dump(exclude_none=True, mode="json")
    cipher = idem.context.cipher
    answer = idem.answer(
        lambda uow: applications.decide_in(
            uow, cipher, runtime, actor=owner, applicant_id=applicant_id, form=form
        ),
        render=application_public,
        status_code=201,
    )
    if answer.result is not None:  # a decision made and kept
        count_decision(answer.result.outcome)
    return answered(answer)


@router.get(
    "/me/applications",
    response_model=list[ApplicationPublic],
    summary="My applications, newest first",
)
def my_applications(
    borrower: Borrower, context: Context, limit: Annotated[int, Query(ge=1, le=100)] = 20
) -> list[ApplicationPublic]:
    records = applications.list_applications(context.engine, user_id=borrower.user_id, limit=limit)
    return [application_public(r) for r in records]


@router.get(
    "/applications/{application_id}",
    response_model=ApplicationPublic,
    summary="A decision with its reasons and offers (schedule, annualized rate, "
    "all-in cost statement)",
)
def get_application(
    application_id: str, _caller: OwnerOrStaff, context: Context
) -> ApplicationPublic:
    """The decision with its reasons and offers. Each offer carries the all-in cost statement the
    borrower must read before accepting it."""
    return application_public(
        applications.get_application(context.engine, context.cipher, application_id, reveal=False)
    )


@router.post(
    "/applications/{application_id}/acceptance",
    status_code=201,
    response_model=AcceptancePublic,
    summary="Accept an offer after reading its cost statement: the loan is opened and disbursed",
)
def accept_offer(
    application_id: str, body: AcceptanceCreate, owner: Owner, idem: Idempotent, request: Request
) -> Response:
    """Accept one offer of an approved application: the loan (or credit line) is opened and
    disbursed on the current business date, and the loan contract is signed, in one
    transaction.

    **Reading pause**: the borrower must have had the offer's all-in cost statement for at
    least 10 seconds: send `seconds_read` ≥ 10 (and, if known, `statement_shown_at`, the time
    the statement was shown, at least 10 seconds ago). Less is refused with 422
    `invalid_input`, `details.field` = `seconds_read`; `confirm` must be `true`. An
    application is accepted once: a second acceptance is a 409.

    **Price**: read it first at `GET /v1/applications/{application_id}/price`. With
    `coupon_id` the interest coupon is redeemed and the loan opened on the schedule it
    leaves (409 `coupon_unavailable` when used, void or out of its validity,
    `coupon_budget_exhausted` when its batch's budget cannot pay it). An offer under a
    programme whose budget is spent is refused with 409 `programme_budget_exhausted` unless
    `standard_price` is `true`."""
    seconds = seconds_read(shown_at=body.statement_shown_at, claimed=body.seconds_read)
    signing = signing_of(request, language=body.language)

    def public(accepted: AcceptedOffer) -> AcceptancePublic:
        return AcceptancePublic(
            application_id=application_id,
            offer=body.offer,
            loan_id=accepted.loan_id,
            credit_line_id=accepted.credit_line_id,
            start=accepted.terms.start,
            contract_sha256=accepted.contract_sha256,
        )

    return idem.once(
        lambda uow: applications.accept_today(
            uow,
            application_id,
            actor=owner,
            offer=body.offer,
            seconds_read=seconds,
            confirmed=body.confirm,
            signing=signing,
            coupon_id=body.coupon_id,
            standard_price=body.standard_price,
        ),
        render=public,
        status_code=201,
    )


@router.post(
    "/applications/{application_id}/decline",
    response_model=ApplicationPublic,
    summary="Turn down the offers of an approved application",
)
def decline_offer(application_id: str, owner: Owner, context: Context) -> ApplicationPublic:
    """Turn down every offer of an approved application; it cannot be accepted afterwards."""
    return application_public(
        applications.decline_offer(context.engine, application_id, actor=owner)
    )
