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
:mod:`thinfile.decisioning.simulate_rows`'s, counted exactly by
:mod:`thinfile.decisioning.simulate_counts`; this module reports the counts.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from thinfile.decisioning.economics import economics_change
from thinfile.decisioning.engine import Scorer
from thinfile.decisioning.policy import Policy
from thinfile.decisioning.simulate_counts import (
    MIN_SEGMENT_SHARE,
    MOSTLY_AT_CAP,
    ArmSummary,
    Counts,
    DecisionRow,
    Tally,
)
from thinfile.decisioning.simulate_rows import (
    PARALLEL_FROM,
    THIN_FILE_MONTHS,
    application_from_record,
    count_records,
    economics_lens,
    plain_value,
)
from thinfile.errors import InvalidInputError

__all__ = [
    "MIN_SEGMENT_SHARE",
    "MOSTLY_AT_CAP",
    "THIN_FILE_MONTHS",
    "ArmSummary",
    "Counts",
    "DecisionRow",
    "SimulationReport",
    "Tally",
    "application_from_record",
    "count_records",
    "economics_lens",
    "plain_value",
    "report_from_counts",
    "simulate",
]


def _approved_share(tally: Tally) -> float:
    """Approved over applications, unrounded; 0 with no applications (an empty file)."""
    return tally.approved / tally.applications if tally.applications else 0.0


@dataclass
class SimulationReport:
    """What a policy would do, with the share and target its occupations are checked by."""

    model_version: str
    candidate: ArmSummary
    baseline: ArmSummary | None
    min_segment_share: Decimal = MIN_SEGMENT_SHARE
    target_bad_rate: Decimal | None = None
    swaps: tuple[int, int] = (0, 0)
    """Applications the candidate approves and the baseline does not, and the other way."""

    def change(self) -> dict[str, object] | None:
        if self.baseline is None:
            return None
        new, old = self.candidate.overall, self.baseline.overall
        return {
            "approval_rate": round(_approved_share(new) - _approved_share(old), 6),
            "swap_in": self.swaps[0],
            "swap_out": self.swaps[1],
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
    counts = count_records(
        records,
        policy=policy,
        model=model,
        on=on,
        baseline=baseline,
        outcome=outcome,
        workers=workers,
        parallel_from=parallel_from,
    )
    return report_from_counts(counts, policy=policy, model_version=model.version, share=share)


def report_from_counts(
    counts: Counts, *, policy: Policy, model_version: str, share: Decimal | None = None
) -> SimulationReport:
    """The report of a run's counts (the same report however the run was split)."""
    return SimulationReport(
        model_version,
        counts.candidate,
        counts.baseline,
        _min_share(share, policy),
        policy.settings.target_bad_rate,
        (counts.swap_in, counts.swap_out),
    )


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
