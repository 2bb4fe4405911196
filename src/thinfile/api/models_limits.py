"""API models of credit limits: the borrower's limit, offers, requests; staff changes."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt

from thinfile.api.models_applications import YUAN, CalendarDate, OfferPublic
from thinfile.decisioning.challenger import PolicyStatus
from thinfile.decisioning.limits import LimitAction, LimitArm
from thinfile.services.acceptance import MIN_READING_SECONDS
from thinfile.services.limit_policy_simulations import (
    MAX_SIMULATED_APPLICANTS,
    MIN_SIMULATED_APPLICANTS,
)
from thinfile.services.reasons import REASON_MAX_CHARS, REASON_MIN_CHARS
from thinfile.servicing.creditline import LineStatus

__all__ = [
    "ArmOutcomePublic",
    "ArmOutcomesPublic",
    "DrawQuotePublic",
    "LimitAnswerPublic",
    "LimitChangeCreate",
    "LimitChangePublic",
    "LimitDecisionPublic",
    "LimitFeaturesPublic",
    "LimitHistoryPublic",
    "LimitOfferPublic",
    "LimitPublic",
    "LimitSimulationCreate",
    "LimitSimulationPublic",
    "QuotedDrawCreate",
    "ReasonWords",
    "StaffLimitPublic",
]


class ReasonWords(BaseModel):
    code: str
    text: str
    text_zh: str


class LimitOfferPublic(BaseModel):
    id: int
    old_limit: str
    new_limit: str
    offered_on: date
    expires_on: date
    until: date | None = Field(
        description="A temporary limit's last day (its night puts the limit back); null: for good"
    )
    reasons: list[ReasonWords]


class LimitHistoryPublic(BaseModel):
    on: date
    old_limit: str
    new_limit: str
    reasons: list[ReasonWords]


class LimitPublic(BaseModel):
    """A credit line's limit as its borrower sees it (yuan text)."""

    line_id: int
    status: LineStatus
    currency: str = Field(description="ISO 4217 code (CNY)")
    limit: str
    used: str
    available: str
    next_review: date
    offers: list[LimitOfferPublic]
    history: list[LimitHistoryPublic]


class LimitAnswerPublic(BaseModel):
    """The instant answer to a request for a higher limit."""

    decision_id: int
    outcome: Literal["offered"] | LimitAction = Field(
        description="offered: a higher limit to accept (offer_id); otherwise the action taken"
    )
    limit: str
    offered_limit: str | None
    offer_id: int | None
    reasons: list[ReasonWords] = Field(
        description="Why, in plain words; when the behaviour grade stopped the increase, what "
        "the behaviour model weighed against the line follows (its codes R01…)"
    )


class LimitChangeCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={"examples": [{"limit": "8000.00", "reason": "income verified again"}]},
    )

    limit: str = Field(pattern=YUAN, description="The new limit in yuan")
    reason: str = Field(min_length=REASON_MIN_CHARS, max_length=REASON_MAX_CHARS)
    until: CalendarDate | None = Field(
        default=None,
        description="For a temporary limit: the date it ends (the limit before it returns)",
    )
    verified_income: str | None = Field(
        default=None,
        pattern=YUAN,
        description="The borrower's monthly income in yuan the staff member verified, recorded "
        "with the change; an increase is bounded by what the recorded income repays",
    )


class LimitFeaturesPublic(BaseModel):
    months_on_book: int
    current_dpd: int
    worst_dpd_12m: int
    delinquent_months_3m: int
    delinquent_months_6m: int
    delinquent_months_12m: int
    on_time_share_bps: int | None
    utilization_bps: int | None
    utilization_avg_bps: int | None
    payment_to_due_bps: int | None
    drawn_12m: str
    repaid_12m: str
    prepaid_12m: str


class LimitDecisionPublic(BaseModel):
    id: int
    on: date
    kind: str = Field(description="What made the decision: review, request, …")
    arm: LimitArm
    action: LimitAction
    old_limit: str
    new_limit: str
    reason_codes: list[str]
    policy_version: str
    model_version: str | None = Field(
        description="The behaviour model that graded the line; null: the policy's rules did"
    )


