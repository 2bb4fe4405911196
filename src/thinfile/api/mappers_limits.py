"""A limit-policy simulation as the API answers it: amounts in yuan text, as everywhere in
the API (the simulation counts fen)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from thinfile.api.models_limits import LimitSimulationPublic
from thinfile.money import format_yuan
from thinfile.services.limit_simulation import LimitSimulation

__all__ = ["limit_simulation_public"]


def _yuan(fen: object) -> str | None:
    return None if fen is None else format_yuan(int(str(fen)))


def _month(m: Mapping[str, Any]) -> dict[str, object]:
    return {**m, "average_limit": _yuan(m["average_limit_fen"])}


def _group(g: Mapping[str, Any]) -> dict[str, object]:
    return {
        **g,
        "balance_at_entry": _yuan(g["balance_at_entry_fen"]),
        "charged_off": _yuan(g["charged_off_fen"]),
    }


def _run(run: Mapping[str, Any] | None) -> dict[str, object] | None:
    if run is None:
        return None
    return {
        "policy_version": run["policy_version"],
        "ceiling": _yuan(run["ceiling_fen"]),
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
