"""``thinfile serve --workers N``: connections are spread over the workers, SIGTERM stops them
all, and a worker that dies is started again."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.support.environment import REPO
from thinfile.cli import serve

pytestmark = pytest.mark.skipif(
    not hasattr(socket, "SO_REUSEPORT"), reason="SO_REUSEPORT is Linux's"
)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _env(tmp_path: Path) -> dict[str, str]:
    return {
        **os.environ,
        "THINFILE_DATABASE_URL": f"sqlite:///{tmp_path / 'serve.sqlite'}",
        "THINFILE_HOME": str(tmp_path),
        "PYTHONPATH": str(REPO / "src"),
    }


def _wait_healthy(port: int, deadline: float = 90) -> None:
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError("the service did not become healthy")


def _children(parent: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == parent:
                    found.append(int(entry.name))
            except (OSError, ValueError, IndexError):
                continue
    return found


def _sockets_on(port: int, state: str) -> set[str]:
    """Inodes of the IPv4 sockets on local ``port`` in ``state`` (01 established, 0A listen)."""
    inodes = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local_port = int(fields[1].split(":")[1], 16)
        if local_port == port and fields[3] == state:
            inodes.add(fields[9])
    return inodes


def _established(port: int) -> set[str]:
    """Socket inodes of connections accepted on ``port`` (server side)."""
    return _sockets_on(port, "01")


def _wait_listening(port: int, workers: int, deadline: float = 90) -> None:
    """Until every worker listens on its own socket (one still starting takes no connections)."""
    end = time.monotonic() + deadline
    while len(_sockets_on(port, "0A")) < workers:
        assert time.monotonic() < end, "the workers did not all start listening"
        time.sleep(0.2)


def _sockets_of(pid: int, inodes: set[str]) -> int:
    held = 0
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:[") and target[8:-1] in inodes:
            held += 1
    return held


def test_connections_spread_over_the_workers_and_sigterm_stops_them_all(tmp_path):
    port = _free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "thinfile.cli",
            "serve",
            "--port",
            str(port),
            "--workers",
            "2",
            "--no-access-log",
        ],
        env=_env(tmp_path),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    clients: list[socket.socket] = []
    try:
        _wait_healthy(port)
        _wait_listening(port, 2)
        for _ in range(64):  # 64 keep-alive clients connecting at once
            client = socket.create_connection(("127.0.0.1", port))
            client.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            clients.append(client)
        for client in clients:
            assert client.recv(4096).startswith(b"HTTP/1.1 200")
        workers = [p for p in _children(server.pid) if _sockets_of(p, _established(port))]
        held = sorted(_sockets_of(p, _established(port)) for p in workers)
        assert len(held) == 2 and sum(held) == 64
        assert held[0] >= 16, held  # the kernel spreads them; one shared socket gave 30 of 32
    finally:
        for client in clients:
            client.close()
        os.kill(server.pid, signal.SIGTERM)
        assert server.wait(timeout=60) == 0
        if server.stderr:
            server.stderr.close()
    assert not _children(server.pid)


def test_a_worker_that_dies_is_started_again_and_one_that_cannot_start_stops_the_service(
    tmp_path, monkeypatch
):
    for key, value in _env(tmp_path).items():
        monkeypatch.setenv(key, value)
    port = _free_port()
    pool = serve._Workers("127.0.0.1", port, False)
    pool.running = [pool.start()]
    try:
        _wait_healthy(port)
        first = pool.running[0]
        assert first.pid is not None
        os.kill(first.pid, signal.SIGKILL)
        first.join(timeout=10)
        monkeypatch.setattr(serve, "WORKER_START_SECONDS", 0.0)
        assert pool.replace_dead()
        assert pool.running[0] is not first
        _wait_healthy(port)
        monkeypatch.setattr(serve, "WORKER_START_SECONDS", 3600.0)
        replacement = pool.running[0].pid
        assert replacement is not None
        os.kill(replacement, signal.SIGKILL)
        pool.running[0].join(timeout=10)
        assert not pool.replace_dead()  # "died while starting": the service gives up
    finally:
        pool.stop()
