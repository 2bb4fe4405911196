"""API models of purchase disputes: what a borrower sends, what staff send, what both read."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from thinfile.api.models_applications import PlainText
from thinfile.services.disputes import DISPUTE_REASON_MAX_CHARS
from thinfile.services.reasons import REASON_MAX_CHARS, REASON_MIN_CHARS

__all__ = ["DisputeCreate", "DisputeListPublic", "DisputePublic", "DisputeResolution"]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class DisputeCreate(_In):
    model_config = ConfigDict(json_schema_extra={"examples": [{"reason": "never delivered"}]})

    reason: PlainText = Field(
        min_length=3, max_length=DISPUTE_REASON_MAX_CHARS, description="What is wrong"
    )


class DisputeResolution(_In):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"outcome": "refund", "reason": "merchant agreed"}]}
    )

    outcome: Literal["refund", "reject"] = Field(
        description="refund: the captured remainder is refunded; reject: aging resumes"
    )
    reason: str = Field(min_length=REASON_MIN_CHARS, max_length=REASON_MAX_CHARS)


class DisputePublic(BaseModel):
    id: str
    session_id: str
    merchant_id: str
    status: Literal["open", "resolved-refunded", "resolved-rejected"]
    reason: str
    opened_on: date
    opened_at: datetime
    resolved_on: date | None
    resolved_by: str | None
    staff_reason: str | None
    refunded: str = Field(description="Yuan refunded by the resolution")
    loan_ids: list[int]


class DisputeListPublic(BaseModel):
    items: list[DisputePublic]
