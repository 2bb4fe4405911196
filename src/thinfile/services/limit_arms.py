"""The live book by arm after a limit review: champion, challenger and the control group side
by side, so a strategy's effect is measured on real lines, not only simulated.

For the lines a review decided (``review_on``), by the arm each met: what the review did
(increases offered and accepted; the control group's would-be increases held out; decreases
and freezes) and how the lines stand at the latest behaviour snapshot since — average limit,
utilization, share 30+ days past due. Read-only; the snapshots are close of business's
month-end ones (or a later review's).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy.engine import Engine

from thinfile.services.uow import UnitOfWork
from thinfile.store.servicing_codec import from_day, to_day

__all__ = ["ArmOutcome", "ArmOutcomes", "arm_outcomes"]

_Q = Decimal("0.0001")


def _share(part: int, whole: int) -> Decimal | None:
    return None if whole <= 0 else (Decimal(part) / Decimal(whole)).quantize(_Q)


@dataclass(frozen=True, slots=True)
class ArmOutcome:
    arm: str
    lines: int
    offered: int
    accepted: int
    held_out: int
    reduced: int
    observed: int
    """Lines in the latest snapshot (the figures below are theirs)."""
    average_limit_fen: int | None
    utilization: Decimal | None
    past_due_30_share: Decimal | None


@dataclass(frozen=True, slots=True)
class ArmOutcomes:
    review_on: date
    observed_on: date | None
    arms: tuple[ArmOutcome, ...]


def arm_outcomes(engine: Engine, review_on: date) -> ArmOutcomes:
    """The lines reviewed on ``review_on`` by arm (none when no review ran that day)."""
    with UnitOfWork(engine) as uow:
        at, rows = uow.limits.arm_outcomes(to_day(review_on))
    arms = []
    for r in rows:
        observed, limit_sum = int(r["observed"]), int(r["limit_sum"])
        arms.append(
            ArmOutcome(
                arm=str(r["arm"]),
                lines=int(r["lines"]),
                offered=int(r["offered"] or 0),
                accepted=int(r["accepted"] or 0),
                held_out=int(r["held_out"] or 0),
                reduced=int(r["reduced"] or 0),
                observed=observed,
                average_limit_fen=limit_sum // observed if observed else None,
                utilization=_share(int(r["balance_sum"]), limit_sum),
                past_due_30_share=_share(int(r["past_due_30"] or 0), observed),
            )
        )
    return ArmOutcomes(review_on, None if at is None else from_day(at), tuple(arms))
