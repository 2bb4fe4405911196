"""API models (``XCreate`` in, ``XPublic`` out): separate from tables and from service records.

The account forms (``SignUp``, ``SignIn``, ``ApplicantCreate``) are shared with the pages and
live in :mod:`thinfile.http.accounts`; they are listed here with the others.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool

from thinfile.http.accounts import ApplicantCreate, PasswordChange, SignIn, SignUp
from thinfile.security.roles import Role
from thinfile.services.consent import DataCategory, Purpose

__all__ = [
    "ApiKeyCreate",
    "ApiKeyCreated",
    "ApplicantCreate",
    "ApplicantPublic",
    "AuditReportPublic",
    "ConsentCatalogPublic",
    "ConsentCreate",
    "ConsentPublic",
    "ConsentUsePublic",
    "PasswordChange",
    "PurposeRulePublic",
    "SignIn",
    "SignUp",
    "SignUpAccepted",
    "StaffUserCreate",
    "TokenPublic",
    "UserPublic",
]

_ID = Field(min_length=32, max_length=32, pattern=r"^[0-9a-f]{32}$")


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class StaffUserCreate(SignUp):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "email": "ops@lender.example",
                    "password": "a long staff secret",
                    "role": "underwriter",
                }
            ]
        }
    )

    role: Role


class SignUpAccepted(BaseModel):
    """The one answer to a sign-up, whether or not the address already had an account."""

    message: str = Field(
        description="What to do next: sign in with the password chosen, or with the existing "
        "account's own password"
    )


class UserPublic(BaseModel):
    id: str
    email: str | None
    role: Role
    created_at: datetime


class TokenPublic(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int = Field(description="Seconds until the token expires")
    role: Role


class ApiKeyCreate(_In):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"user_id": "0" * 32, "name": "checkout integration"}]}
    )

    user_id: str = _ID
    name: str = Field(min_length=1, max_length=100)


class ApiKeyCreated(BaseModel):
    id: str
    user_id: str
    name: str
    prefix: str
    key: str = Field(description="The secret key; shown only this once")


class ApplicantPublic(BaseModel):
    id: str
    name: str
    id_number: str
    phone: str
    masked: bool = Field(description="True when identifiers are masked (staff views)")
    created_at: datetime


class ConsentCreate(_In):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "data_category": "gig_platform_income",
                    "purpose": "credit_assessment",
                    "notice_version": "2025-01",
                    "separate_consent": False,
                }
            ]
        }
    )

    data_category: DataCategory
    purpose: Purpose
    notice_version: str = Field(
        min_length=1, max_length=40, description="Version of the notice the applicant was shown"
    )
    separate_consent: StrictBool = Field(
        default=False,
        description="True when this sensitive category was consented to on its own notice "
        "(PIPL art. 29); required for bank_account, location and biometric",
    )


class ConsentPublic(BaseModel):
    id: str
    applicant_id: str
    data_category: DataCategory
    purpose: Purpose
    sensitive: bool
    separate_consent: bool
    notice_version: str
    granted_at: datetime
    revoked_at: datetime | None
    active: bool


class ConsentUsePublic(BaseModel):
    """One operation that reads a consent: which, and what happens without it."""

    operation: str = Field(examples=["POST /v1/applicants/{applicant_id}/applications"])
    data_categories: list[DataCategory] = Field(description="Consent to any one of these")
    required: bool = Field(
        description="true: refused with 403 consent_required without it; false: optional"
    )
    effect: str = Field(description="What the consent lets the operation do")


class PurposeRulePublic(BaseModel):
    """What a purpose means and which operations need a consent for it."""

    purpose: Purpose
    meaning: str
    uses: list[ConsentUsePublic]


class ConsentCatalogPublic(BaseModel):
    data_categories: list[DataCategory]
    sensitive_categories: list[DataCategory] = Field(
        description="Consent to these needs separate_consent: true (PIPL art. 29)"
    )
    purposes: list[Purpose]
    rules: list[PurposeRulePublic] = Field(
        description="Per purpose: what it means and what each operation requires"
    )


class AuditReportPublic(BaseModel):
    rows_checked: int
    intact: bool
    problems: list[str]
