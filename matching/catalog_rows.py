"""One catalog row per candidate, built the same way for a full build and for an update.

A :class:`Source` says what a node's outgoing relationships are: read in bulk for a full build
(:class:`BulkSource`) or per touched id from the store for an update (:class:`LiveSource`).
The row builders only ask a source, so both paths give identical rows.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
from scipy import sparse

from schakel.graph.geo import Gazetteer, Place
from schakel.graph.model import ROLES
from schakel.graph.privacy import shows, visible
from schakel.graph.store import GraphStore

from .brokering.states import OPEN
from .offers import split_profile
from .splice import Splice

__all__ = ["Row", "Frame", "Source", "BulkSource", "LiveSource", "member_row", "practice_row",
           "community_row", "region_row", "items_of", "splice_items", "availability_score",
           "members_by_gemeente", "practice_places", "chosen"]

# How much time a member offers, as a 0..1 score (the texts members choose from).
_AVAILABILITY = {
    "een uur per week": 1.0, "een dagdeel per maand": 0.9, "twee uur per maand": 0.8,
    "een uur per maand": 0.6, "op afspraak": 0.6, "na schooltijd": 0.6, "alleen online": 0.5,
    "een dagdeel per kwartaal": 0.4,
}
_ROLE_INDEX = {r: n for n, r in enumerate(ROLES)}
# A theme a member works on from this level on is one they bring (levels are stored / 3).
STRONG_LEVEL = 2 / 3 - 1e-6


def availability_score(text: str) -> float:
    return _AVAILABILITY.get(text.strip().lower(), 0.5)


Out = list[tuple[str, dict[str, Any]]]


class Source(Protocol):
    def outs(self, node: str, rel: str) -> Out: ...

    def open_load(self, member: str) -> int: ...


class BulkSource:
    """Relationships read in bulk (one ``store.edges`` call) for a full build."""

    def __init__(self, edges: dict[str, list[tuple[str, str, dict[str, Any]]]],
                 states: dict[str, str]) -> None:
        self._out: dict[str, dict[str, Out]] = {}
        for rel, rows in edges.items():
            out: dict[str, Out] = defaultdict(list)
            for start, end, props in rows:
                out[start].append((end, props))
            self._out[rel] = out
        self._load: dict[str, int] = defaultdict(int)
        for intro, member, _ in edges.get("SUGGESTS", []):
            if states.get(intro, "") in OPEN:
                self._load[member] += 1

    def outs(self, node: str, rel: str) -> Out:
        return self._out.get(rel, {}).get(node, [])

    def open_load(self, member: str) -> int:
        return self._load.get(member, 0)


class LiveSource:
    """Relationships of single nodes, read from the store when asked (for an update)."""

    def __init__(self, store: GraphStore) -> None:
        self.store = store

    def outs(self, node: str, rel: str) -> Out:
        return [(r.end, r.props) for r in self.store.relationships(node, rel)]

    def open_load(self, member: str) -> int:
        intros = self.store.neighbour_ids(member, "SUGGESTS", "in")
        states = self.store.props_of(intros)
        return sum(1 for p in states.values() if p.get("state", "") in OPEN)


@dataclass
class Row:
    id: str
    name: str
    text: str
    themes: dict[str, float]
    anchor: int = -1
    domains: set[str] = field(default_factory=set)
    extra: list[int] = field(default_factory=list)  # more places (practices)
    roles: Sequence[str] = ()
    allowed: bool = True
    allowed_staff: bool = True
    availability: float = 0.0
    load: int = 0
    group: int = -1
    count: str | None = None  # short Dutch summary (regions)
    needs: str = ""  # what a member says they want to learn or seek (not searched)


@dataclass(frozen=True)
class Frame:
    """The lookups rows are built against (one graph version's reference data)."""

    theme_ids: list[str]
    theme_names: dict[str, str]
    domain_ids: list[str]
    places: list[Place]
    place_index: dict[str, int]
    organisations: list[str]
    theme_texts: dict[str, str] = field(default_factory=dict)  # name + description

    def __post_init__(self) -> None:
        object.__setattr__(self, "tindex", {t: n for n, t in enumerate(self.theme_ids)})
        object.__setattr__(self, "dindex", {d: n for n, d in enumerate(self.domain_ids)})
        object.__setattr__(self, "oindex", {o: n for n, o in enumerate(self.organisations)})

    def theme_label(self, theme: str) -> str:
        return self.theme_names.get(theme, theme)


def member_row(mid: str, a: dict[str, Any], src: Source, f: Frame) -> Row:
    themes = {t: int(d.get("level", 2)) / 3.0 for t, d in src.outs(mid, "WORKS_ON")}
    places = sorted(p for p, _ in src.outs(mid, "BASED_IN"))
    orgs = sorted(o for o, _ in src.outs(mid, "WORKS_AT"))
    theme_names = ", ".join(f.theme_label(t) for t in sorted(themes))
    # What a member brings at level 2 or 3 also in words: the themes' descriptions (held-out
    # questions 0.651 -> 0.679 nDCG@10; schakel eval --dicht compares it).
    brought = [f.theme_texts[t] for t in sorted(themes)
               if themes[t] >= STRONG_LEVEL and t in f.theme_texts]
    consent = bool(a.get("consent_matching", True))
    # Only what the member offers is searched as expertise: sentences saying what they want
    # to learn or seek are kept apart. A private function is not searchable by anyone.
    offers, needs = split_profile(a.get("profile", ""))
    function = (a.get("function") or "") if shows(a, "function", "member") else ""
    return Row(
        mid, a.get("name", mid),
        " ".join(x for x in (function, offers, theme_names, *brought) if x),
        themes,
        needs=needs,
        anchor=f.place_index.get(places[-1], -1) if places else -1,
        domains={d for d, _ in src.outs(mid, "ACTIVE_IN")},
        roles=[r for r in a.get("roles", ["member"]) if r in _ROLE_INDEX],
        # Texts name the themes, so a member who keeps themes private is not found on
        # subject by other members at all.
        allowed=consent and shows(a, "themes", "member"),
        allowed_staff=consent and visible(a, "staff"),
        availability=availability_score(a.get("availability", "")),
        load=src.open_load(mid),
        group=f.oindex.get(orgs[-1], -1) if orgs else -1)


def practice_row(pid: str, a: dict[str, Any], src: Source, f: Frame) -> Row:
    themes = {t: 1.0 for t, _ in src.outs(pid, "ABOUT")}
    places = [f.place_index[p] for p in sorted(p for p, _ in src.outs(pid, "IN_REGION"))
              if p in f.place_index]
    domains = {d for o, _ in src.outs(pid, "INVOLVES") for d, _ in src.outs(o, "IN_DOMAIN")}
    return Row(pid, a.get("title", pid),
               f"{a.get('title', '')}. {a.get('summary', '')} "
               + ", ".join(f.theme_label(t) for t in sorted(themes)),
               themes, anchor=places[0] if places else -1, domains=domains, extra=places[1:])


def community_row(cid: str, a: dict[str, Any], src: Source, f: Frame) -> Row:
    themes = {t: 1.0 for t, _ in src.outs(cid, "ABOUT")}
    return Row(cid, a.get("name", cid),
               f"{a.get('name', '')}. {a.get('description', '')} "
               + ", ".join(f.theme_label(t) for t in sorted(themes)), themes)


# -- peer regions ------------------------------------------------------------------------

def chosen(place: Place, places_with_practices: dict[str, list[int]]) -> bool:
    """Named regions, network gemeenten and gemeenten with practices are peer regions."""
    return place.kind in ("regio", "jeugdregio") or (
        place.kind == "gemeente" and bool(place.tags or place.id in places_with_practices))


def practice_places(practices: Any, places: list[Place]) -> dict[str, list[int]]:
    """Place id -> practice rows there (practices are reference data: few)."""
    out: dict[str, list[int]] = defaultdict(list)
    for r in range(len(practices)):
        for p in [practices.anchor[r], *practices.extra_anchors.get(r, [])]:
            if p >= 0:
                out[places[p].id].append(r)
    return out


def members_by_gemeente(members: Any, anchors: Iterable[int] | None = None
                        ) -> dict[int, np.ndarray]:
    """Allowed member rows per anchor place (only the given anchors, when given), each
    ascending."""
    mask = members.allowed.copy()
    if anchors is not None:
        mask &= np.isin(members.anchor, np.fromiter(anchors, dtype=np.int64))
    rows = np.flatnonzero(mask)
    keys = members.anchor[rows]
    order = np.argsort(keys, kind="stable")
    rows, keys = rows[order], keys[order]
    cut = np.flatnonzero(np.diff(keys)) + 1
    return {int(k[0]): r for k, r in zip(np.split(keys, cut), np.split(rows, cut), strict=True)
            if len(k)}


def region_row(place: Place, gaz: Gazetteer, f: Frame, members: Any, practices: Any,
               by_gemeente: dict[int, np.ndarray],
               at_places: dict[str, list[int]]) -> Row:
    """A peer region, described by what its (visible) members and practices work on."""
    parts = [by_gemeente[f.place_index[g.id]] for g in gaz.gemeenten_of(place)
             if f.place_index[g.id] in by_gemeente]
    rows = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)
    prs = sorted({r for g in [place.id, *place.parts] for r in at_places.get(g, [])})
    weight: dict[str, float] = defaultdict(float)
    if len(rows):
        sums = np.asarray(members.themes[rows].sum(axis=0)).ravel()
        top = sums.max() or 1.0
        for t in np.flatnonzero(sums):
            weight[f.theme_ids[t]] = float(sums[t] / top)
    for r in prs:
        for t in practices.themes[r].indices:
            weight[f.theme_ids[t]] = 1.0
    best = sorted(weight, key=lambda t: -weight[t])[:6]
    text = (f"{place.name}. " + " ".join(practices.names[r] + "." for r in prs)
            + " Hier wordt gewerkt aan: " + ", ".join(f.theme_label(t) for t in best))
    return Row(place.id, place.name, text, dict(weight), anchor=f.place_index[place.id],
               count=f"{len(rows)} leden, {len(prs)} praktijkvoorbeelden")


