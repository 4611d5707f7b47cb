"""The member's page for brokering: ask the regiebureau, follow questions, answer requests."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from schakel.errors import InvalidQueryError, TransitionError, UnknownReferenceError

from ..application.directory import place_names
from ..application.questions import answer_as_member, ask_as_member, my_questions, my_requests
from ..auth import MemberDep
from ..deps import StateDep
from .pages import templates

router = APIRouter(include_in_schema=False)
KINDS = ("leervraag", "hulpvraag", "ontwikkelvraag")


def _page(request: Request, state: StateDep, who: MemberDep, status: int = 200,
          problems: list[str] | None = None, form: dict[str, str] | None = None
          ) -> HTMLResponse:
    rows = [{"view": r.view, "side": r.side, "question": r.question,
             "can_answer": r.can_answer} for r in my_requests(state, who)]
    return templates.TemplateResponse(request, "mijn_vragen.html", {
        "questions": my_questions(state, who),
        "requests": [r for r in rows if r["side"] == "candidate"],
        "answers": [r for r in rows if r["side"] != "candidate"], "kinds": KINDS,
        "problems": problems or [], "form": form or {}, "places": place_names(state),
    }, status_code=status)


@router.get("/mijn-vragen", response_class=HTMLResponse)
def page(request: Request, state: StateDep, who: MemberDep) -> HTMLResponse:
    return _page(request, state, who)


@router.post("/mijn-vragen", response_class=HTMLResponse)
def ask(request: Request, state: StateDep, who: MemberDep,
        tekst: Annotated[str, Form(max_length=5000)] = "",
        soort: Annotated[str, Form(max_length=40)] = "leervraag",
        plaats: Annotated[str, Form(max_length=100)] = "") -> Response:
    form = {"tekst": tekst, "soort": soort, "plaats": plaats}
    if len(tekst.strip()) < 3 or soort not in KINDS:
        return _page(request, state, who, 422,
                     ["Schrijf uw vraag in een paar woorden en kies een soort vraag."], form)
    try:
        ask_as_member(state, who, tekst.strip(), soort, plaats.strip() or None)
    except (InvalidQueryError, UnknownReferenceError) as e:
        return _page(request, state, who, 422, [str(e)], form)
    return RedirectResponse("/mijn-vragen?gesteld=1", status_code=303)


@router.post("/mijn-vragen/antwoord/{introduction_id}", response_class=HTMLResponse)
def answer(request: Request, introduction_id: str, state: StateDep, who: MemberDep,
           antwoord: Annotated[str, Form(max_length=10)] = "") -> Response:
    if antwoord not in ("accept", "decline"):
        return _page(request, state, who, 422, ["Kies ja of nee."])
    try:
        answer_as_member(state, who, introduction_id, antwoord)
    except TransitionError as e:
        return _page(request, state, who, 409, [str(e)])
    return RedirectResponse(f"/mijn-vragen#{introduction_id}", status_code=303)
