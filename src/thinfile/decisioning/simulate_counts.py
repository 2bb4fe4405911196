"""The counts of a policy simulation: what its report is made of, added up exactly so that
parts counted anywhere (a worker process, a Spark partition) merge to the same answer in any
order.

A run is counted by :class:`Counts` — one :class:`ArmSummary` per policy (the candidate and
the baseline), each a :class:`Tally` overall, by file thickness, by grade and by occupation,
and the applications one arm approves and the other does not. Every sum is exact:

- probabilities of default are added as integers in units of 2**-1100 (every float between 0
  and 1 is a whole number of them), so the sum does not depend on the order of addition;
- rates and the economics' Decimal sums are added in a context of 120 digits that raises on
  any rounding (:data:`EXACT`), where Python's default 28 would round a long run;
- the nominal rates behind the percentiles are kept as counts by rate, not one entry per offer.

Parts travel as plain JSON (:meth:`Counts.state`, :meth:`Counts.from_state`): the figures of a
partition, never pickled objects and never the decided rows themselves.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from thinfile.decisioning.economics import EXACT, EconomicsTally, OfferEconomics
from thinfile.decisioning.engine import Outcome
from thinfile.loanmath import DEFAULT_CAP
from thinfile.money import Rounding, format_yuan, round_fen

__all__ = [
    "MIN_SEGMENT_SHARE",
    "MOSTLY_AT_CAP",
    "ArmSummary",
    "Counts",
    "DecisionRow",
    "Tally",
]

MIN_SEGMENT_SHARE = Decimal("0.8")
"""An occupation approved at less than this share of the overall approval rate is flagged,
unless the policy (``min_segment_share``) or the caller sets another share (the four-fifths
rule of thumb of adverse-impact checks)."""

MOSTLY_AT_CAP = 0.5
"""An occupation with more than this share of its approved offers at the cap is flagged."""

_PD_BITS = 1100
"""Probabilities are summed as integers in units of 2**-_PD_BITS (floats reach 2**-1074)."""
_APPROVE = Outcome.APPROVE.value
_REFER = Outcome.REFER.value


@dataclass(frozen=True, slots=True)
class DecisionRow:
    """One simulated decision, reduced to what the report counts."""

    outcome: str
    pd: float
    rate: Decimal | None
    amount: int
    thin: bool
    segment: str
    grade: str = ""
    economics: OfferEconomics | None = None


def _pd_units(pd: float) -> int:
    numerator, denominator = pd.as_integer_ratio()
    return numerator << (_PD_BITS - denominator.bit_length() + 1)


@dataclass
class Tally:
    """Counts and sums over the decisions of one group (all, thin-file, one occupation)."""

    applications: int = 0
    approved: int = 0
    referred: int = 0
    pd_units: int = 0
    bads: int = 0
    with_outcome: int = 0
    rate_sum: Decimal = Decimal(0)
    amount_sum: int = 0
    cap: Decimal = DEFAULT_CAP
    economics: EconomicsTally = field(default_factory=EconomicsTally)

    def add(self, row: DecisionRow, bad: int | None) -> None:
        self.applications += 1
        self.referred += row.outcome == _REFER
        if row.outcome != _APPROVE:
            return
        self.approved += 1
        self.pd_units += _pd_units(row.pd)
        if row.rate is not None:
            self.rate_sum = EXACT.add(self.rate_sum, row.rate)
        self.amount_sum += row.amount
        if row.economics is not None:
            self.economics.add(row.economics)
        if bad is not None:
            self.with_outcome += 1
            self.bads += bad

    def merge(self, other: Tally) -> None:
        self.applications += other.applications
        self.approved += other.approved
        self.referred += other.referred
        self.pd_units += other.pd_units
        self.bads += other.bads
        self.with_outcome += other.with_outcome
        self.rate_sum = EXACT.add(self.rate_sum, other.rate_sum)
        self.amount_sum += other.amount_sum
        self.economics.merge(other.economics)

    @property
    def pd_sum(self) -> float:
        """The approvals' probabilities of default added up, the float nearest the exact sum."""
        return self.pd_units / (1 << _PD_BITS)  # float-ok: probabilities

    @property
    def approval_rate(self) -> float:
        """Approved over applications, to six places (0 with no applications)."""
        n = self.applications
        return round(self.approved / n, 6) if n else 0.0

    def as_dict(self) -> dict[str, object]:
        n, a = self.applications, self.approved
        return {
            "applications": n,
            "approved": a,
            "approval_rate": self.approval_rate,
            "referral_rate": round(self.referred / n, 6) if n else 0.0,
            "expected_bad_rate": round(self.pd_sum / a, 6) if a else None,
            "realised_bad_rate": round(self.bads / self.with_outcome, 6)
            if self.with_outcome
            else None,
            "average_annualized_rate": str(round(self.rate_sum / a, 6)) if a else None,
            "average_amount": format_yuan(
                round_fen(Decimal(self.amount_sum) / a, Rounding.HALF_EVEN)
            )
            if a
            else None,
            **self.economics.as_dict(self.cap),
        }

    def state(self) -> dict[str, Any]:
        return {
            "applications": self.applications,
            "approved": self.approved,
            "referred": self.referred,
            "pd_units": str(self.pd_units),
            "bads": self.bads,
            "with_outcome": self.with_outcome,
            "rate_sum": str(self.rate_sum),
            "amount_sum": self.amount_sum,
            "economics": self.economics.state(),
        }

    @classmethod
    def from_state(cls, state: Mapping[str, Any], cap: Decimal) -> Tally:
        return cls(
            applications=int(state["applications"]),
            approved=int(state["approved"]),
            referred=int(state["referred"]),
            pd_units=int(state["pd_units"]),
            bads=int(state["bads"]),
            with_outcome=int(state["with_outcome"]),
            rate_sum=Decimal(state["rate_sum"]),
            amount_sum=int(state["amount_sum"]),
            cap=cap,
            economics=EconomicsTally.from_state(state["economics"]),
        )


