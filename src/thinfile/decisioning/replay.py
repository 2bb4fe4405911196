"""Replay a stored decision: same inputs, same policy and model versions, same result."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from thinfile.decisioning.application import parse_application
from thinfile.decisioning.checks import History
from thinfile.decisioning.engine import Decision, Scorer, decide
from thinfile.decisioning.policy import Policy
from thinfile.errors import ConflictError, InvalidInputError

__all__ = ["LATER_KEYS", "replay", "same_as_stored"]

LATER_KEYS: frozenset[str] = frozenset({"before_cap", "price_build_up", "programme"})
"""Keys a decision's stored form gained after decisions were first stored (an offer's rate
before it was re-priced to the cap, the price build-up, an offer's programme). A decision
stored before a key existed replays without a difference when only such keys are new."""


def _older_form(again: object, stored: object) -> object:
    """``again`` without the :data:`LATER_KEYS` that ``stored`` lacks at the same place."""
    if isinstance(again, Mapping) and isinstance(stored, Mapping):
        return {
            k: _older_form(v, stored.get(k))
            for k, v in again.items()
            if k in stored or k not in LATER_KEYS
        }
    if isinstance(again, list) and isinstance(stored, list) and len(again) == len(stored):
        return [_older_form(a, b) for a, b in zip(again, stored, strict=True)]
    return again


def same_as_stored(again: Mapping[str, object], stored: Mapping[str, object]) -> bool:
    """Whether a replayed decision's ``as_dict()`` equals the stored one, in the stored one's
    format (keys added to the format since it was stored are not differences)."""
    return _older_form(again, stored) == stored


def replay(stored: Mapping[str, object], *, policy: Policy, model: Scorer) -> Decision:
    """Decide again from a stored ``Decision.as_dict()``; refuses mismatched versions."""
    for what, expected, actual in (
        ("policy", stored["policy_version"], policy.version),
        ("model", stored["model_version"], model.version),
    ):
        if expected != actual:
            raise ConflictError(
                f"the decision used {what} {expected}, not {actual}",
                field=f"{what}_version",
                value=actual,
                remedy=f"load {what} version {expected} to replay this decision",
            )
    inputs = _mapping(stored.get("inputs"), "inputs")
    return decide(
        parse_application(inputs.get("application")),
        policy=policy,
        model=model,
        on=date.fromisoformat(str(stored["decided_on"])),
        history=History.from_dict(_mapping(inputs.get("history"), "inputs.history")),
    )


def _mapping(value: object, what: str) -> Mapping[str, object]:
    if not isinstance(value, Mapping):
        raise InvalidInputError(f"the stored decision's {what} is not an object", field=what)
    return value
