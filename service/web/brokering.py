"""Dutch staff pages for matchen en makelen: the queue, a question with its slate and
introductions, and the numbers. Every form is a plain POST followed by a redirect, so the
pages work without JavaScript."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from schakel.graph.model import QUESTION_STATUSES
from schakel.matching.brokering import ACTION_NL, OUTCOMES

from ..application import brokering, notices
from ..application.directory import place_names, theme_groups
from ..auth import StaffDep
from ..deps import BrokerDep, StateDep
from .matching import SIGNAL_NAMES
from .pages import one_of, templates

router = APIRouter(include_in_schema=False)

KIND_NL = {"member": "lid", "expert": "expert", "ambassador": "ambassadeur", "region": "regio",
           "practice": "praktijkvoorbeeld", "community": "community"}
QUESTION_KINDS = ("leervraag", "hulpvraag", "ontwikkelvraag")
Note = Annotated[str, Form(max_length=2000)]


def _back(question_id: str, anchor: str = "") -> RedirectResponse:
    return RedirectResponse(f"/makelen/vragen/{question_id}" + (f"#{anchor}" if anchor else ""),
                            status_code=303)


@router.get("/makelen", response_class=HTMLResponse)
def queue_page(request: Request, broker: BrokerDep, state: StateDep, _who: StaffDep,
               status: Annotated[str | None, Query(max_length=40)] = None) -> HTMLResponse:
    status = one_of(status, QUESTION_STATUSES, "status", "stand")
    shown, counts = brokering.queue_by_status(broker, status)
    return templates.TemplateResponse(request, "makelen.html", {
        "questions": shown, "status": status, "statuses": QUESTION_STATUSES,
        "counts": counts, "kinds": QUESTION_KINDS, "places": place_names(state),
    })


@router.post("/makelen/vragen")
def ask(broker: BrokerDep, who: StaffDep,
        tekst: Annotated[str, Form(max_length=5000)],
        vrager: Annotated[str, Form(max_length=200)],
        soort: Annotated[str, Form(max_length=40)] = "leervraag",
        plaats: Annotated[str, Form(max_length=100)] = "",
        eigen_organisatie: Annotated[str, Form(max_length=10)] = "") -> RedirectResponse:
    q = broker.ask(tekst, vrager.strip(), who.user, kind=soort, place=plaats.strip() or None,
                   own_organisation=bool(eigen_organisatie))
    return _back(q.id)


@router.get("/makelen/vragen/{question_id}", response_class=HTMLResponse)
def question_page(request: Request, question_id: str, broker: BrokerDep, state: StateDep,
                  _who: StaffDep) -> HTMLResponse:
    slate = broker.slate(question_id)
    return templates.TemplateResponse(request, "makelen_vraag.html", {
        "q": slate.question, "candidates": slate.candidates, "notices": slate.notices,
        "starts": {n.theme.id: notices.start_options(state, n) for n in slate.notices},
        "start_kinds": notices.KINDS,
        "theme_groups": theme_groups(state), "chosen": {t.id for t in slate.question.themes},
        "statuses": QUESTION_STATUSES, "kind_nl": KIND_NL, "action_nl": ACTION_NL,
        "outcomes": OUTCOMES, "signal_names": SIGNAL_NAMES,
    })


@router.post("/makelen/vragen/{question_id}/voorstel")
def build_slate(question_id: str, broker: BrokerDep, who: StaffDep) -> RedirectResponse:
    broker.build_slate(question_id, who.user)
    return _back(question_id, "voorstel")


@router.post("/makelen/vragen/{question_id}/themas")
def set_themes(question_id: str, broker: BrokerDep, who: StaffDep,
               thema: Annotated[list[str] | None, Form(max_length=20)] = None,
               notitie: Note = "") -> RedirectResponse:
    broker.set_themes(question_id, thema or [], who.user, notitie)
    return _back(question_id)


@router.post("/makelen/vragen/{question_id}/status")
def set_status(question_id: str, broker: BrokerDep, who: StaffDep,
               status: Annotated[str, Form(max_length=40)], notitie: Note = ""
               ) -> RedirectResponse:
    broker.set_status(question_id, status, who.user, notitie)
    return _back(question_id)


@router.post("/makelen/vragen/{question_id}/notitie")
def add_note(question_id: str, broker: BrokerDep, who: StaffDep,
             notitie: Annotated[str, Form(min_length=1, max_length=2000)]) -> RedirectResponse:
    broker.note(question_id, notitie, who.user)
    return _back(question_id, "geschiedenis")


@router.post("/makelen/vragen/{question_id}/kandidaat")
def add_candidate(question_id: str, broker: BrokerDep, who: StaffDep,
                  kandidaat: Annotated[str, Form(max_length=200)],
                  notitie: Note = "") -> RedirectResponse:
    view = broker.add_candidate(question_id, kandidaat.strip(), who.user, notitie)
    return _back(question_id, view.id)


@router.post("/makelen/introducties/{introduction_id}")
def act(introduction_id: str, state: StateDep, who: StaffDep,
        actie: Annotated[str, Form(max_length=40)], notitie: Note = "",
        uitkomst: Annotated[str, Form(max_length=40)] = "") -> RedirectResponse:
    view = brokering.act(state, who, introduction_id, actie, note=notitie,
                         outcome=uitkomst or None)
    return _back(view.question, view.id)


@router.get("/makelen/cijfers", response_class=HTMLResponse)
def metrics_page(request: Request, state: StateDep, _who: StaffDep) -> HTMLResponse:
    m = brokering.metrics(state)
    return templates.TemplateResponse(request, "makelen_cijfers.html", {
        "m": m, "names": brokering.most_asked_names(state, m.most_asked),
        "region_rates": [(name, r.acceptance_rate) for name, r in m.per_region.items()]})


@router.post("/makelen/vragen/{question_id}/starten")
def start_group(question_id: str, state: StateDep, who: StaffDep,
                thema: Annotated[str, Form(max_length=200)],
                soort: Annotated[str, Form(max_length=40)] = "cop",
                naam: Annotated[str, Form(max_length=300)] = "") -> RedirectResponse:
    """The notice "asked in 3 or more regions" starts a group with the askers invited."""
    done = notices.start_group(state, who, question_id, thema, soort, naam)
    return RedirectResponse(f"/community/{done.community}?uitgenodigd={len(done.invited)}"
                            f"&niet={done.left_out}", status_code=303)
