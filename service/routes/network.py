"""The network map, its analytics, the gap matrix and exports for Gephi."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import networkx as nx
from fastapi import APIRouter, Depends, Query, Response

from schakel.errors import UnknownReferenceError
from schakel.graph.gaps import GapMatrix, gap_matrix, nearest
from schakel.graph.model import Role
from schakel.graph.netexport import MEDIA_TYPES, annotated, render
from schakel.graph.network import MAX_DEPTH

from ..auth import Forbidden, StaffDep
from ..deps import AppState, FilterParam, StateDep
from ..network_schemas import BrokerRow, Brokers, GapCell, GapMatrixOut, MapEdge, MapNode, Named
from ..network_schemas import NetworkMap as NetworkMapOut
from ..networks import MAP_CAP, Scope, pseudonym_key, view_analysis, view_graph

router = APIRouter(tags=["network"])

SortKey = Literal["betweenness", "brokerage", "degree", "closeness", "effective_size",
                  "constraint"]
GapKind = Literal["all", "experts", "practices", "communities"]


def get_scope(
    theme: FilterParam = None, region: FilterParam = None, domain: FilterParam = None,
    role: Role | None = None,
    ego: Annotated[str | None, Query(description="Member id: only people within `depth` "
                                     "steps of this member.")] = None,
    depth: Annotated[int, Query(ge=1, le=MAX_DEPTH)] = 1,
    organisations: Annotated[bool, Query(description="Add organisations as nodes.")] = False,
) -> Scope:
    return Scope(theme=theme or None, region=region or None, domain=domain or None, role=role,
                 ego=ego or None, depth=depth, organisations=organisations)


ScopeDep = Annotated[Scope, Depends(get_scope)]


def too_large_message(count: int, cap: int) -> str:
    return (f"Deze weergave heeft {count:,} knopen; de kaart tekent er hoogstens {cap:,}. "
            "Kies een thema, regio, domein of rol, of zoom in op één persoon."
            ).replace(",", ".")


def map_data(state: AppState, scope: Scope, cap: int | None = None) -> dict[str, Any]:
    cap = MAP_CAP if cap is None else cap
    g = view_graph(state, scope)
    base = {"count": len(g), "edge_count": g.number_of_edges(), "cap": cap}
    if len(g) > cap:
        return {**base, "shown": False, "message": too_large_message(len(g), cap),
                "nodes": [], "edges": [], "communities": 0, "method": {}, "timings": {}}
    a = view_analysis(state, scope)
    bridges = {frozenset(e) for e in a.bridges}
    nodes = []
    for v, d in g.nodes(data=True):
        row = a.row(v)
        nodes.append(MapNode(
            id=v, kind=d["kind"], name=d["name"], domain=d["domain"],
            gemeente=d["gemeente_name"], roles=d["roles"], community=row["community"],
            articulation_point=row["articulation_point"], degree=row["degree"],
            betweenness=row["betweenness"], closeness=row["closeness"],
            constraint=row.get("constraint"), effective_size=row.get("effective_size"),
            brokerage=row["brokerage"]))
    edges = [MapEdge(source=u, target=v, context=d.get("context", "anders"),
                     bridge=frozenset((u, v)) in bridges) for u, v, d in g.edges(data=True)]
    message = None if nodes else "Geen leden gevonden bij deze keuze."
    return {**base, "shown": True, "message": message, "nodes": nodes, "edges": edges,
            "communities": len(set(a.communities.values())), "method": a.method,
            "timings": a.timings}


@router.get("/map", response_model=NetworkMapOut)
def network_map(state: StateDep, scope: ScopeDep) -> dict[str, Any]:
    """Members who know each other (KNOWS, undirected) in one view, with their metrics.

    Views with more than 2,000 nodes are not drawn: `shown` is false and `message` asks to
    filter. Only members visible to members appear."""
    return map_data(state, scope)


def broker_rows(state: AppState, scope: Scope, sort: str, limit: int) -> dict[str, Any]:
    g = view_graph(state, scope)
    a = view_analysis(state, scope)
    people = [v for v, d in g.nodes(data=True) if d["kind"] == "lid"]
    if sort == "constraint":  # low constraint = many structural holes: best brokers first
        people.sort(key=lambda v: (a.metrics["constraint"].get(v, 1.0), v))
    else:
        people.sort(key=lambda v: (-a.metrics[sort].get(v, 0.0), v))
    rows = []
    for v in people[:limit]:
        d, r = g.nodes[v], a.row(v)
        rows.append(BrokerRow(
            id=v, name=d["name"], domain=d["domain"], gemeente=d["gemeente_name"],
            degree=r["degree"], betweenness=r["betweenness"], closeness=r["closeness"],
            constraint=r.get("constraint"), effective_size=r.get("effective_size"),
            brokerage=r["brokerage"], roles=r["roles"], community=r["community"],
            articulation_point=r["articulation_point"]))
    return {"count": len(people), "sort": sort, "data": rows, "method": a.method}


@router.get("/analytics/brokers", response_model=Brokers)
def brokers(state: StateDep, scope: ScopeDep, sort: SortKey = "betweenness",
            limit: Annotated[int, Query(ge=1, le=500)] = 50) -> dict[str, Any]:
    """Who connects the network: members ranked by a metric, with their Gould–Fernandez
    brokerage roles between domains (coordinator, gatekeeper, representative, consultant,
    liaison). `constraint` ranks the lowest (most structural holes) first."""
    return broker_rows(state, scope, sort, limit)


def gaps_of(state: AppState, level: str, within: str | None) -> GapMatrix:
    place = None
    if within:
        place = state.gazetteer.find(within)
        if place is None:
            raise UnknownReferenceError("within", within, "plaats of regio")
    key = f"gaps:{level}:{place.id if place else ''}"
    return state.cached(key, lambda: gap_matrix(
        state.store.snapshot(), state.gazetteer, state.visible_members(), level=level,
        within=place))


def gap_out(m: GapMatrix, kind: str) -> dict[str, Any]:
    cells = [[GapCell(**m.cell(t, p), gap=m.is_gap(t, p, kind)) for p, _ in m.places]
             for t, _ in m.themes]
    return {"level": m.level, "kind": kind,
            "themes": [Named(id=i, name=n) for i, n in m.themes],
            "places": [Named(id=i, name=n) for i, n in m.places], "cells": cells,
            "gaps": sum(c.gap for row in cells for c in row),
            "national_practices": m.national_practices}


@router.get("/analytics/gaps", response_model=GapMatrixOut)
def gaps(state: StateDep, level: Literal["gemeente", "regio", "provincie"] = "provincie",
         within: Annotated[str | None, Query(description="Only places inside this place "
                                             "(say a provincie).")] = None,
         kind: GapKind = "all") -> dict[str, Any]:
    """Theme × place: visible experts, practice examples and communities per cell. A cell
    with none of `kind` (all: none of the three) is a gap."""
    return gap_out(gaps_of(state, level, within), kind)


@router.get("/analytics/gaps/nearest")
def gap_nearest(state: StateDep, theme: Annotated[str, Query(description="Theme id or name.")],
                place: Annotated[str, Query(description="Gemeente, region or provincie.")],
                limit: Annotated[int, Query(ge=1, le=50)] = 5) -> dict[str, Any]:
    """The drill-down of one cell: the nearest experts, other members, practice examples and
    communities for the theme, nearest first (km between centroids)."""
    theme_id = state.filters.theme(theme)
    where = state.filters.region(place)
    found = nearest(state.store.snapshot(), state.gazetteer, state.visible_members(),
                    theme_id, where, limit=limit)
    return {"theme": theme_id, "place": {"id": where.id, "name": where.name}, **found}


@router.get("/export", response_class=Response,
            responses={200: {"content": {t: {} for t in MEDIA_TYPES.values()}}})
def export(state: StateDep, scope: ScopeDep, who: StaffDep,
           format: Literal["gexf", "graphml", "json"] = "gexf",
           pseudonymise: Annotated[bool | None, Query(
               description="Stable pseudonyms instead of names and ids; organisations left "
                           "out. Default: names for admins, pseudonyms for staff.")] = None,
           metrics: Annotated[bool, Query(description="Add the metrics as attributes.")] = True,
           ) -> Response:
    """One view of the network for Gephi (GEXF, GraphML) or scripts (JSON nodes/links).
    Only members visible to members are in it. Role: staff, with pseudonyms; names only for
    admins (an export leaves Schakel)."""
    if pseudonymise is None:
        pseudonymise = not who.can("admin")
    if not pseudonymise and not who.can("admin"):
        raise Forbidden("admin")
    state.access.audit(who.user, "netwerk geexporteerd", "*",
                       f"{format}, {'pseudoniemen' if pseudonymise else 'namen'}")
    g = view_graph(state, scope)
    a = view_analysis(state, scope) if metrics else None
    key = pseudonym_key(state.settings, state.access) if pseudonymise else None
    body = render(annotated(nx.Graph(g), a, pseudonymise_key=key), format)
    name = f"schakel-netwerk.{format}"
    return Response(body, media_type=MEDIA_TYPES[format],
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
