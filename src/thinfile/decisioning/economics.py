"""What an approved offer earns the lender, expected: the economics a policy simulation adds.

For each approved decision's first offer: its annualized rate (nominal, the disclosed IRR × 12,
and compounded), whether it sits at the cap (within :data:`AT_CAP_WITHIN` of it on the policy's
cap basis, or re-priced to it), the interest and fees of its schedule (revenue if the borrower
pays as scheduled), the expected loss (the model's PD × LGD a year over the schedule's balance
profile, as in :mod:`thinfile.decisioning.buildup`) and the expected margin: revenue less
cost of funds, expected loss, operating cost and capital charge.

Every arm of one simulation is measured with the same :class:`PricingParameters` (the
candidate policy's, else the baseline's, else the shipped policy's), so a change from the
baseline compares like with like, even for a policy priced from a grade table.
"""

from __future__ import annotations

import itertools
import math
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Context, Decimal, Inexact
from typing import Any

from thinfile.decisioning.buildup import PricingParameters, balance_years
from thinfile.decisioning.pricing import Offer
from thinfile.loanmath import CapBasis, cap_measure
from thinfile.money import Rounding, format_yuan, round_fen

__all__ = [
    "AT_CAP_WITHIN",
    "EXACT",
    "RATE_BANDS",
    "EconomicsTally",
    "OfferEconomics",
    "economics_change",
    "offer_economics",
]

AT_CAP_WITHIN = Decimal("0.005")
"""An offer within half a point of the cap (on the cap basis) counts as at the cap."""
RATE_BANDS = (Decimal("0.10"), Decimal("0.14"), Decimal("0.18"), Decimal("0.20"), Decimal("0.22"))
"""Upper bounds of the bands of nominal annualized rates counted in a report, those below the
cap; the last band runs from the highest of them to the cap."""
_PLACES = Decimal("0.000001")
EXACT = Context(prec=120, traps=[Inexact])
"""The context sums of rates and fen are added in: wide enough for any book, and a sum that
would round raises instead, so sums do not depend on the order of addition."""


@dataclass(frozen=True, slots=True)
class OfferEconomics:
    nominal: Decimal
    effective: Decimal
    at_cap: bool
    interest: int
    fees: int
    loss: Decimal
    """Expected loss over the schedule, exact fen."""
    costs: Decimal
    """Funds, expected loss, operations and capital over the schedule, exact fen."""
    years: Decimal
    """Fen-years of balance."""
    programme: str | None

    @property
    def margin(self) -> Decimal:
        return self.interest + self.fees - self.costs


def offer_economics(
    offer: Offer, pd: float, params: PricingParameters, *, cap: Decimal, basis: CapBasis
) -> OfferEconomics:
    """The expected economics of ``offer`` to a borrower with probability of default ``pd``."""
    schedule = offer.schedule
    built = offer.build_up  # of this schedule, when the price was built up
    years = balance_years(schedule) if built is None else built.years
    loss = years * Decimal(str(round(pd, 6))) * params.lgd
    yearly = params.cost_of_funds + params.operating_cost_rate + params.capital_charge
    costs = years * yearly + params.operating_cost_per_loan + loss
    measured = cap_measure(offer.annualized, basis)
    return OfferEconomics(
        nominal=offer.annualized.nominal,
        effective=offer.annualized.effective,
        at_cap=offer.capped or measured >= cap - AT_CAP_WITHIN,
        interest=schedule.total_interest,
        fees=schedule.total_fees,
        loss=loss,
        costs=costs,
        years=years,
        programme=None if offer.programme is None else offer.programme.programme.code,
    )


def _yuan(fen: Decimal | int) -> str:
    return format_yuan(round_fen(Decimal(fen), Rounding.HALF_UP))


def _band_names(cap: Decimal) -> list[str]:
    """The bands' names up to ``cap``: a band above it would never count an offer."""
    edges = [Decimal(0), *(edge for edge in RATE_BANDS if edge < cap), cap]
    return [f"{low:.0%}–{high:.0%}" for low, high in itertools.pairwise(edges)]


