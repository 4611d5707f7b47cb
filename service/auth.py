"""Who may call what: every route declares a role through one of the aliases below.

Scripts send ``Authorization: Bearer <key>``; the browser gets the same key in an
HttpOnly, SameSite=Lax cookie after logging in on ``/inloggen``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from .access import Principal

__all__ = ["Principal", "LoginRequired", "Forbidden", "require", "current_principal",
           "MemberDep", "StaffDep", "AdminDep", "OptionalDep", "COOKIE"]

COOKIE = "schakel_sleutel"
_bearer = HTTPBearer(auto_error=False, description="API-sleutel van `schakel users add`")


class LoginRequired(Exception):
    """No (valid) credential came with the request: 401."""


class Forbidden(Exception):
    """The account's role may not do this: 403."""

    def __init__(self, role: str) -> None:
        super().__init__(f"hiervoor is de rol {role!r} nodig")
        self.role = role


def current_principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal | None:
    """The account behind the bearer key or the login cookie, or None."""
    key = credentials.credentials if credentials else request.cookies.get(COOKIE)
    who = request.app.state.schakel.access.authenticate(key) if key else None
    request.state.who = who  # for the page header
    return who  # type: ignore[no-any-return]


def require(role: str) -> Callable[..., Principal]:
    """A dependency that lets through accounts with ``role`` or a higher one."""

    def check(who: Annotated[Principal | None, Depends(current_principal)]) -> Principal:
        if who is None:
            raise LoginRequired()
        if not who.can(role):
            raise Forbidden(role)
        return who

    check.__name__ = f"require_{role}"
    return check


MemberDep = Annotated[Principal, Depends(require("member"))]
StaffDep = Annotated[Principal, Depends(require("staff"))]
AdminDep = Annotated[Principal, Depends(require("admin"))]
OptionalDep = Annotated[Principal | None, Depends(current_principal)]
