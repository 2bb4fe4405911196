"""Fixtures of the tests that take payments through the sandbox gateway running as a real
local HTTP service (``thinfile gateway serve``): the lender's notification endpoint in this
process (``receiver_url``, handing each delivery to :func:`receive_notification` on whatever
``target`` names), the sandbox notifying it (``notifying``, some notifications twice) or keeping
its notifications queued as if lost or late (``silent``), and a personal-data cipher."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy.engine import Engine

from tests.support.gateway import GATEWAY_KEY, start_sandbox, stop
from thinfile.adapters.sandbox_gateway_client import SandboxGatewayClient
from thinfile.errors import ThinfileError
from thinfile.security.crypto import PiiCipher
from thinfile.services.payment_notifications import receive_notification

__all__ = ["Target", "cipher", "notifying", "receiver_url", "silent", "target"]


@dataclass
class Target:
    """Where the receiver hands what arrives: the test's engine and adapter (503 while
    unset, so the sandbox retries), and the outcome of each delivery.

    A test sets them for its duration with :meth:`serving`, which waits on leaving for the
    deliveries still being handled: the test's engine is disposed next, and a late duplicate
    that took it after the disposal would open a new pool nobody closes."""

    engine: Engine | None = None
    gateway: SandboxGatewayClient | None = None
    outcomes: list[str] = field(default_factory=list)
    _changes: threading.Condition = field(default_factory=threading.Condition)
    _handling: int = 0

    @contextmanager
    def serving(self, engine: Engine, gateway: SandboxGatewayClient) -> Iterator[None]:
        with self._changes:
            self.engine, self.gateway = engine, gateway
        try:
            yield
        finally:
            with self._changes:
                self.engine = self.gateway = None
                assert self._changes.wait_for(lambda: self._handling == 0, timeout=60)

    @contextmanager
    def taken(self) -> Iterator[tuple[Engine, SandboxGatewayClient] | None]:
        """The engine and adapter for one delivery (None while unset), held until it ends."""
        with self._changes:
            if self.engine is None or self.gateway is None:
                pair = None
            else:
                pair, self._handling = (self.engine, self.gateway), self._handling + 1
        try:
            yield pair
        finally:
            if pair is not None:
                with self._changes:
                    self._handling -= 1
                    self._changes.notify_all()


@pytest.fixture(scope="module")
def target() -> Target:
    return Target()


@pytest.fixture(scope="module")
def receiver_url(target: Target) -> Iterator[str]:
    """The lender's notification endpoint: verify, keep and act (the service), answer 2xx."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            status = 200
            with target.taken() as pair:
                if pair is None:
                    status = 503
                else:
                    try:
                        done = receive_notification(
                            *pair,
                            headers=dict(self.headers.items()),
                            body=body,
                            now=datetime.now(UTC),
                        )
                        target.outcomes.append(done.outcome)
                    except ThinfileError as error:
                        status = error.status
            self.send_response(status)
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1/gateway/notifications"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def notifying(
    tmp_path_factory: pytest.TempPathFactory, receiver_url: str
) -> Iterator[SandboxGatewayClient]:
    """The sandbox posting its notifications to the receiver, some twice."""
    process, url = start_sandbox(
        tmp_path_factory.mktemp("gateway"), receiver_url, "--duplicate-rate", "0.5"
    )
    yield SandboxGatewayClient(url, GATEWAY_KEY)
    stop(process)


@pytest.fixture(scope="module")
def silent(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxGatewayClient]:
    """The sandbox keeping its notifications queued (as if they were late or lost)."""
    process, url = start_sandbox(tmp_path_factory.mktemp("silent"))
    yield SandboxGatewayClient(url, GATEWAY_KEY)
    stop(process)


@pytest.fixture
def cipher() -> PiiCipher:
    return PiiCipher({"k1": os.urandom(32)}, active_key_id="k1", lookup_key=b"L" * 32)
