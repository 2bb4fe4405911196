"""What the staff application page shows beyond the stored decision: how a capped offer met
the rate cap, and the underwriter's review of a referral.

**Re-priced to the cap.** An offer whose annualized cost came out above the policy cap is
re-priced down to it (:mod:`thinfile.decisioning.pricing`). The cap is checked on the nominal
rate (periodic IRR × 12, the figure disclosed), on the compounded rate ((1 + IRR)^12 − 1), or by
default on the stricter of the two (DOMAIN.md §2.2). Staff need the cap, the basis the policy
named, both figures after re-pricing and which one met the cap: with the default basis it is
the compounded rate, so the disclosed nominal rate sits below the cap. The stored decision does
not keep the rate the offer had before re-pricing, only that it was above the cap.

**Review.** Who reviewed a referral, when, and their note for the file (escaped like every
value on the pages).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from thinfile.decisioning import PolicySettings
from thinfile.loanmath import CapBasis

__all__ = ["PRICE_CAPPED", "Repricing", "Review", "has_repricing", "repricings", "review_of"]

PRICE_CAPPED = "PRICE_CAPPED"


@dataclass(frozen=True, slots=True)
class Repricing:
    """One offer re-priced to the cap, with the figures the cap check compared."""

    product: str
    nominal: Decimal
    effective: Decimal
    cap: Decimal | None
    """None when the decision's policy version cannot be loaded."""
    basis: CapBasis | None

    @property
    def bound(self) -> CapBasis | None:
        """The measure that met the cap: ``nominal`` or ``effective`` (compounded)."""
        if self.basis is None or self.basis is not CapBasis.STRICTER:
            return self.basis
        return CapBasis.EFFECTIVE if self.effective > self.nominal else CapBasis.NOMINAL

    @property
    def measured(self) -> Decimal:
        """The figure compared with the cap."""
        return self.effective if self.bound is CapBasis.EFFECTIVE else self.nominal


def has_repricing(decision: Mapping[str, object]) -> bool:
    """Whether the decision re-priced any offer to the cap (so the page needs the policy)."""
    return any(_is_capped(o) for o in _offers(decision)) or any(
        isinstance(f, Mapping) and f.get("code") == PRICE_CAPPED
        for f in _sequence(decision.get("findings")))


def repricings(decision: Mapping[str, object],
               settings: PolicySettings | None) -> tuple[Repricing, ...]:
    """Each offer of ``decision`` that was re-priced to the cap of ``settings``."""
    out = []
    for offer in _offers(decision):
        if not _is_capped(offer):
            continue
        rate = offer["annualized_rate"]
        assert isinstance(rate, Mapping)
        nominal, effective = Decimal(str(rate["nominal"])), Decimal(str(rate["effective"]))
        out.append(Repricing(
            product=str(offer["product"]), nominal=nominal, effective=effective,
            cap=settings.cap if settings else None,
            basis=settings.cap_basis if settings else None))
    return tuple(out)


def _is_capped(offer: Mapping[str, object]) -> bool:
    return bool(offer.get("capped_to_legal_limit"))


def _sequence(value: object) -> Sequence[object]:
    return value if isinstance(value, Sequence) and not isinstance(value, str) else ()


def _offers(decision: Mapping[str, object]) -> list[Mapping[str, object]]:
    return [o for o in _sequence(decision.get("offers")) if isinstance(o, Mapping)]


@dataclass(frozen=True, slots=True)
class Review:
    """An underwriter's decision on a referral: who, when, and the note for the file."""

    reviewer: str
    at: datetime | None
    note: str


def review_of(record: object) -> Review | None:
    """The review stored with an application, or None if it was never reviewed.

    The application table keeps ``reviewed_by``, ``reviewed_at`` and ``review_note``; they are
    read from the service's record when it carries them.
    """
    reviewer = getattr(record, "reviewed_by", None)
    if not reviewer:
        return None
    at = getattr(record, "reviewed_at", None)
    note = getattr(record, "review_note", None)
    return Review(str(reviewer), at if isinstance(at, datetime) else None, str(note or ""))
