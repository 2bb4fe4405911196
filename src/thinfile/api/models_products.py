"""A partner merchant's mall products over the API."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, StrictBool

from thinfile.api.models_applications import YUAN
from thinfile.commerce import MerchantCategory

__all__ = ["ProductChange", "ProductCreate", "ProductPublic"]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ProductCreate(_In):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"name": "电动车 48V", "category": "e-bikes", "price": "3999.00"}]
        }
    )

    name: str = Field(min_length=1, max_length=200)
    category: MerchantCategory
    price: str = Field(pattern=YUAN, description='Yuan, e.g. "3999.00"; at most 1,000,000')


class ProductChange(_In):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"price": "3799.00"}, {"on_sale": False}]}
    )

    price: str | None = Field(default=None, pattern=YUAN, description="A new price in yuan")
    on_sale: StrictBool | None = Field(
        default=None, description="false takes it off the mall; true puts it back"
    )


class ProductPublic(BaseModel):
    id: str
    merchant_id: str
    name: str
    category: MerchantCategory
    price: str = Field(description="Yuan")
    on_sale: bool
    created_at: datetime
