"""Prometheus metrics: requests, latency, and decisions by outcome, served at ``/metrics``.

The metrics live in their own registry (not the process-global one), so building several apps
in one process, as the tests do, never registers a metric twice. Decision endpoints call
:func:`count_decision` once per decision made.
"""

from __future__ import annotations

import time

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = [
    "CONTENT_TYPE_LATEST",
    "DECISIONS",
    "LATENCY",
    "REGISTRY",
    "REQUESTS",
    "MetricsMiddleware",
    "count_decision",
    "render_metrics",
    "route_template",
]

REGISTRY = CollectorRegistry(auto_describe=True)
REQUESTS = Counter(
    "thinfile_http_requests",
    "HTTP requests served",
    ["method", "route", "status"],
    registry=REGISTRY,
)
LATENCY = Histogram(
    "thinfile_http_request_seconds",
    "Time to serve an HTTP request",
    ["method", "route"],
    registry=REGISTRY,
    buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
)
DECISIONS = Counter(
    "thinfile_decisions", "Credit decisions made, by outcome", ["outcome"], registry=REGISTRY
)


def count_decision(outcome: str) -> None:
    """Count one decision (``approved``, ``declined``, ``referred`` …)."""
    DECISIONS.labels(outcome=outcome).inc()


def render_metrics() -> bytes:
    return bytes(generate_latest(REGISTRY))


def route_template(scope: Scope) -> str:
    """``/v1/applicants/{applicant_id}`` for ``/v1/applicants/3f2a…``: bounded label values."""
    if "route" not in scope:
        return "unmatched"
    names = {str(v): k for k, v in scope.get("path_params", {}).items()}
    path = str(scope.get("path", ""))
    return "/".join(f"{{{names[part]}}}" if part in names else part for part in path.split("/"))


class MetricsMiddleware:
    """Counts and times every HTTP request, labelled by route template (not raw path)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_and_record(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_and_record)
        finally:
            route = route_template(scope)
            method = str(scope.get("method", ""))
            REQUESTS.labels(method=method, route=route, status=str(status)).inc()
            LATENCY.labels(method=method, route=route).observe(time.perf_counter() - started)
