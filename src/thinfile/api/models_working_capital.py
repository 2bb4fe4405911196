"""API models for working-capital lines (amounts are yuan strings, rates decimal strings)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from thinfile.api.models_applications import YUAN
from thinfile.money import format_yuan
from thinfile.services.working_capital import LineView, WcReceipt
from thinfile.servicing.creditline import LineStatus
from thinfile.servicing.wc_monthly import MonthlyStatement, Posting, PostingKind
from thinfile.servicing.wc_statement import DrawCostStatement, RepaymentPath
from thinfile.servicing.wc_terms import RepaymentMode
from thinfile.servicing.working_capital import PeriodStatus

__all__ = [
    "WcDrawCreate",
    "WcLineOpen",
    "WcLinePublic",
    "WcMonthlyStatementPublic",
    "WcReceiptPublic",
    "WcRepaymentCreate",
    "WcStatementPublic",
    "line_public",
    "monthly_public",
    "receipt_public",
    "statement_public",
]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


def _whole(value: object) -> object:
    """A JSON whole number as it was sent: ``90.0``, ``"90"`` or ``true`` are not days."""
    if type(value) is not int:
        raise ValueError("must be a whole number of days, 90 or 180")
    return value


class WcDrawCreate(_In):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"amount": "5000.00", "term_days": 90}]}
    )

    amount: str = Field(pattern=YUAN, description="Yuan drawn, at most what is available")
    term_days: Annotated[Literal[90, 180], BeforeValidator(_whole)] = Field(
        description="Final maturity of the draw, in days"
    )


class WcLineOpen(_In):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"decision_id": 1, "limit": "23500.00", "daily_rate": "0.0002", "mode": "sales"}
            ]
        }
    )

    decision_id: int = Field(ge=1, le=2**31 - 1, description="The approved decision's number")
    limit: str = Field(pattern=YUAN, description="Yuan: the limit the decision approved")
    daily_rate: str = Field(
        pattern=r"^0\.[0-9]{1,8}$", description="The daily rate the decision approved"
    )
    mode: RepaymentMode = Field(
        default=RepaymentMode.MINIMUM,
        description="minimum: repay any time, at least each period's minimum; "
        "sales: a share of each day's collected sales",
    )


class WcRepaymentCreate(_In):
    model_config = ConfigDict(json_schema_extra={"examples": [{"amount": "1000.00"}]})

    amount: str = Field(
        pattern=YUAN, description="Yuan repaid: interest, then principal, oldest draw first; no fee"
    )


class WcPeriodPublic(BaseModel):
    n: int
    start: date
    end: date
    minimum: str
    repaid: str
    status: PeriodStatus
    flagged_on: date | None
    shortfall: str


class WcShortfallPublic(BaseModel):
    n: int
    period_n: int
    due: date
    amount: str
    paid: str


class WcDrawPublic(BaseModel):
    draw_id: int
    drawn_on: date
    maturity: date
    principal: str
    principal_outstanding: str
    interest_outstanding: str


class WcLinePublic(BaseModel):
    line_id: int
    currency: str
    mode: RepaymentMode
    status: LineStatus
    """``charged-off``: no draws, no interest; repayments are recoveries."""
    limit: str
    drawn: str
    available: str
    interest_owed: str
    payoff: str
    daily_rate: str
    annual_rate_nominal: str
    annual_rate_effective: str
    sales_share: str
    todays_interest: str
    days_past_due: int
    on: date
    draws: list[WcDrawPublic]
    periods: list[WcPeriodPublic]
    shortfalls: list[WcShortfallPublic]
    overdue_since: date | None


class WcPathPublic(BaseModel):
    basis: str
    interest: str
    repaid_on: date
    annualized_rate: str
    xirr: str


class WcStatementPublic(BaseModel):
    amount: str
    drawn_on: date
    maturity: date
    daily_rate: str
    annual_rate_nominal: str
    annual_rate_effective_ceiling: str
    prepayment_fee: str
    cap: str
    expected: WcPathPublic
    slow: WcPathPublic | None


class WcReceiptPublic(BaseModel):
    txn_id: int
    line_id: int
    kind: Literal["draw", "repayment", "recovery"]
    """``recovery``: a repayment on a charged-off line (booked as recovery income)."""
    on: date
    amount: str
    currency: str
    paid_interest: str
    paid_principal: str
    draw_id: int | None
    replayed: bool
    statement: WcStatementPublic | None


def _rate(value: object) -> str:
    return f"{value:.6f}"


def line_public(view: LineView) -> WcLinePublic:
    line, terms = view.line, view.line.terms
    return WcLinePublic(
        line_id=line.line_id,
        currency=line.currency,
        mode=terms.mode,
        status=line.status,
        limit=format_yuan(terms.limit.fen),
        drawn=format_yuan(line.drawn),
        available=format_yuan(line.available),
        interest_owed=format_yuan(line.interest_owed),
        payoff=format_yuan(line.owed),
        daily_rate=str(terms.daily_rate),
        annual_rate_nominal=_rate(terms.nominal_annual),
        annual_rate_effective=_rate(terms.effective_annual),
        sales_share=str(terms.sales_share),
        todays_interest=format_yuan(view.todays_interest),
        days_past_due=view.days_past_due,
        on=view.today,
        draws=[
            WcDrawPublic(
                draw_id=d.draw_id,
                drawn_on=d.drawn_on,
                maturity=d.maturity,
                principal=format_yuan(d.principal),
                principal_outstanding=format_yuan(d.principal_outstanding),
                interest_outstanding=format_yuan(d.interest_outstanding),
            )
            for d in line.draws
        ],
        periods=[
            WcPeriodPublic(
                n=p.n,
                start=p.start,
                end=p.end,
                minimum=format_yuan(p.minimum),
                repaid=format_yuan(p.repaid),
                status=p.status,
                flagged_on=p.flagged_on,
                shortfall=format_yuan(p.shortfall),
            )
            for p in line.periods[-3:]
        ],
        shortfalls=[
            WcShortfallPublic(
                n=x.n,
                period_n=x.period_n,
                due=x.due,
                amount=format_yuan(x.amount),
                paid=format_yuan(x.paid),
            )
            for x in line.shortfalls
        ],
        overdue_since=line.overdue_since,
    )


def _path(path: RepaymentPath) -> WcPathPublic:
    return WcPathPublic(
        basis=path.basis,
        interest=format_yuan(path.interest),
        repaid_on=path.repaid_on,
        annualized_rate=_rate(path.annualized),
        xirr=_rate(path.effective),
    )


def statement_public(s: DrawCostStatement) -> WcStatementPublic:
    return WcStatementPublic(
        amount=format_yuan(s.amount.fen),
        drawn_on=s.drawn_on,
        maturity=s.maturity,
        daily_rate=str(s.daily_rate),
        annual_rate_nominal=_rate(s.nominal_annual),
        annual_rate_effective_ceiling=_rate(s.effective_ceiling),
        prepayment_fee=format_yuan(s.prepayment_fee),
        cap=str(s.cap),
        expected=_path(s.expected),
        slow=None if s.slow is None else _path(s.slow),
    )


_RECEIPT_KINDS: dict[str, Literal["draw", "repayment", "recovery"]] = {
    "draw": "draw",
    "repayment": "repayment",
    "recovery": "recovery",
}


def receipt_public(r: WcReceipt) -> WcReceiptPublic:
    return WcReceiptPublic(
        txn_id=r.txn_id,
        line_id=r.line_id,
        kind=_RECEIPT_KINDS[r.kind],
        on=r.on,
        amount=format_yuan(r.amount.fen),
        currency=r.amount.currency,
        paid_interest=format_yuan(r.paid_interest),
        paid_principal=format_yuan(r.paid_principal),
        draw_id=r.draw_id,
        replayed=r.replayed,
        statement=None if r.statement is None else statement_public(r.statement),
    )


class WcPostingPublic(BaseModel):
    on: date
    kind: PostingKind
    amount: str
    paid_interest: str
    paid_principal: str


class WcDayInterestPublic(BaseModel):
    on: date
    drawn: str
    interest: str


class WcMonthlyStatementPublic(BaseModel):
    line_id: int
    currency: str
    month: str = Field(description="YYYY-MM")
    through: date
    complete: bool = Field(description="False while the month is not closed to its last day")
    opening_owed: str
    closing_owed: str
    closing_drawn: str
    drawn_total: str
    repaid_total: str
    interest_total: str
    fees: str = Field(description="Always 0.00: no fee, repaying early is free")
    recovered_total: str = Field(description="Paid this month after the line was charged off")
    minimum_due: str = Field(
        description=(
            "The least repayment the day after ``through`` that leaves nothing past due: the"
            " unpaid shortfalls and the running period's unmet minimum, or what draws at or"
            " past their final maturity owe, whichever is more; never more than is owed"
        )
    )
    daily_rate: str = Field(
        description=(
            "Each night: principal drawn × daily rate, truncated to the fen (never above the"
            " daily rate), actual days"
        )
    )
    draws: list[WcPostingPublic]
    repayments: list[WcPostingPublic]
    days: list[WcDayInterestPublic]


def monthly_public(s: MonthlyStatement) -> WcMonthlyStatementPublic:
    def posting(p: Posting) -> WcPostingPublic:
        return WcPostingPublic(
            on=p.on,
            kind=PostingKind(p.kind),
            amount=format_yuan(p.amount),
            paid_interest=format_yuan(p.paid_interest),
            paid_principal=format_yuan(p.paid_principal),
        )

    return WcMonthlyStatementPublic(
        line_id=s.line_id,
        currency=s.currency,
        month=f"{s.month:%Y-%m}",
        through=s.through,
        complete=s.complete,
        opening_owed=format_yuan(s.opening_owed),
        closing_owed=format_yuan(s.closing_owed),
        closing_drawn=format_yuan(s.closing_drawn),
        drawn_total=format_yuan(s.drawn_total),
        repaid_total=format_yuan(s.repaid_total),
        interest_total=format_yuan(s.interest_total),
        fees=format_yuan(s.fees),
        recovered_total=format_yuan(s.recovered_total),
        minimum_due=format_yuan(s.minimum_due),
        daily_rate=str(s.daily_rate),
        draws=[posting(p) for p in s.draws],
        repayments=[posting(p) for p in s.repayments],
        days=[
            WcDayInterestPublic(
                on=d.on, drawn=format_yuan(d.drawn), interest=format_yuan(d.interest)
            )
            for d in s.days
        ],
    )
