"""Interest coupons, their batches and an offer's price as the API answers them."""

from __future__ import annotations

import json
from collections.abc import Mapping

from thinfile.api.models_applications import (
    AnnualizedRatePublic,
    CostStatementPublic,
    InstallmentPublic,
)
from thinfile.api.models_interest_coupons import (
    CouponBatchPublic,
    InterestCouponPublic,
    InterestCouponTermsBody,
    OfferPricePublic,
    ProgrammePricePublic,
    SegmentIssuePublic,
)
from thinfile.decisioning.interest_coupons import InterestCouponTerms
from thinfile.money import Money, format_yuan
from thinfile.services.identity_records import as_utc
from thinfile.services.interest_coupons import SegmentIssue
from thinfile.services.promotions import OfferPrice
from thinfile.store.promotions_repo import StoredCouponBatch, StoredInterestCoupon

__all__ = ["batch_public", "interest_coupon_public", "offer_price_public", "segment_public"]


def _terms(text: str) -> tuple[InterestCouponTermsBody, str]:
    terms = InterestCouponTerms.from_dict(json.loads(text))
    return InterestCouponTermsBody.model_validate(terms.as_dict()), terms.describe()


def batch_public(batch: StoredCouponBatch) -> CouponBatchPublic:
    terms, words = _terms(batch.terms_json)
    return CouponBatchPublic(
        id=batch.id,
        name=batch.name,
        terms=terms,
        description=words,
        valid_from=batch.valid_from,
        valid_to=batch.valid_to,
        per_borrower_limit=batch.per_borrower_limit,
        budget=format_yuan(batch.budget_fen),
        spent=format_yuan(batch.spent_fen),
        remaining=format_yuan(batch.budget_fen - batch.spent_fen),
        issued=batch.issued,
        status=batch.status,  # type: ignore[arg-type]
        cost_booking=batch.cost_booking,  # type: ignore[arg-type]
        created_at=as_utc(batch.created_at),
        created_by=batch.created_by,
    )


def interest_coupon_public(coupon: StoredInterestCoupon) -> InterestCouponPublic:
    terms, words = _terms(coupon.terms_json)
    return InterestCouponPublic(
        id=coupon.id,
        name=coupon.name,
        terms=terms,
        description=words,
        valid_from=coupon.valid_from,
        valid_to=coupon.valid_to,
        status=coupon.status,  # type: ignore[arg-type]
        batch_id=coupon.batch_id,
        issued_at=as_utc(coupon.issued_at),
        loan_id=coupon.loan_id,
        value=None if coupon.value_fen is None else format_yuan(coupon.value_fen),
        redeemed_on=coupon.redeemed_on,
    )


def segment_public(issue: SegmentIssue) -> SegmentIssuePublic:
    return SegmentIssuePublic(
        batch_id=issue.batch_id,
        segment=issue.segment,  # type: ignore[arg-type]
        reference=issue.reference,
        issued=issue.issued,
        already=issue.already,
        at_limit=issue.at_limit,
        not_issued=issue.not_issued,
    )


def _programme(stored: Mapping[str, object] | None) -> ProgrammePricePublic | None:
    if stored is None:
        return None
    return ProgrammePricePublic(
        code=str(stored["code"]),
        name_en=str(stored["name_en"]),
        name_zh=str(stored["name_zh"]),
        discount_bps=int(str(stored["discount_bps"])),
        price_before=str(stored["price_before"]),
        price_after=str(stored["price_after"]),
    )


def offer_price_public(application_id: str, offer: int, price: OfferPrice) -> OfferPricePublic:
    s, t = price.schedule, price.terms
    rate = price.annualized.as_dict()
    return OfferPricePublic(
        application_id=application_id,
        offer=offer,
        start=t.start,
        amount=str(t.principal),
        term_months=t.periods,
        annual_rate=str(t.annual_rate),
        monthly_fee_rate=str(t.monthly_fee_rate),
        upfront_fee=str(t.upfront_fee),
        first_installment=str(Money(s.installments[0].total)),
        total_repaid=str(Money(s.total_repaid)),
        total_cost=format_yuan(s.total_interest + s.total_fees),
        annualized_rate=AnnualizedRatePublic(
            nominal=str(rate["nominal"]),
            effective=str(rate["effective"]),
            periodic_irr=str(rate["periodic_irr"]),
            periods_per_year=str(rate["periods_per_year"]),
        ),
        statement=CostStatementPublic.model_validate(price.statement.as_dict()),
        schedule=[
            InstallmentPublic(
                n=i.n,
                due_date=i.due_date,
                principal=format_yuan(i.principal),
                interest=format_yuan(i.interest),
                fee=format_yuan(i.fee),
                total=format_yuan(i.total),
                balance=format_yuan(i.balance),
            )
            for i in s.installments
        ],
        programme=None if price.programme is None else _programme(price.offered_programme),
        programme_discount=format_yuan(price.programme_discount),
        standard_price=price.standard_price,
        coupon_id=price.coupon_id,
        coupon_value=format_yuan(price.coupon_value),
        reasons=list(price.reasons),  # type: ignore[arg-type]
    )
