"""Staff work on decisions: the application queue, referral reviews, decision replay, policy
and model versions, and policy simulations (bounded: they run inside the request)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, Response

from thinfile.api.deps import require_roles
from thinfile.api.mappers import application_public, application_summary
from thinfile.api.models_applications import ApplicationPublic
from thinfile.api.models_staff import (
    ApplicationSummaryPublic,
    ChallengerCreate,
    ModelPublic,
    PolicyPublic,
    ReplayPublic,
    ReviewCreate,
    SimulationCreate,
    SimulationCsvCreate,
    SimulationPublic,
    SimulationReportPublic,
)
from thinfile.api.runtime import Runtime, forget_runtime
from thinfile.api.simulation_csv import csv_applications
from thinfile.http import Context
from thinfile.security.roles import Role
from thinfile.services import application_reviews, applications, policies
from thinfile.services.applications import ApplicationStatus
from thinfile.services.business_date import lender_today
from thinfile.services.identity_records import Actor

router = APIRouter(prefix="/staff", tags=["staff: decisions"])

Underwriter = Annotated[Actor, Depends(require_roles(Role.UNDERWRITER, Role.ADMIN))]
Admin = Annotated[Actor, Depends(require_roles(Role.ADMIN))]
Version = Annotated[str, Path(min_length=1, max_length=80, description="A version id")]


def _policy_public(v: policies.PolicyVersion) -> PolicyPublic:
    return PolicyPublic(version=v.version, name=v.name, status=v.status, share=str(v.share))


@router.get(
    "/applications",
    response_model=list[ApplicationSummaryPublic],
    summary="The application queue, newest first (status=referred: the referrals)",
)
def application_queue(
    _staff: Underwriter,
    context: Context,
    status: Annotated[ApplicationStatus | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[ApplicationSummaryPublic]:
    records = applications.list_applications(context.engine, status=status, limit=limit)
    return [application_summary(r) for r in records]


@router.post(
    "/applications/{application_id}/review",
    response_model=ApplicationPublic,
    summary="Approve or decline a referred application",
)
def review_referral(
    application_id: str, body: ReviewCreate, staff: Underwriter, context: Context
) -> ApplicationPublic:
    return application_public(
        application_reviews.review_referral(
            context.engine, application_id, actor=staff, approve=body.approve, note=body.note
        )
    )


@router.post(
    "/applications/{application_id}/replay",
    response_model=ReplayPublic,
    summary="Decide a stored application again with its own policy and model",
)
def replay(
    application_id: str, staff: Underwriter, runtime: Runtime, context: Context
) -> ReplayPublic:
    result = application_reviews.replay_application(
        context.engine, context.cipher, runtime, application_id, actor=staff
    )
    return ReplayPublic.model_validate(result)


@router.get("/policies", response_model=list[PolicyPublic], summary="Policy versions")
def list_policies(_staff: Underwriter, context: Context) -> list[PolicyPublic]:
    return [_policy_public(v) for v in policies.list_policies(context.engine)]


@router.post(
    "/policies/{version}/activate",
    status_code=204,
    response_class=Response,
    summary="Make a policy version the active one (admin)",
)
def activate_policy(version: Version, admin: Admin, context: Context, request: Request) -> Response:
    policies.activate_policy(context.engine, version, actor=admin)
    forget_runtime(request)
    return Response(status_code=204)


@router.post(
    "/policies/challenger",
    status_code=204,
    response_class=Response,
    summary="Route a share of applicants to a challenger policy (admin)",
)
def set_challenger(
    body: ChallengerCreate, admin: Admin, context: Context, request: Request
) -> Response:
    policies.set_challenger(context.engine, body.version, body.share, actor=admin)
    forget_runtime(request)
    return Response(status_code=204)


@router.get("/models", response_model=list[ModelPublic], summary="Model versions")
def list_models(_staff: Underwriter, context: Context) -> list[ModelPublic]:
    return [
        ModelPublic(version=m.version, status=m.status)
        for m in policies.list_models(context.engine)
    ]


@router.post(
    "/models/{version}/activate",
    status_code=204,
    response_class=Response,
    summary="Make a model version the active one (admin)",
)
def activate_model(version: Version, admin: Admin, context: Context, request: Request) -> Response:
    policies.activate_model(context.engine, version, actor=admin)
    forget_runtime(request)
    return Response(status_code=204)


@router.post(
    "/simulations",
    response_model=SimulationPublic,
    summary="Simulate a policy on synthetic applicants with known outcomes",
)
def simulate_synthetic(
    body: SimulationCreate, staff: Underwriter, runtime: Runtime, context: Context
) -> SimulationPublic:
    records = policies.synthetic_applications(body.applicants, seed=body.seed)
    report = policies.simulate_policy(
        context.engine, runtime, records, version=body.policy_version, on=_day(body.on), actor=staff
    )
    return SimulationPublic(report=SimulationReportPublic.model_validate(report.as_dict()))


@router.post(
    "/simulations/csv",
    response_model=SimulationPublic,
    summary="Simulate a policy on past applications posted as CSV",
)
def simulate_csv(
    body: SimulationCsvCreate, staff: Underwriter, runtime: Runtime, context: Context
) -> SimulationPublic:
    report = policies.simulate_policy(
        context.engine,
        runtime,
        csv_applications(body.csv),
        version=body.policy_version,
        on=_day(body.on),
        actor=staff,
    )
    return SimulationPublic(report=SimulationReportPublic.model_validate(report.as_dict()))


def _day(on: date | None) -> date:
    return on or lender_today()
