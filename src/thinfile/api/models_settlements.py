"""API models of merchant settlements: amounts as yuan text with two decimals."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel

__all__ = ["SettlementPublic", "SettlementsPublic"]


class SettlementPublic(BaseModel):
    """One day's settlement: net = captured − refunded − subsidy + subsidy returned − coupons."""

    merchant_id: str
    settlement_date: date
    currency: str
    captured: str
    refunded: str
    subsidy: str
    subsidy_returned: str
    coupons: str
    net: str
    event_id: str


class SettlementsPublic(BaseModel):
    settlements: list[SettlementPublic]
