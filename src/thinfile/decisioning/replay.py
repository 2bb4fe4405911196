"""Replay a stored decision: same inputs, same policy and model versions, same result."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from thinfile.decisioning.application import parse_application
from thinfile.decisioning.checks import History
from thinfile.decisioning.engine import Decision, Scorer, decide
from thinfile.decisioning.policy import Policy
from thinfile.errors import ConflictError

__all__ = ["replay"]


def replay(stored: Mapping[str, object], *, policy: Policy, model: Scorer) -> Decision:
    """Decide again from a stored ``Decision.as_dict()``; refuses mismatched versions."""
    for what, expected, actual in (("policy", stored["policy_version"], policy.version),
                                   ("model", stored["model_version"], model.version)):
        if expected != actual:
            raise ConflictError(
                f"the decision used {what} {expected}, not {actual}", field=f"{what}_version",
                value=actual, remedy=f"load {what} version {expected} to replay this decision",
            )
    inputs = stored["inputs"]
    assert isinstance(inputs, Mapping)
    history = inputs["history"]
    assert isinstance(history, Mapping)
    return decide(
        parse_application(inputs["application"]),
        policy=policy, model=model, on=date.fromisoformat(str(stored["decided_on"])),
        history=History(**{k: history[k] for k in History.__dataclass_fields__}),
    )
