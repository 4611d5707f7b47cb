"""What every request passes before a route sees it, as plain ASGI middleware (nothing here
reads a body it does not have to):

- a request id (``X-Request-ID``, echoed, in every error body and every log line);
- a body limit checked before reading (the announced length, then the bytes as they come);
- rate limits per key or address on logging in (failed attempts) and on writes;
- a CSRF check on every state-changing page form (double-submit token, see csrf.py);
- security headers, and ``Cache-Control: no-store`` on everything but static files.

Answers of its own (413, 429, 403) are Dutch: JSON under /api/, the error page elsewhere.
"""

from __future__ import annotations

import hashlib
import logging
import math
import re
import secrets
import time
from collections.abc import Awaitable, Callable, MutableMapping
from contextvars import ContextVar
from typing import Any

from limits import parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter
from starlette.datastructures import Headers, MutableHeaders
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from .csrf import COOKIE as CSRF_COOKIE
from .csrf import FIELD as CSRF_FIELD
from .csrf import new_token, same

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

logger = logging.getLogger("schakel.access")
request_id: ContextVar[str | None] = ContextVar("schakel_request_id", default=None)
_GOOD_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
_WRITES = {"POST", "PUT", "PATCH", "DELETE"}
# POSTed because a question does not fit in an address, but only reads: not a write to limit.
_READS_BY_POST = frozenset({"/api/v1/match"})
APPLY_PATHS = ("/lid-worden", "/api/v1/applications")  # the public application form

# Pages load only their own scripts, styles and images; nobody may frame them.
CSP_PAGES = ("default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
             "connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
             "frame-ancestors 'none'")
# Swagger UI and ReDoc start from an inline script and draw with inline styles.
CSP_DOCS = ("default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
            "script-src 'self' 'unsafe-inline'; worker-src 'self' blob:; connect-src 'self'; "
            "object-src 'none'; base-uri 'self'; frame-ancestors 'none'")
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Permissions-Policy": "geolocation=(), camera=(), microphone=()",
}


def _is_api(scope: Scope) -> bool:
    return str(scope.get("path", "")).startswith("/api/")


async def dutch_answer(scope: Scope, status: int, message: str,
                       headers: dict[str, str] | None = None) -> Response:
    """A Dutch answer of the middleware's own: JSON for the API, the error page for pages."""
    rid = request_id.get()
    if _is_api(scope):
        body: dict[str, Any] = {"detail": message}
        if rid:
            body["request_id"] = rid
        return JSONResponse(body, status_code=status, headers=headers)
    from .web.pages import error_page  # the page machinery only when a page is refused

    scope.setdefault("router", scope["app"].router)  # url_for in the page's template
    return error_page(Request(scope), status, message, headers)


class RequestContext:
    """Request id in, request id out; one JSON log line per request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = Headers(scope=scope).get("x-request-id", "")
        rid = given if _GOOD_ID.match(given) else secrets.token_hex(4)
        token = request_id.set(rid)
        scope.setdefault("state", {})["request_id"] = rid
        started = time.perf_counter()
        status = {"code": 500}

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                MutableHeaders(scope=message)["X-Request-ID"] = rid
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            logger.info("request", extra={
                "request_id": rid, "method": scope["method"], "path": scope["path"],
                "status": status["code"], "ms": round((time.perf_counter() - started) * 1000, 1)})
            request_id.reset(token)


class BodyLimit:
    """Refuse a body larger than ``max_bytes``: by its Content-Length before reading, or as
    soon as the bytes read pass the limit (chunked uploads)."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = Headers(scope=scope).get("content-length")
        if length is not None and (not length.isdigit() or int(length) > self.max_bytes):
            await (await dutch_answer(scope, 413, _too_large(self.max_bytes)))(
                scope, receive, send)
            return
        seen = 0
        refused = False

        async def counted() -> Message:
            # Past the limit: answer 413 now; the app reads a disconnect and is not heard.
            nonlocal seen, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.max_bytes:
                refused = True
                answer = await dutch_answer(scope, 413, _too_large(self.max_bytes))
                await answer(scope, receive, send)
                return {"type": "http.disconnect"}
            return message

        async def unless_refused(message: Message) -> None:
            if not refused:
                await send(message)

        await self.app(scope, counted, unless_refused)


def _too_large(max_bytes: int) -> str:
    return (f"Dat is te groot om te versturen: hoogstens {max_bytes // 1024} kB per verzoek. "
            "Stuur minder tegelijk.")


