"""A merchant's side of webhooks for the tests: the verification recipe exactly as
docs/webhooks.md prints it, and a real HTTP server on 127.0.0.1 (an ephemeral port) that
receives deliveries, answers as told and keeps what it got."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace
from typing import Any

from tests.support.environment import REPO

__all__ = ["RECIPE_PAGE", "Received", "Receiver", "header", "load_recipe", "receiving", "until"]

RECIPE_PAGE = REPO / "docs" / "webhooks.md"


def recipe_source() -> str:
    """The Python block under "Verifying a delivery" in docs/webhooks.md, as printed."""
    page = RECIPE_PAGE.read_text(encoding="utf-8")
    section = page.split("## Verifying a delivery", 1)[1]
    found = re.search(r"```python\n(.*?)```", section, re.DOTALL)
    assert found is not None, "the recipe's code block is missing from docs/webhooks.md"
    return found.group(1)


def load_recipe() -> SimpleNamespace:
    """A fresh copy of the recipe (its own memory of seen event ids)."""
    namespace: dict[str, Any] = {"__name__": "webhook_recipe"}
    exec(compile(recipe_source(), str(RECIPE_PAGE), "exec"), namespace)
    return SimpleNamespace(**namespace)


@dataclass(frozen=True)
class Received:
    headers: dict[str, str]
    body: bytes
    status: int
    verdict: str
    """``new``, ``repeat`` or the recipe's reason for refusing (when it verifies)."""


@dataclass
class Receiver:
    """What the server answers: ``fail_first`` requests get ``failure_status``, then
    ``success_status``; each waits ``delay`` seconds first; ``reply`` is the answer's body.
    With ``secrets`` the recipe verifies each delivery and a refused one gets 400."""

    fail_first: int = 0
    failure_status: int = 500
    success_status: int = 200
    delay: float = 0.0
    reply: bytes = b"ok"
    secrets: list[str] | None = None
    received: list[Received] = field(default_factory=list)
    url: str = ""
    _recipe: SimpleNamespace = field(default_factory=load_recipe)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _verdict(self, headers: dict[str, str], body: bytes) -> str:
        if self.secrets is None:
            return "unchecked"
        try:
            event = self._recipe.verify_webhook(self.secrets, headers, body)
        except self._recipe.WebhookRejected as refused:
            return f"rejected: {refused}"
        return "repeat" if event is None else "new"

    def answer(self, headers: dict[str, str], body: bytes) -> tuple[int, bytes]:
        if self.delay:
            time.sleep(self.delay)
        with self._lock:
            verdict = self._verdict(headers, body)
            failing = len(self.received) < self.fail_first
            status = self.failure_status if failing else self.success_status
            if verdict.startswith("rejected"):
                status = 400
            self.received.append(Received(headers, body, status, verdict))
        return status, self.reply

    def event_ids(self) -> list[str]:
        return [header(r.headers, "Thinfile-Event-Id") for r in self.received]


def header(headers: dict[str, str], name: str) -> str:
    """A header's value, whatever the case of its name as sent."""
    return {k.lower(): v for k, v in headers.items()}[name.lower()]


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            status, reply = receiver.answer(dict(self.headers.items()), body)
            self.send_response(status)
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, format: str, *args: object) -> None:
            return

    return Handler


@contextmanager
def receiving(receiver: Receiver, path: str = "/thinfile/events") -> Iterator[Receiver]:
    """Serve ``receiver`` on 127.0.0.1 (a port the system picks) while the block runs."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(receiver))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}{path}"
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def until(condition: Callable[[], bool], *, seconds: float = 10.0) -> bool:
    """Wait until ``condition()`` holds (True) or ``seconds`` pass (False)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return condition()
