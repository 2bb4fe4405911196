"""Limit-policy simulations for staff: a registered version (the active one unless named),
against a registered baseline if one is chosen, over a synthetic book made on the spot.

The book is ``thinfile.sim``'s applicants and their loans month by month (``seed`` makes it
again), the same inputs ``thinfile limits simulate`` reads from files; the run is
:func:`thinfile.services.limit_simulation.simulate_limits`. It runs inside the request that
asks for it, so the book is bounded (:data:`MAX_SIMULATED_APPLICANTS`: about five CPU-seconds
with a baseline). Each run that finishes is audited (``limits.simulate``) with what it was
asked.
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy.engine import Engine

from thinfile.errors import InvalidInputError
from thinfile.services.audit import record_audit
from thinfile.services.identity_records import Actor
from thinfile.services.limit_policies import limit_book_in, limit_policy_by_version
from thinfile.services.limit_simulation import (
    DEFAULT_BANDS_FEN,
    LimitSimulation,
    simulate_limits,
)
from thinfile.services.uow import UnitOfWork

__all__ = ["MAX_SIMULATED_APPLICANTS", "MIN_SIMULATED_APPLICANTS", "simulate_limit_versions"]

MIN_SIMULATED_APPLICANTS = 100
MAX_SIMULATED_APPLICANTS = 5_000


def simulate_limit_versions(
    engine: Engine,
    *,
    applicants: int,
    seed: int,
    actor: Actor,
    version: str | None = None,
    baseline: str | None = None,
    months: int = 18,
    take_up: Decimal = Decimal("0.8"),
) -> LimitSimulation:
    """Months 1 to ``months`` of a synthetic book of ``applicants`` under limit policy
    ``version`` (the active one when ``None``), and under ``baseline`` when given; the limit
    bands are the default ones below the lower of the two ceilings."""
    if not MIN_SIMULATED_APPLICANTS <= applicants <= MAX_SIMULATED_APPLICANTS:
        raise InvalidInputError(
            f"choose from {MIN_SIMULATED_APPLICANTS:,} to {MAX_SIMULATED_APPLICANTS:,} applicants",
            field="applicants",
            value=applicants,
            remedy="a larger book: thinfile limits simulate, from files",
        )
    with UnitOfWork(engine) as uow:  # the shipped policy is registered if none is yet
        candidate = (
            limit_policy_by_version(uow, version) if version else limit_book_in(uow).champion
        )
        base = limit_policy_by_version(uow, baseline) if baseline else None
        uow.commit()
    from thinfile.sim import generate_applicants, simulate_performance

    book = generate_applicants(applicants, seed=seed)
    performance = simulate_performance(book, months=months, seed=seed)
    ceiling = min(p.settings.ceiling_fen for p in (candidate, base) if p is not None)
    bands = tuple(b for b in DEFAULT_BANDS_FEN if b < ceiling) or (ceiling // 2,)
    report = simulate_limits(
        book,
        performance,
        policy=candidate,
        baseline=base,
        months=months,
        take_up=take_up,
        bands_fen=bands,
    )
    with UnitOfWork(engine) as uow:
        record_audit(
            uow,
            actor.label,
            "limits.simulate",
            f"limit_policy:{candidate.version}",
            {
                "applicants": applicants,
                "seed": seed,
                "baseline": None if base is None else base.version,
                "months": months,
                "take_up": str(take_up),
                "lines": report.lines,
            },
        )
        uow.commit()
    return report
