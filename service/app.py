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
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles

from schakel import __version__
from schakel.errors import (
    CandidateRefusedError,
    GraphValidationError,
    ImportFormatError,
    InvalidQueryError,
    NodeNotFoundError,
    SchakelError,
    ScopeError,
    TransitionError,
    UnknownReferenceError,
)
from schakel.graph.geo import Gazetteer
from schakel.graph.store import GraphStore

from .access import AccountError, open_access
from .auth import Forbidden, LoginRequired, require
from .config import Settings, get_settings
from .context import AppState
from .routes import api_router
from .state import open_store
from .web import brokering as brokering_pages
from .web import login, maps, pages, profile
from .web import matching as matching_page
from .web import mine as mine_page
from .web import nearby as nearby_page
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
        own = store is None
        graph = store if store is not None else open_store(settings)
        gazetteer = Gazetteer.load()
        access = open_access(settings, graph)  # shared by every worker on the store
        app.state.schakel = state = AppState(settings, graph, gazetteer, access)
        if warm_up:
            threading.Thread(target=_warm, args=(state,), name="schakel-warm-up",
                             daemon=True).start()
        try:
            yield
        finally:
            state.close()
            access.close()
            if own:
                graph.close()

    app = FastAPI(
        title="Schakel",
        version=__version__,
        description="Matching en netwerkkaarten voor Netwerk Met Andere Ogen.",
        lifespan=lifespan,
        openapi_url="/api/v1/openapi.json",
        docs_url="/api/v1/docs",
        redoc_url=None,
    )
    app.include_router(api_router, prefix="/api/v1")
    app.include_router(login.router)  # public
    app.include_router(pages.router, dependencies=[Depends(require("member"))])
    app.include_router(nearby_page.router, dependencies=[Depends(require("member"))])
    app.include_router(profile.router, dependencies=[Depends(require("member"))])
    app.include_router(mine_page.router, dependencies=[Depends(require("member"))])
    app.include_router(matching_page.router, dependencies=[Depends(require("staff"))])
    app.include_router(maps.router, dependencies=[Depends(require("staff"))])
    app.include_router(brokering_pages.router, dependencies=[Depends(require("staff"))])
    app.mount("/static", StaticFiles(directory=WEB / "static"), name="static")
    _add_error_handlers(app)
    return app


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
    def respond(request: Request, status: int, detail: Any) -> Any:
        if _wants_html(request):
            return pages.error_page(request, status, detail)
        return JSONResponse(status_code=status, content={"detail": detail})

    @app.exception_handler(LoginRequired)
    async def login_required(request: Request, _exc: LoginRequired) -> Any:
        if _wants_html(request):
            return login_page(request, 401)
        return JSONResponse(status_code=401, headers={"WWW-Authenticate": "Bearer"},
                            content={"detail": "log in: stuur Authorization: Bearer <sleutel>"})

    @app.exception_handler(Forbidden)
    async def forbidden(request: Request, exc: Forbidden) -> Any:
        return respond(request, 403, f"Dit mag uw account niet: {exc}.")

    @app.exception_handler(AccountError)
    async def bad_account(request: Request, exc: AccountError) -> Any:
        return respond(request, 422, [{"loc": ["body"], "msg": str(exc), "type": "account"}])

    @app.exception_handler(TransitionError)
    async def refused_transition(request: Request, exc: TransitionError) -> Any:
        detail = [{"loc": ["body", "action"], "msg": str(exc), "type": "transition",
                   "state": exc.state}]
        return respond(request, 409, detail)

    @app.exception_handler(CandidateRefusedError)
    async def refused_candidate(request: Request, exc: CandidateRefusedError) -> Any:
        detail = [{"loc": ["body", "candidate"], "msg": str(exc), "type": exc.rule}]
        return respond(request, 409, detail)

    @app.exception_handler(UnknownReferenceError)
    async def unknown_reference(request: Request, exc: UnknownReferenceError) -> Any:
        detail = [{"loc": ["query", exc.field], "msg": str(exc), "type": "unknown_reference"}]
        return respond(request, 422, detail)

    @app.exception_handler(ScopeError)
    async def bad_scope(request: Request, exc: ScopeError) -> Any:
        detail = [{"loc": ["query", exc.field], "msg": str(exc), "type": "scope"}]
        return respond(request, 422, detail)

    @app.exception_handler(NodeNotFoundError)
    async def not_found(request: Request, exc: NodeNotFoundError) -> Any:
        return respond(request, 404, f"niet gevonden: {exc.node_id}")

    @app.exception_handler(GraphValidationError)
    async def invalid_graph(request: Request, exc: GraphValidationError) -> Any:
        detail = [{"loc": ["body", str(p.get("item")), p.get("field")], "msg": p.get("message"),
                   "type": "graph_validation"} for p in exc.problems]
        return respond(request, 422, detail)

    @app.exception_handler(ImportFormatError)
    async def bad_document(request: Request, exc: ImportFormatError) -> Any:
        return respond(request, 422, [{"loc": ["body"], "msg": str(exc), "type": "format"}])

    @app.exception_handler(InvalidQueryError)
    async def invalid_query(request: Request, exc: InvalidQueryError) -> Any:
        where = "query" if request.method == "GET" else "body"
        detail = [{"loc": [where, exc.field], "msg": str(exc), "type": "invalid_query"}]
        return respond(request, 422, detail)

    @app.exception_handler(SchakelError)
    async def other(request: Request, exc: SchakelError) -> Any:
        logger.warning("request failed: %s", exc)
        return respond(request, 503, str(exc))

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> Any:
        detail = [{"loc": list(e["loc"]), "msg": e["msg"], "type": e["type"]}
                  for e in exc.errors()]
        return respond(request, 422, detail)
