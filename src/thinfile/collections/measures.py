"""Collection measures: cure rate, roll-forward rate and promise-kept rate by strategy and
bucket (pure functions over rows the store reads).

A case *cures* when its loan returns to ``CURRENT`` (or closes repaid) by the end of the
observation window; it *rolls forward* when it reaches a later bucket instead.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from thinfile.servicing import DEFAULT_BUCKETS

__all__ = ["CaseResult", "Rates", "collection_rates", "promise_kept_rate"]

_ORDER = {"CURRENT": 0, **{b.label: i + 1 for i, b in enumerate(DEFAULT_BUCKETS)}}
CURED = frozenset({"CURRENT", "closed"})


@dataclass(frozen=True, slots=True)
class CaseResult:
    """A case at the start of a window (``strategy``, ``bucket``) and the loan's bucket at its
    end (``CURRENT``, ``closed``, a bucket name, or ``charged-off``)."""

    strategy: str
    bucket: str
    later: str


@dataclass(frozen=True, slots=True)
class Rates:
    cases: int
    cure_rate: Decimal
    roll_forward_rate: Decimal


def _rolled(result: CaseResult) -> bool:
    if result.later in CURED:
        return False
    if result.later not in _ORDER:  # charged off / written off: beyond every bucket
        return True
    return _ORDER[result.later] > _ORDER.get(result.bucket, 0)


def _share(part: int, whole: int) -> Decimal:
    return Decimal(part) / Decimal(whole) if whole else Decimal(0)


def collection_rates(results: Iterable[CaseResult]) -> dict[tuple[str, str], Rates]:
    """Cure and roll-forward rates per ``(strategy, bucket)``."""
    groups: dict[tuple[str, str], list[CaseResult]] = defaultdict(list)
    for r in results:
        groups[(r.strategy, r.bucket)].append(r)
    return {
        key: Rates(
            len(rows),
            _share(sum(r.later in CURED for r in rows), len(rows)),
            _share(sum(_rolled(r) for r in rows), len(rows)),
        )
        for key, rows in sorted(groups.items())
    }


def promise_kept_rate(
    promises: Sequence[tuple[str, str, str]],
) -> dict[tuple[str, str], Decimal]:
    """Kept ÷ (kept + broken) per ``(strategy, bucket)``, from ``(strategy, bucket, status)``;
    pending promises do not count yet."""
    kept: dict[tuple[str, str], int] = defaultdict(int)
    settled: dict[tuple[str, str], int] = defaultdict(int)
    for strategy, bucket, status in promises:
        if status in ("kept", "broken"):
            settled[(strategy, bucket)] += 1
            kept[(strategy, bucket)] += status == "kept"
    return {key: _share(kept[key], n) for key, n in sorted(settled.items())}
