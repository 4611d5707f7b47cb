"""Nearby search: members finding each other by what they work on and where they work.

"Wie werkt hieraan bij mij in de buurt?" A search combines free text and/or a theme with a
place (a gemeente, a region, a provincie or "mijn gemeente") and a radius, and can be narrowed
by domain and role. Results are members, best fitting first and nearest next, each with short
Dutch reasons: ``["werkt aan thuiszitters", "12 km", "Regio Twente"]``.

Who is shown: members see each other by their own choice of ``visibility``, through
:func:`schakel.graph.privacy.visible`, the one visibility rule of every surface, and see only
the fields :func:`~schakel.graph.privacy.shows` allows: a member who keeps their themes
private is never found by theme or text (the reasons would give the themes away), only by
place, domain or role; a private function is left out. Consent to *matching*
(``consent_matching``) is not asked here: it is the member's yes to being put forward by the
regiebureau for a brokered introduction, while this search is members looking each other up
in the member directory, which ``visibility`` already governs.

Where: a member's location is only ever the gemeente they are based in (approximate by
design). Distances run between gemeente centres; nothing finer is read or shown.
"""

from __future__ import annotations

import copy
import time
from collections import defaultdict
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from typing import Any

from schakel.errors import InvalidQueryError, UnknownReferenceError
from schakel.graph.changes import ChangeSet
from schakel.graph.geo import Gazetteer, Place, haversine_km
from schakel.graph.lookup import Lookup
from schakel.graph.model import ROLES
from schakel.graph.names import fold
from schakel.graph.privacy import Viewer, shows, visible
from schakel.graph.query import Filters, region_scope, theme_scope
from schakel.graph.store import GraphStore

from .engine import Relevance
from .features import NARROWER

__all__ = ["Nearby", "NearbyQuery", "NearbyHit", "NearbyResult", "MY_GEMEENTE",
           "MAX_LIMIT", "MAX_RADIUS_KM"]

MY_GEMEENTE = "mijn gemeente"
MAX_LIMIT = 50
MAX_RADIUS_KM = 400.0
MIN_TEXT = 3
# How many of a member's themes a reason names.
REASON_THEMES = 3

RelevanceFn = Callable[[str, Collection[str]], Relevance]


@dataclass(frozen=True)
class NearbyQuery:
    """One search. Every field is optional, but something must be asked.

    ``near`` is a gemeente, region or provincie (id, name or alias), or ``"mijn gemeente"``;
    without ``radius_km`` the search covers the place itself (a region: all its gemeenten),
    with it every gemeente whose centre lies within ``radius_km`` of the place.
    """

    text: str | None = None
    near: str | None = None
    radius_km: float | None = None
    theme: str | None = None
    domain: str | None = None
    role: str | None = None
    offset: int = 0
    limit: int = 20


@dataclass
class NearbyHit:
    """One member found. ``gemeente`` is the member's gemeente name, never anything finer;
    ``distance_km`` runs from its centre to the nearest gemeente centre of the asked place
    (0 inside it), rounded; None when no place was asked."""

    id: str
    name: str
    function: str | None
    roles: list[str]
    gemeente: str | None
    distance_km: int | None
    score: float
    reasons: list[str] = field(default_factory=list)


@dataclass
class NearbyResult:
    hits: list[NearbyHit]
    count: int
    offset: int
    limit: int
    place: Place | None
    radius_km: float | None
    theme: tuple[str, str] | None  # (id, name) of the theme filter
    took_ms: float
    # When nobody within the radius fits: the nearest members beyond it who do, nearest first.
    nearest: list[NearbyHit] = field(default_factory=list)


@dataclass
class _Row:
    name: str
    function: str | None
    roles: list[str]
    props: dict[str, Any]  # as stored: what privacy.visible decides on
    place: str | None  # the gemeente id (BASED_IN)
    themes: dict[str, int]  # theme id -> level 1..3
    domains: set[str]


@dataclass
class _Found:
    id: str
    score: float
    distance: float | None
    inside: bool


