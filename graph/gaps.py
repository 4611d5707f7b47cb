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

from schakel.errors import ScopeError

from .bulk import no_cyclic_gc
from .geo import Gazetteer, Place
from .query import with_narrower
from .store import GraphStore

__all__ = ["LEVELS", "KINDS", "GapData", "GapMatrix", "gap_matrix", "nearest"]

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


@dataclass(frozen=True)
class GapData:
    """What the gap matrix counts, read in bulk from a store (never ``snapshot()``): who works
    on which theme and is based where, what practices and communities are about, where
    practices are, who is in which community, and the theme tree. Read-only once made."""

    works_on: Mapping[str, list[str]]  # theme -> members
    based_in: Mapping[str, list[str]]  # member -> regions
    about: Mapping[str, list[str]]  # theme -> practices and communities
    labels: Mapping[str, str]  # practice or community id -> label
    titles: Mapping[str, str]  # practice title, community name, theme name
    in_region: Mapping[str, list[str]]  # practice -> regions
    members_of: Mapping[str, list[str]]  # community -> members
    narrower: Mapping[str, list[str]]  # theme -> narrower themes
    themes: list[str]  # assignable themes, by name

    @classmethod
    def read(cls, store: GraphStore) -> GapData:
        with no_cyclic_gc():  # many small tuples, no cycles: see bulk.py
            return cls._read(store)

    @classmethod
    def _read(cls, store: GraphStore) -> GapData:
        edges = store.edges(["WORKS_ON", "BASED_IN", "ABOUT", "IN_REGION", "MEMBER_OF",
                             "BROADER"])

        def index(rel: str, by_end: bool = False) -> dict[str, list[str]]:
            out: dict[str, list[str]] = defaultdict(list)
            for s, e, _ in edges[rel]:
                out[e if by_end else s].append(s if by_end else e)
            return dict(out)

        labels = {i: label for label in ("Practice", "Community") for i in store.ids(label)}
        theme_props = store.props_of(store.ids("Theme"))
        titles = {i: str(p.get("title") or p.get("name") or i)
                  for i, p in store.props_of(list(labels)).items()}
        titles.update({t: str(p.get("name", t)) for t, p in theme_props.items()})
        themes = sorted((t for t, p in theme_props.items() if p.get("assignable", True)),
                        key=lambda t: titles[t].lower())
        return cls(works_on=index("WORKS_ON", by_end=True), based_in=index("BASED_IN"),
                   about=index("ABOUT", by_end=True), labels=labels, titles=titles,
                   in_region=index("IN_REGION"), members_of=index("MEMBER_OF", by_end=True),
                   narrower=index("BROADER", by_end=True), themes=themes)

    def theme_scopes(self, themes: list[str]) -> dict[str, set[str]]:
        """theme -> itself and every narrower theme."""
        return {theme: with_narrower(theme, lambda t: self.narrower.get(t, ()))
                for theme in themes}

    def about_of(self, scope: set[str], label: str) -> set[str]:
        return {x for t in scope for x in self.about.get(t, ()) if self.labels.get(x) == label}


def gap_matrix(data: GapData, gaz: Gazetteer, visible: Mapping[str, list[str]], *,
               level: str = "provincie", within: Place | None = None,
               themes: list[str] | None = None) -> GapMatrix:
    """Count experts, practices and communities per theme and place.

    Parameters
    ----------
    data : what the store holds (``GapData.read(store)``).
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
    if themes is None:
        themes = list(data.themes)
    scopes = data.theme_scopes(themes)
    counts: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: dict.fromkeys(KINDS, 0))
    national: dict[str, int] = {}

    def member_cells(m: str) -> set[str]:
        return set().union(*(cover.get(g, set()) for g in data.based_in.get(m, ())))

    for theme in themes:
        scope = scopes[theme]
        experts = {m for t in scope for m in data.works_on.get(t, ())
                   if "expert" in visible.get(m, ())}
        for m in experts:
            for cell in member_cells(m):
                counts[(theme, cell)]["experts"] += 1
        national[theme] = 0
        for p in data.about_of(scope, "Practice"):
            regions = data.in_region.get(p, [])
            if "nl" in regions:
                national[theme] += 1
                continue
            cells = set().union(*(cover.get(g.id, set()) for r in regions
                                  if gaz.find(r) for g in gaz.gemeenten_of(r)))
            for cell in cells:
                counts[(theme, cell)]["practices"] += 1
        for c in data.about_of(scope, "Community"):
            cells = set().union(*(member_cells(m) for m in data.members_of.get(c, ())
                                  if m in visible))
            for cell in cells:
                counts[(theme, cell)]["communities"] += 1
    return GapMatrix(
        level=level,
        themes=[(t, data.titles.get(t, t)) for t in themes],
        places=[(p.id, p.name) for p in places],
        counts={k: dict(v) for k, v in counts.items()},
        national_practices=national,
    )


def nearest(data: GapData, gaz: Gazetteer, visible: Mapping[str, list[str]],
            theme: str, place: Place, *, names: Mapping[str, str] | None = None,
            limit: int = 5) -> dict[str, list[dict[str, Any]]]:
    """Who and what is nearest to ``place`` for ``theme``: the drill-down of a cell.

    ``names``: member id -> name, for the visible members (default: the id).

    Returns
    -------
    dict
        ``experts`` and ``members`` (visible members working on the theme, experts apart),
        ``practices`` (national ones last, ``km`` None) and ``communities`` (by number of
        visible members, they have no place), each at most ``limit`` long, nearest first.
        Distances are between centroids, in km, rounded to 1 decimal.
    """
    scope = data.theme_scopes([theme])[theme]
    names = names or {}

    def km(region: str) -> float | None:
        found = gaz.find(region)
        if found is None or found.kind == "land":
            return None
        return round(gaz.distance_km(place, found), 1)

    people: list[dict[str, Any]] = []
    for m in {m for t in scope for m in data.works_on.get(t, ()) if m in visible}:
        home = next(iter(data.based_in.get(m, ())), None)
        where = gaz.find(home) if home else None
        people.append({"id": m, "name": names.get(m, m), "roles": visible[m],
                       "gemeente": where.name if where else None,
                       "km": km(home) if home else None})
    people.sort(key=lambda r: (r["km"] is None, r["km"] or 0.0, r["id"]))
    practices: list[dict[str, Any]] = []
    for p in data.about_of(scope, "Practice"):
        dists = [(d, r) for r in data.in_region.get(p, ()) for d in [km(r)]]
        known = [x for x in dists if x[0] is not None]
        best = min(known) if known else (None, dists[0][1] if dists else None)
        region = gaz.find(best[1]) if best[1] else None
        practices.append({"id": p, "title": data.titles.get(p, p), "km": best[0],
                          "region": region.name if region else None})
    practices.sort(key=lambda r: (r["km"] is None, r["km"] or 0.0, r["id"]))
    groups = []
    for c in data.about_of(scope, "Community"):
        members = sum(1 for m in data.members_of.get(c, ()) if m in visible)
        groups.append({"id": c, "name": data.titles.get(c, c), "members": members})
    groups.sort(key=lambda r: (-r["members"], r["id"]))
    return {
        "experts": [r for r in people if "expert" in r["roles"]][:limit],
        "members": [r for r in people if "expert" not in r["roles"]][:limit],
        "practices": practices[:limit],
        "communities": groups[:limit],
    }
