"""The phone sign-in forms both interfaces accept (as JSON bodies or as form fields).

Like :mod:`thinfile.http.accounts`, one model per form so that the API and the pages accept or
refuse a field alike. They check the shape only: the number itself is validated in one place,
:func:`thinfile.services.phone_sign_in.phone_number`.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from thinfile.security.otp import CODE_DIGITS

__all__ = ["DEVICE_TOKEN", "PHONE", "SmsCodeRequest", "SmsSignIn"]

PHONE = r"^[+0-9][0-9 \-]{9,18}$"
DEVICE_TOKEN = r"^[0-9a-f]{64}$"
_DEVICE = (
    "The device token a sign-in on this device gave (`device_token`): the code is then the "
    "known devices' own, and a stranger's wrong tries at the number do not pause it"
)


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class SmsCodeRequest(_In):
    """Send me a sign-in code (borrowers sign up or in with a mobile number)."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"phone": "13812345678"}]})

    phone: str = Field(pattern=PHONE, description="Mainland mobile number")
    device_token: str | None = Field(default=None, pattern=DEVICE_TOKEN, description=_DEVICE)


class SmsSignIn(_In):
    """Sign in with the code the SMS brought."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"phone": "13812345678", "code": "042917"}]}
    )

    phone: str = Field(pattern=PHONE, description="Mainland mobile number")
    code: str = Field(pattern=rf"^[0-9]{{{CODE_DIGITS}}}$", description="The six digits of the SMS")
    device_token: str | None = Field(default=None, pattern=DEVICE_TOKEN, description=_DEVICE)
