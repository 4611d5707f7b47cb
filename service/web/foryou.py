"""Voor jou: the member's page of people to meet, and "Kennismaken"."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from schakel.errors import CandidateRefusedError

from ..application.foryou import for_you, meet
from ..auth import MemberDep
from ..deps import StateDep
from .pages import templates

router = APIRouter(include_in_schema=False)


def _page(request: Request, state: StateDep, who: MemberDep, status: int = 200,
          problems: list[str] | None = None, asked: str = "") -> HTMLResponse:
    return templates.TemplateResponse(request, "voor_jou.html", {
        "found": for_you(state, who), "problems": problems or [], "asked": asked,
    }, status_code=status)


@router.get("/voor-jou", response_class=HTMLResponse)
def page(request: Request, state: StateDep, who: MemberDep, gevraagd: str = "") -> HTMLResponse:
    return _page(request, state, who, asked=gevraagd)


@router.post("/voor-jou/kennismaken/{member_id}", response_class=HTMLResponse)
def introduce(request: Request, member_id: str, state: StateDep, who: MemberDep) -> Response:
    try:
        meet(state, who, member_id)  # someone not suggested: 404, as if absent
    except CandidateRefusedError as e:
        return _page(request, state, who, 409, [str(e)])
    return RedirectResponse(f"/voor-jou?gevraagd={member_id}", status_code=303)
