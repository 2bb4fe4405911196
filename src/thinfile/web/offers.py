"""An offer as the borrower sees it: the stored offer, its schedule rebuilt from its terms.

A stored decision keeps each offer's terms, first installment, annualized rate and cost
statement; the full repayment schedule is rebuilt here by :mod:`thinfile.loanmath` from the
same terms, and checked against the stored figures so the page can never show a different plan
from the one that was priced. The borrower sees the offer as accepting it today would sign it
(:func:`priced_view`): with the interest coupon they chose taken off, or at the standard price
once the programme's budget is spent.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import cast

from thinfile.errors import ConflictError, NotFoundError
from thinfile.loanmath import LoanTerms, RepaymentMethod, build_schedule
from thinfile.loanmath.schedule import Installment
from thinfile.money import Money
from thinfile.services.applications_records import StoredOffer, offers_of
from thinfile.services.promotions import OfferPrice

__all__ = ["OfferView", "offer_view", "priced_view", "stored_offer_view"]


@dataclass(frozen=True, slots=True)
class OfferView:
    index: int
    offer: StoredOffer
    statement: Mapping[str, object]
    installments: tuple[Installment, ...]
    price: OfferPrice | None = None
    """The price accepting it today signs for (None: the offer as decided)."""

    @property
    def rate(self) -> Mapping[str, str]:
        return self.offer["annualized_rate"]

    @property
    def monthly_figure(self) -> tuple[str, str]:
        """The per-period price as marketed (fee or interest a month): shown small."""
        fee = Decimal(str(self.offer.get("monthly_fee_rate", "0")))
        if fee:
            return "fee", str(fee)
        return "interest", str(Decimal(str(self.offer.get("annual_rate", "0"))) / 12)


def _terms(offer: StoredOffer) -> LoanTerms:
    return LoanTerms(
        principal=Money.of(str(offer["amount"])),
        annual_rate=Decimal(str(offer["annual_rate"])),
        periods=int(str(offer["term_months"])),
        method=RepaymentMethod(str(offer["method"])),
        start=date.fromisoformat(str(offer["start"])),
        monthly_fee_rate=Decimal(str(offer["monthly_fee_rate"])),
        upfront_fee=Money.of(str(offer["upfront_fee"])),
    )


def offer_view(decision: Mapping[str, object], index: int) -> OfferView:
    """Offer ``index`` (0-based) of a stored decision, with its full schedule."""
    offers = offers_of(decision)
    if not 0 <= index < len(offers):
        raise NotFoundError("no such offer", field="offer", value=index)
    return stored_offer_view(offers[index], index)


def stored_offer_view(offer: StoredOffer | Mapping[str, object], index: int = 0) -> OfferView:
    """A stored offer (``decisioning.Offer.as_dict``) with its full schedule, rebuilt from
    its terms and checked against its first installment; also a draw's quote."""
    stored = cast(StoredOffer, offer)
    schedule = build_schedule(_terms(stored))
    if str(Money(schedule.installments[0].total)) != str(stored["first_installment"]):
        raise ConflictError(
            "the offer's schedule cannot be rebuilt from its terms", field="offer", value=index
        )
    return OfferView(index, stored, stored["statement"], schedule.installments)


def priced_view(decision: Mapping[str, object], index: int, price: OfferPrice) -> OfferView:
    """Offer ``index`` as ``price`` prices it: its figures, statement and schedule; the
    programme named only when the price is the programme's."""
    stored = offer_view(decision, index).offer
    s = price.schedule
    offer = cast(
        StoredOffer,
        {
            **stored,
            **price.as_dict(),
            "total_cost": str(Money(s.total_interest + s.total_fees)),
            "programme": stored.get("programme") if price.programme is not None else None,
        },
    )
    return OfferView(index, offer, offer["statement"], s.installments, price)
