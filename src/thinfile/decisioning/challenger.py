"""Champion/challenger: a configured share of applicants decided by a challenger policy.

Assignment is deterministic by applicant (a salted SHA-256 of the applicant key), so the same
person always meets the same arm, and shares change smoothly: raising the share from 10% to
20% keeps every earlier challenger applicant in the challenger arm.
"""

from __future__ import annotations

import enum
import hashlib
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from thinfile.decisioning.application import Application
from thinfile.decisioning.checks import NO_HISTORY, History
from thinfile.decisioning.engine import Decision, Scorer, decide
from thinfile.decisioning.policy import Policy
from thinfile.errors import InvalidInputError

__all__ = [
    "Arm",
    "ChallengerDecision",
    "ModelStatus",
    "PolicyBook",
    "PolicyStatus",
    "assign_arm",
]

_SCALE = 2**64


class Arm(enum.StrEnum):
    CHAMPION = "champion"
    CHALLENGER = "challenger"


class PolicyStatus(enum.StrEnum):
    """Where a registered policy version stands; stored as the value.

    One version is active (the champion), at most one is the challenger with a share of
    applicants; a registered version waits as a candidate; an active one replaced is retired.
    """

    ACTIVE = "active"
    CANDIDATE = "candidate"
    CHALLENGER = "challenger"
    RETIRED = "retired"


class ModelStatus(enum.StrEnum):
    """Where a registered model version stands; stored as the value (one is active)."""

    ACTIVE = "active"
    CANDIDATE = "candidate"
    RETIRED = "retired"


def assign_arm(applicant_key: str, share: Decimal, *, salt: str = "thinfile") -> Arm:
    """The arm for ``applicant_key`` when ``share`` (0–1) of traffic goes to the challenger."""
    if not 0 <= share <= 1:
        raise InvalidInputError(
            "the challenger share must be from 0 to 1", field="share", value=str(share)
        )
    digest = hashlib.sha256(f"{salt}:{applicant_key}".encode()).digest()
    position = Decimal(int.from_bytes(digest[:8], "big")) / _SCALE
    return Arm.CHALLENGER if position < share else Arm.CHAMPION


@dataclass(frozen=True)
class ChallengerDecision:
    """The decision that counts, which arm made it, and the other arm's shadow decision."""

    arm: Arm
    decision: Decision
    shadow: Decision | None

    def as_dict(self) -> dict[str, object]:
        out = self.decision.as_dict()
        out["arm"] = self.arm.value
        if self.shadow is not None:
            out["shadow"] = {
                "outcome": self.shadow.outcome.value,
                "policy_version": self.shadow.policy_version,
                "offers": len(self.shadow.offers),
                "grade": self.shadow.grade,
            }
        return out


@dataclass(frozen=True)
class PolicyBook:
    """The active (champion) policy, an optional challenger and its share of traffic."""

    champion: Policy
    challenger: Policy | None = None
    share: Decimal = Decimal(0)

    def decide(
        self, app: Application, *, model: Scorer, on: date, history: History = NO_HISTORY
    ) -> ChallengerDecision:
        """Decide with the assigned arm and record the other arm's outcome beside it."""
        if self.challenger is None or self.share == 0:
            return ChallengerDecision(
                Arm.CHAMPION,
                decide(app, policy=self.champion, model=model, on=on, history=history),
                None,
            )
        arm = assign_arm(app.id_number, self.share)
        first, second = (
            (self.challenger, self.champion)
            if arm is Arm.CHALLENGER
            else (self.champion, self.challenger)
        )
        return ChallengerDecision(
            arm,
            decide(app, policy=first, model=model, on=on, history=history),
            decide(app, policy=second, model=model, on=on, history=history),
        )
