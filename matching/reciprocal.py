"""Voor jou: people to meet where both sides gain (a reciprocal recommender).

For a member ``me`` and a candidate ``c`` two directions are scored, each in 0..1:

- *what I gain*: how much of what I seek (SEEKS) ``c`` brings (OFFERS, or WORKS_ON as a
  weaker offer), per sought theme the best match (same theme 1, a narrower theme 0.8, a
  broader one 0.5) times the level (3 expert … 1 basis), averaged over what I seek;
- *what they gain*: the same with the roles swapped.

The two are joined by their harmonic mean, as reciprocal recommenders do (RECON, Pizzato
et al. 2010): it is 0 when either side gains nothing and favours pairs where both gain.
Then near comes first (a factor that halves by about 40 km) and a pair from different
domains gets a bonus; someone I already met at an activity (a weak MET_AT tie) a small one,
since a face one has seen is easier to ask. Who may be suggested follows the matcher exactly
(matching/catalog_rows.py): consent to matching, and themes a member may see
(graph/privacy.py); people one already knows and staff-entered conflicts are left out.

:class:`Reciprocal` is a read model: built once, then :meth:`Reciprocal.apply` re-reads only
the members a change touched.
"""

from __future__ import annotations

import copy
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from schakel.graph.changes import ChangeSet
from schakel.graph.geo import haversine_km
from schakel.graph.privacy import shows
from schakel.graph.store import GraphStore

__all__ = ["Person", "Pair", "Reciprocal", "harmonic", "NARROWER", "BROADER", "WORKS_WEIGHT",
           "CROSS_DOMAIN_BONUS", "MET_BONUS", "HALF_KM"]

NARROWER = 0.8  # they know a narrower theme of what I seek
BROADER = 0.5  # they know the broader theme
WORKS_WEIGHT = 0.7  # WORKS_ON counts as an offer, less than a stated one
CROSS_DOMAIN_BONUS = 1.15
MET_BONUS = 1.1  # met at an activity: a small nudge, never more than the themes
HALF_KM = 40.0  # at this distance the nearness factor is halfway between 1 and its floor
NEAR_FLOOR = 0.5  # far away still counts half; an unknown place counts as far
_RELS = ("SEEKS", "OFFERS", "WORKS_ON", "BASED_IN", "ACTIVE_IN", "KNOWS", "CONFLICT", "MET_AT")


@dataclass(frozen=True)
class Person:
    id: str
    name: str
    seeks: frozenset[str]
    offers: Mapping[str, tuple[int, bool]]  # theme -> (level 1-3, stated: OFFERS not WORKS_ON)
    place: str | None
    point: tuple[float, float] | None
    domains: frozenset[str]
    avoid: frozenset[str]  # people known, and conflicts (either direction)
    allowed: bool  # may be suggested to other members (consent, themes visible)
    met: Mapping[str, str] = field(default_factory=dict)  # other member -> activity (MET_AT)


@dataclass(frozen=True)
class Side:
    """One direction: the score and which sought theme met which offered one."""

    score: float
    matches: tuple[tuple[str, str, int, bool], ...]  # (sought, offered, level, stated)


@dataclass(frozen=True)
class Pair:
    candidate: Person
    score: float
    mine: Side  # what I gain
    theirs: Side  # what they gain
    km: float | None
    cross_domain: bool
    themes: tuple[str, ...] = field(default=())
    met_at: str = ""  # the activity where the two met, if they did


def harmonic(a: float, b: float) -> float:
    """The harmonic mean of two scores in 0..1 (0 when either is 0).

    >>> harmonic(1.0, 0.0), round(harmonic(0.5, 1.0), 3)
    (0.0, 0.667)
    """
    return 0.0 if a <= 0 or b <= 0 else 2 * a * b / (a + b)


