"""API models of phone sign-in and real-name verification (实名认证)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from thinfile.api.models import TokenPublic
from thinfile.http.phone_accounts import SmsCodeRequest, SmsSignIn

__all__ = [
    "PhoneTokenPublic",
    "RealNamePublic",
    "SmsCodeRequest",
    "SmsCodeSentPublic",
    "SmsSignIn",
]


class PhoneTokenPublic(TokenPublic):
    device_token: str = Field(
        description="Keep it on the device and send it with the next code request and sign-in"
        " (`device_token`): codes asked for with it are the known devices' own, so wrong tries"
        " by anyone else at the number never pause them. Every device that signs in to the"
        " account gets the same one; signing out changes it"
    )


class SmsCodeSentPublic(BaseModel):
    phone: str = Field(description="The number the code went to, masked")
    expires_in: int = Field(description="Seconds the code works")
    resend_after: int = Field(description="Seconds before another code may be asked for")


class RealNamePublic(BaseModel):
    applicant_id: str
    verified: bool
    provider: str | None = None
    reference: str | None = Field(default=None, description="The provider's id of the check")
    verified_at: datetime | None = None
