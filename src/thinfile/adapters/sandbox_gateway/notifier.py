"""Delivery of the sandbox's signed notifications: retried, sometimes late, duplicated or
out of order, like a real provider's.

Each final transaction queues one notification (``notification_id`` fixed, body fixed); with
probability ``duplicate_rate`` a second copy is queued too. Each copy is due after a short
random delay, or — with probability ``late_rate`` — after up to ``late_seconds``; different
delays deliver notifications out of order. A copy that is not acknowledged with a 2xx is
retried (1 s, 2 s, 4 s … up to :data:`MAX_ATTEMPTS` tries). The random source is seeded, so a
run with the same seed and the same requests draws the same delays.
"""

from __future__ import annotations

import random
import sqlite3
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx

from thinfile.adapters.gateway_signature import SIGNATURE_HEADER, sign
from thinfile.adapters.sandbox_gateway.store import GatewayStore

__all__ = ["MAX_ATTEMPTS", "Delivery", "Notifier"]

MAX_ATTEMPTS = 8
PROMPT_DELAY_SECONDS = 0.05


@dataclass(frozen=True, slots=True)
class Delivery:
    """How notifications misbehave."""

    notify_url: str | None = None
    seed: int = 0
    duplicate_rate: float = 0.0
    late_rate: float = 0.0
    late_seconds: float = 2.0


class Notifier:
    """Queues notifications in the store and posts them from one background thread."""

    def __init__(self, store: GatewayStore, key: bytes, delivery: Delivery) -> None:
        self._store, self._key, self._delivery = store, key, delivery
        self._random = random.Random(delivery.seed)
        self._random_lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _delay(self) -> float:
        with self._random_lock:
            if self._random.random() < self._delivery.late_rate:
                return self._random.uniform(PROMPT_DELAY_SECONDS, self._delivery.late_seconds)
            return self._random.uniform(0, PROMPT_DELAY_SECONDS)

    def _copies(self) -> int:
        with self._random_lock:
            return 2 if self._random.random() < self._delivery.duplicate_rate else 1

    def enqueue(self, db: sqlite3.Connection, notification_id: str, body: bytes) -> None:
        """Queue a notification in the caller's transaction (with the transaction it reports)."""
        now = time.time()
        rows = [(notification_id, body, now + self._delay()) for _ in range(self._copies())]
        db.executemany(
            "INSERT INTO notifications (notification_id, body, due_at) VALUES (?, ?, ?)", rows
        )

    def start(self) -> None:
        if self._delivery.notify_url is None:
            return
        self._thread = threading.Thread(target=self._run, name="gateway-notifier", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _run(self) -> None:
        with httpx.Client(timeout=5) as client:
            while not self._stop.wait(0.02):
                for seq, body, attempts in self._due():
                    self._deliver(client, seq, body, attempts)

    def _due(self) -> list[tuple[int, bytes, int]]:
        with self._store.transaction() as db:
            rows = db.execute(
                "SELECT seq, body, attempts FROM notifications WHERE delivered = 0"
                " AND attempts < ? AND due_at <= ? ORDER BY due_at LIMIT 50",
                (MAX_ATTEMPTS, time.time()),
            ).fetchall()
        return [(int(r["seq"]), bytes(r["body"]), int(r["attempts"])) for r in rows]

    def _deliver(self, client: httpx.Client, seq: int, body: bytes, attempts: int) -> None:
        assert self._delivery.notify_url is not None
        headers = {
            "Content-Type": "application/json",
            SIGNATURE_HEADER: sign(self._key, body, at=datetime.now(UTC)),
        }
        try:
            response = client.post(self._delivery.notify_url, content=body, headers=headers)
            delivered = 200 <= response.status_code < 300
        except httpx.HTTPError:
            delivered = False
        with self._store.transaction() as db:
            db.execute(
                "UPDATE notifications SET attempts = ?, delivered = ?, due_at = ? WHERE seq = ?",
                (attempts + 1, int(delivered), time.time() + 2**attempts, seq),
            )
