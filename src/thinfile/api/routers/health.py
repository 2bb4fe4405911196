"""Liveness, readiness and metrics (outside /v1: infrastructure, not product).

``/healthz`` and ``/readyz`` are open, for load balancers; ``/metrics`` names every route and
counts every decision by outcome, so only an admin (by token or API key) may read it.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel

from thinfile.api.deps import require_roles
from thinfile.api.errors import ERROR_RESPONSES, ErrorBody
from thinfile.api.metrics import CONTENT_TYPE_LATEST, render_metrics
from thinfile.http import Context
from thinfile.security.roles import Role
from thinfile.services.health import database_is_reachable

router = APIRouter(tags=["health"])


class HealthPublic(BaseModel):
    status: str


@router.get("/healthz", response_model=HealthPublic, summary="The process is up")
def healthz() -> HealthPublic:
    return HealthPublic(status="ok")


@router.get(
    "/readyz",
    response_model=HealthPublic,
    summary="The database is reachable",
    responses={503: {"model": ErrorBody, "description": "The database is unreachable"}},
)
def readyz(context: Context) -> HealthPublic | JSONResponse:
    if not database_is_reachable(context.engine):
        return JSONResponse(
            {"code": "not_ready", "message": "the database is unreachable", "details": {}},
            status_code=503,
        )
    return HealthPublic(status="ready")


@router.get(
    "/metrics",
    summary="Prometheus metrics (admins only)",
    response_class=Response,
    dependencies=[Depends(require_roles(Role.ADMIN))],
    responses={
        200: {
            "content": {"text/plain": {"schema": {"type": "string"}}},
            "description": "Metrics in the Prometheus text format",
        },
        401: ERROR_RESPONSES[401],
        403: ERROR_RESPONSES[403],
    },
)
def metrics() -> Response:
    return Response(render_metrics(), media_type=CONTENT_TYPE_LATEST)
