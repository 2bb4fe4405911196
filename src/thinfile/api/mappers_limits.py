"""A limit-policy simulation and the live book by arm as the API answers them: amounts in
yuan text, as everywhere in the API (the services count fen)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from thinfile.api.mappers import money_or_none
from thinfile.api.models_limits import ArmOutcomesPublic, LimitSimulationPublic
from thinfile.services.limit_arms import ArmOutcomes
from thinfile.services.limit_simulation import LimitSimulation

__all__ = ["arm_outcomes_public", "limit_simulation_public"]


def _month(m: Mapping[str, Any]) -> dict[str, object]:
    return {**m, "average_limit": money_or_none(m["average_limit_fen"])}


def _group(g: Mapping[str, Any]) -> dict[str, object]:
    return {
        **g,
        "balance_at_entry": money_or_none(g["balance_at_entry_fen"]),
        "charged_off": money_or_none(g["charged_off_fen"]),
    }


def _run(run: Mapping[str, Any] | None) -> dict[str, object] | None:
    if run is None:
        return None
    return {
        "policy_version": run["policy_version"],
        "ceiling": money_or_none(run["ceiling_fen"]),
        "by_month": [_month(m) for m in run["by_month"]],
        "by_segment": {k: [_month(m) for m in v] for k, v in run["by_segment"].items()},
        "loss": {k: _group(g) for k, g in run["loss"].items()},
    }


def limit_simulation_public(report: LimitSimulation) -> LimitSimulationPublic:
    data: dict[str, Any] = report.as_dict()
    change = data["change"]
    return LimitSimulationPublic.model_validate(
        {
            **data,
            "candidate": _run(data["candidate"]),
            "baseline": _run(data["baseline"]),
            "change": None
            if change is None
            else {**change, "by_month": [_month(m) for m in change["by_month"]]},
        }
    )


def arm_outcomes_public(outcomes: ArmOutcomes) -> ArmOutcomesPublic:
    return ArmOutcomesPublic.model_validate(
        {
            "review_on": outcomes.review_on,
            "observed_on": outcomes.observed_on,
            "arms": [
                {
                    "arm": a.arm,
                    "lines": a.lines,
                    "offered": a.offered,
                    "accepted": a.accepted,
                    "held_out": a.held_out,
                    "reduced": a.reduced,
                    "observed": a.observed,
                    "average_limit": money_or_none(a.average_limit_fen),
                    "utilization": None if a.utilization is None else str(a.utilization),
                    "past_due_30_share": None
                    if a.past_due_30_share is None
                    else str(a.past_due_30_share),
                }
                for a in outcomes.arms
            ],
        }
    )
