"""The webhook sender (:class:`thinfile.services.webhook_port.WebhookSender`) over httpx.

Each POST follows no redirect (a 3xx is not a delivery), waits at most the timeout it is
given for each phase (connect, write, read), reads at most :data:`READ_BYTES` of the answer,
and reports transport failures as a :class:`WebhookAnswer` with ``status_code`` None — it
never raises for them.

A URL's host is checked when it is registered (``commerce.webhooks.webhook_url``), but a name
can resolve to this machine or a private network later (an SSRF by DNS). So each POST
resolves the host itself, refuses it when any address it resolves to is not an internet
address (``commerce.webhooks.is_internal``), and connects to the address it checked — the
name kept in the ``Host`` header and as the TLS server name, whose certificate is verified —
so a second lookup cannot swap the address (DNS rebinding). ``allow_local`` (development:
tests and the demo) sends to ``LOCAL_HOSTS`` as they are.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Mapping
from urllib.parse import urlsplit, urlunsplit

import httpx

from thinfile.commerce.webhooks import LOCAL_HOSTS, is_internal
from thinfile.services.webhook_port import WebhookAnswer

__all__ = ["READ_BYTES", "HttpWebhookSender", "pinned_target"]

READ_BYTES = 2048
"""The most of a response body read (the log keeps its first 500 characters)."""


def _elapsed_ms(started: float) -> int:
    return int((time.perf_counter() - started) * 1000)


def pinned_target(url: str, allow_local: bool) -> tuple[str, dict[str, str], dict[str, str]] | str:
    """The URL to connect to (its host replaced by the address checked), the ``Host`` header
    and the TLS server name to keep; or why it is refused."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if allow_local and host in LOCAL_HOSTS:
        return url, {}, {}
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        return f"{host} does not resolve ({exc})"
    addresses = [str(info[4][0]) for info in found]
    internal = [a for a in addresses if is_internal(a)]
    if not addresses or internal:
        shown = internal[0] if internal else "nothing"
        return f"refused: {host} resolves to {shown}, not an internet address"
    address = addresses[0]
    netloc = f"[{address}]" if ":" in address else address
    if parts.port is not None:
        netloc += f":{parts.port}"
    pinned = urlunsplit((parts.scheme, netloc, parts.path, parts.query, ""))
    return pinned, {"Host": parts.netloc.rsplit("@", 1)[-1]}, {"sni_hostname": host}


class HttpWebhookSender:
    """POSTs webhooks with one pooled httpx client; :meth:`close` when done."""

    def __init__(self, *, client: httpx.Client | None = None, allow_local: bool = False) -> None:
        self._client = client or httpx.Client(follow_redirects=False, trust_env=False)
        self._allow_local = allow_local

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
        target = pinned_target(url, self._allow_local)
        if isinstance(target, str):
            return WebhookAnswer(None, _elapsed_ms(started), target[:200], "")
        pinned, host, server_name = target
        try:
            with self._client.stream(
                "POST",
                pinned,
                content=body,
                headers={**headers, **host},
                timeout=httpx.Timeout(timeout_seconds),
                extensions=server_name,
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
