"""The demo's cast: which synthetic applicants play the year's borrowers.

The stories the smoke run checks must not hang on where a trained model happens to put one
applicant. The underwriter's queue is the one that did: a referral (a large amount on an
unverified income, or a weak grade asking for much) is rare among 24 applicants, so whether
one was left waiting at the year's end changed with the population's size and the model's
kind. :func:`with_a_referral` makes it a matter of casting: the year's last applicant is one
the live policy refers.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any, TypeVar

from thinfile.decisioning import Outcome, application_from_record, decide
from thinfile.services.policies import DecisionRuntime

__all__ = ["with_a_referral"]

Record = TypeVar("Record", bound=Mapping[Any, Any])
"""An applicant's row (a data frame's record)."""


def with_a_referral(
    cast: list[Record], spare: Iterable[Record], runtime: DecisionRuntime, on: date
) -> list[Record]:
    """``cast`` with its last applicant swapped, if the live policy (the champion, and the
    challenger when one runs) would not refer them on ``on``, for the first of ``spare`` it
    would: a new applicant, decided as one with no history with the lender. Unchanged when
    no spare applicant is referred."""
    policies = [p for p in (runtime.book.champion, runtime.book.challenger) if p is not None]

    def referred(record: Record) -> bool:
        app = application_from_record(record)
        return all(
            decide(app, policy=p, model=runtime.model, on=on).outcome is Outcome.REFER
            for p in policies
        )

    if not cast or referred(cast[-1]):
        return cast
    found = next((r for r in spare if referred(r)), None)
    return cast if found is None else [*cast[:-1], found]
