"""The Dutch page where staff ask a question and see explained suggestions."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from schakel.errors import InvalidQueryError, UnknownReferenceError

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
                "availability": "beschikbaarheid", "diversity": "spreiding",
                "needs": "wil leren"}


@router.get("/matchen", response_class=HTMLResponse)
def match_page(
    request: Request,
    state: StateDep,
    who: StaffDep,
    vraag: Annotated[str | None, Query(max_length=2000)] = None,
    plaats: Annotated[str | None, Query(max_length=100)] = None,
    straal: Annotated[str | None, Query(max_length=20)] = None,
    soort: Annotated[list[MatchKind] | None, Query()] = None,
    aantal: Annotated[str | None, Query(max_length=20)] = None,
) -> HTMLResponse:
    # A form sends its empty fields as empty strings: they mean "not given", and a wrong
    # number is told on the page itself, next to the form, in plain Dutch.
    vraag, plaats = (vraag or "").strip(), (plaats or "").strip() or None
    problems: list[str] = []
    radius = _number(straal, 1, 400, "Vul bij straal een getal in van 1 tot en met 400 km.",
                     problems)
    limit = _number(aantal, 1, 50, "Vul bij aantal een getal in van 1 tot en met 50.",
                    problems)
    if radius is not None and plaats is None:
        problems.append("Een straal werkt alleen samen met een plaats. Vul ook een plaats in, "
                        "of laat de straal leeg.")
    result = None
    if vraag and not problems:
        try:
            result = run_match(state, vraag, near=plaats, radius_km=radius, kinds=soort,
                               limit=int(limit or 10), viewer=who.viewer)
        except UnknownReferenceError:
            problems.append(f"We kennen de plaats ‘{plaats}’ niet. Kies een gemeente, regio of "
                            "provincie uit de lijst, of laat de plaats leeg.")
        except InvalidQueryError as e:
            problems.append(_sentence(str(e)))
    return templates.TemplateResponse(request, "matchen.html", {
        "form": {"vraag": vraag, "plaats": plaats or "", "straal": (straal or "").strip(),
                 "soort": soort or [], "aantal": (aantal or "").strip() or 10},
        "problems": problems,
        "result": result, "kind_names": KIND_NAMES, "kind_label": KIND_LABEL,
        "signal_names": SIGNAL_NAMES,
        "places": place_names(state),
    }, status_code=422 if problems else 200)


def _number(text: str | None, low: int, high: int, message: str,
            problems: list[str]) -> float | None:
    """A number from a form field; None when left empty; a message when it is no number in
    ``low``..``high``."""
    text = (text or "").strip().replace(",", ".")
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        problems.append(message)
        return None
    if not low <= value <= high:
        problems.append(message)
        return None
    return value


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")