_GROUPS = ("by_file", "by_segment", "by_grade")


@dataclass
class ArmSummary:
    """One policy's tallies: overall, by file thickness, by occupation and by grade."""

    policy_version: str
    cap: Decimal = DEFAULT_CAP
    overall: Tally = field(default_factory=Tally)
    by_file: dict[str, Tally] = field(default_factory=dict)
    by_segment: dict[str, Tally] = field(default_factory=dict)
    by_grade: dict[str, Tally] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.overall.cap = self.cap

    def add(self, row: DecisionRow, bad: int | None) -> None:
        thin = "thin-file" if row.thin else "thick-file"
        for table, key in (
            (self.by_file, thin),
            (self.by_segment, row.segment),
            (self.by_grade, row.grade or "—"),
        ):
            tally = table.get(key)
            if tally is None:
                tally = table[key] = Tally(cap=self.cap)
            tally.add(row, bad)
        self.overall.add(row, bad)

    def merge(self, other: ArmSummary) -> None:
        self.overall.merge(other.overall)
        for name in _GROUPS:
            mine: dict[str, Tally] = getattr(self, name)
            for key, tally in getattr(other, name).items():
                if key not in mine:
                    mine[key] = Tally(cap=self.cap)
                mine[key].merge(tally)

    def as_dict(
        self, *, min_share: Decimal = MIN_SEGMENT_SHARE, target: Decimal | None = None
    ) -> dict[str, object]:
        return {
            "policy_version": self.policy_version,
            "overall": self.overall.as_dict(),
            "by_file": {k: v.as_dict() for k, v in sorted(self.by_file.items())},
            "by_grade": {k: v.as_dict() for k, v in sorted(self.by_grade.items())},
            "by_segment": {
                k: segment_row(v.as_dict(), self.overall.as_dict(), min_share, target)
                for k, v in sorted(self.by_segment.items())
            },
            "flagged_segments": self.flagged_segments(min_share=min_share, target=target),
        }

    def flagged_segments(
        self, *, min_share: Decimal = MIN_SEGMENT_SHARE, target: Decimal | None = None
    ) -> list[str]:
        """The occupations below ``min_share`` of the overall approval rate or above the
        ``target`` bad rate, by name."""
        overall = self.overall.as_dict()
        return [
            name
            for name, tally in sorted(self.by_segment.items())
            if segment_row(tally.as_dict(), overall, min_share, target)["flagged"]
        ]

    def state(self) -> dict[str, Any]:
        return {
            "policy_version": self.policy_version,
            "cap": str(self.cap),
            "overall": self.overall.state(),
            **{name: {k: t.state() for k, t in getattr(self, name).items()} for name in _GROUPS},
        }

    @classmethod
    def from_state(cls, state: Mapping[str, Any]) -> ArmSummary:
        cap = Decimal(state["cap"])
        groups = {
            name: {k: Tally.from_state(t, cap) for k, t in state[name].items()} for name in _GROUPS
        }
        return cls(state["policy_version"], cap, Tally.from_state(state["overall"], cap), **groups)


