"""What can be suggested, as arrays: members, practices, communities and peer regions.

Built once per graph version by bulk reads from the store. Every kind has the same columns (text,
themes, anchor place, domains), so one scorer serves all; members also carry roles, consent,
availability and load.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
from scipy import sparse

from schakel.graph.geo import Gazetteer
from schakel.graph.model import ROLES
from schakel.graph.privacy import shows, visible
from schakel.graph.store import GraphStore

from .brokering.states import OPEN

__all__ = ["Catalog", "Items", "Taxonomy", "KINDS", "availability_score"]

KINDS = ("member", "region", "practice", "community")

# How much time a member offers, as a 0..1 score (the texts members choose from).
_AVAILABILITY = {
    "een uur per week": 1.0, "een dagdeel per maand": 0.9, "twee uur per maand": 0.8,
    "een uur per maand": 0.6, "op afspraak": 0.6, "na schooltijd": 0.6, "alleen online": 0.5,
    "een dagdeel per kwartaal": 0.4,
}
_OPEN_INTRODUCTIONS = OPEN  # requests waiting on the candidate or the asker


def availability_score(text: str) -> float:
    return _AVAILABILITY.get(text.strip().lower(), 0.5)


@dataclass
class Taxonomy:
    """Themes and domains with their names, synonyms and the broader/narrower tree."""

    theme_ids: list[str]
    theme_names: dict[str, str]
    theme_phrases: dict[str, list[str]]  # id -> name, synonyms, id words
    theme_texts: dict[str, str]  # id -> name + description, for the encoder
    broader: dict[str, set[str]]
    narrower: dict[str, set[str]]
    assignable: set[str]
    domain_ids: list[str]
    domain_names: dict[str, str]
    domain_phrases: dict[str, list[str]]

    @cached_property
    def theme_index(self) -> dict[str, int]:
        return {t: i for i, t in enumerate(self.theme_ids)}

    def descendants(self, theme: str) -> set[str]:
        out: set[str] = set()
        todo = [theme]
        while todo:
            for child in self.narrower.get(todo.pop(), ()):
                if child not in out:
                    out.add(child)
                    todo.append(child)
        return out

    def vocabulary(self) -> list[str]:
        words = [p for ps in self.theme_phrases.values() for p in ps]
        return words + [p for ps in self.domain_phrases.values() for p in ps]


@dataclass
class Items:
    """One kind of candidate, row by row."""

    kind: str
    ids: list[str]
    names: list[str]
    texts: list[str]
    themes: sparse.csr_matrix  # rows x themes, weight 0..1 (a member's level / 3)
    anchor: np.ndarray  # index of the row's place in Catalog.places, -1 for none
    domains: np.ndarray  # rows x domains, 0/1
    extra_anchors: dict[int, list[int]] = field(default_factory=dict)
    roles: np.ndarray | None = None  # rows x ROLES, 0/1 (members)
    allowed: np.ndarray | None = None  # consent and visibility for members (members)
    allowed_staff: np.ndarray | None = None  # the same for regiebureau staff
    availability: np.ndarray | None = None
    load: np.ndarray | None = None  # open introductions
    group: np.ndarray | None = None  # organisation index, for diversity (members)
    counts: dict[int, str] = field(default_factory=dict)  # row -> short Dutch summary (regions)

    def __len__(self) -> int:
        return len(self.ids)


_LABELS = ("Member", "Practice", "Community", "Organisation", "Theme", "Domain", "Introduction")
_EDGES = ("WORKS_ON", "ACTIVE_IN", "BASED_IN", "WORKS_AT", "SUGGESTS", "ABOUT", "IN_REGION",
          "INVOLVES", "IN_DOMAIN", "BROADER")


class Catalog:
    """All candidate kinds of one graph version, read in bulk from the store (no copy of the
    whole graph: KNOWS and the rest are never read)."""

    def __init__(self, store: GraphStore, gazetteer: Gazetteer) -> None:
        self.gazetteer = gazetteer
        self.places = gazetteer.places()
        self.place_index = {p.id: n for n, p in enumerate(self.places)}
        self.attrs: dict[str, dict[str, Any]] = {}
        self.by_label: dict[str, list[str]] = {}
        for label in _LABELS:
            ids = store.ids(label)
            self.by_label[label] = ids
            self.attrs.update(store.props_of(ids))
        self._out: dict[str, dict[str, list[tuple[str, dict[str, Any]]]]] = {}
        self._in: dict[str, dict[str, list[str]]] = {}
        for rel, rows in store.edges(_EDGES).items():
            out: dict[str, list[tuple[str, dict[str, Any]]]] = defaultdict(list)
            for start, end, props in rows:
                out[start].append((end, props))
            self._out[rel] = out
            if rel == "SUGGESTS":  # the only type read backwards (open introductions)
                back: dict[str, list[str]] = defaultdict(list)
                for start, end, _ in rows:
                    back[end].append(start)
                self._in[rel] = back
        self.taxonomy = self._taxonomy()
        self._tindex = self.taxonomy.theme_index
        self._dindex = {d: n for n, d in enumerate(self.taxonomy.domain_ids)}
        self.organisations = self.by_label["Organisation"]
        self._oindex = {o: n for n, o in enumerate(self.organisations)}
        self.members = self._members()
        self.practices = self._practices()
        self.communities = self._communities()
        self.regions = self._regions()
        self.kinds = {"member": self.members, "practice": self.practices,
                      "community": self.communities, "region": self.regions}

    # -- helpers -------------------------------------------------------------------------

    def _outs(self, node: str, rel: str) -> list[tuple[str, dict[str, Any]]]:
        return self._out.get(rel, {}).get(node, [])

    def _theme_matrix(self, rows: list[dict[str, float]]) -> sparse.csr_matrix:
        data, cols, ptr = [], [], [0]
        for row in rows:
            for theme, weight in row.items():
                if theme in self._tindex:
                    cols.append(self._tindex[theme])
                    data.append(weight)
            ptr.append(len(cols))
        return sparse.csr_matrix(
            (np.array(data, dtype=np.float32), np.array(cols, dtype=np.int32), np.array(ptr)),
            shape=(len(rows), len(self._tindex)))

    def _domain_matrix(self, rows: list[set[str]]) -> np.ndarray:
        out = np.zeros((len(rows), len(self._dindex)), dtype=np.float32)
        for r, domains in enumerate(rows):
            for d in domains:
                if d in self._dindex:
                    out[r, self._dindex[d]] = 1.0
        return out

    def theme_label(self, theme: str) -> str:
        return self.taxonomy.theme_names.get(theme, theme)

    def _taxonomy(self) -> Taxonomy:
        themes, domains = self.by_label["Theme"], self.by_label["Domain"]
        broader: dict[str, set[str]] = defaultdict(set)
        narrower: dict[str, set[str]] = defaultdict(set)
        for t in themes:
            for up, _ in self._outs(t, "BROADER"):
                broader[t].add(up)
                narrower[up].add(t)
        attrs = self.attrs

        def phrases(node: str) -> list[str]:
            a = attrs[node]
            return [a.get("name", ""), *a.get("synonyms", []), node.replace("_", " ")]

        return Taxonomy(
            theme_ids=themes,
            theme_names={t: attrs[t].get("name", t) for t in themes},
            theme_phrases={t: phrases(t) for t in themes},
            theme_texts={t: f"{attrs[t].get('name', t)}. {attrs[t].get('description', '')}"
                         for t in themes},
            broader=dict(broader),
            narrower=dict(narrower),
            assignable={t for t in themes if attrs[t].get("assignable", True)},
            domain_ids=domains,
            domain_names={d: attrs[d].get("name", d) for d in domains},
            domain_phrases={d: phrases(d) for d in domains},
        )

    # -- kinds ---------------------------------------------------------------------------

    def _members(self) -> Items:
        ids = self.by_label["Member"]
        names, texts, theme_rows, domain_rows = [], [], [], []
        anchor = np.full(len(ids), -1, dtype=np.int32)
        roles = np.zeros((len(ids), len(ROLES)), dtype=np.float32)
        allowed = np.zeros(len(ids), dtype=bool)
        allowed_staff = np.zeros(len(ids), dtype=bool)
        avail = np.zeros(len(ids), dtype=np.float32)
        load = np.zeros(len(ids), dtype=np.float32)
        group = np.full(len(ids), -1, dtype=np.int32)
        role_index = {r: n for n, r in enumerate(ROLES)}
        for r, mid in enumerate(ids):
            a = self.attrs[mid]
            themes = {t: int(d.get("level", 2)) / 3.0 for t, d in self._outs(mid, "WORKS_ON")}
            domains = {d for d, _ in self._outs(mid, "ACTIVE_IN")}
            for place, _ in self._outs(mid, "BASED_IN"):
                anchor[r] = self.place_index.get(place, -1)
            for org, _ in self._outs(mid, "WORKS_AT"):
                group[r] = self._oindex.get(org, -1)
            load[r] = sum(1 for i in self._in.get("SUGGESTS", {}).get(mid, ())
                          if self.attrs.get(i, {}).get("state", "") in _OPEN_INTRODUCTIONS)
            names.append(a.get("name", mid))
            theme_names = ", ".join(self.theme_label(t) for t in sorted(themes))
            texts.append(" ".join(x for x in (a.get("function") or "", a.get("profile", ""),
                                              theme_names) if x))
            theme_rows.append(themes)
            domain_rows.append(domains)
            for role in a.get("roles", ["member"]):
                if role in role_index:
                    roles[r, role_index[role]] = 1.0
            consent = bool(a.get("consent_matching", True))
            # Texts name the themes, so a member who keeps themes private is not found on
            # subject by other members at all.
            allowed[r] = consent and shows(a, "themes", "member")
            allowed_staff[r] = consent and visible(a, "staff")
            avail[r] = availability_score(a.get("availability", ""))
        return Items("member", ids, names, texts, self._theme_matrix(theme_rows), anchor,
                     self._domain_matrix(domain_rows), roles=roles, allowed=allowed,
                     allowed_staff=allowed_staff,
                     availability=avail, load=load, group=group)

    def _practices(self) -> Items:
        ids = self.by_label["Practice"]
        names, texts, theme_rows, domain_rows = [], [], [], []
        anchor = np.full(len(ids), -1, dtype=np.int32)
        extra: dict[int, list[int]] = {}
        for r, pid in enumerate(ids):
            a = self.attrs[pid]
            themes = {t: 1.0 for t, _ in self._outs(pid, "ABOUT")}
            places = [self.place_index[p] for p, _ in self._outs(pid, "IN_REGION")
                      if p in self.place_index]
            if places:
                anchor[r] = places[0]
                extra[r] = places[1:]
            domains = {d for o, _ in self._outs(pid, "INVOLVES") for d, _ in
                       self._outs(o, "IN_DOMAIN")}
            names.append(a.get("title", pid))
            texts.append(f"{a.get('title', '')}. {a.get('summary', '')} "
                         + ", ".join(self.theme_label(t) for t in sorted(themes)))
            theme_rows.append(themes)
            domain_rows.append(domains)
        return Items("practice", ids, names, texts, self._theme_matrix(theme_rows), anchor,
                     self._domain_matrix(domain_rows), extra_anchors=extra)

    def _communities(self) -> Items:
        ids = self.by_label["Community"]
        names, texts, theme_rows = [], [], []
        for cid in ids:
            a = self.attrs[cid]
            themes = {t: 1.0 for t, _ in self._outs(cid, "ABOUT")}
            names.append(a.get("name", cid))
            texts.append(f"{a.get('name', '')}. {a.get('description', '')} "
                         + ", ".join(self.theme_label(t) for t in sorted(themes)))
            theme_rows.append(themes)
        return Items("community", ids, names, texts, self._theme_matrix(theme_rows),
                     np.full(len(ids), -1, dtype=np.int32),
                     self._domain_matrix([set() for _ in ids]))

    def _regions(self) -> Items:
        """Peer regions: named regions, network gemeenten and gemeenten with practices,
        described by what their (visible) members and practices work on."""
        gaz = self.gazetteer
        practice_places: dict[str, list[int]] = defaultdict(list)
        for r in range(len(self.practices)):
            for p in [self.practices.anchor[r], *self.practices.extra_anchors.get(r, [])]:
                if p >= 0:
                    practice_places[self.places[p].id].append(r)
        chosen = [p for p in self.places if p.kind in ("regio", "jeugdregio")
                  or (p.kind == "gemeente" and (p.tags or p.id in practice_places))]
        members = self.members
        by_gemeente: dict[int, list[int]] = defaultdict(list)
        for r in np.flatnonzero(members.allowed):
            by_gemeente[int(members.anchor[r])].append(int(r))
        ids, names, texts, theme_rows = [], [], [], []
        counts: dict[int, str] = {}
        for place in chosen:
            rows = [m for g in gaz.gemeenten_of(place) for m in
                    by_gemeente.get(self.place_index[g.id], [])]
            prs = sorted({r for g in [place.id, *place.parts] for r in practice_places.get(g, [])})
            weight: dict[str, float] = defaultdict(float)
            if rows:
                sums = np.asarray(members.themes[rows].sum(axis=0)).ravel()
                top = sums.max() or 1.0
                for t in np.flatnonzero(sums):
                    weight[self.taxonomy.theme_ids[t]] = float(sums[t] / top)
            for r in prs:
                for t in self.practices.themes[r].indices:
                    weight[self.taxonomy.theme_ids[t]] = 1.0
            best = sorted(weight, key=lambda t: -weight[t])[:6]
            n = len(ids)
            ids.append(place.id)
            names.append(place.name)
            texts.append(f"{place.name}. "
                         + " ".join(self.practices.names[r] + "." for r in prs)
                         + " Hier wordt gewerkt aan: "
                         + ", ".join(self.theme_label(t) for t in best))
            theme_rows.append(weight)
            counts[n] = f"{len(rows)} leden, {len(prs)} praktijkvoorbeelden"
        anchor = np.array([self.place_index[i] for i in ids], dtype=np.int32)
        return Items("region", ids, names, texts, self._theme_matrix(theme_rows), anchor,
                     self._domain_matrix([set() for _ in ids]), counts=counts)

