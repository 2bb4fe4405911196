"""In-process token buckets, one per (limit name, key): sign-in per e-mail and per address,
applications per ID number and per address.

Each process keeps its own buckets; behind several processes the effective limit is the
per-process limit times the number of processes (put a shared limiter at the edge for that).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping

from thinfile.errors import RateLimitedError
from thinfile.settings import RateSpec

__all__ = ["RateLimiter"]

_MAX_BUCKETS = 100_000


class RateLimiter:
    """``hit(name, key)`` takes one token or raises :class:`RateLimitedError`."""

    def __init__(
        self, specs: Mapping[str, RateSpec], *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._specs = dict(specs)
        self._clock = clock
        self._buckets: dict[tuple[str, str], tuple[float, float]] = {}
        self._lock = threading.Lock()

    def hit(self, name: str, key: str) -> None:
        spec = self._specs[name]
        rate = spec.capacity / spec.period_seconds
        with self._lock:
            now = self._clock()
            full = float(spec.capacity)  # float-ok: request tokens, not money
            tokens, last = self._buckets.get((name, key), (full, now))
            tokens = min(full, tokens + (now - last) * rate)
            if tokens < 1.0:
                retry_after = (1.0 - tokens) / rate
                self._buckets[(name, key)] = (tokens, now)
                raise RateLimitedError(
                    f"too many {name.replace('_', ' ')} requests; try again later",
                    remedy=f"wait {retry_after:.0f} seconds",
                    extra={"retry_after_seconds": round(retry_after, 1), "limit": name},
                )
            if len(self._buckets) >= _MAX_BUCKETS:
                self._prune(now)
            self._buckets[(name, key)] = (tokens - 1.0, now)

    def _prune(self, now: float) -> None:
        """Forget buckets that have refilled completely (they carry no state)."""
        longest = max(spec.period_seconds for spec in self._specs.values())
        self._buckets = {k: v for k, v in self._buckets.items() if now - v[1] < longest}

    def reset(self) -> None:
        with self._lock:
            self._buckets.clear()
