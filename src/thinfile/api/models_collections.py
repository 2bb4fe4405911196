"""API models for collections: worklists, cases, contacts, promises, hardship plans, agencies."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt

from thinfile.api.models_applications import YUAN, CalendarDate, PlainText
from thinfile.collections import ContactOutcome, HardshipKind, HardshipStatus, PromiseStatus
from thinfile.services.collection_views import NOTE_MAX_CHARS
from thinfile.services.reasons import REASON_MAX_CHARS, REASON_MIN_CHARS

__all__ = [
    "AgencyCreate",
    "AgencyUserCreate",
    "AssigneeCreate",
    "CasePublic",
    "CaseSummaryPublic",
    "ContactCreate",
    "ContactPublic",
    "HardshipPlanPublic",
    "MeasurePublic",
    "NoteCreate",
    "NotePublic",
    "PartyCreate",
    "PlanCreate",
    "PromiseCreate",
    "PromisePublic",
]

_PHONE = r"^1[3-9][0-9]{9}$"
_CODE = r"^[a-z0-9][a-z0-9-]{0,39}$"


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class CaseSummaryPublic(BaseModel):
    case_id: int
    loan_id: int
    bucket: str
    strategy: str
    arm: str
    days_past_due: int
    assignee: str | None
    agency: str | None
    opened_on: date


class ContactCreate(_In):
    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={
            "examples": [
                {
                    "channel": "phone",
                    "party": "borrower",
                    "phone": "13812345678",
                    "purpose": "collect",
                    "script": "overdue-reminder",
                    "reason": "two installments past due",
                    "outcome": "unanswered",
                }
            ]
        },
    )
    channel: Literal["phone", "sms", "visit", "letter"]
    party: Literal["borrower", "emergency_contact", "third_party"]
    phone: str = Field(pattern=_PHONE, description="The number called (11-digit mobile)")
    purpose: Literal["collect", "locate"]
    script: str = Field(min_length=1, max_length=40)
    reason: PlainText = Field(max_length=500, description="Why this contact (required, not blank)")
    outcome: Literal[
        "answered",
        "unanswered",
        "invalid_number",
        "promise",
        "refused_to_pay",
        "message_left",
        "asked_to_stop",
    ] = Field(
        description="asked_to_stop: a third party asked not to be contacted again; later "
        "contacts to the number on this loan are refused"
    )
    consented_out_of_hours: StrictBool = Field(
        default=False,
        deprecated=True,
        description="Ignored: a collector cannot agree for the borrower. A contact to the "
        "borrower from 22:00 to 08:00 their time is made only when the borrower's own consent "
        "stands at that time (data_category contact, purpose collection_out_of_hours, given "
        "and revoked by the borrower at /v1/applicants/{applicant_id}/consents); otherwise, "
        "true or not, it is refused with 403 conduct_rule_broken, rule contact_window. A third "
        "party is never contacted then. Still accepted so that existing clients' requests stay "
        "valid.",
    )


class ContactPublic(BaseModel):
    contact_id: int
    at: datetime
    channel: str
    party: str
    number_masked: str
    outcome: ContactOutcome | None
    script: str
    reason: str
    actor: str
    agency: str | None
    status: Literal["made", "refused"] = Field(description="refused: a conduct rule said no")
    rule: str | None


class NoteCreate(_In):
    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={"examples": [{"text": "Borrower's shop closed for renovation"}]},
    )
    text: PlainText = Field(min_length=1, max_length=NOTE_MAX_CHARS)


class NotePublic(BaseModel):
    note_id: int
    author: str = Field(description="The staff user who wrote it")
    at: datetime
    text: str


class PromiseCreate(_In):
    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={"examples": [{"amount": "1200.00", "due": "2026-12-20"}]},
    )
    amount: str = Field(pattern=YUAN)
    due: CalendarDate


class PromisePublic(BaseModel):
    promise_id: int
    amount: str
    made_on: date
    due: date
    status: PromiseStatus
    paid: str


class PlanCreate(_In):
    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={
            "examples": [
                {"kind": "payment_holiday", "months": 2, "reason": "lost delivery work for a month"}
            ]
        },
    )
    kind: Literal["payment_holiday", "term_extension", "restructure", "settlement"]
    months: StrictInt | None = Field(default=None, ge=0, le=12)
    amount: str | None = Field(default=None, pattern=YUAN)
    reason: str = Field(min_length=REASON_MIN_CHARS, max_length=REASON_MAX_CHARS)


class PlanDecline(_In):
    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={"examples": [{"reason": "income is back; the borrower pays as agreed"}]},
    )
    reason: str = Field(min_length=REASON_MIN_CHARS, max_length=REASON_MAX_CHARS)


class HardshipPlanPublic(BaseModel):
    plan_id: int
    loan_id: int
    kind: HardshipKind
    months: int
    amount: str | None
    status: HardshipStatus
    proposed_by: str
    proposed_on: date
    approved_by: str | None
    txn_id: int | None


class AssigneeCreate(_In):
    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={"examples": [{"assignee": "0123456789abcdef0123456789abcdef"}]},
    )
    assignee: str | None = Field(default=None, min_length=1, max_length=32)


class AgencyCreate(_In):
    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={"examples": [{"code": "agency-sz-01", "name": "深圳某催收服务公司"}]},
    )
    code: str = Field(pattern=_CODE)
    name: str = Field(default="", max_length=200)


class AgencyPublic(BaseModel):
    """An outsourced collection agency on the white list (委外催收机构名单)."""

    code: str
    name: str
    active: bool


class AgencyUserCreate(_In):
    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={"examples": [{"user_id": "0123456789abcdef0123456789abcdef"}]},
    )
    user_id: str = Field(min_length=1, max_length=32)


class PartyCreate(_In):
    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={
            "examples": [{"party": "emergency_contact", "phone": "13912345678", "name": "李明"}]
        },
    )
    party: Literal["borrower", "emergency_contact"]
    phone: str = Field(pattern=_PHONE)
    name: PlainText = Field(min_length=1, max_length=40)


class CasePublic(BaseModel):
    case_id: int
    loan_id: int
    status: Literal["open", "closed"]
    bucket: str
    strategy: str
    arm: str
    days_past_due: int
    overdue: str
    outstanding: str
    currency: str
    borrower_name_masked: str
    numbers_masked: list[tuple[str, str]]
    assignee: str | None
    agency: str | None
    contacts: list[ContactPublic]
    promises: list[PromisePublic]
    plans: list[HardshipPlanPublic]
    notes: list[NotePublic] = Field(
        description="In-house staff's notes, oldest first (an agency's collectors see none)"
    )


class MeasurePublic(BaseModel):
    strategy: str
    bucket: str
    cases: int
    cure_rate: str
    roll_forward_rate: str
    promise_kept_rate: str | None
