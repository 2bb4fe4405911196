"""API models of bank cards bound for repayments (绑卡)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["CardBindingConfirm", "CardBindingRequest", "CardBindingStartedPublic", "CardPublic"]


class CardBindingRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"card_number": "6222 0212 3456 7890 128", "phone": "13812345678"}]
        },
    )

    card_number: str = Field(
        min_length=16, max_length=23, description="16 to 19 digits; spaces allowed; never stored"
    )
    phone: str = Field(max_length=20, description="The mobile number reserved at the bank")


class CardBindingStartedPublic(BaseModel):
    card_id: str
    phone: str = Field(description="Where the bank texted the code, masked")
    sandbox_sms_code: str | None = Field(
        default=None, description="The code, shown only by the sandbox gateway"
    )


class CardBindingConfirm(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"sms_code": "042917"}]}
    )

    sms_code: str = Field(min_length=4, max_length=8, pattern=r"^[0-9]{4,8}$")


class CardPublic(BaseModel):
    id: str
    bank_name: str
    last_four: str
    is_default: bool
    bound_at: datetime