class RateLimit:
    """Moving-window limits (the ``limits`` library): failed logins per address, writes per
    key (or address without one), and applications per address (anyone may apply without a
    key, so the public form is where spam would come in). Each process counts for itself."""

    def __init__(self, app: ASGIApp, *, login: str, writes: str,
                 apply: str = "20/hour") -> None:
        self.app = app
        self.storage = MemoryStorage()
        self.limiter = MovingWindowRateLimiter(self.storage)
        self.login = parse(login)
        self.writes = parse(writes)
        self.apply = parse(apply)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (scope["type"] != "http" or scope["method"] not in _WRITES
                or scope["path"] in _READS_BY_POST):
            await self.app(scope, receive, send)
            return
        address = (scope.get("client") or ("?", 0))[0]
        if scope["path"] == "/inloggen":
            await self._login(scope, receive, send, address)
            return
        if scope["path"] in APPLY_PATHS and not self.limiter.hit(self.apply, "apply", address):
            await self._refuse(scope, receive, send, self.apply, "apply", address)
            return
        who = _caller(scope) or address
        if not self.limiter.hit(self.writes, "write", who):
            await self._refuse(scope, receive, send, self.writes, "write", who)
            return
        await self.app(scope, receive, send)

    async def _login(self, scope: Scope, receive: Receive, send: Send, address: str) -> None:
        # Only failed attempts count: guessing keys is what this stops.
        if not self.limiter.test(self.login, "login", address):
            await self._refuse(scope, receive, send, self.login, "login", address)
            return
        failed = {"yes": False}

        async def watch(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] == 401:
                failed["yes"] = True
            await send(message)

        await self.app(scope, receive, watch)
        if failed["yes"]:
            self.limiter.hit(self.login, "login", address)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, item: Any,
                      *keys: str) -> None:
        reset, _left = self.limiter.get_window_stats(item, *keys)
        wait = max(1, math.ceil(reset - time.time()))
        message = (f"Te veel verzoeken kort na elkaar. Probeer het over {wait} seconden "
                   "opnieuw.")
        answer = await dutch_answer(scope, 429, message, {"Retry-After": str(wait)})
        await answer(scope, receive, send)


def _caller(scope: Scope) -> str | None:
    """A short hash of the bearer key or login cookie (never the key itself in memory keys)."""
    headers = Headers(scope=scope)
    auth = headers.get("authorization", "")
    key = auth[7:].strip() if auth.lower().startswith("bearer ") else None
    if not key:
        cookie = Request(scope).cookies.get("schakel_sleutel")
        key = cookie or None
    return hashlib.sha256(key.encode()).hexdigest()[:16] if key else None


class Csrf:
    """Page forms that change something carry the token of the visitor's CSRF cookie.

    Every page answer sets the cookie when it is missing; ``csrf_field()`` in the templates
    writes the hidden field. API calls (a bearer key, never sent by a browser on its own)
    are not checked."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or _is_api(scope):
            await self.app(scope, receive, send)
            return
        # Lax, not Strict: a link from an e-mail brings the cookie along, so a page opened
        # that way does not hand out a new token that spoils the forms in other tabs.
        cookie = Request(scope).cookies.get(CSRF_COOKIE)
        token = cookie or new_token()
        scope.setdefault("state", {})["csrf_token"] = token
        if scope["method"] in _WRITES:
            body = await _read_all(receive)
            replay = _replay(body)
            form = await Request(scope, replay).form()
            sent = form.get(CSRF_FIELD)
            await form.close()
            if not cookie or not isinstance(sent, str) or not same(sent, cookie):
                answer = await dutch_answer(
                    scope, 403, "Dit formulier is verlopen of kwam niet van deze site. Open de "
                    "pagina opnieuw en probeer het nog eens.")
                await answer(scope, receive, send)
                return
            receive = _replay(body)

        async def send_cookie(message: Message) -> None:
            if message["type"] == "http.response.start" and not cookie:
                secure = "; Secure" if scope.get("scheme") == "https" else ""
                MutableHeaders(scope=message).append(
                    "set-cookie", f"{CSRF_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax"
                                  f"{secure}")
            await send(message)

        await self.app(scope, receive, send_cookie)


async def _read_all(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            return b"".join(chunks)


def _replay(body: bytes) -> Receive:
    sent = {"done": False}

    async def receive() -> Message:
        if sent["done"]:
            return {"type": "http.disconnect"}
        sent["done"] = True
        return {"type": "http.request", "body": body, "more_body": False}

    return receive


class SecurityHeaders:
    """Security headers on every answer; no caching of anything but static files."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = str(scope["path"])
        docs = path.startswith(("/api/v1/docs", "/api/v1/redoc"))

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers.setdefault(name, value)
                headers.setdefault("Content-Security-Policy", CSP_DOCS if docs else CSP_PAGES)
                if not path.startswith("/static/"):
                    # Pages and answers are personal or depend on the role: never stored.
                    headers["Cache-Control"] = "no-store"
            await send(message)

        await self.app(scope, receive, with_headers)