class StaffLimitPublic(BaseModel):
    limit: LimitPublic
    history_notes: list[str | None]
    features: LimitFeaturesPublic | None
    decisions: list[LimitDecisionPublic]
    pending_change_request: int | None


class LimitChangePublic(BaseModel):
    applied: bool = Field(description="A decrease: the limit moved now")
    request_id: int | None = Field(description="Waiting for a second staff member's approval")
    offer_id: int | None = Field(
        description="An increase: offered to the borrower, it moves the limit only when accepted"
    )
    limit: LimitPublic


class LimitPolicyPublic(BaseModel):
    version: str = Field(description="limits-sha256:…, the hash of the policy's content")
    name: str
    status: PolicyStatus
    share: str = Field(description="The challenger's share of the lines outside the control group")
    registered_at: datetime
    ceiling: str = Field(description="The programme's largest limit, yuan")
    control_share: str = Field(description="Lines held out of automatic increases")
    request_interval_days: int
    manual_approval_above: str = Field(
        description="A staff change larger than this (yuan) needs a second staff member"
    )


class LimitPolicyCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "policy_json": '{"format_version": 1, "name": "new-citizen limits"}',
                    "decision_json": '{"contentType": "application/vnd.gorules.decision"}',
                }
            ]
        },
    )

    policy_json: str = Field(
        min_length=2, max_length=20_000, description="The text of the folder's policy.json"
    )
    decision_json: str = Field(
        min_length=2,
        max_length=500_000,
        description="The text of the folder's decision.json (a GoRules graph)",
    )


class LimitChallengerCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={
            "examples": [{"version": "limits-sha256:0123456789abcdef", "share": "0.2"}]
        },
    )

    version: str = Field(min_length=1, max_length=80, description="A registered limit policy")
    share: str = Field(
        pattern=r"^0(\.[0-9]{1,4})?$",
        description="Its share of the lines outside the control group, 0 to 0.5",
    )


class DrawQuotePublic(BaseModel):
    """A draw as it would open today, before the borrower confirms it (支用前的费用明示)."""

    line_id: int
    currency: str
    available: str = Field(
        description="The line's available amount this quote was made against: send it back "
        "with the draw, which is refused (409) if the line changed since"
    )
    terms: list[int] = Field(description="The terms (months) a draw may have")
    offer: OfferPublic = Field(
        description="The loan the draw would open: its schedule, annualized rate and all-in "
        "cost statement, to show the borrower before the draw"
    )


class QuotedDrawCreate(BaseModel):
    """The borrower's draw as quoted, once they have read its cost statement."""

    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={
            "examples": [
                {
                    "amount": "500.00",
                    "term_months": 3,
                    "available": "6000.00",
                    "confirm": True,
                    "seconds_read": 15.0,
                }
            ]
        },
    )

    amount: str = Field(pattern=YUAN, description="Yuan drawn")
    term_months: StrictInt = Field(ge=1, le=36, description="One of the quote's terms")
    available: str = Field(pattern=YUAN, description="The quote's available amount")
    confirm: StrictBool = Field(description="true once the borrower has read the cost statement")
    seconds_read: float | None = Field(
        default=None,
        ge=0,
        le=86_400,
        description=f"Seconds the quote's statement was on screen: when given, at least "
        f"{MIN_READING_SECONDS} (the reading pause of an offer's acceptance), else 422 "
        "invalid_input, details.field seconds_read. Optional within /v1 only: send it; "
        "/v2 will require it",
    )
    statement_shown_at: datetime | None = Field(
        default=None,
        description="When the statement was shown; with seconds_read, the time read is at "
        "most the time since then",
    )


