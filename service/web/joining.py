"""A page per community: who is in it, sessions, join, leave; coordinators accept."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from schakel.errors import TransitionError

from ..application.directory import communities
from ..application.joining import community_page, decide_request, join_step
from ..auth import MemberDep
from ..deps import StateDep
from .pages import templates

router = APIRouter(include_in_schema=False)
KIND_NL = {"cop": "Community of Practice", "themagroep": "Themagroep",
           "intervisiegroep": "Intervisiegroep", "leernetwerk": "Leernetwerk",
           "netwerk": "Netwerk"}
DONE_NL = {"asked": "Uw verzoek is verstuurd. Een coördinator of het regiebureau beslist.",
           "member": "Welkom: u bent lid.", "none": "Het is verwerkt.",
           "invited": "U bent uitgenodigd."}


def _page(request: Request, state: StateDep, who: MemberDep, community_id: str,
          status: int = 200, problems: list[str] | None = None,
          notice: str = "") -> HTMLResponse:
    return templates.TemplateResponse(request, "community.html", {
        "page": community_page(state, who, community_id), "kinds": KIND_NL,
        "problems": problems or [], "notice": notice}, status_code=status)


@router.get("/community", response_class=HTMLResponse)
def list_page(request: Request, state: StateDep) -> HTMLResponse:
    return templates.TemplateResponse(request, "communities.html", {
        "communities": sorted(communities(state), key=lambda c: c.name), "kinds": KIND_NL})


@router.get("/community/{community_id}", response_class=HTMLResponse)
def page(request: Request, state: StateDep, who: MemberDep, community_id: str,
         gedaan: str = "", uitgenodigd: Annotated[int | None, Query(ge=0, le=10000)] = None,
         niet: Annotated[int, Query(ge=0, le=10000)] = 0) -> HTMLResponse:
    notice = DONE_NL.get(gedaan, "")
    if uitgenodigd is not None:  # just started from a brokering notice
        notice = (f"De groep is gestart. {uitgenodigd} vrager(s) uitgenodigd"
                  + (f"; {niet} niet (geen toestemming, of geen lid)." if niet else "."))
    return _page(request, state, who, community_id, notice=notice)


@router.post("/community/{community_id}/{action}", response_class=HTMLResponse)
def own_step(request: Request, state: StateDep, who: MemberDep, community_id: str,
             action: str) -> Response:
    steps = {"aanmelden": "ask", "intrekken": "withdraw", "verlaten": "leave",
             "aannemen": "accept_invite", "afslaan": "decline_invite"}
    if action not in steps:
        return _page(request, state, who, community_id, 404, ["Deze stap bestaat niet."])
    try:
        done = join_step(state, who, community_id, steps[action])
    except TransitionError as e:
        return _page(request, state, who, community_id, 409, [str(e)])
    return RedirectResponse(f"/community/{community_id}?gedaan={done}", status_code=303)


@router.post("/community/{community_id}/verzoek/{member_id}", response_class=HTMLResponse)
def decide(request: Request, state: StateDep, who: MemberDep, community_id: str,
           member_id: str, besluit: Annotated[str, Form(max_length=10)] = "") -> Response:
    if besluit not in ("accept", "refuse"):
        return _page(request, state, who, community_id, 422, ["Kies toelaten of afwijzen."])
    try:
        decide_request(state, who, community_id, member_id, besluit)
    except TransitionError as e:
        return _page(request, state, who, community_id, 409, [str(e)])
    return RedirectResponse(f"/community/{community_id}", status_code=303)
