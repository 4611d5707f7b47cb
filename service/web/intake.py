"""Lid worden (public) and the intake queue (staff)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from schakel.errors import GraphValidationError, InvalidQueryError
from schakel.graph.model import PERSPECTIVES, ROLE_LEVELS
from schakel.graph.privacy import PRIVATE_FIELDS
from schakel.matching.intake import ACTION_NL, STATE_NL, allowed_actions

from ..application.directory import assignable_themes, domains, place_names, theme_groups
from ..application.intake import applications, apply_for_membership, decide
from ..auth import StaffDep
from ..deps import StateDep
from .pages import templates
from .profile import FIELD_NAMES

public = APIRouter(include_in_schema=False)
staff = APIRouter(include_in_schema=False)
Line = Annotated[str, Form(max_length=5000)]
Many = Annotated[list[str] | None, Form()]
LABELS = {"name": "Naam", "contact": "Contactgegevens", "organisation": "Organisatie",
          "gemeente": "Gemeente", "function": "Functie", "learn": "Wat wilt u leren",
          "need": "Wat heeft u nodig", "bring": "Wat komt u brengen"}


def _form_page(request: Request, state: StateDep, status: int = 200,
               problems: list[str] | None = None, given: dict[str, Any] | None = None
               ) -> HTMLResponse:
    orgs = sorted(o.name for o in state.store.iter_nodes("Organisation"))
    return templates.TemplateResponse(request, "lid_worden.html", {
        "theme_groups": theme_groups(state), "domains": domains(state),
        "places": place_names(state, "gemeente"), "organisations": orgs,
        "role_levels": ROLE_LEVELS, "perspectives": PERSPECTIVES,
        "field_names": FIELD_NAMES, "problems": problems or [], "given": given or {},
    }, status_code=status)


@public.get("/lid-worden", response_class=HTMLResponse)
def apply_page(request: Request, state: StateDep) -> HTMLResponse:
    return _form_page(request, state)


@public.post("/lid-worden", response_class=HTMLResponse)
def apply(request: Request, state: StateDep, naam: Line = "", contact: Line = "",
          organisatie: Line = "", gemeente: Line = "", functie: Line = "",
          domein: Many = None, niveau: Line = "", perspectief: Line = "",
          leren: Line = "", nodig: Line = "", brengen: Line = "",
          leren_thema: Many = None, brengen_thema: Many = None,
          zichtbaarheid: Line = "members", prive: Many = None,
          matchen: Annotated[bool, Form()] = False,
          contact_delen: Annotated[bool, Form()] = False,
          akkoord: Annotated[bool, Form()] = False) -> Response:
    form = {"name": naam, "contact": contact, "organisation": organisatie,
            "gemeente": gemeente, "function": functie, "domains": domein or [],
            "role_level": niveau, "perspective": perspectief, "learn": leren, "need": nodig,
            "bring": brengen, "seeks": leren_thema or [], "offers": brengen_thema or [],
            "visibility": zichtbaarheid, "private_fields": prive or [],
            "consent_matching": matchen, "consent_contact": contact_delen}
    problems = []
    if not naam.strip():
        problems.append("Vul uw naam in.")
    if not akkoord:
        problems.append("Vink aan dat het regiebureau uw gegevens mag bewaren.")
    if zichtbaarheid not in ("members", "staff", "none") or any(
            f not in PRIVATE_FIELDS for f in prive or []):
        problems.append("Kies een zichtbaarheid en velden uit de lijst.")
    if not problems:
        try:
            apply_for_membership(state, form)
        except InvalidQueryError as e:
            problems.append(str(e))
        except GraphValidationError as e:
            problems += [_message(p) for p in e.problems]
        except ValidationError as e:
            problems += [_message({"field": str(x["loc"][0]), "message": x["msg"]})
                         for x in e.errors()]
    if problems:
        return _form_page(request, state, 422, problems, form)
    return templates.TemplateResponse(request, "lid_worden_dank.html", {"name": naam.strip()})


def _message(problem: dict[str, Any]) -> str:
    field = str(problem.get("field", "")).split(".")[0]
    label = LABELS.get(field, field)
    message = str(problem.get("message", ""))
    if "at most" in message:
        limit = "".join(c for c in message if c.isdigit())
        return f"{label} is te lang: hoogstens {limit} tekens."
    return f"{label}: deze waarde kunnen we niet opslaan."


@staff.get("/aanmeldingen", response_class=HTMLResponse)
def queue_page(request: Request, state: StateDep, who: StaffDep,
               status: str | None = None) -> HTMLResponse:
    shown = status if status in STATE_NL else None
    found = applications(state, who, shown)
    if shown is None:
        found = [a for a in found if a.state in ("pending", "more_info")]
    return templates.TemplateResponse(request, "aanmeldingen.html", {
        "applications": found, "status": shown, "states": STATE_NL, "actions": ACTION_NL,
        "allowed": allowed_actions, "names": _names(state)})


def _names(state: StateDep) -> dict[str, str]:
    ids = [t.id for t in assignable_themes(state)] + [d.id for d in domains(state)]
    return {i: p.get("name", i) for i, p in state.store.props_of(ids).items()}


@staff.post("/aanmeldingen/{application_id}", response_class=HTMLResponse)
def decide_page(request: Request, state: StateDep, who: StaffDep, application_id: str,
                actie: Annotated[str, Form(max_length=20)] = "",
                notitie: Annotated[str, Form(max_length=5000)] = "") -> Response:
    done = decide(state, who, application_id, actie, notitie.strip())  # refused: 409 page
    if not done.key:
        return RedirectResponse("/aanmeldingen", status_code=303)
    return templates.TemplateResponse(request, "aanmelding_goedgekeurd.html", {
        "decision": done, "login": str(request.url_for("login_form"))})
