"""Prometheus metrics (prometheus-client): requests and their duration per route template
(never the raw path, which carries ids), served at ``/metrics``. Each process counts for
itself; with ``serve --workers N`` a scrape sees the worker that answered it."""

from __future__ import annotations

import time
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from starlette.requests import Request
from starlette.responses import Response

from .middleware import ASGIApp, Message, Receive, Scope, Send


class Metrics:
    """Counts every HTTP request by method, route template and status, and times it."""

    def __init__(self, app: ASGIApp, registry: CollectorRegistry) -> None:
        self.app = app
        self.requests = Counter("schakel_requests", "HTTP requests answered",
                                ("method", "route", "status"), registry=registry)
        self.seconds = Histogram("schakel_request_seconds", "Time to answer an HTTP request",
                                 ("method", "route"), registry=registry,
                                 buckets=(.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = {"code": 500}

        async def watch(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, watch)
        finally:
            route = _template(scope)
            self.requests.labels(scope["method"], route, str(status["code"])).inc()
            self.seconds.labels(scope["method"], route).observe(time.perf_counter() - started)


def _template(scope: Scope) -> str:
    route: Any = scope.get("route")
    path = getattr(route, "path_format", None) or getattr(route, "path", None)
    if not path:
        return "/static" if str(scope["path"]).startswith("/static/") else "(onbekend)"
    # An included router's route knows only its own part: the prefix is what the raw path
    # has before that part, with the parameters filled in.
    raw = str(scope["path"])
    params = {k: str(v) for k, v in (scope.get("path_params") or {}).items()}
    try:
        rendered = path.format(**params)
    except (KeyError, IndexError, ValueError):
        return path
    return raw[: len(raw) - len(rendered)] + path if raw.endswith(rendered) else path


def metrics_endpoint(registry: CollectorRegistry) -> Any:
    def metrics(_request: Request) -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    return metrics
