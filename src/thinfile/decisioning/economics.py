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
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from thinfile.decisioning.buildup import PricingParameters, balance_years
from thinfile.decisioning.pricing import Offer
from thinfile.loanmath import CapBasis, cap_measure
from thinfile.money import Rounding, format_yuan, round_fen

__all__ = [
    "AT_CAP_WITHIN",
    "RATE_BANDS",
    "EconomicsTally",
    "OfferEconomics",
    "economics_change",
    "offer_economics",
]

AT_CAP_WITHIN = Decimal("0.005")
"""An offer within half a point of the cap (on the cap basis) counts as at the cap."""
RATE_BANDS = (Decimal("0.10"), Decimal("0.14"), Decimal("0.18"), Decimal("0.20"), Decimal("0.22"))
"""Upper bounds of the bands of nominal annualized rates counted in a report; the last band
runs from 22% to the cap."""
_PLACES = Decimal("0.000001")


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
    years = balance_years(schedule)
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
    edges = [Decimal(0), *RATE_BANDS, cap]
    return [f"{low:.0%}–{high:.0%}" for low, high in itertools.pairwise(edges)]


@dataclass
class EconomicsTally:
    """Sums over the approved offers of one group."""

    nominals: list[Decimal] = field(default_factory=list)
    effective_sum: Decimal = Decimal(0)
    at_cap: int = 0
    interest: int = 0
    fees: int = 0
    loss: Decimal = Decimal(0)
    margin: Decimal = Decimal(0)
    years: Decimal = Decimal(0)
    programmes: int = 0

    def add(self, e: OfferEconomics) -> None:
        self.nominals.append(e.nominal)
        self.effective_sum += e.effective
        self.at_cap += e.at_cap
        self.interest += e.interest
        self.fees += e.fees
        self.loss += e.loss
        self.margin += e.margin
        self.years += e.years
        self.programmes += e.programme is not None

    def _percentile(self, ordered: list[Decimal], share: Decimal) -> str:
        k = max(0, math.ceil(share * len(ordered)) - 1)
        return str(ordered[k].quantize(_PLACES))

    def distribution(self, cap: Decimal) -> dict[str, object]:
        """Nearest-rank percentiles and counts by band of the nominal annualized rate."""
        ordered = sorted(self.nominals)
        names = _band_names(cap)
        counts = dict.fromkeys(names, 0)
        for rate in ordered:
            k = sum(1 for edge in RATE_BANDS if rate >= edge)
            counts[names[k]] += 1
        return {
            "p10": self._percentile(ordered, Decimal("0.1")),
            "p50": self._percentile(ordered, Decimal("0.5")),
            "p90": self._percentile(ordered, Decimal("0.9")),
            "bands": counts,
        }

    def as_dict(self, cap: Decimal) -> dict[str, object]:
        n = len(self.nominals)
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
