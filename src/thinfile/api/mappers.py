"""From service records to API models: decisions, offers with schedules, loans, receipts."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from thinfile.api.enums import TransactionKind
from thinfile.api.models_applications import (
    ApplicationPublic,
)
from thinfile.api.models_limits import DrawQuotePublic
from thinfile.api.models_loans import (
    BalancesPublic,
    LinePublic,
    LoanInstallmentPublic,
    LoanPublic,
    LoanSummaryPublic,
    PaymentPreviewPublic,
    ReceiptPublic,
    TransactionPublic,
)
from thinfile.api.models_staff import ApplicationSummaryPublic
from thinfile.loanmath import LoanTerms, RepaymentMethod, Schedule, build_schedule
from thinfile.money import Money, format_yuan
from thinfile.services.applications import ApplicationRecord
from thinfile.services.credit_lines import LineView
from thinfile.services.line_draws import DrawQuote
from thinfile.services.loan_postings import Receipt
from thinfile.services.loans import LoanView
from thinfile.services.payments import PaymentPreview
from thinfile.servicing import Components, LoanAccount

__all__ = [
    "application_public",
    "application_summary",
    "draw_quote_public",
    "line_public",
    "loan_public",
    "loan_summary",
    "money",
    "money_or_none",
    "new_loan_summary",
    "preview_public",
    "receipt_public",
]


def money(fen: int, currency: str = "CNY") -> str:
    """Fen as yuan text (``currency`` is named by the enclosing object, not in the amount)."""
    return format_yuan(fen)


def money_or_none(fen: int | None) -> str | None:
    """:func:`money`, or None for an amount not known."""
    return None if fen is None else format_yuan(fen)


def _terms(offer: Mapping[str, Any]) -> LoanTerms:
    return LoanTerms(
        principal=Money.of(str(offer["amount"])),
        annual_rate=Decimal(str(offer["annual_rate"])),
        periods=int(offer["term_months"]),
        method=RepaymentMethod(str(offer["method"])),
        start=date.fromisoformat(str(offer["start"])),
        monthly_fee_rate=Decimal(str(offer["monthly_fee_rate"])),
        upfront_fee=Money.of(str(offer["upfront_fee"])),
    )


def _offer(index: int, offer: Mapping[str, Any], schedule: Schedule | None) -> dict[str, Any]:
    """An offer with its schedule (``schedule``: the one priced with it, if at hand), as the
    fields of :class:`OfferPublic`."""
    schedule = schedule or build_schedule(_terms(offer))
    rate = offer["annualized_rate"]
    return {
        "index": index,
        "product": offer["product"],
        "method": offer["method"],
        "amount": offer["amount"],
        "term_months": offer["term_months"],
        "annual_rate": offer["annual_rate"],
        "monthly_fee_rate": offer["monthly_fee_rate"],
        "upfront_fee": offer["upfront_fee"],
        "first_installment": offer["first_installment"],
        "total_repaid": offer["total_repaid"],
        "total_cost": offer["total_cost"],
        "credit_limit": None if offer.get("credit_limit") is None else str(offer["credit_limit"]),
        "annualized_rate": {
            "nominal": rate["nominal"],
            "effective": rate["effective"],
            "periodic_irr": rate["periodic_irr"],
            "periods_per_year": rate["periods_per_year"],
        },
        "statement": offer["statement"],
        "schedule": [
            {
                "n": i.n,
                "due_date": i.due_date,
                "principal": format_yuan(i.principal),
                "interest": format_yuan(i.interest),
                "fee": format_yuan(i.fee),
                "total": format_yuan(i.total),
                "balance": format_yuan(i.balance),
            }
            for i in schedule.installments
        ],
    }


def _reasons(items: object) -> list[dict[str, str]]:
    if not isinstance(items, Sequence):
        return []
    return [
        {
            "code": str(r.get("code", "")),
            "text": str(r.get("text", "")),
            "advice": str(r.get("advice") or ""),
        }
        for r in items
        if isinstance(r, Mapping)
    ]


def application_public(record: ApplicationRecord) -> ApplicationPublic:
    """The application as the API answers it: the fields gathered as plain data, then
    validated once as the whole model (its offers, schedules and reasons included)."""
    d: Mapping[str, Any] = record.decision
    return ApplicationPublic.model_validate(
        {
            "id": record.id,
            "applicant_id": record.applicant_id,
            "status": record.status,
            "outcome": record.outcome,
            "submitted_at": record.submitted_at,
            "decided_on": date.fromisoformat(str(d["decided_on"])),
            "grade": str(d["grade"]),
            "score": int(d["score"]),
            "reasons": _reasons(d.get("reasons")),
            "reasons_zh": _reasons(d.get("reasons_zh")),
            "offers": [
                _offer(i, o, record.schedules[i] if i < len(record.schedules) else None)
                for i, o in enumerate(d.get("offers") or [])
            ],
            "accepted_offer": record.accepted_offer,
            "loan_id": None if record.loan_id is None else int(record.loan_id),
            "policy_version": str(d["policy_version"]),
            "model_version": str(d["model_version"]),
        }
    )


def draw_quote_public(quote: DrawQuote, terms: Sequence[int]) -> DrawQuotePublic:
    """A draw's quote: the loan it would open, as an application's offer is answered."""
    return DrawQuotePublic.model_validate(
        {
            "line_id": quote.line_id,
            "currency": quote.available.currency,
            "available": format_yuan(quote.available.fen),
            "terms": list(terms),
            "offer": _offer(0, quote.as_stored(), quote.offer.schedule),
        }
    )


def application_summary(record: ApplicationRecord) -> ApplicationSummaryPublic:
    d: Mapping[str, Any] = record.decision
    inputs = d.get("inputs", {}).get("application", {})
    return ApplicationSummaryPublic(
        id=record.id,
        applicant_id=record.applicant_id,
        status=record.status,
        outcome=record.outcome,
        grade=str(d["grade"]),
        score=int(d["score"]),
        requested_amount=str(inputs.get("requested_amount", "")),
        reason_codes=[str(c) for c in d.get("reason_codes", [])],
        submitted_at=record.submitted_at.isoformat(),
        loan_id=None if record.loan_id is None else int(record.loan_id),
    )


def _balances(c: Components, currency: str) -> BalancesPublic:
    return BalancesPublic(
        principal=money(c.principal, currency),
        interest=money(c.interest, currency),
        fee=money(c.fee, currency),
        penalty=money(c.penalty, currency),
        total=money(c.total, currency),
    )


def preview_public(p: PaymentPreview) -> PaymentPreviewPublic:
    cur = p.currency
    return PaymentPreviewPublic(
        loan_id=p.loan_id,
        on=p.on,
        amount=money(p.amount, cur),
        paid=_balances(p.paid, cur),
        held=money(p.held, cur),
        refunded=money(p.refunded, cur),
        closes_loan=p.closes,
        next_due=p.next_due,
        next_amount=money(p.next_amount, cur),
        payoff_after=money(p.payoff_after, cur),
    )


def new_loan_summary(loan: LoanAccount) -> LoanSummaryPublic:
    """A loan just opened (a draw): its summary, nothing paid yet."""
    return loan_summary(LoanView(loan, loan.outstanding, ()))


def loan_summary(view: LoanView) -> LoanSummaryPublic:
    a = view.account
    return LoanSummaryPublic(
        id=a.loan_id,
        status=a.status,
        currency=a.currency,
        principal=money(a.principal, a.currency),
        disbursed_on=a.disbursed_on,
        outstanding=money(view.outstanding.total, a.currency),
        credit_line_id=a.credit_line_id,
    )


def loan_public(view: LoanView) -> LoanPublic:
    a, cur = view.account, view.account.currency
    return LoanPublic(
        **loan_summary(view).model_dump(),
        bucket=a.bucket,
        overdue_since=a.overdue_since,
        closed_on=a.closed_on,
        last_closed_date=a.cob_date,
        balances=_balances(view.outstanding, cur),
        held_overpayment=money(a.credit, cur),
        installments=[
            LoanInstallmentPublic(
                n=i.n,
                due_date=i.due,
                due=_balances(
                    Components(i.principal_due, i.interest_due, i.fee_due, i.penalty_due), cur
                ),
                paid=_balances(
                    Components(i.principal_paid, i.interest_paid, i.fee_paid, i.penalty_paid), cur
                ),
            )
            for i in a.installments
        ],
        transactions=[
            TransactionPublic(
                id=t.txn_id,
                kind=TransactionKind(t.kind),
                on=t.on,
                amount=money(t.amount, cur),
                reversed=t.reversed,
            )
            for t in view.transactions
        ],
    )


def receipt_public(r: Receipt) -> ReceiptPublic:
    return ReceiptPublic(
        txn_id=r.txn_id,
        loan_id=r.loan_id,
        kind=r.kind,
        on=r.on,
        amount=money(r.amount, r.currency),
        paid=_balances(r.paid, r.currency),
        overpayment=money(r.overpayment, r.currency),
        loan_status=r.status,
        replayed=r.replayed,
    )


def line_public(view: LineView) -> LinePublic:
    line = view.line
    cur = line.limit.currency
    return LinePublic(
        id=line.line_id,
        status=line.status,
        currency=cur,
        limit=money(line.limit.fen, cur),
        outstanding_principal=money(view.outstanding_principal, cur),
        available=money(view.available.fen, cur),
    )
