"""Use cases of the network map: the map, brokers, the gap matrix, its drill-down, exports.

The API routes and the pages call these; they hold no FastAPI. Each takes the context (or
its :class:`~schakel.service.networks.NetworkViews`) and plain values. Every answer with metrics
says when they were computed and whether writes came since (``computed_at``, ``stale``):
analytics are served stale-while-revalidate by :class:`~schakel.service.networks.NetworkViews`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import networkx as nx

from schakel.errors import UnknownReferenceError
from schakel.graph.analytics import Analysis
from schakel.graph.gaps import GapMatrix, nearest
from schakel.graph.netexport import annotated, render

from ..network_schemas import BrokerRow, GapCell, MapEdge, MapNode, Named
from ..networks import MAP_CAP, Computed, NetworkViews, Scope, network_views

__all__ = ["map_data", "broker_rows", "gaps_of", "gap_out", "gap_nearest", "export_view",
           "too_large_message", "age_line"]

try:
    LOCAL = ZoneInfo("Europe/Amsterdam")
except (KeyError, ValueError, OSError):  # no tz database: show UTC rather than fail
    LOCAL = UTC  # type: ignore[assignment]


def too_large_message(count: int, cap: int) -> str:
    return (f"Deze weergave heeft {count:,} knopen; de kaart tekent er hoogstens {cap:,}. "
            "Kies een thema, regio, domein of rol, of zoom in op één persoon."
            ).replace(",", ".")


def age_line(computed_at: datetime | None, stale: bool, now: datetime | None = None) -> str:
    """The Dutch line pages show under computed numbers.

    >>> t = datetime(2026, 12, 3, 9, 42, tzinfo=UTC)
    >>> age_line(t, True, t.replace(minute=45))
    'Berekend om 10:42 (3 minuten geleden); wordt bijgewerkt.'
    >>> age_line(t, False, t)
    'Berekend om 10:42 (zojuist).'
    """
    if computed_at is None:
        return ""
    now = now or datetime.now(UTC)
    minutes = int((now - computed_at).total_seconds() // 60)
    ago = "zojuist" if minutes < 1 else "1 minuut geleden" if minutes == 1 \
        else f"{minutes} minuten geleden"
    line = f"Berekend om {computed_at.astimezone(LOCAL):%H:%M} ({ago})"
    return line + ("; wordt bijgewerkt." if stale else ".")


def _views(ctx: Any) -> NetworkViews:
    """The network read model of a context (AppState), or the one passed in."""
    return ctx if isinstance(ctx, NetworkViews) else network_views(ctx)


def _row(a: Analysis, g: nx.Graph, v: str) -> dict[str, Any]:
    """A node's numbers; a node newer than a stale analysis gets its degree and zeros."""
    row = a.row(v)
    row.setdefault("degree", float(g.degree(v)))
    for metric in ("betweenness", "closeness", "brokerage"):
        row.setdefault(metric, 0.0)
    return row


def _age(result: Computed[Any] | None) -> dict[str, Any]:
    return result.age() if result is not None else {"computed_at": None, "stale": False}


def map_data(ctx: Any, scope: Scope, cap: int | None = None) -> dict[str, Any]:
    """The map of one scope with its metrics; a view above ``cap`` nodes is counted, not
    drawn (nor analysed)."""
    views = _views(ctx)
    cap = MAP_CAP if cap is None else cap
    count, edge_count = views.size(scope)
    base = {"count": count, "edge_count": edge_count, "cap": cap}
    if count > cap:
        return {**base, "shown": False, "message": too_large_message(count, cap),
                "nodes": [], "edges": [], "communities": 0, "method": {}, "timings": {},
                **_age(None)}
    g = views.view(scope)
    result = views.analysis(scope)
    a = result.value
    bridges = {frozenset(e) for e in a.bridges}
    nodes = []
    for v, d in g.nodes(data=True):
        row = _row(a, g, v)
        nodes.append(MapNode(
            id=v, kind=d["kind"], name=d["name"], domain=d["domain"],
            gemeente=d["gemeente_name"], roles=d["roles"], community=row["community"],
            articulation_point=row["articulation_point"], degree=row["degree"],
            betweenness=row["betweenness"], closeness=row["closeness"],
            constraint=row.get("constraint"), effective_size=row.get("effective_size"),
            brokerage=row["brokerage"]))
    edges = [MapEdge(source=u, target=v, context=d.get("context", "anders"),
                     bridge=frozenset((u, v)) in bridges, weak=bool(d.get("weak")))
             for u, v, d in g.edges(data=True)]
    message = None if nodes else "Geen leden gevonden bij deze keuze."
    communities = {a.communities[v] for v in g if v in a.communities}
    return {**base, "shown": True, "message": message, "nodes": nodes, "edges": edges,
            "communities": len(communities), "method": a.method, "timings": a.timings,
            **result.age()}


