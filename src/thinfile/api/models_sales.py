"""API models of the merchant-sales feed and working-capital decisions."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field

from thinfile.api.models_limits import ReasonWords
from thinfile.decisioning.working_capital import WorkingCapitalOutcome

__all__ = [
    "MAX_UPLOAD_ROWS",
    "SalesDayPublic",
    "SalesFeaturesPublic",
    "SalesIngestPublic",
    "SalesRowIn",
    "SalesUpload",
    "WorkingCapitalDecisionPublic",
]

MAX_UPLOAD_ROWS = 1_000
"""Rows per upload; the body must also fit ``THINFILE_MAX_BODY_BYTES`` (64 KB by default, about
600 rows): send a long history in several uploads (each all or nothing) or as a CSV file."""


class SalesRowIn(BaseModel):
    """One day's sales on one channel, as sent; every value is checked by the feed's rules
    (the answer to a bad row names its number, field and what to do)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "date": "2026-11-30",
                    "gross_sales": "1830.50",
                    "refunds": "20.00",
                    "transactions": 57,
                    "channel": "qr",
                }
            ]
        },
    )

    date: str = Field(max_length=40, description="YYYY-MM-DD, a day that has ended (before today)")
    gross_sales: str | int = Field(description="Yuan, at most two decimals, not negative")
    refunds: str | int = Field("0", description="Yuan refunded that day, not above gross sales")
    transactions: str | int = Field(description="Number of sales that day")
    channel: str = Field(max_length=40, description="card, qr, cash, online or platform")


class SalesUpload(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "rows": [
                        {
                            "date": "2026-11-30",
                            "gross_sales": "1830.50",
                            "refunds": "20.00",
                            "transactions": 57,
                            "channel": "qr",
                        }
                    ]
                }
            ]
        },
    )

    rows: list[SalesRowIn] = Field(max_length=MAX_UPLOAD_ROWS)


class SalesIngestPublic(BaseModel):
    applicant_id: str
    batch_id: int | None
    received: int
    added: int
    unchanged: int
    first_day: date
    last_day: date


class SalesDayPublic(BaseModel):
    date: date
    channel: str
    gross_sales: str
    refunds: str
    transactions: int


class SalesFeaturesPublic(BaseModel):
    """The sales features on ``on`` (amounts in yuan, ratios in basis points)."""

    on: date
    history_days: int
    window_days: int
    monthly_turnover: str
    last_30_days: str
    prior_90_days: str
    recent_to_prior_bps: int | None
    trend_bps: int | None
    volatility_bps: int | None
    zero_sales_days: int
    refund_bps: int | None
    transactions_monthly: int
    average_ticket: str | None
    days_since_last_sale: int | None


class WorkingCapitalDecisionPublic(BaseModel):
    """A working-capital decision: the limit and the daily rate (with its annualized rate,
    daily × 365), or a decline; the reasons in English and Chinese."""

    id: int
    applicant_id: str
    decided_on: date
    valid_until: date
    outcome: WorkingCapitalOutcome
    grade: str | None
    limit: str
    daily_rate: str | None
    annual_rate: str | None
    monthly_turnover: str
    reasons: list[ReasonWords]
    policy_version: str
