"""The port through which thinfile POSTs webhooks to merchants.

The adapter (:class:`thinfile.adapters.webhook_sender.HttpWebhookSender`, httpx) sends the
body and headers it is given, follows no redirect, waits at most ``timeout_seconds``, and
reports what happened as a :class:`WebhookAnswer` — it never raises for a transport failure.
The delivery worker (:mod:`thinfile.services.webhook_delivery`) signs, decides and logs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

__all__ = ["WebhookAnswer", "WebhookSender"]


@dataclass(frozen=True, slots=True)
class WebhookAnswer:
    """What one POST came to: the status code (None when no answer came), how long it took,
    the transport error if any, and the start of the response body."""

    status_code: int | None
    duration_ms: int
    error: str | None = None
    excerpt: str = ""

    @property
    def is_delivered(self) -> bool:
        """A 2xx answer: the merchant has the event."""
        return self.status_code is not None and 200 <= self.status_code < 300


class WebhookSender(Protocol):
    """POSTs one signed body to a merchant's endpoint."""

    def post(
        self, url: str, body: bytes, headers: Mapping[str, str], *, timeout_seconds: float
    ) -> WebhookAnswer: ...
