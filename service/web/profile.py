"""The member's own page: change the profile, take out or erase their data."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from schakel.errors import GraphValidationError
from schakel.graph.model import PERSPECTIVES, ROLE_LEVELS
from schakel.graph.privacy import PRIVATE_FIELDS

from ..application.directory import place_names, theme_groups
from ..application.members import (
    erase_member,
    exposed_private_fields,
    own_member,
    theme_levels,
    update_profile,
)
from ..auth import COOKIE, MemberDep
from ..deps import StateDep
from ..schemas import ProfileIn
from ..views import member_public
from .pages import templates

router = APIRouter(include_in_schema=False)
FIELD_NAMES = {"organisation": "organisatie", "function": "functie", "themes": "thema's",
               "contact": "contactgegevens"}
# The form takes more than the profile allows, so a too-long field gets a Dutch message on
# the page (which says which field and how long it may be), not an error page.
Line = Annotated[str, Form(max_length=5000)]
LABELS = {"function": "Functie", "profile": "Over mij", "availability": "Beschikbaarheid",
          "gemeente": "Gemeente", "contact": "Contactgegevens"}


def _page(request: Request, state: StateDep, who: MemberDep, status: int = 200,
          problems: list[str] | None = None, saved: bool = False) -> HTMLResponse:
    member = own_member(state, who)
    return templates.TemplateResponse(request, "profile.html", {
        "member": member, "public": member_public(state.store, member, "staff"),
        "theme_groups": theme_groups(state),
        "field_names": FIELD_NAMES,
        "problems": problems or [], "saved": saved, "places": place_names(state, "gemeente"),
        "role_levels": ROLE_LEVELS, "perspectives": PERSPECTIVES,
        "exposed": exposed_private_fields(state, member),
    }, status_code=status)


@router.get("/mijn-profiel", response_class=HTMLResponse)
def profile_page(request: Request, state: StateDep, who: MemberDep,
                 opgeslagen: bool = False) -> HTMLResponse:
    return _page(request, state, who, saved=opgeslagen)


@router.post("/mijn-profiel", response_class=HTMLResponse)
def save_profile(
    request: Request, state: StateDep, who: MemberDep,
    functie: Line = "", profiel: Annotated[str, Form(max_length=20000)] = "",
    beschikbaarheid: Line = "", gemeente: Line = "",
    thema: Annotated[list[str] | None, Form()] = None,
    zichtbaarheid: Annotated[str, Form(max_length=20)] = "members",
    prive: Annotated[list[str] | None, Form()] = None,
    matchen: Annotated[bool, Form()] = False, contact_delen: Annotated[bool, Form()] = False,
    contact: Line = "",
    leren: Annotated[list[str] | None, Form()] = None,
    brengen: Annotated[list[str] | None, Form()] = None,
    niveau: Annotated[str, Form(max_length=20)] = "",
    perspectief: Annotated[str, Form(max_length=30)] = "",
) -> Response:
    member_id = own_member(state, who).id
    levels = theme_levels(state, member_id)
    offered = theme_levels(state, member_id, "OFFERS")
    wanted = list(dict.fromkeys(thema or []))
    bad = [f for f in (prive or []) if f not in PRIVATE_FIELDS]
    if zichtbaarheid not in ("members", "staff", "none") or bad \
            or niveau not in ("", *ROLE_LEVELS) or perspectief not in ("", *PERSPECTIVES):
        return _page(request, state, who, 422, ["Kies een zichtbaarheid en velden uit de lijst."])
    fields = {
        "function": functie.strip() or None, "profile": profiel.strip(),
        "availability": beschikbaarheid.strip(),
        "themes": [{"theme": t, "level": levels.get(t, 2)} for t in wanted],
        "visibility": zichtbaarheid, "private_fields": prive or [],
        "consent_matching": matchen, "consent_contact": contact_delen,
        "contact": contact.strip(),
        "seeks": list(dict.fromkeys(leren or [])),
        "offers": [{"theme": t, "level": offered.get(t, 2)}
                   for t in dict.fromkeys(brengen or [])],
        "role_level": niveau, "perspective": perspectief}
    if gemeente.strip():  # left empty: keep the gemeente as it is
        fields["gemeente"] = gemeente.strip()
    try:
        body = ProfileIn.model_validate(fields)
    except ValidationError as e:
        return _page(request, state, who, 422, _too_long(e))
    try:
        update_profile(state, who, body.model_dump(exclude_unset=True))
    except GraphValidationError as e:
        return _page(request, state, who, 422, [str(p.get("message")) for p in e.problems])
    return RedirectResponse("/mijn-profiel?opgeslagen=true", status_code=303)


@router.post("/mijn-profiel/wissen", response_class=HTMLResponse)
def erase_me(request: Request, state: StateDep, who: MemberDep,
             zeker: Annotated[bool, Form()] = False) -> Response:
    member = own_member(state, who)
    if not zeker:
        return _page(request, state, who, 422,
                     ["Vink aan dat u zeker weet dat alles gewist mag worden."])
    erasure = erase_member(state, who, member.id, "zelf, via de website")
    request.state.who = None  # the account is gone
    response = templates.TemplateResponse(request, "erased.html", {"erasure": erasure})
    response.delete_cookie(COOKIE)
    return response


def _too_long(error: ValidationError) -> list[str]:
    """Dutch messages for the fields that do not fit the profile."""
    messages = []
    for problem in error.errors():
        field = str(problem["loc"][0]) if problem.get("loc") else ""
        label = LABELS.get(field, field)
        limit = (problem.get("ctx") or {}).get("max_length")
        if limit is not None:
            messages.append(f"{label} is te lang: hoogstens {limit} tekens.")
        else:
            messages.append(f"{label}: deze waarde kunnen we niet opslaan.")
    return messages
