"""What the staff application page shows beyond the stored decision: how a capped offer met
the rate cap, and the underwriter's review of a referral.

**Re-priced to the cap.** An offer whose annualized cost came out above the policy cap is
re-priced down to it (:mod:`thinfile.decisioning.pricing`). The cap is checked on the nominal
rate (periodic IRR × 12, the figure disclosed), on the compounded rate ((1 + IRR)^12 − 1), or by
default on the stricter of the two (DOMAIN.md §2.2). Staff need the cap, the basis the policy
named, both figures after re-pricing and which one met the cap: with the default basis it is
the compounded rate, so the disclosed nominal rate sits below the cap. A decision keeps each
re-priced offer's rates before re-pricing with the cap and basis they were checked on (the
offer's ``before_cap``); decisions stored before it did say only that the rate was above the cap.

**Review.** Who reviewed a referral, when, and their note for the file (escaped like every
value on the pages).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from thinfile.decisioning import PolicySettings
from thinfile.decisioning.reasons import catalogued
from thinfile.loanmath import CapBasis
from thinfile.services.applications_records import StoredOffer, offers_of
from thinfile.web.forms import N_

__all__ = [
    "FINDING_WORDS",
    "PRICE_CAPPED",
    "BeforeCap",
    "Repricing",
    "Review",
    "finding_words",
    "has_repricing",
    "repricings",
    "review_of",
]

PRICE_CAPPED = "PRICE_CAPPED"
FINDING_WORDS = {
    PRICE_CAPPED: N_("An offer was re-priced down to the rate cap."),
    "PRODUCT_NOT_AFFORDABLE": N_("A product was left out: its installment is not affordable."),
    "PRICE_BUILD_UP": N_("The offer's price was built from its parts: see the price build-up."),
    "PROGRAMME": N_("A preferential programme discounted the offer's price."),
}
"""Findings the reason catalogue does not word for borrowers."""


def finding_words(code: str, language: str, gettext: Callable[[str], str]) -> str | None:
    """A finding in the reader's language, or None when only the policy's own text names it
    (a code the lender's policy invented)."""
    if code in FINDING_WORDS:
        return gettext(FINDING_WORDS[code])
    reason = catalogued(code)
    if reason is None:
        return None
    return reason.zh if language == "zh" else reason.en


def _compared(basis: CapBasis | None, nominal: Decimal, effective: Decimal) -> CapBasis | None:
    """The measure a cap check on ``basis`` compares: ``nominal`` or ``effective``."""
    if basis is None or basis is not CapBasis.STRICTER:
        return basis
    return CapBasis.EFFECTIVE if effective > nominal else CapBasis.NOMINAL


@dataclass(frozen=True, slots=True)
class BeforeCap:
    """The offer's rates before re-pricing, with the cap and basis the decision checked."""

    nominal: Decimal
    effective: Decimal
    cap: Decimal
    basis: CapBasis

    @property
    def over(self) -> CapBasis | None:
        """The measure that came out above the cap: ``nominal`` or ``effective``."""
        return _compared(self.basis, self.nominal, self.effective)

    @property
    def measured(self) -> Decimal:
        return self.effective if self.over is CapBasis.EFFECTIVE else self.nominal


@dataclass(frozen=True, slots=True)
class Repricing:
    """One offer re-priced to the cap, with the figures the cap check compared."""

    product: str
    nominal: Decimal
    effective: Decimal
    cap: Decimal | None
    """None when neither the decision nor its policy version gives it."""
    basis: CapBasis | None
    before: BeforeCap | None = None
    """None for a decision stored before offers kept their rate before re-pricing."""

    @property
    def bound(self) -> CapBasis | None:
        """The measure that met the cap: ``nominal`` or ``effective`` (compounded)."""
        return _compared(self.basis, self.nominal, self.effective)

    @property
    def measured(self) -> Decimal:
        """The figure compared with the cap."""
        return self.effective if self.bound is CapBasis.EFFECTIVE else self.nominal


def has_repricing(decision: Mapping[str, object]) -> bool:
    """Whether the decision re-priced any offer to the cap (so the page needs the policy)."""
    return any(_is_capped(o) for o in _offers(decision)) or any(
        isinstance(f, Mapping) and f.get("code") == PRICE_CAPPED
        for f in _sequence(decision.get("findings"))
    )


def repricings(
    decision: Mapping[str, object], settings: PolicySettings | None
) -> tuple[Repricing, ...]:
    """Each offer of ``decision`` that was re-priced to the cap.

    ``settings`` (the decision's policy version, None if it cannot be loaded) give the cap and
    basis of a decision stored before offers recorded them.
    """
    out = []
    for offer in _offers(decision):
        if not _is_capped(offer):
            continue
        rate = offer["annualized_rate"]
        nominal, effective = Decimal(str(rate["nominal"])), Decimal(str(rate["effective"]))
        before = _before_cap(offer.get("before_cap"))
        cap, basis = _cap_and_basis(before, settings)
        out.append(
            Repricing(
                product=str(offer["product"]),
                nominal=nominal,
                effective=effective,
                cap=cap,
                basis=basis,
                before=before,
            )
        )
    return tuple(out)


def _cap_and_basis(
    before: BeforeCap | None, settings: PolicySettings | None
) -> tuple[Decimal | None, CapBasis | None]:
    """The cap and basis the decision recorded, else its policy version's, else unknown."""
    if before is not None:
        return before.cap, before.basis
    if settings is not None:
        return settings.cap, settings.cap_basis
    return None, None


def _before_cap(stored: Mapping[str, str] | None) -> BeforeCap | None:
    """The offer's ``before_cap`` as stored, or None if the decision predates it."""
    if stored is None:
        return None
    return BeforeCap(
        nominal=Decimal(str(stored["nominal"])),
        effective=Decimal(str(stored["effective"])),
        cap=Decimal(str(stored["cap"])),
        basis=CapBasis(str(stored["cap_basis"])),
    )


def _is_capped(offer: StoredOffer) -> bool:
    return bool(offer.get("capped_to_legal_limit"))


def _sequence(value: object) -> Sequence[object]:
    return value if isinstance(value, Sequence) and not isinstance(value, str) else ()


def _offers(decision: Mapping[str, object]) -> tuple[StoredOffer, ...]:
    return offers_of(decision)


@dataclass(frozen=True, slots=True)
class Review:
    """An underwriter's decision on a referral: who, when, and the note for the file."""

    reviewer: str
    at: datetime | None
    note: str


def review_of(record: object, names: Mapping[str, str] | None = None) -> Review | None:
    """The review stored with an application, or None if it was never reviewed.

    The application table keeps ``reviewed_by`` (the reviewer's audit label, ``role:id``),
    ``reviewed_at`` and ``review_note``, and the service's ``ApplicationRecord`` carries them
    (None until a referral is reviewed). ``names`` maps labels to the staff member's name
    (``services.identity.staff_names``): people read names, not ids.
    """
    reviewer = getattr(record, "reviewed_by", None)
    if not reviewer:
        return None
    at = getattr(record, "reviewed_at", None)
    note = getattr(record, "review_note", None)
    name = (names or {}).get(str(reviewer), str(reviewer))
    return Review(name, at if isinstance(at, datetime) else None, str(note or ""))