class Nearby:
    """Nearby search over one version of the graph: build one (it reads members, their
    gemeente, themes and domains in bulk), follow writes with :meth:`apply`, and call
    :meth:`search`. Never changed once built, so searches need no lock.

    Parameters
    ----------
    store : GraphStore
        The graph, any adapter.
    lookup : Lookup
        Resolves theme and domain names, and holds the gazetteer.
    """

    def __init__(self, store: GraphStore, lookup: Lookup) -> None:
        self.store = store
        self.lookup = lookup
        self.gazetteer: Gazetteer = lookup.gazetteer
        self.filters = Filters(store, lookup)
        ids = store.ids("Member")
        props = store.props_of(ids)
        edges = store.edges(_RELS)
        outs: dict[str, dict[str, list[tuple[str, dict[str, Any]]]]] = {
            rel: defaultdict(list) for rel in _RELS}
        for rel, rows in edges.items():
            for start, end, rel_props in rows:
                outs[rel][start].append((end, rel_props))
        self._rows = {i: _row(i, p, {rel: outs[rel].get(i, []) for rel in _RELS})
                      for i, p in props.items()}
        self.theme_names = _theme_names(store)
        self._distances: dict[str, dict[str, float]] = {}

    def apply(self, store: GraphStore, changes: ChangeSet,
              lookup: Lookup | None = None) -> Nearby:
        """The search after ``changes`` (committed to ``store``): a new object that re-reads
        only the touched members and shares the rest; ``self`` is left as it was. ``lookup``
        is the lookup that already followed the changes (else this follows it)."""
        lookup = lookup if lookup is not None else self.lookup.apply(store, changes)
        members = set(changes.ids("Member")) | changes.starts(*_RELS)
        themes = changes.ids("Theme")
        if not members and not themes and lookup is self.lookup and store is self.store:
            return self
        out = copy.copy(self)
        out.store, out.lookup, out.filters = store, lookup, Filters(store, lookup)
        if members:
            props = store.props_of(members)
            out._rows = dict(self._rows)
            for i in members:
                p = props.get(i)
                if p is None or p.get("label") != "Member":
                    out._rows.pop(i, None)
                    continue
                out._rows[i] = _row(i, p, {rel: [(r.end, r.props) for r in
                                                 store.relationships(i, rel)]
                                           for rel in _RELS})
        if themes:
            out.theme_names = _theme_names(store)
        return out

    # -- public --------------------------------------------------------------------------

    def gemeente_of(self, member_id: str) -> Place | None:
        """The gemeente a member is based in, or None."""
        row = self._rows.get(member_id)
        if row is None or row.place is None:
            return None
        return self.gazetteer.find(row.place)

    def search(self, query: NearbyQuery, *, viewer: Viewer = "member",
               asker: str | None = None, relevance: RelevanceFn | None = None) -> NearbyResult:
        """Members that fit the query, best first, then nearest.

        Parameters
        ----------
        query : NearbyQuery
            What is asked.
        viewer : {"member", "staff"}
            Whose eyes: decides which members may be shown (``privacy.visible``).
        asker : str, optional
            The asking member's id: resolves "mijn gemeente" and is left out of the results.
        relevance : callable, optional
            ``relevance(text, ids)`` scoring members against free text (the matcher's
            :meth:`~schakel.matching.engine.Matcher.relevance`); required when ``text`` is
            given.

        Returns
        -------
        NearbyResult
            One page of hits and the total count. With text, a member counts when the text
            fits (``Relevance.hits``) and the score is the matcher's; without it the score is
            the member's strongest level on the theme (narrower themes count
            ``NARROWER``), or 1.0 for everyone when no theme was asked.

        Raises
        ------
        InvalidQueryError
            Nothing to search on, a text shorter than three characters, a radius without a
            place or out of range, a bad offset or limit, or "mijn gemeente" without one.
        UnknownReferenceError
            ``near``, ``theme``, ``domain`` or ``role`` names nothing known.
        """
        start = time.perf_counter()
        text = (query.text or "").strip() or None
        self._check(query, text)
        place = self._place(query.near, asker)
        theme = self.filters.theme(query.theme) if query.theme else None
        domain = self.filters.domain(query.domain) if query.domain else None
        if query.role and query.role not in ROLES:
            raise UnknownReferenceError("role", query.role, "rol")
        scope = theme_scope(self.store, theme) if theme else None

        on_subject = text is not None or scope is not None
        candidates = [i for i, row in self._rows.items()
                      if i != asker and visible(row.props, viewer)
                      and (domain is None or domain in row.domains)
                      and (query.role is None or query.role in row.roles)
                      and (scope is None or not scope.isdisjoint(row.themes))
                      and not (on_subject and not shows(row.props, "themes", viewer))]
        where = self._where(candidates, place, query.radius_km)

        scores: dict[str, float]
        text_themes: dict[str, float] = {}
        rel: Relevance | None = None
        if text is not None:
            if relevance is None:
                raise InvalidQueryError("q", "zoeken op tekst kan nu niet (geen matcher)")
            rel = relevance(text, list(where))
            scores = {i: rel.scores[i] for i in rel.hits}
            text_themes = rel.themes
        elif scope is not None:
            assert theme is not None
            scores = {i: self._theme_strength(i, theme, scope) for i in where}
        else:
            scores = dict.fromkeys(where, 1.0)

        found = [_Found(i, round(s, 3), *where[i]) for i, s in scores.items()]
        found.sort(key=lambda f: (-f.score, f.distance if f.distance is not None else 0.0,
                                  fold(self._rows[f.id].name), f.id))
        page = found[query.offset : query.offset + query.limit]
        named = dict(text_themes)  # theme -> how much it counts, for ordering reasons
        for t in scope or ():
            named[t] = max(named.get(t, 0.0), 1.0 if t == theme else NARROWER)
        mine = query.near is not None and fold(query.near) == fold(MY_GEMEENTE)
        hits = [self._hit(f, place, named, rel, mine, viewer) for f in page]
        took = round((time.perf_counter() - start) * 1000, 2)
        return NearbyResult(hits, len(found), query.offset, query.limit, place,
                            query.radius_km, (theme, self.theme_names.get(theme, theme))
                            if theme else None, took)

    # -- checking and resolving -----------------------------------------------------------

    @staticmethod
    def _check(query: NearbyQuery, text: str | None) -> None:
        if not any((text, query.near, query.theme, query.domain, query.role)):
            raise InvalidQueryError(
                "q", "geef iets om op te zoeken: tekst, een thema, een plaats, domein of rol")
        if text is not None and len(text) < MIN_TEXT:
            raise InvalidQueryError("q", f"zoek op minstens {MIN_TEXT} tekens")
        if query.radius_km is not None:
            if not query.near:
                raise InvalidQueryError("radius_km",
                                        "een straal vraagt om een plaats (near)")
            if not 0 < query.radius_km <= MAX_RADIUS_KM:
                raise InvalidQueryError(
                    "radius_km", f"radius_km moet tussen 0 en {MAX_RADIUS_KM:.0f} km liggen")
        if not 1 <= query.limit <= MAX_LIMIT:
            raise InvalidQueryError("limit", f"limit moet tussen 1 en {MAX_LIMIT} liggen")
        if query.offset < 0:
            raise InvalidQueryError("offset", "offset kan niet negatief zijn")

    def _place(self, near: str | None, asker: str | None) -> Place | None:
        if not near or not near.strip():
            return None
        if fold(near) == fold(MY_GEMEENTE):
            if asker is None:
                raise InvalidQueryError(
                    "near", "'mijn gemeente' kan alleen met een account dat bij een lid hoort")
            own = self.gemeente_of(asker)
            if own is None:
                raise InvalidQueryError(
                    "near", "in uw profiel staat geen gemeente; kies zelf een plaats")
            return own
        place = self.gazetteer.find(near)
        if place is None or place.kind == "land":
            raise UnknownReferenceError("near", near, "gemeente, regio of provincie",
                                        self.gazetteer.hint(near))
        return place

    # -- place and distance ---------------------------------------------------------------

    def _from(self, place: Place) -> dict[str, float]:
        """Gemeente id -> km from its centre to the nearest gemeente centre of ``place``."""
        hit = self._distances.get(place.id)
        if hit is None:
            coords = [(g.lat, g.lon) for g in self.gazetteer.gemeenten_of(place)]
            hit = {g.id: min(haversine_km(g.lat, g.lon, la, lo) for la, lo in coords)
                   for g in self.gazetteer.places("gemeente")}
            self._distances[place.id] = hit
        return hit

    def _where(self, ids: list[str], place: Place | None,
               radius_km: float | None) -> dict[str, tuple[float | None, bool]]:
        """Members inside the search area, with (distance in km, inside the asked place)."""
        if place is None:
            return dict.fromkeys(ids, (None, False))
        inside = region_scope(self.gazetteer, place)
        km = self._from(place)
        out: dict[str, tuple[float | None, bool]] = {}
        for i in ids:
            at = self._rows[i].place
            if at is None:
                continue
            d = 0.0 if at in inside else km.get(at)
            if d is None:  # based in a larger place than a gemeente: its centre
                own = self.gazetteer.find(at)
                if own is None:
                    continue
                d = min(haversine_km(own.lat, own.lon, g.lat, g.lon)
                        for g in self.gazetteer.gemeenten_of(place))
            if at in inside or (radius_km is not None and d <= radius_km):
                out[i] = (d, at in inside)
        return out

    # -- scoring and explaining -----------------------------------------------------------

    def _theme_strength(self, member_id: str, theme: str, scope: set[str]) -> float:
        levels = self._rows[member_id].themes
        return max((lvl / 3.0) * (1.0 if t == theme else NARROWER)
                   for t, lvl in levels.items() if t in scope)

    def _hit(self, found: _Found, place: Place | None, named: dict[str, float],
             rel: Relevance | None, mine: bool, viewer: Viewer) -> NearbyHit:
        row = self._rows[found.id]
        gemeente = self.gazetteer.find(row.place) if row.place else None
        reasons: list[str] = []
        own = row.themes if shows(row.props, "themes", viewer) else {}
        themes = sorted((t for t in own if t in named),
                        key=lambda t: (-named[t], -own[t], self.theme_names.get(t, t)))
        if themes:
            reasons.append("werkt aan " + ", ".join(
                _lower_first(self.theme_names.get(t, t)) for t in themes[:REASON_THEMES]))
        if rel is not None and not themes:  # a theme says more than shared words
            suggestion = rel.explain(found.id)
            words = [r.text for r in suggestion.reasons if r.signal == "lexical"] \
                if suggestion else []
            reasons.append(_lower_first(words[0]) if words else "profiel lijkt op de zoekvraag")
        if place is not None and found.distance is not None:
            if found.inside and place.kind == "gemeente":
                reasons.append("in uw gemeente" if mine else f"in {place.name}")
            elif found.inside:
                reasons.append(f"in {place.name}")
            else:
                reasons.append(f"{round(found.distance)} km")
        area = self._area(gemeente, place)
        if area and f"in {area}" not in reasons:
            reasons.append(area)
        distance = round(found.distance) if found.distance is not None else None
        function = row.function if shows(row.props, "function", viewer) else None
        return NearbyHit(found.id, row.name, function, row.roles,
                         gemeente.name if gemeente else None, distance, found.score, reasons)

    def _area(self, gemeente: Place | None, place: Place | None) -> str | None:
        """The named region the member works in (one shared with the asked place first), or
        else their provincie."""
        if gemeente is None:
            return None
        around = self.gazetteer.containing(gemeente)
        regions = [q for q in around if q.kind in ("regio", "jeugdregio")]
        if place is not None:  # stable: otherwise smallest kinds first, as containing() gives
            wanted = {g.id for g in self.gazetteer.gemeenten_of(place)}
            regions.sort(key=lambda q: q.id != place.id and wanted.isdisjoint(q.parts))
        if regions:
            return regions[0].name
        provincie = next((q for q in around if q.kind == "provincie"), None)
        return f"provincie {provincie.name}" if provincie else None


_RELS = ("BASED_IN", "WORKS_ON", "ACTIVE_IN")


def _row(member_id: str, p: dict[str, Any],
         outs: dict[str, list[tuple[str, dict[str, Any]]]]) -> _Row:
    """One member as nearby search sees it (the same for a full build and an update)."""
    places = sorted(end for end, _ in outs["BASED_IN"])
    return _Row(name=p.get("name", member_id), function=p.get("function") or None,
                roles=list(p.get("roles", ["member"])), props=p,
                place=places[-1] if places else None,
                themes={t: int(rel.get("level", 2)) for t, rel in outs["WORKS_ON"]},
                domains={d for d, _ in outs["ACTIVE_IN"]})


def _theme_names(store: GraphStore) -> dict[str, str]:
    return {t: p.get("name", t) for t, p in store.props_of(store.ids("Theme")).items()}


def _lower_first(text: str) -> str:
    """'Thuiszitters' -> 'thuiszitters'; abbreviations such as 'GGZ' stay."""
    if len(text) > 1 and text[1].isupper():
        return text
    return text[:1].lower() + text[1:]

