"""Dutch pages about the network as a whole: the map, the gap matrix and the brokers table."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from schakel.errors import AnalyticsPendingError
from schakel.graph.gaps import KINDS, LEVELS
from schakel.graph.model import Domain

from ..application.network import age_line, broker_rows, gap_nearest, gap_out, gaps_of
from ..deps import StateDep
from ..networks import MAP_CAP, Scope, network_views
from .pages import ROLE_NAMES, Text, _choices, _clean, one_of, templates

router = APIRouter(include_in_schema=False)

BROKER_ROLE_NAMES = {
    "coordinator": ("coördinator", "verbindt twee mensen uit de eigen sector"),
    "gatekeeper": ("poortwachter", "laat iemand van buiten binnen in de eigen sector"),
    "representative": ("vertegenwoordiger", "brengt de eigen sector naar iemand van buiten"),
    "consultant": ("consulent", "verbindt twee mensen uit één andere sector"),
    "liaison": ("bruggenbouwer", "verbindt twee mensen uit twee andere sectoren"),
}
SORT_NAMES = {
    "betweenness": "tussenpositie", "brokerage": "makelaarsrollen (totaal)",
    "degree": "aantal contacten", "effective_size": "effectieve netwerkgrootte",
    "constraint": "minste beperking", "closeness": "nabijheid",
}
SIZE_NAMES = {
    "degree": "aantal contacten", "betweenness": "tussenpositie", "closeness": "nabijheid",
    "effective_size": "effectieve netwerkgrootte", "brokerage": "makelaarsrollen",
}
LEVEL_NAMES = {"gemeente": "gemeente", "regio": "regio", "provincie": "provincie"}
KIND_NAMES = {"all": "alles (experts, voorbeelden en groepen)", "experts": "experts",
              "practices": "praktijkvoorbeelden", "communities": "groepen"}
templates.env.globals["broker_role_names"] = BROKER_ROLE_NAMES
# Above this many members even the compiled analytics take minutes (100,000: seconds, see
# the README): the page asks for a filter instead; the API still computes.
PAGE_ANALYSIS_CAP = 500_000


def _domains(state: StateDep) -> list[dict[str, str]]:
    found = [d for d in state.store.find("Domain") if isinstance(d, Domain)]
    return [{"id": d.id, "name": d.name} for d in found]


@router.get("/kaart", response_class=HTMLResponse)
def map_page(request: Request, state: StateDep) -> HTMLResponse:
    """The shell of the map; kaart.js reads the URL, asks /api/v1/map and draws."""
    q = request.query_params
    return templates.TemplateResponse(request, "kaart.html", {
        "filters": {k: q.get(k, "") for k in ("thema", "plaats", "domein", "rol", "ego",
                                              "diepte", "kleur", "grootte", "zoek",
                                              "organisaties", "geen_ontmoet")},
        "places": [p.name for p in state.gazetteer.places() if p.kind != "land"],
        "domain_list": _domains(state), "size_names": SIZE_NAMES, "cap": MAP_CAP,
        **_choices(state),
    })


def _heat(value: int, top: int) -> int:
    """0 for a gap, else 1..4 by share of the row's largest value."""
    if value <= 0:
        return 0
    return min(4, 1 + int(3 * value / max(top, 1)))


@router.get("/kaart/witte-vlekken", response_class=HTMLResponse)
def gaps_page(request: Request, state: StateDep, niveau: Text = None, binnen: Text = None,
              soort: Text = None, thema: Text = None, plaats: Text = None) -> HTMLResponse:
    level = one_of(niveau, LEVELS, "niveau", "indeling") or "provincie"
    kind = one_of(soort, (*KINDS, "all"), "soort", "soort") or "all"
    within = _clean(binnen)
    provincies = state.gazetteer.places("provincie")
    matrix: dict[str, Any] | None = None
    rows: list[dict[str, Any]] = []
    views = network_views(state)
    if level != "gemeente" or within:
        matrix = gap_out(gaps_of(views, level, within), kind)
        for theme, cells in zip(matrix["themes"], matrix["cells"], strict=True):
            values = [sum(getattr(c, k) for k in (KINDS if kind == "all" else (kind,)))
                      for c in cells]
            top = max(values, default=0)
            rows.append({"theme": theme, "cells": [
                {"value": v, "heat": _heat(v, top), "cell": c, "place": p}
                for v, c, p in zip(values, cells, matrix["places"], strict=True)]})
    # The themes with the most white spots, for the chart above the matrix.
    gap_rows = sorted(((r["theme"].name, sum(c["cell"].gap for c in r["cells"])) for r in rows),
                      key=lambda g: -g[1])[:15]
    drill = None
    if thema and plaats:
        drill = gap_nearest(views, thema, plaats, limit=5)
        theme_node = state.store.get(drill["theme"])
        drill["theme_name"] = getattr(theme_node, "name", drill["theme"])
    base = {"niveau": level, "binnen": within or "", "soort": kind}
    return templates.TemplateResponse(request, "witte_vlekken.html", {
        "matrix": matrix, "rows": rows, "drill": drill, "filters": base,
        "gap_rows": [g for g in gap_rows if g[1]],
        "age": age_line(matrix["computed_at"], matrix["stale"]) if matrix else "",
        "level_names": LEVEL_NAMES, "kind_names": KIND_NAMES, "provincies": provincies,
        "cell_link": lambda t, p: "?" + urlencode({**base, "thema": t, "plaats": p}),
    })


@router.get("/kaart/makelaars", response_class=HTMLResponse)
def brokers_page(request: Request, state: StateDep, thema: Text = None, plaats: Text = None,
                 domein: Text = None, rol: Text = None, sorteer: Text = None,
                 aantal: Annotated[int, Query(ge=1, le=500)] = 50) -> HTMLResponse:
    thema, plaats, domein = _clean(thema), _clean(plaats), _clean(domein)
    role = one_of(rol, ROLE_NAMES, "rol", "rol")
    sort = one_of(sorteer, SORT_NAMES, "sorteer", "sortering") or "betweenness"
    scope = Scope(theme=thema, region=plaats, domain=domein, role=role)
    views = network_views(state)
    size, _ = views.size(scope)
    too_large = None
    if size > PAGE_ANALYSIS_CAP:
        too_large = (f"Deze weergave heeft {size:,} leden; de berekening duurt dan minuten. "
                     "Kies een thema, regio, domein of rol.").replace(",", ".")
        result = {"count": size, "sort": sort, "data": [], "method": {},
                  "computed_at": None, "stale": False}
    else:
        try:
            result = broker_rows(views, scope, sort, aantal)
        except AnalyticsPendingError as e:  # the page never waits: it says so and stays usable
            too_large = str(e)
            result = {"count": size, "sort": sort, "data": [], "method": {},
                      "computed_at": None, "stale": False}
    domain_names = {d["id"]: d["name"] for d in _domains(state)}
    return templates.TemplateResponse(request, "makelaars.html", {
        "result": result, "too_large": too_large,
        "age": age_line(result["computed_at"], result["stale"]),
        "filters": {"thema": thema, "plaats": plaats, "domein": domein, "rol": role,
                    "sorteer": sort},
        "sort_names": SORT_NAMES, "domain_names": domain_names,
        "places": [p.name for p in state.gazetteer.places() if p.kind != "land"],
        **_choices(state),
    })
