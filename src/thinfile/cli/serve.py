"""``thinfile serve``: run the HTTP service with uvicorn (migrations are applied on start).

With ``--workers N`` (N > 1) the parent runs N worker processes, each building the app from the
factory :func:`worker_app`; the migrations and the start-up model registration run once in the
parent first, so the workers never race on them. On Linux each worker listens on its own
socket bound with ``SO_REUSEPORT``, so the kernel spreads new connections across the workers
(with one shared socket, whichever worker woke first accepted a whole burst: 30 of 32 client
connections on one worker, the other idle). A worker that dies is started again.

``register`` also adds the commands that look after the service's data: ``thinfile audit
verify`` (:mod:`thinfile.cli.audit`), ``thinfile keys reencrypt`` (:mod:`thinfile.cli.keys`) and
``thinfile users add`` (:mod:`thinfile.cli.users`).
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import socket
import time
from typing import TYPE_CHECKING

import typer

from thinfile.cli import audit, keys, users
from thinfile.cli.service_settings import load_settings

if TYPE_CHECKING:
    from fastapi import FastAPI

    from thinfile.settings import Settings

__all__ = ["register", "serve", "worker_app", "worker_process"]


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
    audit.register(app)
    keys.register(app)
    users.register(app)


def worker_app() -> FastAPI:
    """The app factory each worker process calls (settings from THINFILE_*)."""
    from thinfile.app import create_app

    return create_app(load_settings())


def _prepare_once(settings: Settings) -> None:
    """Migrate and register the shipped policy and model before the workers start."""
    from thinfile.api.runtime import register_models
    from thinfile.app import create_app
    from thinfile.store.migrate import upgrade

    app = create_app(settings)
    context = app.state.context
    try:
        if settings.migrate_on_start:
            upgrade(context.engine)
        register_models(app, context, settings.model_dir)
    finally:
        context.engine.dispose()


def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on"),
    port: int = typer.Option(8000, "--port", min=1, max=65535, help="Port to listen on"),
    workers: int = typer.Option(
        1, "--workers", min=1, max=64, help="Worker processes (about one per CPU core)"
    ),
    access_log: bool = typer.Option(True, "--access-log/--no-access-log", help="Log every request"),
) -> None:
    """Serve the HTTP API (settings from THINFILE_* environment variables)."""
    import uvicorn

    settings = load_settings()
    if workers == 1:
        from thinfile.app import create_app

        uvicorn.run(
            create_app(settings),
            host=host,
            port=port,
            log_level="info",
            server_header=False,
            access_log=access_log,
        )
        return
    _prepare_once(settings)
    os.environ["THINFILE_MIGRATE_ON_START"] = "false"  # done above, once
    if not hasattr(socket, "SO_REUSEPORT"):  # not Linux: one shared socket
        uvicorn.run(
            "thinfile.cli.serve:worker_app",
            factory=True,
            workers=workers,
            host=host,
            port=port,
            log_level="info",
            server_header=False,
            access_log=access_log,
        )
        return
    _supervise(host, port, workers, access_log)


WORKER_START_SECONDS = 30.0
"""A worker that exits sooner than this after starting failed to start: the service stops
rather than start it again and again."""


def _listener(host: str, port: int) -> socket.socket:
    """A socket bound to ``host:port`` that other workers may bind too (``SO_REUSEPORT``)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    try:
        sock.bind((host, port))
    except OSError as error:
        sock.close()
        raise typer.BadParameter(
            f"cannot listen on {host}:{port}: {error.strerror}", param_hint="--port"
        ) from None
    return sock


def worker_process(host: str, port: int, access_log: bool) -> None:
    """One worker: its own listening socket, the app from :func:`worker_app`."""
    import uvicorn

    sock = _listener(host, port)
    config = uvicorn.Config(
        "thinfile.cli.serve:worker_app",
        factory=True,
        log_level="info",
        server_header=False,
        access_log=access_log,
    )
    uvicorn.Server(config).run(sockets=[sock])


class _Workers:
    """Worker processes: started, watched (one that dies is started again), stopped."""

    def __init__(self, host: str, port: int, access_log: bool) -> None:
        self._spawn = multiprocessing.get_context("spawn")
        self._args = (host, port, access_log)
        self.running: list[multiprocessing.process.BaseProcess] = []
        self._started: dict[int, float] = {}

    def start(self) -> multiprocessing.process.BaseProcess:
        process = self._spawn.Process(target=worker_process, args=self._args)
        process.start()
        self._started[id(process)] = time.monotonic()
        return process

    def replace_dead(self) -> bool:
        """Start again each worker that died; False if one died while starting."""
        for k, process in enumerate(self.running):
            if process.is_alive():
                continue
            if time.monotonic() - self._started[id(process)] < WORKER_START_SECONDS:
                typer.echo(
                    f"a worker failed while starting (exit code {process.exitcode})", err=True
                )
                return False
            typer.echo(
                f"worker {process.pid} exited ({process.exitcode}); starting another", err=True
            )
            self.running[k] = self.start()
        return True

    def stop(self) -> None:
        for process in self.running:
            if process.is_alive() and process.pid is not None:
                os.kill(process.pid, signal.SIGTERM)  # each worker finishes its requests
        for process in self.running:
            process.join(timeout=30)
            if process.is_alive():
                process.kill()


def _supervise(host: str, port: int, workers: int, access_log: bool) -> None:
    """Run ``workers`` worker processes until SIGINT/SIGTERM."""
    _listener(host, port).close()  # a taken port fails here, with one clear message
    pool = _Workers(host, port, access_log)
    stopping = False

    def stop(_signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    pool.running = [pool.start() for _ in range(workers)]
    healthy = True
    while not stopping and healthy:
        time.sleep(0.2)
        healthy = stopping or pool.replace_dead()
    pool.stop()
    if not healthy:
        raise typer.Exit(1)