# -- rows to arrays ----------------------------------------------------------------------

def _theme_matrix(rows: Sequence[Row], f: Frame) -> sparse.csr_matrix:
    data, cols, ptr = [], [], [0]
    for row in rows:
        for theme, weight in row.themes.items():
            if theme in f.tindex:  # type: ignore[attr-defined]
                cols.append(f.tindex[theme])  # type: ignore[attr-defined]
                data.append(weight)
        ptr.append(len(cols))
    return sparse.csr_matrix(
        (np.array(data, dtype=np.float32), np.array(cols, dtype=np.int32),
         np.array(ptr, dtype=np.int64)), shape=(len(rows), len(f.theme_ids)))


def _domain_matrix(rows: Sequence[Row], f: Frame) -> np.ndarray:
    out = np.zeros((len(rows), len(f.domain_ids)), dtype=np.float32)
    for r, row in enumerate(rows):
        for d in row.domains:
            if d in f.dindex:  # type: ignore[attr-defined]
                out[r, f.dindex[d]] = 1.0  # type: ignore[attr-defined]
    return out


def items_of(kind: str, rows: Sequence[Row], f: Frame) -> Any:
    """The arrays of one kind from its rows (sorted by id)."""
    from .catalog import Items

    n = len(rows)
    items = Items(kind, [r.id for r in rows], [r.name for r in rows], [r.text for r in rows],
                  _theme_matrix(rows, f), np.array([r.anchor for r in rows], dtype=np.int32),
                  _domain_matrix(rows, f),
                  extra_anchors={k: r.extra for k, r in enumerate(rows) if r.extra},
                  counts={k: r.count for k, r in enumerate(rows) if r.count is not None},
                  needs=[r.needs for r in rows])
    if kind == "member":
        roles = np.zeros((n, len(ROLES)), dtype=np.float32)
        for k, r in enumerate(rows):
            roles[k, [_ROLE_INDEX[x] for x in r.roles]] = 1.0
        items.roles = roles
        items.allowed = np.array([r.allowed for r in rows], dtype=bool)
        items.allowed_staff = np.array([r.allowed_staff for r in rows], dtype=bool)
        items.availability = np.array([r.availability for r in rows], dtype=np.float32)
        items.load = np.array([r.load for r in rows], dtype=np.float32)
        items.group = np.array([r.group for r in rows], dtype=np.int32)
    return items


_ARRAYS = ("anchor", "domains", "roles", "allowed", "allowed_staff", "availability", "load",
           "group")


def splice_items(old: Any, splice: Splice, rows: Sequence[Row], f: Frame) -> Any:
    """``old`` with the splice's rows dropped and ``rows`` (its fresh ids, in order) put."""
    fresh = items_of(old.kind, rows, f)
    new = type(old)(old.kind, splice.ids, splice.list(old.names, fresh.names),
                    splice.list(old.texts, fresh.texts), splice.csr(old.themes, fresh.themes),
                    old.anchor, old.domains, needs=splice.list(old.needs, fresh.needs))
    for name in _ARRAYS:
        before = getattr(old, name)
        if before is not None:
            setattr(new, name, splice.array(before, getattr(fresh, name)))
    for name in ("extra_anchors", "counts"):
        before, put = getattr(old, name), getattr(fresh, name)
        keep = [r for r in before if splice.kept(r)]
        moved = splice.moved(np.array(keep, dtype=np.int64)).tolist() if keep else []
        out = {n: before[r] for r, n in zip(keep, moved, strict=True)}
        out.update({int(splice.put[k]): v for k, v in put.items()})
        setattr(new, name, dict(sorted(out.items())))
    return new
