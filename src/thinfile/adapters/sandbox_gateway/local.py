"""The sandbox gateway inside this process, for the demo: served by uvicorn from a thread on a
free port (:class:`LocalGateway`), and a receiver of its notifications for a replayed year
(:class:`ReplayReceiver`).

While the demo replays last year there is no lender server yet, and a notification's success
must post on the *replayed* business date, not the wall clock's: the receiver hands each
delivery to :func:`~thinfile.services.payment_notifications.receive_notification` with
``today`` the replay's day, and answers 503 while the replay holds notifications back (the
provider retries, as a real one does for a lender that is down). Once the demo serves, a
:class:`LocalGateway` on the same books notifies the lender's own endpoint instead.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import uvicorn
from sqlalchemy.engine import Engine

from thinfile.adapters.sandbox_gateway.app import GatewayConfig, create_gateway_app
from thinfile.adapters.sandbox_gateway_client import SandboxGatewayClient
from thinfile.errors import ThinfileError
from thinfile.services.payment_notifications import receive_notification

__all__ = ["LocalGateway", "ReplayReceiver"]

START_SECONDS = 30.0


class LocalGateway:
    """The sandbox gateway of ``config`` listening on ``host`` (a free port) until
    :meth:`close`; :attr:`url`, and :attr:`client` the lender's adapter for it."""

    def __init__(self, config: GatewayConfig, *, host: str = "127.0.0.1") -> None:
        self._socket = socket.socket()
        self._socket.bind((host, 0))
        port = int(self._socket.getsockname()[1])
        self.url = f"http://{host}:{port}"
        self.client = SandboxGatewayClient(self.url, config.key)
        app = create_gateway_app(config)
        self._server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._socket]}, daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + START_SECONDS
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.close()
                raise RuntimeError("the sandbox gateway did not start")
            time.sleep(0.02)

    def close(self) -> None:
        """Stop serving (the notifier stops with the app) and release the port."""
        self._server.should_exit = True
        self._thread.join(timeout=15)
        self._socket.close()

    def __enter__(self) -> LocalGateway:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class ReplayReceiver:
    """The lender's notification endpoint during a replay: each delivery verified, kept and
    acted on by :func:`receive_notification` with ``today()`` as the business date; 503 while
    ``holding()`` (the gateway sends it again shortly). ``key`` is the gateway's: a
    notification's signature is checked by the adapter, which needs no connection for it."""

    def __init__(
        self,
        engine: Engine,
        key: bytes,
        *,
        today: Callable[[], date | None],
        holding: Callable[[], bool],
        host: str = "127.0.0.1",
    ) -> None:
        gateway = SandboxGatewayClient("http://127.0.0.1", key)

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                status = 503 if holding() else 200
                if status == 200:
                    try:
                        receive_notification(
                            engine,
                            gateway,
                            headers=dict(self.headers.items()),
                            body=body,
                            now=datetime.now(UTC),
                            today=today(),
                        )
                    except ThinfileError as error:
                        status = error.status
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: object) -> None:
                return

        self._server = ThreadingHTTPServer((host, 0), Handler)
        self._server.daemon_threads = True
        port = self._server.server_address[1]
        self.url = f"http://{host}:{port}/v1/gateway/notifications"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=15)

    def __enter__(self) -> ReplayReceiver:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
