"""Who may call what: every route declares a role through one of the aliases below.

Scripts send ``Authorization: Bearer <key>``; the browser gets the same key in an
HttpOnly, SameSite=Lax cookie after logging in on ``/inloggen``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import Depends, Request, routing
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from schakel.errors import ROLE_NL, Forbidden, LoginRequired

from .access import Principal

__all__ = ["Principal", "LoginRequired", "Forbidden", "require", "current_principal",
           "MemberDep", "StaffDep", "AdminDep", "OptionalDep", "COOKIE", "declared_routes",
           "ROLE_NL"]

COOKIE = "schakel_sleutel"
_bearer = HTTPBearer(auto_error=False, description="API-sleutel van `schakel users add`")


def current_principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal | None:
    """The account behind the bearer key or the login cookie, or None."""
    key = credentials.credentials if credentials else request.cookies.get(COOKIE)
    who = request.app.state.schakel.access.authenticate(key) if key else None
    request.state.who = who  # for the page header
    return who  # type: ignore[no-any-return]


def require(role: str) -> Callable[..., Awaitable[Principal]]:
    """A dependency that lets through accounts with ``role`` or a higher one."""

    async def check(who: Annotated[Principal | None, Depends(current_principal)]) -> Principal:
        if who is None:
            raise LoginRequired()
        if not who.can(role):
            raise Forbidden(role)
        return who

    check.__name__ = f"require_{role}"
    return check


def declared_routes(app: Any) -> list[tuple[str, str, str | None]]:
    """(method, path, role) of every API route and page; role None means public. The role
    is the strongest ``require_*`` among the route's and its routers' dependencies."""
    from .access import ROLES

    def roles(dependant: Any) -> list[str]:
        name = getattr(dependant.call, "__name__", "")
        found = [name.removeprefix("require_")] if name.startswith("require_") else []
        return found + [r for sub in dependant.dependencies for r in roles(sub)]

    # FastAPI >= 0.160 keeps included routers nested; this flattens them with their
    # dependencies. Older versions list plain APIRoutes.
    flatten = getattr(routing, "iter_route_contexts", None)
    out = []
    for ctx in (flatten(app.routes) if flatten else app.routes):
        route = getattr(ctx, "original_route", ctx)
        if isinstance(route, routing.APIRoute):
            found = roles(ctx.dependant)
            role = max(found, key=ROLES.index) if found else None
            out += [(m, ctx.path, role) for m in sorted(route.methods - {"HEAD"})]
    return out


MemberDep = Annotated[Principal, Depends(require("member"))]
StaffDep = Annotated[Principal, Depends(require("staff"))]
AdminDep = Annotated[Principal, Depends(require("admin"))]
OptionalDep = Annotated[Principal | None, Depends(current_principal)]
