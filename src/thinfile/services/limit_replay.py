"""The replay of a stored limit decision: decided again from its stored inputs, policy
version and (when a behaviour model graded it) model version, to show that it would be the
same today."""

from __future__ import annotations

import json
from dataclasses import dataclass

from sqlalchemy.engine import Engine

from thinfile.decisioning.limits import LimitDecision, LimitInputs, decide_limit
from thinfile.errors import NotFoundError
from thinfile.services.behaviour_scores import behaviour_model_by_version_in, score_lines
from thinfile.services.limit_policies import limit_policy_by_version
from thinfile.services.uow import UnitOfWork

__all__ = ["Replayed", "replay_limit_decision"]


@dataclass(frozen=True, slots=True)
class Replayed:
    decision_id: int
    stored_action: str
    stored_new_limit: int
    replayed: LimitDecision
    stored_pd: str | None = None
    stored_reason_codes: tuple[str, ...] = ()

    @property
    def same(self) -> bool:
        """The replay took the same action to the same limit for the same reasons, with the
        same behaviour PD (both empty when no model graded the line)."""
        return (
            self.stored_action,
            self.stored_new_limit,
            self.stored_pd,
            self.stored_reason_codes,
        ) == (
            self.replayed.action.value,
            self.replayed.new_limit,
            self.replayed.pd,
            self.replayed.reason_codes,
        )


def replay_limit_decision(engine: Engine, decision_id: int) -> Replayed:
    """Decide a stored limit decision again from its stored inputs, policy version and (when
    a behaviour model graded it) model version, rescoring the stored inputs."""
    with UnitOfWork(engine) as uow:
        row = uow.limit_decisions.decision(decision_id)
        if row is None:
            raise NotFoundError("no such limit decision", field="decision_id", value=decision_id)
        policy = limit_policy_by_version(uow, str(row.policy_version))
        model = (
            None
            if row.model_version is None
            else behaviour_model_by_version_in(uow, str(row.model_version))
        )
    inputs = LimitInputs.from_json(json.loads(row.inputs_json))
    score = None if model is None else score_lines(model, [inputs])[0]
    replayed = decide_limit(inputs, policy, score)
    if row.action == "held_out":
        replayed = replayed.held_out()
    return Replayed(
        decision_id,
        str(row.action),
        int(row.new_limit),
        replayed,
        None if row.pd is None else str(row.pd),
        tuple(str(row.reason_codes).split(",")),
    )
