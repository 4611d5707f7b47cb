"""Logging in with an API key in the browser: the key goes into an HttpOnly cookie."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from ..auth import COOKIE
from ..deps import StateDep
from .pages import templates

router = APIRouter(include_in_schema=False)
WEEK = 7 * 24 * 3600


def _safe(target: str | None) -> str:
    # Only paths on this site: no open redirect to another host.
    if not target or not target.startswith("/") or target.startswith("//"):
        return "/"
    return target


def login_page(request: Request, status: int = 200, message: str | None = None,
               target: str | None = None) -> HTMLResponse:
    target = target if target is not None else request.url.path
    if request.url.query and target == request.url.path:
        target += "?" + request.url.query
    return templates.TemplateResponse(request, "login.html", {
        "message": message, "next": _safe(target)}, status_code=status)


@router.get("/inloggen", response_class=HTMLResponse)
def login_form(request: Request, next: str = "/") -> HTMLResponse:
    return login_page(request, target=_safe(next))


@router.post("/inloggen", response_class=HTMLResponse)
def login(request: Request, state: StateDep,
          # a pasted paragraph is a wrong key too, said on the login page itself
          sleutel: Annotated[str, Form(max_length=10_000)] = "",
          next: Annotated[str, Form(max_length=2000)] = "/") -> Response:
    who = state.access.authenticate(sleutel.strip()) if sleutel.strip() else None
    if who is None:
        return login_page(request, 401, "Deze sleutel kennen we niet. Vraag het regiebureau "
                          "om een nieuwe.", target=_safe(next))
    response = RedirectResponse(_safe(next), status_code=303)
    response.set_cookie(COOKIE, sleutel.strip(), max_age=WEEK, httponly=True, samesite="lax",
                        secure=request.url.scheme == "https")
    return response


@router.post("/uitloggen")
def logout() -> Response:
    response = RedirectResponse("/inloggen", status_code=303)
    response.delete_cookie(COOKIE)
    return response
