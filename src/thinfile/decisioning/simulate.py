"""Policy simulation: what a candidate policy (and model) would do to past applications.

For each past application it runs the real decision and reports the approval rate, the
expected bad rate (mean PD of approvals), the realised bad rate where outcomes exist, the
average price, the economics of the approved offers (:mod:`thinfile.decisioning.economics`:
annualized rates and their distribution, share at the cap, expected interest, fees, loss and
margin), by segment (thin-file vs thick-file, grade, occupation) and the change from a
baseline policy — the figures a lender reads before shipping a policy change.

Each occupation is checked against the whole: it is flagged when its approval rate falls below
``min_segment_share`` of the overall approval rate, or its bad rate of approvals (realised
where outcomes exist, else expected) rises above the policy's ``target_bad_rate``, when more
than :data:`MOSTLY_AT_CAP` of its approvals sit at the cap, or when its expected margin is
below zero and no preferential programme explains it (``programme_margin``). Occupation
is never a model input nor a reason given to a borrower; here it is only counted.

The decisions themselves, in one process or several, are
:mod:`thinfile.decisioning.simulate_rows`'s; this module counts them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from thinfile.decisioning.economics import (
    EconomicsTally,
    economics_change,
)
from thinfile.decisioning.engine import Outcome, Scorer
from thinfile.decisioning.policy import Policy
from thinfile.decisioning.simulate_rows import (
    PARALLEL_FROM,
    ROW_FIELDS,
    THIN_FILE_MONTHS,
    DecidedRows,
    DecisionRow,
    application_from_record,
    decide_records,
    economics_lens,
    plain_value,
)
from thinfile.errors import InvalidInputError
from thinfile.loanmath import DEFAULT_CAP
from thinfile.money import Rounding, format_yuan, round_fen

__all__ = [
    "MIN_SEGMENT_SHARE",
    "MOSTLY_AT_CAP",
    "ROW_FIELDS",
    "THIN_FILE_MONTHS",
    "ArmSummary",
    "DecidedRows",
    "SimulationReport",
    "Tally",
    "application_from_record",
    "decide_records",
    "economics_lens",
    "plain_value",
    "report_from_rows",
    "simulate",
]

MIN_SEGMENT_SHARE = Decimal("0.8")
"""An occupation approved at less than this share of the overall approval rate is flagged,
unless the policy (``min_segment_share``) or the caller sets another share (the four-fifths
rule of thumb of adverse-impact checks)."""

MOSTLY_AT_CAP = 0.5
"""An occupation with more than this share of its approved offers at the cap is flagged."""


@dataclass
class Tally:
    """Counts and sums over the decisions of one group (all, thin-file, one occupation)."""

    applications: int = 0
    approved: int = 0
    referred: int = 0
    pd_sum: float = 0.0
    bads: int = 0
    with_outcome: int = 0
    rate_sum: Decimal = Decimal(0)
    amount_sum: int = 0
    cap: Decimal = DEFAULT_CAP
    economics: EconomicsTally = field(default_factory=EconomicsTally)

    def add(self, row: DecisionRow) -> None:
        self.applications += 1
        self.referred += row.outcome == Outcome.REFER.value
        if row.outcome != Outcome.APPROVE.value:
            return
        self.approved += 1
        self.pd_sum += row.pd
        self.rate_sum += row.rate or Decimal(0)
        self.amount_sum += row.amount
        if row.economics is not None:
            self.economics.add(row.economics)
        if row.bad is not None:
            self.with_outcome += 1
            self.bads += row.bad

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


@dataclass
class ArmSummary:
    policy_version: str
    cap: Decimal = DEFAULT_CAP
    overall: Tally = field(default_factory=Tally)
    by_file: dict[str, Tally] = field(default_factory=dict)
    by_segment: dict[str, Tally] = field(default_factory=dict)
    by_grade: dict[str, Tally] = field(default_factory=dict)
    outcomes: list[str] = field(default_factory=list)

    def add(self, row: DecisionRow) -> None:
        thin = "thin-file" if row.thin else "thick-file"
        for table, key in (
            (self.by_file, thin),
            (self.by_segment, row.segment),
            (self.by_grade, row.grade or "—"),
        ):
            table.setdefault(key, Tally(cap=self.cap)).add(row)
        self.overall.cap = self.cap
        self.overall.add(row)
        self.outcomes.append(row.outcome)

    def as_dict(
        self, *, min_share: Decimal = MIN_SEGMENT_SHARE, target: Decimal | None = None
    ) -> dict[str, object]:
        return {
            "policy_version": self.policy_version,
            "overall": self.overall.as_dict(),
            "by_file": {k: v.as_dict() for k, v in sorted(self.by_file.items())},
            "by_grade": {k: v.as_dict() for k, v in sorted(self.by_grade.items())},
            "by_segment": {
                k: _segment_row(v.as_dict(), self.overall.as_dict(), min_share, target)
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
            if _segment_row(tally.as_dict(), overall, min_share, target)["flagged"]
        ]


def _segment_row(
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


@dataclass
class SimulationReport:
    """What a policy would do, with the share and target its occupations are checked by."""

    model_version: str
    candidate: ArmSummary
    baseline: ArmSummary | None
    min_segment_share: Decimal = MIN_SEGMENT_SHARE
    target_bad_rate: Decimal | None = None

    def change(self) -> dict[str, object] | None:
        if self.baseline is None:
            return None
        new, old = self.candidate.overall, self.baseline.overall
        pairs = list(zip(self.candidate.outcomes, self.baseline.outcomes, strict=True))
        return {
            "approval_rate": round(
                new.approved / new.applications - old.approved / old.applications, 6
            ),
            "swap_in": sum(1 for n, o in pairs if n == "approve" and o != "approve"),
            "swap_out": sum(1 for n, o in pairs if n != "approve" and o == "approve"),
            **economics_change(new.as_dict(), old.as_dict()),
        }

    def _arm(self, arm: ArmSummary) -> dict[str, object]:
        return arm.as_dict(min_share=self.min_segment_share, target=self.target_bad_rate)

    def as_dict(self) -> dict[str, object]:
        return {
            "model_version": self.model_version,
            "min_segment_share": str(self.min_segment_share),
            "target_bad_rate": None if self.target_bad_rate is None else str(self.target_bad_rate),
            "candidate": self._arm(self.candidate),
            "baseline": self._arm(self.baseline) if self.baseline else None,
            "change": self.change(),
        }


def _summary(policy: Policy, rows: list[DecisionRow], bads: list[int | None]) -> ArmSummary:
    arm = ArmSummary(policy.version, policy.settings.cap)
    for row, bad in zip(rows, bads, strict=True):
        arm.add(dataclasses.replace(row, bad=bad))
    return arm


def simulate(
    records: Iterable[Mapping[str, object]],
    *,
    policy: Policy,
    model: Scorer,
    on: date,
    baseline: Policy | None = None,
    outcome: str = "bad_12m",
    workers: int = 1,
    parallel_from: int = PARALLEL_FROM,
    min_segment_share: Decimal | None = None,
) -> SimulationReport:
    """Decide every record with ``policy`` (and ``baseline``) and summarise the results.

    With ``workers`` > 1 and at least ``parallel_from`` records, decisions run in that many
    processes; the report is the same either way. Occupations are flagged below
    ``min_segment_share`` of the overall approval rate (default: the policy's, else
    :data:`MIN_SEGMENT_SHARE`) and above the policy's ``target_bad_rate``.
    """
    share = _min_share(min_segment_share, policy)
    decided = decide_records(
        records,
        policy=policy,
        model=model,
        on=on,
        baseline=baseline,
        outcome=outcome,
        workers=workers,
        parallel_from=parallel_from,
    )
    return report_from_rows(decided, policy=policy, baseline=baseline, model=model, share=share)


def report_from_rows(
    decided: DecidedRows,
    *,
    policy: Policy,
    baseline: Policy | None,
    model: Scorer,
    share: Decimal | None = None,
) -> SimulationReport:
    """The report of decisions counted in input order (the same report whoever decided)."""
    chosen = _min_share(share, policy)
    candidate = _summary(policy, decided.candidate, decided.bads)
    old = None
    if baseline is not None and decided.baseline is not None:
        old = _summary(baseline, decided.baseline, decided.bads)
    return SimulationReport(model.version, candidate, old, chosen, policy.settings.target_bad_rate)


def _min_share(given: Decimal | None, policy: Policy) -> Decimal:
    share = given if given is not None else policy.settings.min_segment_share
    share = MIN_SEGMENT_SHARE if share is None else share
    if not 0 <= share <= 1:
        raise InvalidInputError(
            "the minimum segment share must be from 0 to 1",
            field="min_segment_share",
            value=str(share),
            remedy="give a share such as 0.8 (four fifths of the average approval rate)",
        )
    return share
