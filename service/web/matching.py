"""The Dutch page where staff ask a question and see explained suggestions."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from ..application.directory import place_names
from ..application.matching import run_match
from ..auth import StaffDep
from ..deps import StateDep
from ..schemas import MatchKind
from .pages import templates

router = APIRouter(include_in_schema=False)

KIND_NAMES = {"member": "Leden", "expert": "Experts", "ambassador": "Ambassadeurs",
              "region": "Regio's", "practice": "Praktijkvoorbeelden", "community": "Communities"}
KIND_LABEL = {"member": "lid", "expert": "expert", "ambassador": "ambassadeur",
              "region": "regio", "practice": "praktijkvoorbeeld", "community": "community"}
SIGNAL_NAMES = {"dense": "betekenis", "lexical": "woorden", "theme": "thema",
                "geo": "plaats", "domain": "domein", "role": "rol",
                "availability": "beschikbaarheid", "diversity": "spreiding"}


@router.get("/matchen", response_class=HTMLResponse)
def match_page(
    request: Request,
    state: StateDep,
    who: StaffDep,
    vraag: Annotated[str | None, Query(max_length=2000)] = None,
    plaats: Annotated[str | None, Query(max_length=100)] = None,
    straal: Annotated[float | None, Query(gt=0, le=400)] = None,
    soort: Annotated[list[MatchKind] | None, Query()] = None,
    aantal: Annotated[int, Query(ge=1, le=50)] = 10,
) -> HTMLResponse:
    vraag, plaats = (vraag or "").strip(), (plaats or "").strip() or None
    result = None
    if vraag:
        result = run_match(state, vraag, near=plaats, radius_km=straal, kinds=soort,
                           limit=aantal, viewer=who.viewer)
    return templates.TemplateResponse(request, "matchen.html", {
        "form": {"vraag": vraag, "plaats": plaats or "", "straal": straal, "soort": soort or [],
                 "aantal": aantal},
        "result": result, "kind_names": KIND_NAMES, "kind_label": KIND_LABEL,
        "signal_names": SIGNAL_NAMES,
        "places": place_names(state),
    })