@dataclass
class EconomicsTally:
    """Sums over the approved offers of one group: exact (:data:`EXACT`), so tallies of parts
    merge to the tally of the whole in any order. The nominal rates are counted by their value
    to the report's six places and their band (placed by the exact rate): the percentiles of
    rounded rates are the rounded percentiles, and a long run keeps a few thousand counts,
    not one rate per offer."""

    nominals: Counter[tuple[Decimal, int]] = field(default_factory=Counter)
    effective_sum: Decimal = Decimal(0)
    at_cap: int = 0
    interest: int = 0
    fees: int = 0
    loss: Decimal = Decimal(0)
    margin: Decimal = Decimal(0)
    years: Decimal = Decimal(0)
    programmes: int = 0

    def add(self, e: OfferEconomics) -> None:
        band = sum(1 for edge in RATE_BANDS if e.nominal >= edge)
        self.nominals[e.nominal.quantize(_PLACES), band] += 1
        add = EXACT.add
        self.effective_sum = add(self.effective_sum, e.effective)
        self.at_cap += e.at_cap
        self.interest += e.interest
        self.fees += e.fees
        self.loss = add(self.loss, e.loss)
        self.margin = add(self.margin, e.margin)
        self.years = add(self.years, e.years)
        self.programmes += e.programme is not None

    def merge(self, other: EconomicsTally) -> None:
        self.nominals.update(other.nominals)
        add = EXACT.add
        self.effective_sum = add(self.effective_sum, other.effective_sum)
        self.at_cap += other.at_cap
        self.interest += other.interest
        self.fees += other.fees
        self.loss = add(self.loss, other.loss)
        self.margin = add(self.margin, other.margin)
        self.years = add(self.years, other.years)
        self.programmes += other.programmes

    @property
    def offers(self) -> int:
        return sum(self.nominals.values())

    def _percentile(
        self, ordered: list[tuple[tuple[Decimal, int], int]], n: int, share: Decimal
    ) -> str:
        """The nearest-rank percentile of the rates counted in ``ordered`` (ascending)."""
        rank, seen = max(1, math.ceil(share * n)), 0
        for (rate, _band), count in ordered:
            seen += count
            if seen >= rank:
                return str(rate)
        raise AssertionError("a percentile of no rates")

    def distribution(self, cap: Decimal) -> dict[str, object]:
        """Nearest-rank percentiles and counts by band of the nominal annualized rate."""
        ordered = sorted(self.nominals.items())
        n = self.offers
        names = _band_names(cap)
        counts = dict.fromkeys(names, 0)
        for (_rate, band), count in ordered:  # a rate at the cap is in the last band
            counts[names[min(band, len(names) - 1)]] += count
        return {
            "p10": self._percentile(ordered, n, Decimal("0.1")),
            "p50": self._percentile(ordered, n, Decimal("0.5")),
            "p90": self._percentile(ordered, n, Decimal("0.9")),
            "bands": counts,
        }

    def state(self) -> dict[str, object]:
        """Plain JSON values: integers, and Decimals as text."""
        return {
            "nominals": [
                [str(rate), band, count] for (rate, band), count in sorted(self.nominals.items())
            ],
            "effective_sum": str(self.effective_sum),
            "at_cap": self.at_cap,
            "interest": self.interest,
            "fees": self.fees,
            "loss": str(self.loss),
            "margin": str(self.margin),
            "years": str(self.years),
            "programmes": self.programmes,
        }

    @classmethod
    def from_state(cls, state: Mapping[str, Any]) -> EconomicsTally:
        nominals: Counter[tuple[Decimal, int]] = Counter()
        for rate, band, count in state["nominals"]:
            nominals[Decimal(rate), int(band)] += int(count)
        return cls(
            nominals=nominals,
            effective_sum=Decimal(state["effective_sum"]),
            at_cap=int(state["at_cap"]),
            interest=int(state["interest"]),
            fees=int(state["fees"]),
            loss=Decimal(state["loss"]),
            margin=Decimal(state["margin"]),
            years=Decimal(state["years"]),
            programmes=int(state["programmes"]),
        )

    def as_dict(self, cap: Decimal) -> dict[str, object]:
        n = self.offers
        if not n:
            return {
                "average_effective_rate": None,
                "rate_distribution": None,
                "share_at_cap": None,
                "expected_interest": None,
                "expected_fees": None,
                "expected_loss": None,
                "expected_margin": None,
                "expected_margin_points": None,
                "with_programme": 0,
            }
        return {
            "average_effective_rate": str((self.effective_sum / n).quantize(_PLACES)),
            "rate_distribution": self.distribution(cap),
            "share_at_cap": round(self.at_cap / n, 6),
            "expected_interest": _yuan(self.interest),
            "expected_fees": _yuan(self.fees),
            "expected_loss": _yuan(self.loss),
            "expected_margin": _yuan(self.margin),
            "expected_margin_points": str(
                (self.margin / self.years * 100).quantize(Decimal("0.01"))  # not money: points
            )
            if self.years
            else None,
            "with_programme": self.programmes,
        }


def _difference(new: object, old: object, places: str) -> str | None:
    if new is None or old is None:
        return None
    return str((Decimal(str(new)) - Decimal(str(old))).quantize(Decimal(places)))


def economics_change(new: Mapping[str, object], old: Mapping[str, object]) -> dict[str, object]:
    """The change of the mean rates (as fractions), the share at the cap and the expected
    money (yuan) from the baseline; None where an arm approved nobody."""
    return {
        "average_annualized_rate": _difference(
            new["average_annualized_rate"], old["average_annualized_rate"], "0.000001"
        ),
        "average_effective_rate": _difference(
            new["average_effective_rate"], old["average_effective_rate"], "0.000001"
        ),
        "share_at_cap": _difference(new["share_at_cap"], old["share_at_cap"], "0.000001"),
        **{
            key: _difference(new[key], old[key], "0.01")
            for key in ("expected_interest", "expected_fees", "expected_loss", "expected_margin")
        },
    }
