"""A business's sales feed and its working-capital decisions: the owner uploads daily sales
(JSON rows, all or nothing) and asks for a decision; the owner or staff read the stored days,
the features and the decisions."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from thinfile.api.deps import require_owner_or_role
from thinfile.api.mappers import money
from thinfile.api.models_limits import ReasonWords
from thinfile.api.models_sales import (
    SalesDayPublic,
    SalesFeaturesPublic,
    SalesIngestPublic,
    SalesUpload,
    WorkingCapitalDecisionPublic,
)
from thinfile.decisioning.working_capital_reasons import explain_working_capital
from thinfile.http import Context
from thinfile.security.roles import STAFF_ROLES, UNDERWRITING_ROLES
from thinfile.services import sales_feed, working_capital_decisions
from thinfile.services.identity_records import Actor
from thinfile.services.working_capital_decisions import StoredWorkingCapitalDecision

router = APIRouter(tags=["sales and working capital"])

Owner = Annotated[Actor, Depends(require_owner_or_role())]
OwnerOrStaff = Annotated[Actor, Depends(require_owner_or_role(*STAFF_ROLES))]
OwnerOrUnderwriter = Annotated[Actor, Depends(require_owner_or_role(*UNDERWRITING_ROLES))]
OnDay = Annotated[date | None, Query(description="Day (default: today in China)")]


def decision_public(stored: StoredWorkingCapitalDecision) -> WorkingCapitalDecisionPublic:
    d = stored.decision
    return WorkingCapitalDecisionPublic(
        id=stored.id,
        applicant_id=stored.applicant_id,
        decided_on=stored.decided_on,
        valid_until=stored.valid_until,
        outcome=d.outcome,
        grade=d.grade,
        limit=money(d.limit.fen),
        daily_rate=None if d.daily_rate is None else str(d.daily_rate),
        annual_rate=None if d.annual_rate is None else str(d.annual_rate),
        monthly_turnover=money(d.monthly_turnover.fen),
        reasons=[
            ReasonWords(code=c, text=w.en, text_zh=w.zh)
            for c in d.reason_codes
            for w in (explain_working_capital(c),)
        ],
        policy_version=d.policy_version,
    )


@router.post(
    "/applicants/{applicant_id}/sales",
    status_code=201,
    response_model=SalesIngestPublic,
    summary="Upload daily sales (all rows or none; the same rows again change nothing)",
)
def upload_sales(
    applicant_id: str, body: SalesUpload, owner: Owner, context: Context
) -> SalesIngestPublic:
    report = sales_feed.ingest_sales(
        context.engine,
        [row.model_dump() for row in body.rows],
        applicant_id=applicant_id,
        actor=owner,
    )
    return SalesIngestPublic(
        applicant_id=report.applicant_id,
        batch_id=report.batch_id,
        received=report.received,
        added=report.added,
        unchanged=report.unchanged,
        first_day=report.first_day,
        last_day=report.last_day,
    )


@router.get(
    "/applicants/{applicant_id}/sales",
    response_model=list[SalesDayPublic],
    summary="Stored daily sales from a day (default: the last 180 days)",
)
def list_sales(
    applicant_id: str,
    caller: OwnerOrStaff,
    context: Context,
    since: Annotated[date | None, Query(description="First day (YYYY-MM-DD)")] = None,
) -> list[SalesDayPublic]:
    first = since or sales_feed.local_today() - timedelta(days=180)
    rows = sales_feed.sales_history(context.engine, applicant_id, since=first, actor=caller)
    return [
        SalesDayPublic(
            date=r.day,
            channel=r.channel,
            gross_sales=money(r.gross_fen),
            refunds=money(r.refunds_fen),
            transactions=r.transactions,
        )
        for r in rows[:5000]
    ]


@router.get(
    "/applicants/{applicant_id}/sales-features",
    response_model=SalesFeaturesPublic,
    summary="Sales features on a day: turnover, trend, volatility, days without sales, refunds",
)
def get_sales_features(
    applicant_id: str, _caller: OwnerOrStaff, context: Context, on: OnDay = None
) -> SalesFeaturesPublic:
    f = sales_feed.sales_features_of(context.engine, applicant_id, on or sales_feed.local_today())
    return SalesFeaturesPublic(
        on=f.on,
        history_days=f.history_days,
        window_days=f.window_days,
        monthly_turnover=money(f.monthly_turnover_fen),
        last_30_days=money(f.last_30_fen),
        prior_90_days=money(f.prior_90_fen),
        recent_to_prior_bps=f.recent_to_prior_bps,
        trend_bps=f.trend_bps,
        volatility_bps=f.volatility_bps,
        zero_sales_days=f.zero_sales_days,
        refund_bps=f.refund_bps,
        transactions_monthly=f.transactions_monthly,
        average_ticket=None if f.average_ticket_fen is None else money(f.average_ticket_fen),
        days_since_last_sale=f.days_since_last_sale,
    )


@router.post(
    "/applicants/{applicant_id}/working-capital-decisions",
    status_code=201,
    response_model=WorkingCapitalDecisionPublic,
    summary="Decide a working-capital line from the stored sales (limit, daily rate, reasons)",
)
def decide_working_capital(
    applicant_id: str, caller: OwnerOrUnderwriter, context: Context
) -> WorkingCapitalDecisionPublic:
    return decision_public(
        working_capital_decisions.decide_working_capital(context.engine, applicant_id, actor=caller)
    )


@router.get(
    "/applicants/{applicant_id}/working-capital-decisions",
    response_model=list[WorkingCapitalDecisionPublic],
    summary="The latest working-capital decisions, newest first",
)
def list_working_capital_decisions(
    applicant_id: str, _caller: OwnerOrStaff, context: Context
) -> list[WorkingCapitalDecisionPublic]:
    decided = working_capital_decisions.working_capital_decisions(context.engine, applicant_id)
    return [decision_public(s) for s in decided]
