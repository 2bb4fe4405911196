"""Credit limits (额度): the borrower's limit with its history and reasons, offered increases
to accept or decline, a request for more, a draw quoted with its cost statement and drawn as
quoted; staff's view of a line's decisions and behaviour,
changes with a reason (maker-checker above the policy's threshold) and their approval."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Response

from thinfile.api.deps import require_owner_or_role, require_roles
from thinfile.api.idempotency import Idempotent
from thinfile.api.mappers import draw_quote_public, money, new_loan_summary
from thinfile.api.models_applications import YUAN
from thinfile.api.models_limits import (
    DrawQuotePublic,
    LimitAnswerPublic,
    LimitChangeCreate,
    LimitChangePublic,
    LimitDecisionPublic,
    LimitFeaturesPublic,
    LimitHistoryPublic,
    LimitOfferPublic,
    LimitPublic,
    QuotedDrawCreate,
    ReasonWords,
    StaffLimitPublic,
)
from thinfile.api.models_loans import LoanSummaryPublic
from thinfile.decisioning.limit_reasons import explain_limit
from thinfile.decisioning.limits import LimitAction, LimitArm
from thinfile.http import Context
from thinfile.http.ids import SERIAL_MAX
from thinfile.money import Money
from thinfile.security.roles import STAFF_ROLES, Role
from thinfile.services import limit_changes, limits, line_draws
from thinfile.services.acceptance import seconds_read
from thinfile.services.identity_records import Actor
from thinfile.servicing.creditline import LineStatus

router = APIRouter(tags=["credit limits"])

LineId = Annotated[int, Path(ge=1, le=SERIAL_MAX, description="A credit line's number")]
OfferNo = Annotated[
    int,
    Path(ge=1, le=SERIAL_MAX, description="A limit offer's number (on the line in the path)"),
]
RequestId = Annotated[int, Path(ge=1, le=SERIAL_MAX, description="A limit change request's number")]
DrawAmount = Annotated[str, Query(pattern=YUAN, description="Yuan to draw")]
DrawTerm = Annotated[int, Query(ge=1, le=36, description="Months (one of the quote's terms)")]
Owner = Annotated[Actor, Depends(require_owner_or_role())]
OwnerOrStaff = Annotated[Actor, Depends(require_owner_or_role(*STAFF_ROLES))]
Agent = Annotated[Actor, Depends(require_roles(Role.SERVICING_AGENT, Role.ADMIN))]
OwnerOrAgent = Annotated[Actor, Depends(require_owner_or_role(Role.SERVICING_AGENT, Role.ADMIN))]
Staff = Annotated[Actor, Depends(require_roles(*STAFF_ROLES))]


def _words(codes: tuple[str, ...]) -> list[ReasonWords]:
    return [
        ReasonWords(code=c, text=explain_limit(c).en, text_zh=explain_limit(c).zh) for c in codes
    ]


def _public(view: limits.LimitOverview) -> LimitPublic:
    cur = view.currency
    return LimitPublic(
        line_id=view.line_id,
        status=LineStatus(view.status),
        currency=cur,
        limit=money(view.limit, cur),
        used=money(view.used, cur),
        available=money(view.available, cur),
        next_review=view.next_review,
        offers=[
            LimitOfferPublic(
                id=o.offer_id,
                old_limit=money(o.old_limit, cur),
                new_limit=money(o.new_limit, cur),
                offered_on=o.offered_on,
                expires_on=o.expires_on,
                until=o.until,
                reasons=_words(o.reason_codes),
            )
            for o in view.offers
        ],
        history=[
            LimitHistoryPublic(
                on=h.on,
                old_limit=money(h.old_limit, cur),
                new_limit=money(h.new_limit, cur),
                reasons=_words(h.reason_codes),
            )
            for h in view.history
        ],
    )


@router.get(
    "/credit-lines/{line_id}/draw-quote",
    response_model=DrawQuotePublic,
    summary="What a draw would be: its schedule, annualized rate and all-in cost statement",
)
def quote_draw(
    line_id: LineId,
    amount: DrawAmount,
    term_months: DrawTerm,
    _caller: OwnerOrStaff,
    context: Context,
) -> DrawQuotePublic:
    """The loan a draw of `amount` over `term_months` would open today, priced as the draw
    opens it (the line's rate, equal installments, from the current business date), with the
    all-in cost statement and the default terms of the line's servicing product. Writes
    nothing; refused as the draw would be (a frozen line: 409; more than available: 409)."""
    lender = context.settings.lender_name
    quote = line_draws.quote_draw(
        context.engine, line_id, Money.of(amount), term_months, lender=lender
    )
    return draw_quote_public(quote, line_draws.DRAW_TERMS)


@router.post(
    "/credit-lines/{line_id}/quoted-draws",
    status_code=201,
    response_model=LoanSummaryPublic,
    summary="Draw as quoted, after reading its cost statement: a new loan, disbursed at once",
)
def draw_as_quoted(
    line_id: LineId, body: QuotedDrawCreate, owner: Owner, idem: Idempotent
) -> Response:
    """Draw what `GET /v1/credit-lines/{line_id}/draw-quote` quoted, with `confirm: true`
    (422 `confirm` otherwise), `seconds_read` (at least the reading pause; 422
    `seconds_read` otherwise) and the quote's `available`: if the line changed since (another
    draw, a limit change), nothing is drawn (409 `available`) and the borrower looks again."""
    seen = Money.of(body.available, field="available")
    seconds = (
        None
        if body.seconds_read is None
        else seconds_read(shown_at=body.statement_shown_at, claimed=body.seconds_read)
    )
    return idem.once(
        lambda uow: line_draws.draw_as_quoted_in(
            uow,
            line_id,
            Money.of(body.amount),
            body.term_months,
            seen_available=seen,
            confirmed=body.confirm,
            actor=owner,
            seconds_read=seconds,
        ),
        render=new_loan_summary,
        status_code=201,
    )


@router.get(
    "/credit-lines/{line_id}/limit",
    response_model=LimitPublic,
    summary="A line's limit, used and available, the next review, offers and the history of "
    "changes with their reasons",
)
def get_limit(line_id: LineId, _caller: OwnerOrStaff, context: Context) -> LimitPublic:
    return _public(limits.line_limits(context.engine, line_id))


@router.post(
    "/credit-lines/{line_id}/limit-offers/{offer}/acceptance",
    response_model=LimitPublic,
    summary="Accept an offered increase: the limit changes now",
)
def accept_offer(line_id: LineId, offer: OfferNo, owner: Owner, context: Context) -> LimitPublic:
    return _public(limits.accept_limit_offer(context.engine, line_id, offer, actor=owner))


@router.post(
    "/credit-lines/{line_id}/limit-offers/{offer}/refusal",
    response_model=LimitPublic,
    summary="Decline an offered increase: the limit stays",
)
def decline_offer(line_id: LineId, offer: OfferNo, owner: Owner, context: Context) -> LimitPublic:
    return _public(limits.decline_limit_offer(context.engine, line_id, offer, actor=owner))


@router.post(
    "/credit-lines/{line_id}/closure",
    response_model=LimitPublic,
    summary="Close the line (销户): no further draws; refused while a draw is owed or a "
    "purchase holds room on it",
)
def close_line(line_id: LineId, caller: OwnerOrAgent, context: Context) -> LimitPublic:
    return _public(limits.close_credit_line(context.engine, line_id, actor=caller))


@router.post(
    "/credit-lines/{line_id}/limit-requests",
    status_code=201,
    response_model=LimitAnswerPublic,
    summary="Ask for a higher limit: an instant answer with its reasons (once per 30 days)",
)
def request_increase(line_id: LineId, owner: Owner, context: Context) -> LimitAnswerPublic:
    answer = limits.request_limit_increase(context.engine, line_id, actor=owner)
    offered = answer.offer_id is not None
    return LimitAnswerPublic(
        decision_id=answer.decision_id,
        outcome="offered" if offered else LimitAction(answer.action),
        limit=money(answer.old_limit),
        offered_limit=money(answer.new_limit) if offered else None,
        offer_id=answer.offer_id,
        reasons=[
            ReasonWords(code=en["code"], text=en["text"], text_zh=zh["text"])
            for en, zh in zip(answer.reasons("en"), answer.reasons("zh"), strict=True)
        ],
    )


@router.get(
    "/staff/credit-lines/{line_id}/limit",
    response_model=StaffLimitPublic,
    summary="Staff: a line's limit history, behaviour features and limit decisions",
)
def staff_view(line_id: LineId, _staff: Staff, context: Context) -> StaffLimitPublic:
    view = limit_changes.staff_line_view(context.engine, line_id)
    f = view.features
    cur = view.overview.currency
    return StaffLimitPublic(
        limit=_public(view.overview),
        history_notes=[h.note for h in view.overview.history],
        features=None
        if f is None
        else LimitFeaturesPublic(
            months_on_book=f.months_on_book,
            current_dpd=f.current_dpd,
            worst_dpd_12m=f.worst_dpd_12m,
            delinquent_months_3m=f.delinquent_months_3m,
            delinquent_months_6m=f.delinquent_months_6m,
            delinquent_months_12m=f.delinquent_months_12m,
            on_time_share_bps=f.on_time_share_bps,
            utilization_bps=f.utilization_bps,
            utilization_avg_bps=f.utilization_avg_bps,
            payment_to_due_bps=f.payment_to_due_bps,
            drawn_12m=money(f.drawn_12m, cur),
            repaid_12m=money(f.repaid_12m, cur),
            prepaid_12m=money(f.prepaid_12m, cur),
        ),
        decisions=[
            LimitDecisionPublic(
                id=d.decision_id,
                on=d.on,
                kind=d.kind,
                arm=LimitArm(d.arm),
                action=LimitAction(d.action),
                old_limit=money(d.old_limit, cur),
                new_limit=money(d.new_limit, cur),
                reason_codes=list(d.reason_codes),
                policy_version=d.policy_version,
                model_version=d.model_version,
            )
            for d in view.decisions
        ],
        pending_change_request=view.pending_change,
    )


@router.post(
    "/staff/credit-lines/{line_id}/limit-changes",
    status_code=201,
    response_model=LimitChangePublic,
    summary="Staff: change a limit with a reason (a temporary one with `until`): a decrease "
    "applies now, an increase is offered to the borrower; above the policy's threshold it waits "
    "for a second staff member",
)
def change_limit(
    line_id: LineId, body: LimitChangeCreate, agent: Agent, context: Context
) -> LimitChangePublic:
    done = limit_changes.change_limit_by_staff(
        context.engine,
        line_id,
        Money.of(body.limit),
        reason=body.reason,
        actor=agent,
        until=body.until,
        verified_income=_income(body.verified_income),
    )
    return LimitChangePublic(
        applied=done.applied,
        request_id=done.request_id,
        offer_id=done.offer_id,
        limit=_public(done.overview),
    )


@router.post(
    "/staff/limit-change-requests/{request_id}/approval",
    response_model=LimitPublic,
    summary="Staff: approve another staff member's limit change (maker-checker): a decrease "
    "applies now, an increase is offered to the borrower",
)
def approve_change(request_id: RequestId, agent: Agent, context: Context) -> LimitPublic:
    done = limit_changes.approve_limit_change(context.engine, request_id, approver=agent)
    return _public(done.overview)


def _income(yuan: str | None) -> Money | None:
    return None if yuan is None else Money.of(yuan, field="verified_income")
