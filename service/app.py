"""The FastAPI application factory."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from fastapi_offline import FastAPIOffline
from prometheus_client import CollectorRegistry
from starlette.exceptions import HTTPException as StarletteHTTPException
from threadpoolctl import threadpool_limits

from schakel import __version__
from schakel.errors import LoginRequired, SchakelError
from schakel.graph.store import GraphStore

from .application.lifecycle import opened
from .auth import require
from .config import Settings, get_settings
from .context import AppState
from .errors import problem
from .metrics import Metrics, metrics_endpoint
from .middleware import BodyLimit, Csrf, RateLimit, RequestContext, SecurityHeaders
from .routes import api_router
from .web import activities as activity_pages
from .web import brokering as brokering_pages
from .web import foryou as foryou_page
from .web import intake as intake_pages
from .web import intervisie as intervisie_pages
from .web import joining as joining_pages
from .web import login, maps, pages, profile
from .web import matching as matching_page
from .web import mine as mine_page
from .web import nearby as nearby_page
from .web import signals as signal_pages
from .web.login import login_page

logger = logging.getLogger(__name__)
WEB = Path(pages.__file__).parent


def create_app(settings: Settings | None = None, store: GraphStore | None = None,
               warm_up: bool = False) -> FastAPI:
    """Build the app. Tests pass their own settings or store; otherwise the env decides.

    A store passed in stays open when the app stops (its owner closes it). With ``warm_up``
    the matcher's indexes are built in the background right away, not on the first question.
    """
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        with opened(settings, store) as state:
            app.state.schakel = state
            if warm_up:  # serving: the process is ours (tests share theirs)
                threadpool_limits(settings.blas_threads, user_api="blas")
                threading.Thread(target=_warm, args=(state,), name="schakel-warm-up",
                                 daemon=True).start()
            yield

    # Swagger UI and ReDoc from fastapi-offline's packaged assets: the docs work offline.
    app = FastAPIOffline(
        title="Schakel",
        version=__version__,
        description="Matching en netwerkkaarten voor Netwerk Met Andere Ogen. Elke fout "
                    "antwoordt met een Nederlandse tekst (`detail`) en een `request_id`.",
        lifespan=lifespan,
        openapi_url="/api/v1/openapi.json",
        docs_url="/api/v1/docs",
        redoc_url="/api/v1/redoc",
        static_url="/api/v1/docs-static",
        favicon_url="/favicon.ico",
        swagger_ui_oauth2_redirect_url="/api/v1/docs/oauth2-redirect",
    )
    app.include_router(api_router, prefix="/api/v1")
    app.include_router(login.router)  # public
    app.include_router(intake_pages.public)  # public: anyone may apply
    app.include_router(intake_pages.staff, dependencies=[Depends(require("staff"))])
    app.include_router(pages.router, dependencies=[Depends(require("member"))])
    app.include_router(nearby_page.router, dependencies=[Depends(require("member"))])
    app.include_router(profile.router, dependencies=[Depends(require("member"))])
    app.include_router(mine_page.router, dependencies=[Depends(require("member"))])
    app.include_router(foryou_page.router, dependencies=[Depends(require("member"))])
    app.include_router(activity_pages.staff, dependencies=[Depends(require("staff"))])
    app.include_router(activity_pages.members, dependencies=[Depends(require("member"))])
    app.include_router(joining_pages.router, dependencies=[Depends(require("member"))])
    app.include_router(intervisie_pages.router, dependencies=[Depends(require("staff"))])
    app.include_router(matching_page.router, dependencies=[Depends(require("staff"))])
    app.include_router(maps.router, dependencies=[Depends(require("staff"))])
    app.include_router(brokering_pages.router, dependencies=[Depends(require("staff"))])
    app.include_router(signal_pages.member_router, dependencies=[Depends(require("member"))])
    app.include_router(signal_pages.cluster_router, dependencies=[Depends(require("staff"))])
    app.include_router(signal_pages.staff_router, dependencies=[Depends(require("staff"))])
    app.mount("/static", StaticFiles(directory=WEB / "static"), name="static")
    app.add_api_route("/favicon.ico", _favicon, include_in_schema=False)
    registry = CollectorRegistry()
    app.add_route("/metrics", metrics_endpoint(registry), include_in_schema=False)
    _add_error_handlers(app)
    # Outermost last: the request id first, then headers, the body limit, rate limits, CSRF.
    app.add_middleware(Csrf)
    app.add_middleware(RateLimit, login=settings.rate_login, writes=settings.rate_writes,
                       apply=settings.rate_apply)
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(SecurityHeaders)
    app.add_middleware(Metrics, registry=registry)
    app.add_middleware(RequestContext)
    return app


def _favicon() -> FileResponse:
    return FileResponse(WEB / "static" / "favicon.svg", media_type="image/svg+xml",
                        headers={"Cache-Control": "public, max-age=86400"})


def _warm(state: AppState) -> None:
    started = time.perf_counter()
    try:
        state.warm_up()
        logger.info("matcher ready in %.1f s", time.perf_counter() - started)
    except SchakelError as exc:  # the first question will report it again
        logger.warning("matcher warm-up failed: %s", exc)


def _wants_html(request: Request) -> bool:
    return not request.url.path.startswith("/api/")


def _add_error_handlers(app: FastAPI) -> None:
    """One handler for every error: the table in service/errors.py decides."""

    async def handle(request: Request, exc: Exception) -> Any:
        found = problem(exc, request)
        if _wants_html(request):
            if isinstance(exc, LoginRequired):
                return login_page(request, 401)
            return pages.error_page(request, found.status, found.detail, found.headers)
        content: dict[str, Any] = {"detail": found.detail}
        rid = found.request_id or request.scope.get("state", {}).get("request_id")
        if rid:
            content["request_id"] = rid
        return JSONResponse(status_code=found.status, content=content, headers=found.headers)

    # Starlette finds a handler through the exception's classes: these cover the table,
    # and Exception catches the rest (a 500 with a code).
    for exc_type in (SchakelError, RequestValidationError, StarletteHTTPException, Exception):
        app.add_exception_handler(exc_type, handle)