class LimitSimulationCreate(BaseModel):
    """A limit-policy simulation over a synthetic book made from ``seed``."""

    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={
            "examples": [
                {
                    "applicants": 1000,
                    "seed": 7,
                    "policy_version": None,
                    "baseline_version": "limits-sha256:0123456789abcdef",
                }
            ]
        },
    )

    applicants: int = Field(
        default=1000,
        ge=MIN_SIMULATED_APPLICANTS,
        le=MAX_SIMULATED_APPLICANTS,
        description="Synthetic applicants in the book",
    )
    seed: int = Field(default=7, ge=0, le=2**31 - 1, description="Makes the same book again")
    policy_version: str | None = Field(
        default=None,
        min_length=1,
        max_length=80,
        description="A registered version; the active one when absent",
    )
    baseline_version: str | None = Field(
        default=None,
        min_length=1,
        max_length=80,
        description="A registered version to compare with",
    )
    months: int = Field(default=18, ge=1, le=36, description="Months on book")
    take_up: str = Field(
        default="0.8",
        pattern=r"^(0(\.[0-9]{1,4})?|1(\.0{1,4})?)$",
        description="Share of offered increases borrowers accept, 0 to 1",
    )


class LimitMonthPublic(BaseModel):
    """The simulated lines at one month on book (of the whole book or one segment)."""

    month: int
    lines: int = Field(description="Lines on the book that month")
    band_shares: dict[str, str | None] = Field(
        description="Share of the lines in each limit band, by the band's label (yuan)"
    )
    at_ceiling_share: str | None = Field(description="Share of the lines at the ceiling")
    average_limit: str | None = Field(description="Average limit, yuan")
    utilization: str | None = Field(description="Balance over limit, all lines together")
    decisions: dict[str, int] = Field(description="Limit decisions that month, by action")


class LimitLossGroupPublic(BaseModel):
    """Lines raised (or held back in the control group) and what they lost afterwards."""

    lines: int
    balance_at_entry: str = Field(description="Their balance at the (would-be) increase, yuan")
    charged_off: str = Field(description="Charged off after it, yuan")
    defaulted_lines: int
    loss_rate: str | None = Field(description="Charged off over the balance at entry")


class LimitLossPublic(BaseModel):
    increased: LimitLossGroupPublic
    control: LimitLossGroupPublic


class LimitRunPublic(BaseModel):
    """One policy's run over the book."""

    policy_version: str
    ceiling: str = Field(description="The policy's ceiling, yuan")
    by_month: list[LimitMonthPublic]
    by_segment: dict[str, list[LimitMonthPublic]] = Field(description="By applicant segment")
    loss: LimitLossPublic


class LimitChangeMonthPublic(BaseModel):
    """Candidate minus baseline at one month on book."""

    month: int
    at_ceiling_share: str | None
    average_limit: str | None = Field(description="Yuan")
    utilization: str | None


class LimitChangePublicLoss(BaseModel):
    increased: str | None = Field(description="Loss rate of raised lines, candidate − baseline")
    control: str | None = Field(description="Loss rate of control lines, candidate − baseline")


class LimitSimulationChangePublic(BaseModel):
    by_month: list[LimitChangeMonthPublic]
    loss_rate: LimitChangePublicLoss


class LimitSimulationPublic(BaseModel):
    """A limit policy's run (and a baseline's, with the change between them) over months on
    book of a synthetic book, as ``thinfile limits simulate`` reports it."""

    lines: int = Field(description="Lines simulated")
    left_out_above_ceiling: int = Field(description="Loans above the ceiling, left out")
    months: int
    take_up: str = Field(description="Share of offered increases borrowers accept")
    candidate: LimitRunPublic
    baseline: LimitRunPublic | None
    change: LimitSimulationChangePublic | None


class ArmOutcomePublic(BaseModel):
    """One arm's lines after a review: what it did, and how they stand at the snapshot."""

    arm: LimitArm
    lines: int = Field(description="Lines the review decided in this arm")
    offered: int = Field(description="Increases offered")
    accepted: int = Field(description="Of which accepted by the borrower")
    held_out: int = Field(description="Would-be increases held back (the control group)")
    reduced: int = Field(description="Decreases and freezes")
    observed: int = Field(description="Lines in the snapshot the figures below are of")
    average_limit: str | None = Field(description="Yuan")
    utilization: str | None = Field(description="Balance over limit, the arm's lines together")
    past_due_30_share: str | None = Field(description="Share of lines 30+ days past due")


class ArmOutcomesPublic(BaseModel):
    review_on: date
    observed_on: date | None = Field(description="The snapshot's day (none taken yet: null)")
    arms: list[ArmOutcomePublic]
