"""API models for staff work: referrals, replay, servicing actions, COB, policies, models."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool

from thinfile.api.models_applications import YUAN
from thinfile.decisioning.challenger import ModelStatus, PolicyStatus
from thinfile.decisioning.engine import Outcome
from thinfile.services.applications_records import ApplicationStatus
from thinfile.services.reasons import REASON_MAX_CHARS, REASON_MIN_CHARS, REVIEW_NOTE_MAX_CHARS
from thinfile.servicing.account import LoanStatus

__all__ = [
    "AmountCreate",
    "ApplicationSummaryPublic",
    "ChallengerCreate",
    "CobCreate",
    "CobPublic",
    "CobStepPublic",
    "LedgerPublic",
    "MerchantRefundCreate",
    "ModelPublic",
    "PolicyPublic",
    "ReasonCreate",
    "ReplayPublic",
    "ReversalPublic",
    "ReviewCreate",
    "SimulationCreate",
    "SimulationCsvCreate",
    "SimulationPublic",
    "SimulationReportPublic",
    "WaiverCreate",
    "WaiverPublic",
    "WriteOffRequestPublic",
]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


_REASON = (
    f"Why, {REASON_MIN_CHARS} to {REASON_MAX_CHARS} characters once stripped (kept on "
    "the journal entry and in the audit log; the console asks the same)"
)


class ApplicationSummaryPublic(BaseModel):
    """An application in a staff list: no personal data."""

    id: str
    applicant_id: str
    status: ApplicationStatus
    outcome: Outcome
    grade: str = Field(description="Risk grade, named by the policy")
    score: int
    requested_amount: str
    reason_codes: list[str]
    submitted_at: str
    loan_id: int | None


class ReviewCreate(_In):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"approve": True, "note": "income verified by platform statement"}]
        }
    )

    approve: StrictBool
    note: str = Field(
        min_length=1,
        max_length=REVIEW_NOTE_MAX_CHARS,
        description=f"A note for the file, 1 to {REVIEW_NOTE_MAX_CHARS} characters once "
        "stripped (kept on the application and shown in the console; the console asks the same)",
    )


class ReplayPublic(BaseModel):
    identical: bool = Field(description="True when the stored decision is reproduced exactly")
    original_outcome: Outcome
    replayed_outcome: Outcome
    policy_version: str
    model_version: str


class ReasonCreate(_In):
    model_config = ConfigDict(json_schema_extra={"examples": [{"reason": "fraud confirmed"}]})

    reason: str = Field(
        min_length=REASON_MIN_CHARS, max_length=REASON_MAX_CHARS, description=_REASON
    )


class AmountCreate(_In):
    model_config = ConfigDict(json_schema_extra={"examples": [{"amount": "100.00"}]})

    amount: str = Field(pattern=YUAN)


class MerchantRefundCreate(_In):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"amount": "100.00", "reason": "returned handset, merchant RMA-0042"}]
        }
    )

    amount: str = Field(pattern=YUAN, description="Yuan the merchant refunded on the purchase")
    reason: str = Field(
        min_length=REASON_MIN_CHARS, max_length=REASON_MAX_CHARS, description=_REASON
    )


class WaiverCreate(_In):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "amount": "30.00",
                    "reason": "late fee charged while the bank was down",
                    "kind": "fee",
                }
            ]
        }
    )

    amount: str = Field(
        pattern=YUAN, description="Yuan to waive, at most what is owed of that kind"
    )
    reason: str = Field(
        min_length=REASON_MIN_CHARS, max_length=REASON_MAX_CHARS, description=_REASON
    )
    kind: Literal["fee", "penalty"] | None = Field(
        default=None,
        description="fee: fees accrued and unpaid (late fees included); "
        "penalty: penalty interest (罚息); absent: penalty first, then fees",
    )


class WaiverPublic(BaseModel):
    txn_id: int
    loan_id: int
    on: date
    amount: str = Field(description="Yuan waived in all")
    waived_fee: str
    waived_penalty: str
    loan_status: LoanStatus


class ReversalPublic(BaseModel):
    txn_id: int
    reversed_txn_id: int
    loan_status: LoanStatus
    adjusted: bool = Field(
        description="True when replaying later history changed more than the reversed payment"
    )


class CobCreate(_In):
    model_config = ConfigDict(json_schema_extra={"examples": [{"through": "2026-11-25"}]})

    through: date = Field(description="Close every open business date up to this one")


class CobStepPublic(BaseModel):
    day: date
    step: str
    rows: int
    seconds: float


class CobPublic(BaseModel):
    days: list[date]
    steps: list[CobStepPublic]
    business_date: date = Field(description="The business date open for postings now")


class LedgerPublic(BaseModel):
    ok: bool
    problems: list[str]


class PolicyPublic(BaseModel):
    version: str
    name: str
    status: PolicyStatus
    share: str = Field(description="Share of applicants routed to it (challenger only)")


class ChallengerCreate(_In):
    model_config = ConfigDict(json_schema_extra={"examples": [{"version": None, "share": "0.1"}]})

    version: str | None = Field(
        default=None, min_length=1, max_length=80, description="The challenger; null removes it"
    )
    share: str = Field(pattern=r"^(0(\.[0-9]{1,4})?|1(\.0{1,4})?)$", description="0 to 1")


class ModelPublic(BaseModel):
    version: str
    status: ModelStatus


class SimulationCreate(_In):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"applicants": 200, "seed": 7, "policy_version": None, "on": "2026-01-01"}]
        }
    )

    applicants: int = Field(ge=1, le=500, description="Synthetic applicants to decide")
    seed: int = Field(default=0, ge=0, le=2**31 - 1)
    policy_version: str | None = Field(
        default=None,
        min_length=1,
        max_length=80,
        description="Candidate policy (default: the active one); compared with the active one",
    )
    on: date | None = Field(default=None, description="Decision date (default today)")


class SimulationCsvCreate(_In):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "csv": "birth_date,segment,months_in_city,purpose,requested_amount,"
                    "requested_term_months,id_number,phone,bad_12m\n"
                    "1995-03-07,delivery_rider,24,phone_purchase,600000,12,"
                    "110101199503070018,13800138000,0\n",
                    "policy_version": None,
                }
            ]
        }
    )

    csv: str = Field(
        min_length=1,
        max_length=60_000,
        description="Past applications as CSV "
        "(thinfile.sim columns, money in fen, optional bad_12m outcome)",
    )
    policy_version: str | None = Field(default=None, min_length=1, max_length=80)
    on: date | None = None


_RATE = Field(description="A fraction to six places; null where nobody was approved")
_YUAN_OR_NONE = Field(pattern=r"^-?[0-9]+\.[0-9]{2}$", description="Yuan; null where none")


class RateDistributionPublic(BaseModel):
    """Nearest-rank percentiles of the nominal annualized rate, and counts by rate band."""

    p10: str
    p50: str
    p90: str
    bands: dict[str, int] = Field(description="Approved applications by rate band")


class TallyPublic(BaseModel):
    """Counts, rates and expected economics of one group of simulated decisions."""

    applications: int
    approved: int
    approval_rate: float
    referral_rate: float
    expected_bad_rate: float | None = _RATE
    realised_bad_rate: float | None = Field(
        description="Bad rate among approved with a known outcome; null without outcomes"
    )
    average_annualized_rate: str | None = _RATE
    average_amount: str | None = _YUAN_OR_NONE
    average_effective_rate: str | None = _RATE
    rate_distribution: RateDistributionPublic | None
    share_at_cap: float | None = _RATE
    expected_interest: str | None = _YUAN_OR_NONE
    expected_fees: str | None = _YUAN_OR_NONE
    expected_loss: str | None = _YUAN_OR_NONE
    expected_margin: str | None = _YUAN_OR_NONE
    expected_margin_points: str | None = Field(
        description="Expected margin a year, in percentage points of the amount lent"
    )
    with_programme: int = Field(description="Approvals under a pricing programme")


class SegmentTallyPublic(TallyPublic):
    """One occupation's figures, with its share of the overall approval rate and its flags."""

    approval_share_of_average: float | None
    below_min_share: bool
    above_target_bad_rate: bool
    mostly_at_cap: bool
    negative_margin: bool
    programme_margin: bool
    flagged: bool


