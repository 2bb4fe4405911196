"""Staff work on limit policies (额度策略): the registered versions, registering one from its
two files, making one the champion or the challenger, simulating one against another over a
synthetic book — each route one call of ``services.limit_policies`` (or
``limit_policy_simulations``), with the role checks of the decision-policy routes."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Response

from thinfile.api.deps import require_roles
from thinfile.api.mappers import money
from thinfile.api.mappers_limits import arm_outcomes_public, limit_simulation_public
from thinfile.api.models_limits import (
    ArmOutcomesPublic,
    LimitChallengerCreate,
    LimitPolicyCreate,
    LimitPolicyPublic,
    LimitSimulationCreate,
    LimitSimulationPublic,
)
from thinfile.http import Context
from thinfile.security.roles import Role
from thinfile.services import limit_arms, limit_policies, limit_policy_simulations
from thinfile.services.identity_records import Actor

router = APIRouter(prefix="/staff/limit-policies", tags=["staff: limit policies"])

Underwriter = Annotated[Actor, Depends(require_roles(Role.UNDERWRITER, Role.ADMIN))]
Admin = Annotated[Actor, Depends(require_roles(Role.ADMIN))]
Version = Annotated[str, Path(min_length=1, max_length=80, description="A limit policy version")]


def _public(v: limit_policies.LimitPolicyVersion) -> LimitPolicyPublic:
    return LimitPolicyPublic(
        version=v.version,
        name=v.name,
        status=v.status,
        share=str(v.share),
        registered_at=v.registered_at,
        ceiling=money(v.ceiling_fen),
        control_share=str(v.control_share),
        request_interval_days=v.request_interval_days,
        manual_approval_above=money(v.manual_approval_above_fen),
    )


@router.get("", response_model=list[LimitPolicyPublic], summary="Limit policy versions")
def list_limit_policies(_staff: Underwriter, context: Context) -> list[LimitPolicyPublic]:
    return [_public(v) for v in limit_policies.limit_policy_versions(context.engine)]


@router.post(
    "",
    status_code=201,
    response_model=LimitPolicyPublic,
    summary="Register a limit policy version from its policy.json and decision.json (admin); "
    "the same content again changes nothing",
)
def register_limit_policy(
    body: LimitPolicyCreate, admin: Admin, context: Context
) -> LimitPolicyPublic:
    return _public(
        limit_policies.register_limit_policy_text(
            context.engine, body.policy_json, body.decision_json, actor=admin
        )
    )


@router.post(
    "/{version}/activate",
    status_code=204,
    response_class=Response,
    summary="Make a limit policy version the champion (admin)",
)
def activate_limit_policy(version: Version, admin: Admin, context: Context) -> Response:
    limit_policies.activate_limit_policy(context.engine, version, actor=admin)
    return Response(status_code=204)


@router.post(
    "/challenger",
    status_code=204,
    response_class=Response,
    summary="Route a share of the lines to a challenger limit policy (admin); never the "
    "active version",
)
def set_limit_challenger(body: LimitChallengerCreate, admin: Admin, context: Context) -> Response:
    limit_policies.set_limit_challenger(
        context.engine, body.version, Decimal(body.share), actor=admin
    )
    return Response(status_code=204)


@router.post(
    "/simulations",
    response_model=LimitSimulationPublic,
    summary="Simulate a limit policy (and a baseline) over months on book of a synthetic book",
)
def simulate_limit_policy(
    body: LimitSimulationCreate, staff: Underwriter, context: Context
) -> LimitSimulationPublic:
    """Runs inside the request (100 to 5,000 applicants); a larger book: `thinfile limits
    simulate` from files. Audited (`limits.simulate`)."""
    report = limit_policy_simulations.simulate_limit_versions(
        context.engine,
        applicants=body.applicants,
        seed=body.seed,
        actor=staff,
        version=body.policy_version,
        baseline=body.baseline_version,
        months=body.months,
        take_up=Decimal(body.take_up),
    )
    return limit_simulation_public(report)


@router.get(
    "/arms",
    response_model=ArmOutcomesPublic,
    summary="The live book by arm after a review: champion, challenger and control side by side",
)
def arm_outcomes(
    review_on: Annotated[date, Query(description="The review's business date")],
    _staff: Underwriter,
    context: Context,
) -> ArmOutcomesPublic:
    """For the lines the review on `review_on` decided, by the arm each met: increases offered
    and accepted, the control group's would-be increases held out, decreases and freezes; and
    at the latest behaviour snapshot since, each arm's average limit, utilization and share of
    lines 30+ days past due — the measured effect of the strategy."""
    return arm_outcomes_public(limit_arms.arm_outcomes(context.engine, review_on))
