"""Agenda pages: the agenda with filters, one activity (sign up, cancel, calendar file),
mijn agenda; staff create activities and record who attended."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from schakel.errors import GraphValidationError, InvalidQueryError, TransitionError
from schakel.graph.model import ACTIVITY_KINDS, PERSPECTIVES, ROLE_LEVELS

from ..application import activities as use
from ..application.directory import assignable_themes, place_names
from ..auth import MemberDep, StaffDep
from ..deps import StateDep
from .pages import templates

members = APIRouter(include_in_schema=False)
staff = APIRouter(include_in_schema=False)
Line = Annotated[str, Form(max_length=5000)]
KIND_NL = {"webinar": "Webinar", "intervisie": "Intervisie", "studiemiddag": "Studiemiddag",
           "werkbezoek": "Werkbezoek", "ambassadeursbijeenkomst": "Ambassadeursbijeenkomst",
           "cop-sessie": "CoP-sessie"}


def _agenda(request: Request, state: StateDep, who: MemberDep, status: int = 200,
            problems: list[str] | None = None, thema: str = "", plaats: str = "",
            maand: str = "") -> HTMLResponse:
    found = []
    try:
        found = use.agenda(state, who, theme=thema or None, place=plaats or None,
                           month=maand or None)
    except InvalidQueryError as e:
        problems, status = [*(problems or []), str(e)], 422
    return templates.TemplateResponse(request, "agenda.html", {
        "listings": found, "themes": assignable_themes(state), "places": place_names(
            state, "gemeente"), "thema": thema, "plaats": plaats, "maand": maand,
        "kinds": KIND_NL, "problems": problems or []}, status_code=status)


@members.get("/agenda", response_class=HTMLResponse)
def agenda_page(request: Request, state: StateDep, who: MemberDep, thema: str = "",
                plaats: str = "", maand: str = "") -> HTMLResponse:
    return _agenda(request, state, who, thema=thema.strip(), plaats=plaats.strip(),
                   maand=maand.strip())


def _activity(request: Request, state: StateDep, who: MemberDep, activity_id: str,
              status: int = 200, problems: list[str] | None = None,
              notice: str = "") -> HTMLResponse:
    return templates.TemplateResponse(request, "activiteit.html", {
        "item": use.activity(state, who, activity_id), "kinds": KIND_NL,
        "problems": problems or [], "notice": notice,
        "people": use.signed_up_members(state, activity_id) if who.can("staff") else [],
    }, status_code=status)


@members.get("/agenda/{activity_id}", response_class=HTMLResponse)
def activity_page(request: Request, state: StateDep, who: MemberDep, activity_id: str,
                  gedaan: str = "") -> HTMLResponse:
    notices = {"in": "U bent ingeschreven.", "wacht": "De activiteit is vol: u staat op de "
               "wachtlijst. Komt er een plek vrij, dan schuift u op.",
               "uit": "U bent uitgeschreven.", "aanwezig": "De aanwezigheid is vastgelegd."}
    return _activity(request, state, who, activity_id, notice=notices.get(gedaan, ""))


@members.post("/agenda/{activity_id}/inschrijven", response_class=HTMLResponse)
def sign_up_page(request: Request, state: StateDep, who: MemberDep,
                 activity_id: str) -> Response:
    try:
        done = use.sign_up(state, who, activity_id)
    except TransitionError as e:
        return _activity(request, state, who, activity_id, 409, [str(e)])
    flag = "in" if done.status == "confirmed" else "wacht"
    return RedirectResponse(f"/agenda/{activity_id}?gedaan={flag}", status_code=303)


@members.post("/agenda/{activity_id}/uitschrijven", response_class=HTMLResponse)
def cancel_page(request: Request, state: StateDep, who: MemberDep,
                activity_id: str) -> Response:
    try:
        use.cancel(state, who, activity_id)
    except TransitionError as e:
        return _activity(request, state, who, activity_id, 409, [str(e)])
    return RedirectResponse(f"/agenda/{activity_id}?gedaan=uit", status_code=303)


@members.get("/agenda/{activity_id}/agenda.ics")
def calendar_one(state: StateDep, who: MemberDep, activity_id: str) -> Response:
    use.activity(state, who, activity_id)  # 404 when there is no such activity
    return _ics(use.calendar_file(state, who, [activity_id]), f"{activity_id}.ics")


@members.get("/mijn-agenda", response_class=HTMLResponse)
def my_agenda_page(request: Request, state: StateDep, who: MemberDep) -> HTMLResponse:
    return templates.TemplateResponse(request, "mijn_agenda.html", {
        "listings": use.my_agenda(state, who), "kinds": KIND_NL})


@members.get("/mijn-agenda.ics")
def my_calendar(state: StateDep, who: MemberDep) -> Response:
    ids = [x.activity.id for x in use.my_agenda(state, who)]
    return _ics(use.calendar_file(state, who, ids), "mijn-agenda.ics")


def _ics(body: bytes, name: str) -> Response:
    return Response(body, media_type="text/calendar; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


def _new(request: Request, state: StateDep, status: int = 200,
         problems: list[str] | None = None, given: dict[str, object] | None = None
         ) -> HTMLResponse:
    return templates.TemplateResponse(request, "activiteit_nieuw.html", {
        "themes": assignable_themes(state), "places": place_names(state, "gemeente"),
        "kinds": KIND_NL, "role_levels": ROLE_LEVELS, "perspectives": PERSPECTIVES,
        "problems": problems or [], "given": given or {}}, status_code=status)


@staff.get("/agenda-nieuw", response_class=HTMLResponse)
def new_page(request: Request, state: StateDep) -> HTMLResponse:
    return _new(request, state)


@staff.post("/agenda-nieuw", response_class=HTMLResponse)
def create(request: Request, state: StateDep, who: StaffDep, titel: Line = "",
           soort: Line = "webinar", datum: Line = "", begin: Line = "", eind: Line = "",
           online: Annotated[bool, Form()] = False, gemeente: Line = "",
           thema: Annotated[list[str] | None, Form()] = None, plaatsen: Line = "20",
           beschrijving: Line = "", niveau: Annotated[list[str] | None, Form()] = None,
           perspectief: Annotated[list[str] | None, Form()] = None,
           organisator: Line = "") -> Response:
    form = {"title": titel, "kind": soort, "day": datum, "start": begin, "end": eind,
            "online": online, "gemeente": gemeente, "themes": thema or [],
            "capacity": plaatsen, "description": beschrijving, "audience_levels": niveau or [],
            "audience_perspectives": perspectief or [], "organiser": organisator}
    problems = []
    if not titel.strip():
        problems.append("Geef de activiteit een titel.")
    if soort not in ACTIVITY_KINDS:
        problems.append("Kies een soort activiteit uit de lijst.")
    if not plaatsen.strip().isdigit() or not 1 <= int(plaatsen) <= 10000:
        problems.append("Het aantal plaatsen is een heel getal van 1 tot 10000.")
    if not problems:
        try:
            made = use.create_activity(state, who, form)
        except InvalidQueryError as e:
            problems.append(str(e))
        except GraphValidationError as e:
            problems += [f"{p.get('field')}: deze waarde kunnen we niet opslaan (te lang?)."
                         for p in e.problems]
    if problems:
        return _new(request, state, 422, problems, form)
    return RedirectResponse(f"/agenda/{made.id}", status_code=303)


@staff.post("/agenda/{activity_id}/aanwezig", response_class=HTMLResponse)
def attendance(request: Request, state: StateDep, who: StaffDep, activity_id: str,
               aanwezig: Annotated[list[str] | None, Form()] = None) -> Response:
    try:
        use.record_attendance(state, who, activity_id, aanwezig or [])
    except InvalidQueryError as e:
        return _activity(request, state, who, activity_id, 422, [str(e)])
    return RedirectResponse(f"/agenda/{activity_id}?gedaan=aanwezig", status_code=303)
