"""Staff: intervisie groups proposed by the solver, adjusted and confirmed."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from schakel.errors import GraphValidationError, InvalidQueryError

from ..application.directory import assignable_themes
from ..application.intervisie import confirm, proposal
from ..auth import StaffDep
from ..deps import StateDep
from .pages import templates

router = APIRouter(include_in_schema=False)


def _page(request: Request, state: StateDep, who: StaffDep, thema: str, status: int = 200,
          problems: list[str] | None = None) -> HTMLResponse:
    found, people = None, {}
    if thema:
        try:
            found, people = proposal(state, who, thema)
        except InvalidQueryError as e:
            problems, status = [*(problems or []), str(e)], 422
    return templates.TemplateResponse(request, "intervisie.html", {
        "themes": assignable_themes(state), "thema": thema, "proposal": found,
        "people": people, "problems": problems or []}, status_code=status)


@router.get("/intervisie", response_class=HTMLResponse)
def page(request: Request, state: StateDep, who: StaffDep, thema: str = "") -> HTMLResponse:
    return _page(request, state, who, thema.strip())


@router.post("/intervisie", response_class=HTMLResponse)
def confirm_group(request: Request, state: StateDep, who: StaffDep,
                  thema: Annotated[str, Form(max_length=200)] = "",
                  naam: Annotated[str, Form(max_length=300)] = "",
                  lid: Annotated[list[str] | None, Form()] = None) -> Response:
    try:
        made = confirm(state, who, thema, lid or [], naam)
    except (InvalidQueryError, GraphValidationError) as e:
        return _page(request, state, who, thema, 422, [str(e)])
    return RedirectResponse(f"/community/{made}", status_code=303)