def _side(seeks: Iterable[str], offers: Mapping[str, tuple[int, bool]],
          up: Mapping[str, frozenset[str]]) -> Side:
    """How much of ``seeks`` the ``offers`` meet; ``up`` gives a theme's broader themes."""
    sought = list(seeks)
    if not sought:
        return Side(0.0, ())
    total, matches = 0.0, []
    for s in sorted(sought):
        best, found = 0.0, None
        for t, (level, stated) in offers.items():
            if t == s:
                closeness = 1.0
            elif s in up.get(t, ()):
                closeness = NARROWER
            elif t in up.get(s, ()):
                closeness = BROADER
            else:
                continue
            value = closeness * level / 3.0 * (1.0 if stated else WORKS_WEIGHT)
            if value > best:
                best, found = value, (s, t, level, stated)
        if found is not None:
            total += best
            matches.append(found)
    return Side(total / len(sought), tuple(matches))


class Reciprocal:
    """Everyone's seeks and offers, indexed by theme, following the store's change feed."""

    def __init__(self, store: GraphStore) -> None:
        self.store = store
        self.up = _ancestors(store)
        self.people: dict[str, Person] = {}
        self.by_offer: dict[str, set[str]] = defaultdict(set)
        self.by_seek: dict[str, set[str]] = defaultdict(set)
        ids = store.ids("Member")
        for person in _read(store, ids):
            self._put(person)

    def _put(self, p: Person) -> None:
        self.people[p.id] = p
        for t in p.offers:
            self.by_offer[t].add(p.id)
        for t in p.seeks:
            self.by_seek[t].add(p.id)

    def _drop(self, member_id: str) -> None:
        old = self.people.pop(member_id, None)
        if old is None:
            return
        for t in old.offers:
            self.by_offer[t].discard(member_id)
        for t in old.seeks:
            self.by_seek[t].discard(member_id)

    def apply(self, store: GraphStore, changes: ChangeSet) -> Reciprocal:
        """The index after ``changes``: a new object re-reading only the touched members
        (this one is left as it was, for readers that hold it)."""
        touched = set(changes.ids("Member")) | set(changes.removed.get("Member", ()))
        touched |= changes.starts(*_RELS) | changes.ends("KNOWS", "CONFLICT")
        touched |= {s for s, t, _ in changes.removed_rels if t in _RELS}
        touched |= {e for _, t, e in changes.removed_rels if t in ("KNOWS", "CONFLICT")}
        themes = "BROADER" in changes.rel_types or "Theme" in changes.labels
        if not touched and not themes:
            return self
        out = copy.copy(self)
        out.store = store
        out.people = dict(self.people)
        out.by_offer = defaultdict(set, {t: set(v) for t, v in self.by_offer.items()})
        out.by_seek = defaultdict(set, {t: set(v) for t, v in self.by_seek.items()})
        if themes:
            out.up = _ancestors(store)
        for i in touched:
            out._drop(i)
        for person in _read(store, sorted(touched)):
            out._put(person)
        return out

    def _scope(self, themes: Iterable[str]) -> set[str]:
        """Themes that can meet these: the same, narrower and broader ones."""
        wanted = set(themes)
        out = set(wanted)
        for t, ups in self.up.items():
            if ups & wanted:
                out.add(t)
        for t in wanted:
            out |= self.up.get(t, frozenset())
        return out

    def suggest(self, member_id: str, limit: int = 20) -> list[Pair]:
        """The best pairs for ``member_id``, best first; empty when they seek or offer
        nothing (or are unknown)."""
        me = self.people.get(member_id)
        if me is None or not me.seeks or not me.offers:
            return []
        gives = set().union(*(self.by_offer.get(t, ()) for t in self._scope(me.seeks)))
        wants = set().union(*(self.by_seek.get(t, ()) for t in self._scope(me.offers)))
        pairs = []
        for cid in gives & wants:
            c = self.people[cid]
            if cid == me.id or not c.allowed or cid in me.avoid or me.id in c.avoid:
                continue
            mine = _side(me.seeks, c.offers, self.up)
            theirs = _side(c.seeks, me.offers, self.up)
            base = harmonic(mine.score, theirs.score)
            if base <= 0:
                continue
            km = (haversine_km(*me.point, *c.point) if me.point and c.point else None)
            near = _nearness(km)
            cross = bool(me.domains and c.domains and not (me.domains & c.domains))
            met_at = me.met.get(cid, "")
            score = (base * near * (CROSS_DOMAIN_BONUS if cross else 1.0)
                     * (MET_BONUS if met_at else 1.0))
            themes = tuple(dict.fromkeys([m[0] for m in mine.matches]
                                         + [m[0] for m in theirs.matches]))
            pairs.append(Pair(c, round(score, 4), mine, theirs, km, cross, themes, met_at))
        pairs.sort(key=lambda p: (-p.score, p.km if p.km is not None else 1e9, p.candidate.id))
        return pairs[:limit]


