"""API models for staff work: referrals, replay, servicing actions, COB, policies, models."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool

from thinfile.api.models_applications import YUAN
from thinfile.services.reasons import REASON_MAX_CHARS, REASON_MIN_CHARS, REVIEW_NOTE_MAX_CHARS

__all__ = [
    "AmountCreate",
    "ApplicationSummaryPublic",
    "ChallengerCreate",
    "CobCreate",
    "CobPublic",
    "CobStepPublic",
    "LedgerPublic",
    "ModelPublic",
    "PolicyPublic",
    "ReasonCreate",
    "ReplayPublic",
    "ReversalPublic",
    "ReviewCreate",
    "SimulationCreate",
    "SimulationCsvCreate",
    "SimulationPublic",
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
    status: str
    outcome: str
    grade: str
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
    original_outcome: str
    replayed_outcome: str
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
    loan_status: str


class ReversalPublic(BaseModel):
    txn_id: int
    reversed_txn_id: int
    loan_status: str
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
    status: str = Field(description="active, challenger, candidate or retired")
    share: str = Field(description="Share of applicants routed to it (challenger only)")


class ChallengerCreate(_In):
    model_config = ConfigDict(json_schema_extra={"examples": [{"version": None, "share": "0.1"}]})

    version: str | None = Field(
        default=None, min_length=1, max_length=80, description="The challenger; null removes it"
    )
    share: str = Field(pattern=r"^(0(\.\d{1,4})?|1(\.0{1,4})?)$", description="0 to 1")


class ModelPublic(BaseModel):
    version: str
    status: str


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


class SimulationPublic(BaseModel):
    report: dict[str, Any] = Field(
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
