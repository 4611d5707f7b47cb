"""The Dutch member page "Wie werkt hieraan bij mij in de buurt?" (/zoeken)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from schakel.errors import InvalidQueryError, UnknownReferenceError
from schakel.matching.nearby import MAX_RADIUS_KM, MY_GEMEENTE, NearbyQuery

from ..application.directory import place_names
from ..application.nearby import search_nearby
from ..auth import MemberDep
from ..deps import StateDep
from .pages import PAGE, ROLE_NAMES, Text, _choices, _clean, _pages, templates

router = APIRouter(include_in_schema=False)

# The search's fields as the form names them.
FORM_FIELD = {"q": "vraag", "near": "plaats", "radius_km": "straal", "theme": "thema",
              "domain": "domein", "role": "rol", "offset": "offset"}


def _radius(text: str | None) -> float | None:
    """The radius as typed (a decimal comma is fine); None when left empty."""
    text = _clean(text)
    if text is None:
        return None
    try:
        return float(text.replace(",", "."))
    except ValueError:
        raise InvalidQueryError("radius_km", "de straal moet een getal in km zijn") from None


@router.get("/zoeken", response_class=HTMLResponse)
def nearby_page(request: Request, state: StateDep, who: MemberDep, vraag: Text = None,
                plaats: Text = None, straal: Annotated[str | None, Query(max_length=10)] = None,
                thema: Text = None, domein: Text = None, rol: Text = None,
                offset: Annotated[int, Query(ge=0)] = 0) -> HTMLResponse:
    vraag, plaats, thema, domein, rol = map(_clean, (vraag, plaats, thema, domein, rol))
    form = {"vraag": vraag or "", "plaats": plaats or "", "straal": _clean(straal) or "",
            "thema": thema, "domein": domein, "rol": rol}
    result, error, status = None, None, 200
    if any((vraag, plaats, thema, domein, rol, _clean(straal))):
        try:
            query = NearbyQuery(text=vraag, near=plaats, radius_km=_radius(straal), theme=thema,
                                domain=domein, role=rol, offset=offset, limit=PAGE)
            result = search_nearby(state, who, query)
        except (InvalidQueryError, UnknownReferenceError) as exc:
            error = {"field": FORM_FIELD.get(exc.field, exc.field), "message": str(exc)}
            status = 422
    places = place_names(state)
    context: dict[str, Any] = {
        "form": form, "result": result, "error": error,
        "paging": _pages(request, result.count if result else 0, offset),
        "places": ([MY_GEMEENTE] if who.member_id else []) + places,
        "max_radius": int(MAX_RADIUS_KM), "role_names": ROLE_NAMES, **_choices(state),
    }
    return templates.TemplateResponse(request, "zoeken.html", context, status_code=status)
