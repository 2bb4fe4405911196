"""The sandbox payment gateway as a real subprocess (``thinfile gateway serve``) for tests."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.support.environment import REPO
from thinfile.bank_card import is_luhn_valid

__all__ = ["GATEWAY_KEY", "card_with_prefix", "free_port", "start_sandbox", "stop"]

GATEWAY_KEY = b"contract-test-gateway-key-of-32-bytes-or-more"


def card_with_prefix(prefix: str, length: int = 19) -> str:
    """The first card number of ``length`` digits starting with ``prefix`` that passes Luhn."""
    body = prefix + "1" * (length - 1 - len(prefix))
    return next(body + d for d in "0123456789" if is_luhn_valid(body + d))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_sandbox(
    tmp: Path, notify_url: str | None = None, *options: str
) -> tuple[subprocess.Popen[bytes], str]:
    """Start the sandbox on a free port with its books under ``tmp``; its process and URL."""
    port = free_port()
    env = {
        **os.environ,
        "THINFILE_HOME": str(tmp),
        "THINFILE_PAYMENT_GATEWAY_KEY": GATEWAY_KEY.decode(),
        "PYTHONPATH": str(REPO / "src"),
    }
    notify = ["--notify-url", notify_url] if notify_url else []
    command = [sys.executable, "-m", "thinfile", "gateway", "serve", "--port", str(port)]
    process = subprocess.Popen([*command, *notify, *options], env=env)
    url = f"http://127.0.0.1:{port}"
    end = time.monotonic() + 60
    while time.monotonic() < end:
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return process, url
        except httpx.HTTPError:
            time.sleep(0.1)
    process.kill()
    raise AssertionError("the sandbox gateway did not start")


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    process.wait(timeout=20)