class SimulationArmPublic(BaseModel):
    """What one policy decided over the simulated applications."""

    policy_version: str
    overall: TallyPublic
    by_file: dict[str, TallyPublic] = Field(description="thin-file and thick-file")
    by_grade: dict[str, TallyPublic]
    by_segment: dict[str, SegmentTallyPublic]
    flagged_segments: list[str]


class SimulationChangePublic(BaseModel):
    """The candidate's change from the baseline (rates as fractions, money in yuan)."""

    approval_rate: float
    swap_in: int = Field(description="Approved by the candidate, not by the baseline")
    swap_out: int = Field(description="Approved by the baseline, not by the candidate")
    average_annualized_rate: str | None
    average_effective_rate: str | None
    share_at_cap: str | None
    expected_interest: str | None
    expected_fees: str | None
    expected_loss: str | None
    expected_margin: str | None


class SimulationReportPublic(BaseModel):
    model_version: str
    min_segment_share: str
    target_bad_rate: str | None
    candidate: SimulationArmPublic
    baseline: SimulationArmPublic | None = Field(
        description="The active policy, when the candidate is another one"
    )
    change: SimulationChangePublic | None


class SimulationPublic(BaseModel):
    report: SimulationReportPublic = Field(
        description="Approval, expected and realised bad rates, "
        "price and segment tables; change from the active policy"
    )


class WriteOffRequestPublic(BaseModel):
    """A write-off waiting for (or given) a second staff member's approval."""

    id: int
    loan_id: int
    reason: str
    requested_by: str = Field(description="The requesting staff member's user id")
    requested_on: date
    status: Literal["pending", "approved"]
    decided_by: str | None = Field(description="The approving staff member's user id")
    txn_id: int | None = Field(description="The write-off's transaction, once approved")
