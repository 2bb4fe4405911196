"""Policy simulation: what a candidate policy (and model) would do to past applications.

For each past application it runs the real decision and reports the approval rate, the
expected bad rate (mean PD of approvals), the realised bad rate where outcomes exist, the
average price, approvals by segment (thin-file vs thick-file, occupation) and the change from
a baseline policy — the figures a lender reads before shipping a policy change.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from thinfile.decisioning.application import OPTIONAL, REQUIRED, Application
from thinfile.decisioning.engine import Decision, Outcome, Scorer, decide
from thinfile.decisioning.policy import Policy

__all__ = [
    "THIN_FILE_MONTHS",
    "ArmSummary",
    "SimulationReport",
    "application_from_record",
    "simulate",
]

THIN_FILE_MONTHS = 12
"""Applicants with less bureau history than this count as thin-file."""

_FIELDS = set(REQUIRED) | set(OPTIONAL)


def _plain(value: object) -> object:
    """A record value as a plain Python value (NaN and missing become None)."""
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    item = getattr(value, "item", None)  # NumPy scalars
    if callable(item):
        return _plain(item())
    to_date = getattr(value, "date", None)  # pandas Timestamp
    if callable(to_date) and not isinstance(value, date):
        return to_date()
    return value


def application_from_record(record: Mapping[str, object]) -> Application:
    """An application from a table row (money already in fen), keeping known fields only."""
    values = {k: _plain(v) for k, v in record.items() if k in _FIELDS}
    values.setdefault("consent_credit", True)
    born = values.get("birth_date")
    if isinstance(born, str):
        values["birth_date"] = date.fromisoformat(born[:10])
    return Application({k: v for k, v in values.items() if v is not None})  # type: ignore[misc]


@dataclass
class _Tally:
    applications: int = 0
    approved: int = 0
    referred: int = 0
    pd_sum: float = 0.0
    bads: int = 0
    with_outcome: int = 0
    rate_sum: Decimal = Decimal(0)
    amount_sum: int = 0

    def add(self, decision: Decision, bad: int | None) -> None:
        self.applications += 1
        if decision.outcome is Outcome.REFER:
            self.referred += 1
        if decision.outcome is not Outcome.APPROVE:
            return
        self.approved += 1
        self.pd_sum += decision.pd
        offer = decision.offers[0]
        self.rate_sum += offer.annualized.nominal
        self.amount_sum += offer.amount
        if bad is not None:
            self.with_outcome += 1
            self.bads += bad

    def as_dict(self) -> dict[str, object]:
        n, a = self.applications, self.approved
        return {
            "applications": n,
            "approved": a,
            "approval_rate": round(a / n, 6) if n else 0.0,
            "referral_rate": round(self.referred / n, 6) if n else 0.0,
            "expected_bad_rate": round(self.pd_sum / a, 6) if a else None,
            "realised_bad_rate": round(self.bads / self.with_outcome, 6)
            if self.with_outcome else None,
            "average_annualized_rate": str(round(self.rate_sum / a, 6)) if a else None,
            "average_amount": round(self.amount_sum / a / 100, 2) if a else None,
        }


@dataclass
class ArmSummary:
    policy_version: str
    overall: _Tally = field(default_factory=_Tally)
    by_file: dict[str, _Tally] = field(default_factory=dict)
    by_segment: dict[str, _Tally] = field(default_factory=dict)
    outcomes: list[str] = field(default_factory=list)

    def add(self, decision: Decision, bad: int | None) -> None:
        app = decision.application
        thin = "thin-file" if app.number("bureau_history_months") < THIN_FILE_MONTHS else (
            "thick-file")
        for table, key in ((self.by_file, thin), (self.by_segment, str(app.get("segment")))):
            table.setdefault(key, _Tally()).add(decision, bad)
        self.overall.add(decision, bad)
        self.outcomes.append(decision.outcome.value)

    def as_dict(self) -> dict[str, object]:
        return {
            "policy_version": self.policy_version,
            "overall": self.overall.as_dict(),
            "by_file": {k: v.as_dict() for k, v in sorted(self.by_file.items())},
            "by_segment": {k: v.as_dict() for k, v in sorted(self.by_segment.items())},
        }


@dataclass
class SimulationReport:
    model_version: str
    candidate: ArmSummary
    baseline: ArmSummary | None

    def change(self) -> dict[str, object] | None:
        if self.baseline is None:
            return None
        new, old = self.candidate.overall, self.baseline.overall
        pairs = list(zip(self.candidate.outcomes, self.baseline.outcomes, strict=True))
        return {
            "approval_rate": round(new.approved / new.applications
                                   - old.approved / old.applications, 6),
            "swap_in": sum(1 for n, o in pairs if n == "approve" and o != "approve"),
            "swap_out": sum(1 for n, o in pairs if n != "approve" and o == "approve"),
        }

    def as_dict(self) -> dict[str, object]:
        return {
            "model_version": self.model_version,
            "candidate": self.candidate.as_dict(),
            "baseline": self.baseline.as_dict() if self.baseline else None,
            "change": self.change(),
        }


def simulate(
    records: Iterable[Mapping[str, object]], *, policy: Policy, model: Scorer, on: date,
    baseline: Policy | None = None, outcome: str = "bad_12m",
) -> SimulationReport:
    """Decide every record with ``policy`` (and ``baseline``) and summarise the results."""
    candidate = ArmSummary(policy.version)
    old = ArmSummary(baseline.version) if baseline else None
    for record in records:
        app = application_from_record(record)
        raw = _plain(record.get(outcome))
        bad = int(raw) if isinstance(raw, (int, float, bool)) else None
        candidate.add(decide(app, policy=policy, model=model, on=on), bad)
        if baseline is not None and old is not None:
            old.add(decide(app, policy=baseline, model=model, on=on), bad)
    return SimulationReport(model.version, candidate, old)