@dataclass
class Counts:
    """A run's (or a part's) arms, and the applications the candidate approves that the
    baseline does not (``swap_in``) and the other way round (``swap_out``)."""

    candidate: ArmSummary
    baseline: ArmSummary | None = None
    swap_in: int = 0
    swap_out: int = 0

    @classmethod
    def empty(cls, arms: list[tuple[str, Decimal]]) -> Counts:
        """Nothing counted yet, for arms of (policy version, cap): the candidate's first."""
        summaries = [ArmSummary(version, cap) for version, cap in arms]
        return cls(summaries[0], summaries[1] if len(summaries) > 1 else None)

    def add(self, new: DecisionRow, old: DecisionRow | None, bad: int | None) -> None:
        self.candidate.add(new, bad)
        if self.baseline is None or old is None:
            return
        self.baseline.add(old, bad)
        approved, was = new.outcome == _APPROVE, old.outcome == _APPROVE
        self.swap_in += approved and not was
        self.swap_out += was and not approved

    def merge(self, other: Counts) -> None:
        self.candidate.merge(other.candidate)
        if self.baseline is not None and other.baseline is not None:
            self.baseline.merge(other.baseline)
        self.swap_in += other.swap_in
        self.swap_out += other.swap_out

    def state(self) -> dict[str, Any]:
        """The counts as plain JSON values (exact: integers and Decimals as text)."""
        return {
            "candidate": self.candidate.state(),
            "baseline": None if self.baseline is None else self.baseline.state(),
            "swap_in": self.swap_in,
            "swap_out": self.swap_out,
        }

    @classmethod
    def from_state(cls, state: Mapping[str, Any]) -> Counts:
        old = state.get("baseline")
        return cls(
            ArmSummary.from_state(state["candidate"]),
            None if old is None else ArmSummary.from_state(old),
            int(state["swap_in"]),
            int(state["swap_out"]),
        )


def segment_row(
    row: dict[str, object], overall: dict[str, object], min_share: Decimal, target: Decimal | None
) -> dict[str, object]:
    """One occupation's figures with its share of the overall approval rate and its flags."""
    average = Decimal(str(overall["approval_rate"]))
    rate = Decimal(str(row["approval_rate"]))
    below = average > 0 and rate < min_share * average
    bad = (
        row["realised_bad_rate"]
        if row["realised_bad_rate"] is not None
        else row["expected_bad_rate"]
    )
    above = target is not None and bad is not None and Decimal(str(bad)) > target
    at_cap = row.get("share_at_cap")
    mostly_at_cap = isinstance(at_cap, float | int) and at_cap > MOSTLY_AT_CAP
    margin = row.get("expected_margin")
    losing = margin is not None and Decimal(str(margin)) < 0
    programme = losing and bool(row.get("with_programme"))
    return {
        **row,
        "approval_share_of_average": _ratio(row["approval_rate"], overall["approval_rate"]),
        "below_min_share": below,
        "above_target_bad_rate": above,
        "mostly_at_cap": mostly_at_cap,
        "negative_margin": losing and not programme,
        "programme_margin": programme,
        "flagged": below or above or mostly_at_cap or (losing and not programme),
    }


def _ratio(part: object, whole: object) -> float | None:
    """``part / whole`` of two rates as the report gives them (6 decimals), None for 0."""
    if not isinstance(part, float | int) or not isinstance(whole, float | int) or not whole:
        return None
    return round(part / whole, 6)
