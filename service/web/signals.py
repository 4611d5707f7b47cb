"""Dutch pages for signaleren en agenderen: members raise, recognise and follow signals on
/mijn-signalen; staff work the board by step (/signalen), one signal, and a table's agenda.
Every form is a plain POST followed by a redirect, so the pages work without JavaScript."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response

from schakel.errors import (
    CandidateRefusedError,
    InvalidQueryError,
    NodeNotFoundError,
    TransitionError,
    UnknownReferenceError,
)
from schakel.graph.model import INSTRUMENTS, OPTIONS, Signal
from schakel.matching.signals import ACTION_NL, STEP_HELP, STEP_NL

from ..application import signals as uc
from ..application.directory import place_names
from ..application.signal_brief import SHOWN, bars, brief, markdown
from ..auth import MemberDep, StaffDep
from ..deps import StateDep
from .pages import templates

member_router = APIRouter(include_in_schema=False)
staff_router = APIRouter(include_in_schema=False)
# /signalen/clusters/... before /signalen/{signal_id}: the app includes this router first
cluster_router = APIRouter(include_in_schema=False)

URGENCIES = {"": "weet ik niet", "laag": "laag", "gemiddeld": "gemiddeld", "hoog": "hoog"}
# What a form field may hold (the model's limits); longer input gets a Dutch message.
LIMITS = {"titel": 300, "uitleg": 5000, "tekst": 5000, "plaats": 100, "toelichting": 1000,
          "notitie": 2000, "oorzaken": 5000, "gedeeld": 2000, "terugkoppeling": 5000, "vrager": 200}
FIELD_NL = {"titel": "De titel", "uitleg": "De uitleg", "tekst": "Het signaal",
            "plaats": "De plaats", "toelichting": "De toelichting",
            "notitie": "De notitie", "oorzaken": "De oorzaken", "gedeeld": "Hoe gedeeld",
            "terugkoppeling": "De terugkoppeling", "vrager": "Ingebracht door"}
Field = Annotated[str, Form(max_length=20000)]  # a hard cap; the real limits are LIMITS


def _too_long(form: dict[str, str]) -> list[str]:
    return [f"{FIELD_NL[k]} is te lang: hoogstens {LIMITS[k]} tekens."
            for k, v in form.items() if k in LIMITS and len(v) > LIMITS[k]]


# -- members ---------------------------------------------------------------------------------

def _mine(request: Request, state: StateDep, who: MemberDep, status: int = 200,
          problems: list[str] | None = None, form: dict[str, str] | None = None
          ) -> HTMLResponse:
    return templates.TemplateResponse(request, "mijn_signalen.html", {
        "signals": uc.my_signals(state, who), "others": uc.recognisable(state, who),
        "urgencies": URGENCIES, "places": place_names(state), "limits": LIMITS,
        "problems": problems or [], "form": form or {}, "calls": uc.open_calls(state),
    }, status_code=status)


@member_router.get("/mijn-signalen", response_class=HTMLResponse)
def my_page(request: Request, state: StateDep, who: MemberDep) -> HTMLResponse:
    return _mine(request, state, who)


@member_router.post("/mijn-signalen", response_class=HTMLResponse)
def submit(request: Request, state: StateDep, who: MemberDep, tekst: Field = "",
           plaats: Field = "", urgentie: Field = "", anoniem: Field = "",
           uitvraag: Field = "") -> Response:
    form = {"tekst": tekst, "plaats": plaats, "urgentie": urgentie, "anoniem": anoniem,
            "uitvraag": uitvraag}
    problems = _too_long(form)
    if len(tekst.strip()) < 3:
        problems.append("Beschrijf in een paar woorden waar u tegenaan loopt.")
    if urgentie not in URGENCIES:
        problems.append("Kies hoe dringend het is.")
    if problems:
        return _mine(request, state, who, 422, problems, form)
    try:
        view = uc.submit_as_member(state, who, tekst, place=plaats.strip() or None,
                                   urgency=urgentie, anonymous=bool(anoniem),
                                   call=uitvraag.strip() or None)
    except (InvalidQueryError, UnknownReferenceError) as e:
        return _mine(request, state, who, 422, [str(e)], form)
    anchor = "" if anoniem else f"#{view.id}"
    return RedirectResponse(f"/mijn-signalen?ingebracht={'anoniem' if anoniem else '1'}"
                            + anchor, status_code=303)


@member_router.post("/mijn-signalen/herken/{signal_id}", response_class=HTMLResponse)
def recognise(request: Request, signal_id: str, state: StateDep, who: MemberDep,
              toelichting: Field = "", weg: Field = "") -> Response:
    problems = _too_long({"toelichting": toelichting})
    if problems:
        return _mine(request, state, who, 422, problems)
    if weg:
        uc.unrecognise(state, who, signal_id)
    else:
        uc.recognise(state, who, signal_id, toelichting)
    return RedirectResponse(f"/mijn-signalen#herken-{signal_id}", status_code=303)


# -- staff -----------------------------------------------------------------------------------

def _board(request: Request, state: StateDep, status: int = 200,
           problems: list[str] | None = None) -> HTMLResponse:
    return templates.TemplateResponse(request, "signalen.html", {
        "board": uc.board(state), "steps": STEP_NL, "help": STEP_HELP, "actions": ACTION_NL,
        "places": place_names(state), "urgencies": URGENCIES, "problems": problems or [],
        "limits": LIMITS, "tables": uc.tables(state),
    }, status_code=status)


@staff_router.get("/signalen", response_class=HTMLResponse)
def board_page(request: Request, state: StateDep, _who: StaffDep) -> HTMLResponse:
    return _board(request, state)


@staff_router.post("/signalen", response_class=HTMLResponse)
def take_in(request: Request, state: StateDep, who: StaffDep, tekst: Field = "",
            vrager: Field = "", plaats: Field = "", urgentie: Field = "",
            kanaal: Field = "gesprek") -> Response:
    problems = _too_long({"tekst": tekst, "vrager": vrager, "plaats": plaats})
    if len(tekst.strip()) < 3:
        problems.append("Beschrijf het knelpunt in een paar woorden.")
    if urgentie not in URGENCIES:
        problems.append("Kies hoe dringend het is.")
    if problems:
        return _board(request, state, 422, problems)
    try:
        sid = uc.submit_as_staff(state, who, tekst, raised_by=vrager.strip() or None,
                                 channel=kanaal, urgency=urgentie,
                                 place=plaats.strip() or None)
    except (InvalidQueryError, UnknownReferenceError) as e:
        return _board(request, state, 422, [str(e)])
    return RedirectResponse(f"/signalen/{sid}", status_code=303)


def _signal(request: Request, state: StateDep, who: StaffDep, signal_id: str,
            status: int = 200, problems: list[str] | None = None) -> HTMLResponse:
    view = uc.signal_for(state, who, signal_id)
    deepen = 3 <= view.step <= 5
    return templates.TemplateResponse(request, "signaal.html", {
        "s": view, "actions": ACTION_NL,
        "suggested": uc.suggestions(state, signal_id).results if deepen else [],
        "invited": uc.invitations(state, signal_id),
        "cluster": uc.cluster_for(state, signal_id),
        "tables": uc.tables(state), "instruments": INSTRUMENTS, "options": OPTIONS,
        "problems": problems or [], "limits": LIMITS,
    }, status_code=status)


@staff_router.get("/signalen/{signal_id}", response_class=HTMLResponse)
def signal_page(request: Request, signal_id: str, state: StateDep,
                who: StaffDep) -> HTMLResponse:
    return _signal(request, state, who, signal_id)


@staff_router.post("/signalen/{signal_id}/stap", response_class=HTMLResponse)
def step(request: Request, signal_id: str, state: StateDep, who: StaffDep,
         actie: Field = "", notitie: Field = "", oorzaken: Field = "", gedeeld: Field = "",
         tafel: Field = "", datum: Field = "", instrument: Field = "",
         handelingsoptie: Field = "", terugkoppeling: Field = "",
         terug: Field = "") -> Response:
    problems = _too_long({"notitie": notitie, "oorzaken": oorzaken, "gedeeld": gedeeld,
                          "terugkoppeling": terugkoppeling})
    if problems:
        return _signal(request, state, who, signal_id, 422, problems)
    try:
        uc.act(state, who, signal_id, actie, note=notitie, causes=oorzaken, shared=gedeeld,
               table=tafel, date=datum, instrument=instrument, option=handelingsoptie,
               feedback=terugkoppeling)
    except TransitionError as e:
        return _signal(request, state, who, signal_id, 409, [str(e)])
    except (InvalidQueryError, UnknownReferenceError) as e:
        return _signal(request, state, who, signal_id, 422, [str(e)])
    if terug == "bord":
        return RedirectResponse(f"/signalen#{signal_id}", status_code=303)
    return RedirectResponse(f"/signalen/{signal_id}", status_code=303)


@staff_router.get("/signalen/tafels/{table_id}", response_class=HTMLResponse)
def agenda_page(request: Request, table_id: str, state: StateDep,
                _who: StaffDep) -> HTMLResponse:
    table, rows = uc.table_agenda(state, table_id)
    return templates.TemplateResponse(request, "tafel.html", {
        "table": table, "rows": rows, "steps": STEP_NL, "tables": uc.tables(state)})


# -- clusters and the brief ------------------------------------------------------------------

def _clusters(request: Request, state: StateDep, status: int = 200,
              problems: list[str] | None = None) -> HTMLResponse:
    found, loose = uc.signal_clusters(state)
    return templates.TemplateResponse(request, "signaal_clusters.html", {
        "clusters": found, "loose": loose, "problems": problems or []}, status_code=status)


@cluster_router.post("/signalen/clusters/samenvoegen", response_class=HTMLResponse)
async def merge(request: Request, state: StateDep, who: StaffDep) -> Response:
    form = await request.form()
    keys = [str(k)[:200] for k in form.getlist("cluster")][:50]
    try:
        key = uc.merge_clusters(state, who, keys)
    except InvalidQueryError as e:
        return _clusters(request, state, 422, [str(e)])
    return RedirectResponse(f"/signalen/clusters/{key}", status_code=303)


@cluster_router.get("/signalen/clusters", response_class=HTMLResponse)
def clusters_page(request: Request, state: StateDep, _who: StaffDep) -> HTMLResponse:
    return _clusters(request, state)


@cluster_router.get("/signalen/clusters/{cluster_id}", response_class=HTMLResponse)
def cluster_page(request: Request, cluster_id: str, state: StateDep,
                 _who: StaffDep) -> HTMLResponse:
    return _cluster(request, state, cluster_id)


def _cluster(request: Request, state: StateDep, cluster_id: str, status: int = 200,
             problems: list[str] | None = None) -> HTMLResponse:
    group = uc.cluster_for(state, cluster_id)
    desk = uc.make_desk(state)
    views = desk.views([s for s in desk.store.get_many(group.signals)
                        if isinstance(s, Signal)], "staff")
    return templates.TemplateResponse(request, "signaal_cluster.html", {
        "c": group, "signals": views, "steps": STEP_NL, "problems": problems or []},
        status_code=status)


@cluster_router.post("/signalen/clusters/{cluster_id}/splitsen", response_class=HTMLResponse)
async def split(request: Request, cluster_id: str, state: StateDep, who: StaffDep) -> Response:
    form = await request.form()
    chosen = [str(s)[:200] for s in form.getlist("signaal")][:500]
    try:
        rest, _apart = uc.split_cluster(state, who, cluster_id, chosen)
    except InvalidQueryError as e:
        return _cluster(request, state, cluster_id, 422, [str(e)])
    return RedirectResponse(f"/signalen/clusters/{rest}", status_code=303)


@cluster_router.post("/signalen/clusters/{cluster_id}/loslaten")
def release(cluster_id: str, state: StateDep, who: StaffDep) -> RedirectResponse:
    uc.release_cluster(state, who, cluster_id)
    return RedirectResponse("/signalen/clusters", status_code=303)


@cluster_router.get("/signalen/clusters/{cluster_id}/brief", response_class=HTMLResponse)
def brief_page(request: Request, cluster_id: str, state: StateDep,
               _who: StaffDep) -> HTMLResponse:
    b = brief(state, cluster_id)
    top = max(b.regions.values(), default=0) or 1
    regions = [(label, n, round(230 * n / top)) for label, n in b.regions.items()]
    return templates.TemplateResponse(request, "signaal_brief.html", {
        "b": b, "regions": regions, "weeks": bars(b.weekly), "shown": SHOWN})


@cluster_router.get("/signalen/clusters/{cluster_id}/brief.md")
def brief_md(cluster_id: str, state: StateDep, _who: StaffDep) -> PlainTextResponse:
    return PlainTextResponse(markdown(brief(state, cluster_id)),
                             media_type="text/markdown; charset=utf-8", headers={
                                 "Content-Disposition": f'attachment; filename="agendabrief-'
                                                        f'{cluster_id}.md"'})


# -- verdiepen -------------------------------------------------------------------------------

@staff_router.post("/signalen/{signal_id}/uitnodigen", response_class=HTMLResponse)
def invite(request: Request, signal_id: str, state: StateDep, who: StaffDep,
           kandidaat: Field = "", notitie: Field = "") -> Response:
    problems = _too_long({"notitie": notitie})
    if problems:
        return _signal(request, state, who, signal_id, 422, problems)
    try:
        uc.invite(state, who, signal_id, kandidaat.strip(), notitie)
    except (CandidateRefusedError, InvalidQueryError, UnknownReferenceError) as e:
        return _signal(request, state, who, signal_id, 409 if isinstance(
            e, CandidateRefusedError) else 422, [str(e)])
    return RedirectResponse(f"/signalen/{signal_id}#verdiepen-met", status_code=303)


# -- calls (uitvragen, step 01) ----------------------------------------------------------------

def _calls(request: Request, state: StateDep, status: int = 200,
           problems: list[str] | None = None, form: dict[str, str] | None = None
           ) -> HTMLResponse:
    return templates.TemplateResponse(request, "uitvragen.html", {
        "calls": uc.calls(state), "problems": problems or [], "form": form or {},
        "limits": LIMITS}, status_code=status)


@cluster_router.get("/signalen/uitvragen", response_class=HTMLResponse)
def calls_page(request: Request, state: StateDep, _who: StaffDep) -> HTMLResponse:
    return _calls(request, state)


@cluster_router.post("/signalen/uitvragen", response_class=HTMLResponse)
def put_out(request: Request, state: StateDep, who: StaffDep, titel: Field = "",
            uitleg: Field = "", soort: Field = "open", opent: Field = "", sluit: Field = "",
            signaal: Field = "") -> Response:
    form = {"titel": titel, "uitleg": uitleg, "soort": soort, "opent": opent, "sluit": sluit,
            "signaal": signaal}
    problems = _too_long({"titel": titel, "uitleg": uitleg})
    if problems:
        return _calls(request, state, 422, problems, form)
    try:
        uc.put_out_call(state, who, titel, text=uitleg, kind=soort, opens=opent, closes=sluit,
                        follows_up=signaal.strip() or None)
    except (InvalidQueryError, UnknownReferenceError) as e:
        return _calls(request, state, 422, [str(e)], form)
    except NodeNotFoundError:
        return _calls(request, state, 422, [f"Er is geen signaal {signaal.strip()!r}."], form)
    return RedirectResponse("/signalen/uitvragen", status_code=303)
