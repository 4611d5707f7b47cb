"""The gap matrix: per theme and place, how many experts, practices and communities there are.

A cell with none of the chosen kind is a gap ("witte vlek"). Places are gemeenten, the named
regions of the network (regio and jeugdregio) or provincies. Counting follows the filters of
query.py: a theme covers its narrower themes, a place covers the gemeenten inside it.

- experts: visible members with the role ``expert`` who work on the theme, counted where
  they are based (their gemeente and the places containing it);
- practices: practice examples about the theme, counted in every place that shares a
  gemeente with their region; practices for the whole country ("nl") fill no cell and are
  listed as national instead;
- communities: groups about the theme, counted in every place where one of their visible
  members is based (a community has no place of its own).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import networkx as nx

from schakel.errors import ScopeError

from .geo import Gazetteer, Place

__all__ = ["LEVELS", "KINDS", "GapMatrix", "gap_matrix", "nearest"]

LEVELS = ("gemeente", "regio", "provincie")
KINDS = ("experts", "practices", "communities")


@dataclass(frozen=True)
class GapMatrix:
    """Counts per (theme id, place id) and per kind; rows and columns in display order."""

    level: str
    themes: list[tuple[str, str]]  # (id, name)
    places: list[tuple[str, str]]  # (id, name)
    counts: dict[tuple[str, str], dict[str, int]]
    national_practices: dict[str, int]  # theme id -> practices for the whole country

    def cell(self, theme: str, place: str) -> dict[str, int]:
        return dict(self.counts.get((theme, place)) or dict.fromkeys(KINDS, 0))

    def is_gap(self, theme: str, place: str, kind: str = "all") -> bool:
        """No ``kind`` in the cell (``"all"``: none of the three)."""
        cell = self.cell(theme, place)
        return not any(cell[k] for k in (KINDS if kind == "all" else (kind,)))

    def gaps(self, kind: str = "all") -> list[tuple[str, str]]:
        return [(t, p) for t, _ in self.themes for p, _ in self.places
                if self.is_gap(t, p, kind)]


def _level_places(gaz: Gazetteer, level: str, within: Place | None) -> list[Place]:
    if level not in LEVELS:
        raise ScopeError("level", f"niveau moet een van {', '.join(LEVELS)} zijn, niet {level!r}")
    kinds = ("regio", "jeugdregio") if level == "regio" else (level,)
    places = [p for p in gaz.places() if p.kind in kinds]
    if within is not None:
        inside = {g.id for g in gaz.gemeenten_of(within)}
        places = [p for p in places if {g.id for g in gaz.gemeenten_of(p)} <= inside]
    return sorted(places, key=lambda p: p.name.lower())


def _cells_of(gaz: Gazetteer, places: list[Place]) -> dict[str, set[str]]:
    """gemeente id -> ids of the chosen places that cover it."""
    cover: dict[str, set[str]] = defaultdict(set)
    for p in places:
        for g in gaz.gemeenten_of(p):
            cover[g.id].add(p.id)
    return cover


def _theme_scopes(snap: nx.MultiDiGraph, themes: list[str]) -> dict[str, set[str]]:
    """theme -> itself and every narrower theme."""
    narrower: dict[str, list[str]] = defaultdict(list)
    for t in (n for n, d in snap.nodes(data=True) if d.get("label") == "Theme"):
        for broader, keys in snap.succ[t].items():
            if "BROADER" in keys:
                narrower[broader].append(t)
    scopes = {}
    for theme in themes:
        scope, todo = {theme}, [theme]
        while todo:
            for child in narrower[todo.pop()]:
                if child not in scope:
                    scope.add(child)
                    todo.append(child)
        scopes[theme] = scope
    return scopes


def _targets(snap: nx.MultiDiGraph, node: str, rel: str) -> list[str]:
    return [o for o, keys in snap.succ[node].items() if rel in keys]


def _sources(snap: nx.MultiDiGraph, node: str, rel: str) -> list[str]:
    return [o for o, keys in snap.pred[node].items() if rel in keys]


def gap_matrix(snap: nx.MultiDiGraph, gaz: Gazetteer, visible: Mapping[str, list[str]], *,
               level: str = "provincie", within: Place | None = None,
               themes: list[str] | None = None) -> GapMatrix:
    """Count experts, practices and communities per theme and place.

    Parameters
    ----------
    snap : the store's snapshot.
    gaz : the gazetteer (places and which gemeenten they cover).
    visible : the members the viewer may see, with their roles; no one else is counted.
    level : "gemeente", "regio" or "provincie".
    within : only places inside this place (say gemeenten of one provincie).
    themes : theme ids for the rows; default every assignable theme.

    Raises
    ------
    ScopeError
        For an unknown level.
    """
    places = _level_places(gaz, level, within)
    cover = _cells_of(gaz, places)
    nodes = snap.nodes
    if themes is None:
        themes = sorted((n for n, d in snap.nodes(data=True)
                         if d.get("label") == "Theme" and d.get("assignable", True)),
                        key=lambda t: str(nodes[t].get("name", t)).lower())
    scopes = _theme_scopes(snap, themes)
    counts: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: dict.fromkeys(KINDS, 0))
    national: dict[str, int] = {}

    def member_cells(m: str) -> set[str]:
        return set().union(*(cover.get(g, set()) for g in _targets(snap, m, "BASED_IN")))

    for theme in themes:
        scope = scopes[theme]
        experts = {m for t in scope for m in _sources(snap, t, "WORKS_ON")
                   if "expert" in visible.get(m, ())}
        for m in experts:
            for cell in member_cells(m):
                counts[(theme, cell)]["experts"] += 1
        practices = {p for t in scope for p in _sources(snap, t, "ABOUT")
                     if nodes[p].get("label") == "Practice"}
        national[theme] = 0
        for p in practices:
            regions = _targets(snap, p, "IN_REGION")
            if "nl" in regions:
                national[theme] += 1
                continue
            cells = set().union(*(cover.get(g.id, set()) for r in regions
                                  if gaz.find(r) for g in gaz.gemeenten_of(r)))
            for cell in cells:
                counts[(theme, cell)]["practices"] += 1
        groups = {c for t in scope for c in _sources(snap, t, "ABOUT")
                  if nodes[c].get("label") == "Community"}
        for c in groups:
            cells = set().union(*(member_cells(m) for m in _sources(snap, c, "MEMBER_OF")
                                  if m in visible))
            for cell in cells:
                counts[(theme, cell)]["communities"] += 1
    return GapMatrix(
        level=level,
        themes=[(t, str(nodes[t].get("name", t))) for t in themes],
        places=[(p.id, p.name) for p in places],
        counts={k: dict(v) for k, v in counts.items()},
        national_practices=national,
    )


def nearest(snap: nx.MultiDiGraph, gaz: Gazetteer, visible: Mapping[str, list[str]],
            theme: str, place: Place, *, limit: int = 5) -> dict[str, list[dict[str, Any]]]:
    """Who and what is nearest to ``place`` for ``theme``: the drill-down of a cell.

    Returns
    -------
    dict
        ``experts`` and ``members`` (visible members working on the theme, experts apart),
        ``practices`` (national ones last, ``km`` None) and ``communities`` (by number of
        visible members, they have no place), each at most ``limit`` long, nearest first.
        Distances are between centroids, in km, rounded to 1 decimal.
    """
    scope = _theme_scopes(snap, [theme])[theme]
    nodes = snap.nodes

    def km(region: str) -> float | None:
        found = gaz.find(region)
        if found is None or found.kind == "land":
            return None
        return round(gaz.distance_km(place, found), 1)

    people: list[dict[str, Any]] = []
    for m in {m for t in scope for m in _sources(snap, t, "WORKS_ON") if m in visible}:
        home = next(iter(_targets(snap, m, "BASED_IN")), None)
        where = gaz.find(home) if home else None
        people.append({"id": m, "name": nodes[m].get("name", m), "roles": visible[m],
                       "gemeente": where.name if where else None,
                       "km": km(home) if home else None})
    people.sort(key=lambda r: (r["km"] is None, r["km"] or 0.0, r["id"]))
    practices: list[dict[str, Any]] = []
    for p in {p for t in scope for p in _sources(snap, t, "ABOUT")
              if nodes[p].get("label") == "Practice"}:
        dists = [(d, r) for r in _targets(snap, p, "IN_REGION") for d in [km(r)]]
        known = [x for x in dists if x[0] is not None]
        best = min(known) if known else (None, dists[0][1] if dists else None)
        region = gaz.find(best[1]) if best[1] else None
        practices.append({"id": p, "title": nodes[p].get("title", p), "km": best[0],
                          "region": region.name if region else None})
    practices.sort(key=lambda r: (r["km"] is None, r["km"] or 0.0, r["id"]))
    groups = []
    for c in {c for t in scope for c in _sources(snap, t, "ABOUT")
              if nodes[c].get("label") == "Community"}:
        members = sum(1 for m in _sources(snap, c, "MEMBER_OF") if m in visible)
        groups.append({"id": c, "name": nodes[c].get("name", c), "members": members})
    groups.sort(key=lambda r: (-r["members"], r["id"]))
    return {
        "experts": [r for r in people if "expert" in r["roles"]][:limit],
        "members": [r for r in people if "expert" not in r["roles"]][:limit],
        "practices": practices[:limit],
        "communities": groups[:limit],
    }