def broker_rows(ctx: Any, scope: Scope, sort: str, limit: int) -> dict[str, Any]:
    """Members of one scope ranked by a metric (``constraint``: lowest first).

    Who is listed, and their names, come from the current projection, so a member who hid
    themselves after the last computation is not shown; no graph is built here (the whole
    network is 100,000 members)."""
    views = _views(ctx)
    proj = views.projection()
    ids, only = views.view_members(scope, proj)
    people = sorted(only & set(ids)) if only is not None else list(ids)
    result = views.analysis(scope)
    a = result.value
    if sort == "constraint":  # low constraint = many structural holes: best brokers first
        people.sort(key=lambda v: (a.metrics["constraint"].get(v, 1.0), v))
    else:
        people.sort(key=lambda v: (-a.metrics[sort].get(v, 0.0), v))
    shown = set(people)
    rows = []
    for v in people[:limit]:
        p = proj.people[v]
        r = a.row(v)
        r.setdefault("degree", float(sum(1 for o in proj.adj.get(v, {}) if o in shown)))
        for metric in ("betweenness", "closeness", "brokerage"):
            r.setdefault(metric, 0.0)
        rows.append(BrokerRow(
            id=v, name=p.name or v, domain=proj.domain_of(v),
            gemeente=proj.places.get(p.gemeente, p.gemeente) if p.gemeente else "",
            degree=r["degree"], betweenness=r["betweenness"], closeness=r["closeness"],
            constraint=r.get("constraint"), effective_size=r.get("effective_size"),
            brokerage=r["brokerage"], roles=r["roles"], community=r["community"],
            articulation_point=r["articulation_point"]))
    return {"count": len(people), "sort": sort, "data": rows, "method": a.method,
            **result.age()}


def gaps_of(ctx: Any, level: str, within: str | None) -> Computed[GapMatrix]:
    """The gap matrix of a level, maybe inside one place.

    Raises
    ------
    UnknownReferenceError
        ``within`` names no place.
    """
    views = _views(ctx)
    place = None
    if within:
        place = views.gazetteer.find(within)
        if place is None:
            raise UnknownReferenceError("within", within, "plaats of regio",
                                        views.gazetteer.hint(within))
    return views.gaps(level, place)


def gap_out(result: Computed[GapMatrix], kind: str) -> dict[str, Any]:
    m = result.value
    cells = [[GapCell(**m.cell(t, p), gap=m.is_gap(t, p, kind)) for p, _ in m.places]
             for t, _ in m.themes]
    return {"level": m.level, "kind": kind,
            "themes": [Named(id=i, name=n) for i, n in m.themes],
            "places": [Named(id=i, name=n) for i, n in m.places], "cells": cells,
            "gaps": sum(c.gap for row in cells for c in row),
            "national_practices": m.national_practices, **result.age()}


def gap_nearest(ctx: Any, theme: str, place: str, limit: int = 5) -> dict[str, Any]:
    """The drill-down of one cell: nearest experts, members, practices and communities.

    Raises
    ------
    UnknownReferenceError
        The theme or place is unknown.
    """
    views = _views(ctx)
    theme_id = views.names().theme(theme)
    if theme_id is None:
        raise UnknownReferenceError("theme", theme, "thema", views.names().hint("Theme", theme))
    where = views.gazetteer.find(place)
    if where is None:
        raise UnknownReferenceError("region", place, "plaats of regio",
                                    views.gazetteer.hint(place))
    proj = views.projection()
    data = views.gap_data()
    # Who is shown comes from the current projection, so a stale GapData never shows a
    # member who has since hidden themselves.
    names = {m: p.name or m for m, p in proj.people.items()}
    found = nearest(data.value, views.gazetteer, views.visible(proj), theme_id, where,
                    names=names, limit=limit)
    return {"theme": theme_id, "place": {"id": where.id, "name": where.name}, **found,
            **data.age()}


def export_view(ctx: Any, scope: Scope, fmt: str, *, metrics: bool = True,
                pseudonymise_key: bytes | None = None) -> bytes:
    """One view as GEXF, GraphML or JSON; with a key, people get pseudonyms."""
    views = _views(ctx)
    g = views.view(scope)
    a = views.analysis(scope).value if metrics else None
    return render(annotated(nx.Graph(g), a, pseudonymise_key=pseudonymise_key), fmt)