def _nearness(km: float | None) -> float:
    if km is None:
        return NEAR_FLOOR
    return NEAR_FLOOR + (1 - NEAR_FLOOR) / (1 + km / HALF_KM)


def _ancestors(store: GraphStore) -> dict[str, frozenset[str]]:
    parents: dict[str, set[str]] = defaultdict(set)
    for child, parent, _ in store.edges(["BROADER"])["BROADER"]:
        parents[child].add(parent)
    out: dict[str, frozenset[str]] = {}
    for t in list(parents):
        seen: set[str] = set()
        todo = list(parents[t])
        while todo:
            p = todo.pop()
            if p not in seen:
                seen.add(p)
                todo.extend(parents.get(p, ()))
        out[t] = frozenset(seen)
    return out


def _read(store: GraphStore, ids: list[str]) -> list[Person]:
    """Members ``ids`` as people (the ones that exist), with one bulk read per relation."""
    props = {i: p for i, p in store.props_of(ids).items() if p.get("label") == "Member"}
    if not props:
        return []
    wanted = set(props)
    outs: dict[str, dict[str, list[tuple[str, dict[str, Any]]]]] = defaultdict(
        lambda: defaultdict(list))
    small = len(wanted) < 200  # a few members: per member; the whole network: per type
    if small:
        for i in wanted:
            for rel in _RELS:
                for r in store.relationships(i, rel):
                    outs[i][rel].append((r.end, r.props))
            for rel in ("KNOWS", "CONFLICT"):
                for r in store.relationships(i, rel, "in"):
                    outs[i]["~" + rel].append((r.start, {}))
    else:
        for rel, rows in store.edges(_RELS).items():
            for s, e, p in rows:
                if s in wanted:
                    outs[s][rel].append((e, p))
                if rel in ("KNOWS", "CONFLICT") and e in wanted:
                    outs[e]["~" + rel].append((s, {}))
    places = {e for i in wanted for e, _ in outs[i]["BASED_IN"]}
    coords = {k: (float(v["lat"]), float(v["lon"])) for k, v in store.props_of(places).items()
              if "lat" in v and "lon" in v}
    people = []
    for i in sorted(wanted):
        a, o = props[i], outs[i]
        offers: dict[str, tuple[int, bool]] = {
            t: (int(p.get("level", 2)), False) for t, p in o["WORKS_ON"]}
        offers.update({t: (int(p.get("level", 2)), True) for t, p in o["OFFERS"]})
        place = sorted(e for e, _ in o["BASED_IN"])[-1] if o["BASED_IN"] else None
        avoid = {e for rel in ("KNOWS", "CONFLICT", "~KNOWS", "~CONFLICT") for e, _ in o[rel]}
        people.append(Person(
            i, str(a.get("name", i)), frozenset(t for t, _ in o["SEEKS"]), offers, place,
            coords.get(place) if place else None, frozenset(d for d, _ in o["ACTIVE_IN"]),
            frozenset(avoid),
            # exactly the matcher's rule for a member asking (catalog_rows.member_row)
            bool(a.get("consent_matching", True)) and shows(a, "themes", "member"),
            {e: str(p.get("activity", "")) for e, p in o["MET_AT"] if e != i}))
    return people
