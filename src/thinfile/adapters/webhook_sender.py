"""The webhook sender (:class:`thinfile.services.webhook_port.WebhookSender`) over httpx.

Each POST follows no redirect (a 3xx is not a delivery), waits at most the timeout it is
given for each phase (connect, write, read), reads at most :data:`READ_BYTES` of the answer,
and reports transport failures as a :class:`WebhookAnswer` with ``status_code`` None — it
never raises for them.
"""

from __future__ import annotations

import time
from collections.abc import Mapping

import httpx

from thinfile.services.webhook_port import WebhookAnswer

__all__ = ["READ_BYTES", "HttpWebhookSender"]

READ_BYTES = 2048
"""The most of a response body read (the log keeps its first 500 characters)."""


def _elapsed_ms(started: float) -> int:
    return int((time.perf_counter() - started) * 1000)


class HttpWebhookSender:
    """POSTs webhooks with one pooled httpx client; :meth:`close` when done."""

    def __init__(self, *, client: httpx.Client | None = None) -> None:
        self._client = client or httpx.Client(follow_redirects=False, trust_env=False)

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> HttpWebhookSender:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def post(
        self, url: str, body: bytes, headers: Mapping[str, str], *, timeout_seconds: float
    ) -> WebhookAnswer:
        started = time.perf_counter()
        try:
            with self._client.stream(
                "POST",
                url,
                content=body,
                headers=dict(headers),
                timeout=httpx.Timeout(timeout_seconds),
            ) as response:
                read = bytearray()
                for chunk in response.iter_bytes():
                    read += chunk
                    if len(read) >= READ_BYTES:
                        break
                excerpt = bytes(read[:READ_BYTES]).decode("utf-8", errors="replace")
                return WebhookAnswer(response.status_code, _elapsed_ms(started), None, excerpt)
        except httpx.TimeoutException:
            error = f"no answer within {timeout_seconds:g} s"
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            error = f"{type(exc).__name__}: {exc}"
        return WebhookAnswer(None, _elapsed_ms(started), error[:200], "")
