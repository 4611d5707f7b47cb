"""The network projection: the expert pool as plain dicts, read in bulk, kept up to date.

The map, the brokers table and the exports need the members visible to members, who knows
whom, and a few attributes per member (domain, gemeente, organisation, roles, themes). Copying
the whole graph (``snapshot()``) for that costs seconds at 100,000 members after every write;
this read model is built once from ``store.edges`` and ``store.props_of``, and
:meth:`Projection.apply` re-reads only what a change set touched.

A projection is never changed after it is made: ``apply`` returns a new one that shares the
untouched rows, so a reader keeps the one it started with.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, NamedTuple

import networkx as nx

from .bulk import no_cyclic_gc
from .changes import ChangeSet
from .privacy import shows, visible
from .query import with_narrower
from .store import GraphStore

__all__ = ["Person", "Org", "Projection", "NO_DOMAIN", "REBUILD_SHARE", "shared"]

NO_DOMAIN = "onbekend"
MEMBER_RELS = ("KNOWS", "WORKS_ON", "BASED_IN", "ACTIVE_IN", "WORKS_AT", "MET_AT")
MET_CONTEXT = "ontmoet bij"  # the context of a weak tie: attended an activity together
# Above this share of members touched by one catch-up, reading everything again is cheaper
# than re-reading member by member.
REBUILD_SHARE = 0.05
REBUILD_MIN = 2000


class Person(NamedTuple):
    """What the network views need of one member visible to members (a tuple: 100,000 of
    them are made at start-up)."""

    name: str
    roles: tuple[str, ...]
    based_in: tuple[str, ...]  # region ids, sorted
    works_at: tuple[str, ...]  # organisation ids, sorted
    active_in: tuple[str, ...]  # domain ids, sorted
    themes: frozenset[str]
    shows_organisation: bool
    shows_themes: bool

    @property
    def gemeente(self) -> str:
        return self.based_in[0] if self.based_in else ""

    @property
    def organisation(self) -> str:
        """The organisation other members may see ("" when private or none)."""
        return self.works_at[0] if self.works_at and self.shows_organisation else ""


class Org(NamedTuple):
    name: str
    domains: tuple[str, ...]  # sorted
    gemeente: str


_NONE: tuple[str, ...] = ()


def _person(props: Mapping[str, Any], based_in: Iterable[str], works_at: Iterable[str],
            active_in: Iterable[str], themes: Iterable[str]) -> Person | None:
    if not visible(props):
        return None
    return Person(str(props.get("name", "")), tuple(props.get("roles", ())),
                  tuple(sorted(based_in)), tuple(sorted(works_at)), tuple(sorted(active_in)),
                  frozenset(themes), shows(props, "organisation"), shows(props, "themes"))


def shared(row: tuple[Any, ...], same: Callable[[Any, Any], Any]) -> Person:
    """A person from ``row`` (a Person, or its plain tuple in the kept file) whose tuples and
    theme set are equal ones met before (``same``: a dict's ``setdefault``). 100,000 members
    hold a few thousand distinct roles, places, organisations, domains and theme sets; each
    copy cost 60-220 bytes (at 100k the people rows: 63 -> 35 MB)."""
    return Person(row[0], same(row[1], row[1]), same(row[2], row[2]), same(row[3], row[3]),
                  same(row[4], row[4]), same(row[5], row[5]), row[6], row[7])


def _org(props: Mapping[str, Any], domains: Iterable[str], based_in: Iterable[str]) -> Org:
    return Org(str(props.get("name", "")), tuple(sorted(domains)), min(based_in, default=""))


def _pair_context(out: Mapping[str, Mapping[str, str]], a: str, b: str) -> str | None:
    """The context of the undirected tie a - b: the later id's own word wins (as when the two
    directed edges were added in id order to a networkx graph)."""
    lo, hi = sorted((a, b))
    if lo in out.get(hi, {}):
        return out[hi][lo]
    return out.get(lo, {}).get(hi)


@dataclass(frozen=True)
class Projection:
    """The expert pool at feed position ``seq``. Treat every mapping as read-only.

    ``people``: members visible to members. ``out``: KNOWS as written (member -> {other:
    context}), every member; ``adj``: the same ties undirected, one context per pair.
    ``orgs`` and ``places`` give names and domains; ``narrower``: theme -> narrower themes.
    ``met``: weak "ontmoet bij" ties (MET_AT, written both ways): member -> {other: activity}.
    ``content_seq``: the position of the last change that touched any of this (a question or
    an introduction does not), so results computed from it know when they are out of date.
    """

    seq: int
    people: Mapping[str, Person]
    out: Mapping[str, Mapping[str, str]]
    adj: Mapping[str, Mapping[str, str]]
    orgs: Mapping[str, Org]
    places: Mapping[str, str]
    narrower: Mapping[str, tuple[str, ...]]
    met: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    content_seq: int = -1

    def __post_init__(self) -> None:
        if self.content_seq < 0:
            object.__setattr__(self, "content_seq", self.seq)

    # -- building ----------------------------------------------------------------------------
    @classmethod
    def build(cls, store: GraphStore, seq: int | None = None) -> Projection:
        """Read everything in bulk (never ``snapshot()``). ``seq`` defaults to the store's
        version read *before* the data, so a write during the reads is applied again later
        (applying is idempotent: it re-reads)."""
        seq = store.version if seq is None else seq
        with no_cyclic_gc():  # a million small dicts, no cycles: see bulk.py
            return cls._build(store, seq)

    @classmethod
    def _build(cls, store: GraphStore, seq: int) -> Projection:
        member_ids = store.ids("Member")
        org_ids = store.ids("Organisation")
        edges = store.edges([*MEMBER_RELS, "IN_DOMAIN", "BROADER"])
        by: dict[str, dict[str, list[str]]] = {}
        for rel in ("WORKS_ON", "BASED_IN", "ACTIVE_IN", "WORKS_AT", "IN_DOMAIN"):
            found: dict[str, list[str]] = {}
            for s, e, _ in edges[rel]:
                targets = found.get(s)
                if targets is None:
                    found[s] = [e]
                else:
                    targets.append(e)
            by[rel] = found
        themes, based, active, works = (by["WORKS_ON"], by["BASED_IN"], by["ACTIVE_IN"],
                                        by["WORKS_AT"])
        people = {}
        props = store.props_of(member_ids)
        same = {}.setdefault
        for m in member_ids:
            if m in props:
                row = _person(props[m], based.get(m, _NONE), works.get(m, _NONE),
                              active.get(m, _NONE), themes.get(m, _NONE))
                if row is not None:
                    people[m] = shared(row, same)
        org_props = store.props_of(org_ids)
        org_rows = {o: _org(org_props[o], by["IN_DOMAIN"].get(o, _NONE), based.get(o, _NONE))
                    for o in org_ids if o in org_props}
        knows: dict[str, dict[str, str]] = {}
        members = set(member_ids)
        for s, e, p in edges["KNOWS"]:
            if s != e and s in members and e in members:
                out = knows.get(s)
                if out is None:
                    out = knows[s] = {}
                out[e] = str(p.get("context", "anders"))
        # One context per pair: the later id's own word wins (see _pair_context), so the
        # lower-to-higher ties go in first and the higher-to-lower ones overwrite them.
        adj: dict[str, dict[str, str]] = {m: {} for m in knows}
        for forward in (True, False):
            for s, targets in knows.items():
                for e, ctx in targets.items():
                    if (s < e) == forward:
                        adj[s][e] = ctx
                        row = adj.get(e)
                        if row is None:
                            row = adj[e] = {}
                        row[s] = ctx
        met: dict[str, dict[str, str]] = {}
        for s, e, p in edges["MET_AT"]:
            if s != e and s in members and e in members:
                met.setdefault(s, {})[e] = str(p.get("activity", ""))
        return cls(seq=seq, people=people, out=knows, adj=adj, orgs=org_rows,
                   places=_place_names(store), narrower=_narrower(edges["BROADER"]), met=met)

    def apply(self, store: GraphStore, changes: ChangeSet | Iterable[ChangeSet],
              seq: int | None = None) -> Projection:
        """The projection after ``changes``: only the touched members, their ties and
        organisations are read again. Returns a new projection (this one is left as it is).

        ``seq`` is the new position (default: the change set's own, else this one's)."""
        c = changes if isinstance(changes, ChangeSet) else ChangeSet.merge(changes)
        seq = seq if seq is not None else max(self.seq, c.seq)
        touched = (set(c.ids("Member")) | c.starts(*MEMBER_RELS) | c.ids("Organisation")
                   | c.starts("IN_DOMAIN"))
        if not (touched or c.ids("Region") or "BROADER" in c.rel_types or c.removed.get("Theme")):
            return replace(self, seq=seq)  # nothing the network shows: same content
        if len(touched) > max(REBUILD_MIN, REBUILD_SHARE * len(self.people)):
            return Projection.build(store, seq)
        labels = store.labels_of(touched)
        members = sorted(i for i in touched if labels.get(i) == "Member")
        gone = c.removed.get("Member", frozenset()) - set(members)
        orgs = sorted(i for i in touched if labels.get(i) == "Organisation")
        people = dict(self.people)
        out = dict(self.out)
        met = dict(self.met)
        pairs: set[tuple[str, str]] = set()
        for m in gone:
            people.pop(m, None)
            pairs.update((m, o) for o in self.adj.get(m, {}))
            out.pop(m, None)
            met.pop(m, None)
        props = store.props_of(members)
        for m in members:
            rels = _out_of(store, m)
            knows = {e: ctx for e, ctx in rels.pop("_knows", {}).items() if e != m}
            # MET_AT is written both ways, so each side's own row is the whole truth
            met_row = {e: a for e, a in rels.pop("_met", {}).items() if e != m}
            if met_row:
                met[m] = met_row
            else:
                met.pop(m, None)
            old = self.out.get(m, {})
            pairs.update((m, o) for o in set(old) | set(knows))
            if knows:
                out[m] = knows
            else:
                out.pop(m, None)
            row = _person(props[m], rels.get("BASED_IN", _NONE), rels.get("WORKS_AT", _NONE),
                          rels.get("ACTIVE_IN", _NONE), rels.get("WORKS_ON", _NONE)) \
                if m in props else None
            if row is None:
                people.pop(m, None)
            else:
                people[m] = row
        adj = dict(self.adj)
        copied: set[str] = set()
        for a, b in pairs:
            ctx = _pair_context(out, a, b)
            for x, y in ((a, b), (b, a)):
                if x not in copied:
                    adj[x] = dict(adj.get(x, {}))
                    copied.add(x)
                if ctx is None or x in gone or y in gone:
                    adj[x].pop(y, None)  # type: ignore[attr-defined]
                else:
                    adj[x][y] = ctx  # type: ignore[index]
        for x in copied:
            if not adj[x]:
                del adj[x]
        org_rows = dict(self.orgs)
        for o in c.removed.get("Organisation", frozenset()) - set(orgs):
            org_rows.pop(o, None)
        org_props = store.props_of(orgs)
        for o in orgs:
            rels = _out_of(store, o)
            org_rows[o] = _org(org_props[o], rels.get("IN_DOMAIN", _NONE),
                               rels.get("BASED_IN", _NONE))
        places = self.places
        if c.ids("Region"):
            places = _place_names(store)
        narrower = self.narrower
        if "BROADER" in c.rel_types or c.removed.get("Theme"):
            narrower = _narrower(store.edges(["BROADER"])["BROADER"])
        return Projection(seq=seq, people=people, out=out, adj=adj, orgs=org_rows,
                          places=places, narrower=narrower, met=met)

    # -- questions views ask -----------------------------------------------------------------
    def domain_of(self, member: str) -> str:
        """The one domain brokerage and colours use (see ``network.primary_domain``)."""
        p = self.people[member]
        for org in p.works_at:
            row = self.orgs.get(org)
            domains = row.domains if row else ()
            shared = [d for d in domains if d in p.active_in]
            if shared or domains:
                return (shared or domains)[0]
        return p.active_in[0] if p.active_in else NO_DOMAIN

    def theme_scope(self, theme: str) -> set[str]:
        """A theme and all its narrower themes."""
        return with_narrower(theme, lambda t: self.narrower.get(t, ()))

    def member_ids(self, *, themes: set[str] | None = None, places: set[str] | None = None,
                   domain: str | None = None, role: str | None = None) -> list[str]:
        """Sorted ids of visible members matching every filter given: ``themes`` (a theme
        scope; members who keep their themes private never match), ``places`` (a region
        scope, matched by BASED_IN), ``domain`` (ACTIVE_IN) and ``role``."""
        found = []
        for m, p in self.people.items():
            if themes is not None and (not p.shows_themes or not (p.themes & themes)):
                continue
            if places is not None and not any(r in places for r in p.based_in):
                continue
            if domain is not None and domain not in p.active_in:
                continue
            if role is not None and role not in p.roles:
                continue
            found.append(m)
        return sorted(found)

    def ties(self, member: str, met: bool = True) -> Iterable[str]:
        """Who ``member`` is tied to: KNOWS, and with ``met`` the weak "ontmoet bij" ties."""
        known = self.adj.get(member, {})
        if not met or member not in self.met:
            return known
        return known.keys() | self.met[member].keys()

    def count_edges(self, ids: Iterable[str], met: bool = True) -> int:
        """Ties among ``ids`` (KNOWS, and with ``met`` the weak ones), without building a
        graph (to refuse a huge view)."""
        keep = set(ids)
        return sum(1 for m in keep for o in self.ties(m, met) if o in keep) // 2

    def reach(self, ids: Iterable[str], ego: str, depth: int, *,
              organisations: bool = False, met: bool = True) -> set[str]:
        """Nodes within ``depth`` steps of ``ego`` in the view of ``ids`` (ego included);
        with ``organisations``, steps may pass through shown organisations. The caller has
        checked that ``ego`` is in the view."""
        keep = set(ids)
        members_of: dict[str, list[str]] = {}
        if organisations:
            for m in keep:
                if org := self.people[m].organisation:
                    members_of.setdefault(org, []).append(m)
        seen, frontier = {ego}, [ego]
        for _ in range(depth):
            nxt = []
            for v in frontier:
                if v in members_of:
                    steps: Iterable[str] = members_of[v]
                else:
                    steps = [o for o in self.ties(v, met) if o in keep]
                    if organisations and (org := self.people[v].organisation):
                        steps = [*steps, org]
                for o in steps:
                    if o not in seen:
                        seen.add(o)
                        nxt.append(o)
            frontier = nxt
        return seen

    def graph(self, ids: Iterable[str], *, organisations: bool = False,
              only: set[str] | None = None, met: bool = True) -> nx.Graph:
        """The undirected graph of the visible members in ``ids`` and their ties, with the
        attributes ``network.member_network`` gives; ``organisations`` adds the shown
        organisations of those members (``only``: keep just these nodes, say an ego view);
        ``met`` adds the "ontmoet bij" ties between people who do not know each other yet,
        as edges with ``weak=True``.

        Nodes and edges are added in id order, so the same projection always gives the same
        graph (and the same seeded analysis), however it was built."""
        keep = sorted(m for m in set(ids) if m in self.people)
        if only is not None:
            keep = [m for m in keep if m in only]
        kept = set(keep)
        g = nx.Graph()
        for m in keep:
            p = self.people[m]
            g.add_node(m, kind="lid", name=p.name or m, domain=self.domain_of(m),
                       gemeente=p.gemeente,
                       gemeente_name=self.places.get(p.gemeente, p.gemeente) if p.gemeente
                       else "", organisation=p.organisation, roles=list(p.roles))
        for m in keep:
            for o in sorted(self.adj.get(m, {})):
                if o > m and o in kept:
                    g.add_edge(m, o, context=self.adj[m][o])
        if met:
            for m in keep:
                for o in sorted(self.met.get(m, {})):
                    if o > m and o in kept and not g.has_edge(m, o):
                        g.add_edge(m, o, context=MET_CONTEXT, weak=True)
        if organisations:
            for m in keep:
                org = self.people[m].organisation
                if not org or (only is not None and org not in only):
                    continue
                if org not in g:
                    row = self.orgs.get(org, Org(org, _NONE, ""))
                    g.add_node(org, kind="organisatie", name=row.name or org,
                               domain=row.domains[0] if row.domains else NO_DOMAIN,
                               gemeente=row.gemeente,
                               gemeente_name=self.places.get(row.gemeente, "")
                               if row.gemeente else "", organisation="", roles=[])
                g.add_edge(m, org, context="werkt bij")
        return g


    def arrays(self, ids: Iterable[str], only: set[str] | None = None) -> tuple[list[str], Any]:
        """The members-only graph of :meth:`graph` as ``compiled.Arrays`` (the same nodes and
        ties in the same order, so the same seeded analysis), without making a networkx
        graph: at 100,000 members that saves seconds and hundreds of megabytes."""
        import numpy as np

        from .compiled import Arrays

        keep = sorted(m for m in set(ids) if m in self.people)
        if only is not None:
            keep = [m for m in keep if m in only]
        index = {m: i for i, m in enumerate(keep)}
        pairs: list[int] = []
        for i, m in enumerate(keep):
            for o in sorted(self.adj.get(m, {})):
                j = index.get(o)
                if j is not None and o > m:
                    pairs += (i, j)
        codes: dict[str, int] = {}
        group = np.fromiter((codes.setdefault(self.domain_of(m), len(codes)) for m in keep),
                            dtype=np.int64, count=len(keep))
        edges = np.array(pairs, dtype=np.int64).reshape(-1, 2)
        # sorted ids: their str order is their order
        return keep, Arrays(len(keep), edges, group, np.arange(len(keep), dtype=np.int64))


def _out_of(store: GraphStore, node: str) -> dict[str, Any]:
    """A node's outgoing ties by type (KNOWS with contexts under ``_knows``): one read."""
    out: dict[str, Any] = {}
    for rel in store.relationships(node, None, "out"):
        if rel.type == "KNOWS":
            out.setdefault("_knows", {})[rel.end] = str(rel.props.get("context", "anders"))
        elif rel.type == "MET_AT":
            out.setdefault("_met", {})[rel.end] = str(rel.props.get("activity", ""))
        else:
            out.setdefault(rel.type, []).append(rel.end)
    return out


def _place_names(store: GraphStore) -> dict[str, str]:
    ids = store.ids("Region")
    return {i: str(p.get("name", i)) for i, p in store.props_of(ids).items()}


def _narrower(broader: list[tuple[str, str, dict[str, Any]]]) -> dict[str, tuple[str, ...]]:
    found: dict[str, list[str]] = {}
    for child, parent, _ in broader:
        found.setdefault(parent, []).append(child)
    return {k: tuple(sorted(v)) for k, v in found.items()}
