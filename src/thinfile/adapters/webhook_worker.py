"""Webhook delivery in a background thread, for a process that serves requests too (the
demo, ``thinfile serve`` when asked): :func:`start_webhook_worker` runs
:func:`thinfile.services.webhook_delivery.run_webhook_worker` with the httpx sender until
:meth:`WebhookWorker.stop`."""

from __future__ import annotations

import threading

from sqlalchemy.engine import Engine

from thinfile.adapters.webhook_sender import HttpWebhookSender
from thinfile.commerce.webhooks import RetryPolicy
from thinfile.security.crypto import PiiCipher
from thinfile.services.webhook_delivery import DeliveryReport, run_webhook_worker

__all__ = ["WebhookWorker", "start_webhook_worker"]


class WebhookWorker:
    """A running delivery thread; :meth:`stop` ends it after its current round."""

    def __init__(self, thread: threading.Thread, stop: threading.Event) -> None:
        self._thread, self._stop = thread, stop
        self.report = DeliveryReport()

    def stop(self, *, timeout: float = 30.0) -> DeliveryReport:
        """Stop after the round under way; what every round did."""
        self._stop.set()
        self._thread.join(timeout=timeout)
        return self.report


def start_webhook_worker(
    engine: Engine,
    cipher: PiiCipher,
    *,
    policy: RetryPolicy | None = None,
    batch: int = 50,
    idle_seconds: float = 1.0,
    allow_local: bool = False,
) -> WebhookWorker:
    """Deliver due webhooks in a daemon thread until the worker is stopped (``allow_local``:
    development, to endpoints on this machine as well)."""
    stop = threading.Event()

    def work() -> None:
        with HttpWebhookSender(allow_local=allow_local) as sender:
            worker.report = run_webhook_worker(
                engine,
                cipher,
                sender,
                stop=stop,
                policy=policy,
                batch=batch,
                idle_seconds=idle_seconds,
            )

    thread = threading.Thread(target=work, name="thinfile-webhooks", daemon=True)
    worker = WebhookWorker(thread, stop)
    thread.start()
    return worker
