"""What can be suggested, as arrays: members, practices, communities and peer regions.

Built by bulk reads from the store, then kept up to date from change sets (:meth:`Catalog.apply`):
an update re-reads only the touched ids and splices their rows into copies of the arrays, so
the result equals a fresh build. Every kind has the same columns (text, themes, anchor place,
domains), so one scorer serves all; members also carry roles, consent, availability and load.
A catalog is never changed once built.
"""

from __future__ import annotations

import copy
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
from scipy import sparse

from schakel.graph.changes import ChangeSet
from schakel.graph.geo import Gazetteer
from schakel.graph.store import GraphStore

from .catalog_rows import (
    BulkSource,
    Frame,
    LiveSource,
    Row,
    availability_score,
    chosen,
    community_row,
    items_of,
    member_row,
    members_by_gemeente,
    practice_places,
    practice_row,
    region_row,
    splice_items,
)
from .layered import Layered
from .offers import is_need
from .splice import Splice, row_of

__all__ = ["Catalog", "Items", "Taxonomy", "KINDS", "availability_score"]

KINDS = ("member", "region", "practice", "community")

@dataclass
class Taxonomy:
    """Themes and domains with their names, synonyms and the broader/narrower tree."""

    theme_ids: list[str]
    theme_names: dict[str, str]
    theme_phrases: dict[str, list[str]]  # id -> name, synonyms, id words
    theme_texts: dict[str, str]  # id -> name + description, for the encoder
    theme_examples: dict[str, list[str]]  # id -> how people describe a case of it
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
    needs: list[str] = field(default_factory=list)  # per row: what it seeks (members), not searched

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def domain_bits(self) -> np.ndarray | None:
        """Each row's domains as the bits of one integer (None: too many domains)."""
        return self._bits("domains")

    @property
    def role_bits(self) -> np.ndarray | None:
        return self._bits("roles")

    @property
    def theme_mix(self) -> sparse.csr_matrix:
        """Each row's themes as shares that sum to 1, by level (a row without themes is
        empty); kept beside the theme matrix it was made from, like :meth:`_bits`."""
        kept = self.__dict__.get("_theme_mix")
        if kept is None or kept[0] is not self.themes:
            sums = np.asarray(self.themes.sum(axis=1), dtype=np.float32).ravel()
            scale = sparse.diags(np.divide(1.0, sums, out=np.zeros_like(sums), where=sums > 0))
            kept = (self.themes, sparse.csr_matrix(scale @ self.themes, dtype=np.float32))
            self.__dict__["_theme_mix"] = kept
        return kept[1]

    @property
    def themes_by_column(self) -> sparse.csc_matrix:
        """:attr:`themes` stored by column, for products with a question's theme vector
        (100k members: 0.63 -> 0.26 ms; the row layout stays for reading rows)."""
        return self._by_column("themes", lambda: self.themes)

    @property
    def theme_mix_by_column(self) -> sparse.csc_matrix:
        return self._by_column("theme_mix", lambda: self.theme_mix)

    @property
    def themeless(self) -> np.ndarray:
        """The rows without themes, kept beside the theme matrix like :attr:`theme_mix`."""
        kept = self.__dict__.get("_themeless")
        if kept is None or kept[0] is not self.themes:
            kept = (self.themes, np.flatnonzero(np.diff(self.theme_mix.indptr) == 0))
            self.__dict__["_themeless"] = kept
        return kept[1]

    @property
    def availability_signal(self) -> np.ndarray:
        """Availability, less for each open introduction: the same for every question,
        kept beside the arrays it was made from (read-only: shared by requests)."""
        kept = self.__dict__.get("_availability_signal")
        if kept is None or kept[0] is not self.availability or kept[1] is not self.load:
            signal = (np.asarray(self.availability) / (1.0 + np.asarray(self.load))
                      ).astype(np.float32)
            signal.setflags(write=False)
            kept = (self.availability, self.load, signal)
            self.__dict__["_availability_signal"] = kept
        return kept[2]

    @property
    def extra_pairs(self) -> tuple[np.ndarray, np.ndarray]:
        """:attr:`extra_anchors` as two arrays (row, place), for reading every row's places
        at once; kept beside the dict it was made from, like :meth:`_bits`."""
        kept = self.__dict__.get("_extra_pairs")
        if kept is None or kept[0] is not self.extra_anchors:
            pairs = [(r, p) for r, extra in self.extra_anchors.items() for p in extra]
            rows = np.array([r for r, _ in pairs], dtype=np.int64)
            places = np.array([p for _, p in pairs], dtype=np.int64)
            kept = (self.extra_anchors, (rows, places))
            self.__dict__["_extra_pairs"] = kept
        return kept[1]

    def _by_column(self, name: str, matrix: Callable[[], sparse.csr_matrix]
                   ) -> sparse.csc_matrix:
        kept = self.__dict__.get(f"_csc_{name}")
        if kept is None or kept[0] is not self.themes:
            kept = (self.themes, sparse.csc_matrix(matrix(), dtype=np.float32))
            self.__dict__[f"_csc_{name}"] = kept
        return kept[1]

    def _bits(self, name: str) -> np.ndarray | None:
        """:func:`bits` of one array, kept beside the array it was made from (a splice or
        a copy that sets a new array gets new bits)."""
        has = getattr(self, name)
        kept = self.__dict__.get(f"_bits_{name}")
        if kept is None or kept[0] is not has:
            kept = (has, None if has is None else bits(has))
            self.__dict__[f"_bits_{name}"] = kept
        return kept[1]


MAX_BITS = 12  # columns coded as bits; a table of 2**12 weights per question is cheap


def bits(has: np.ndarray) -> np.ndarray | None:
    """Row ``r``'s nonzero columns as the bits of ``out[r]`` (None above ``MAX_BITS``)."""
    if has.ndim != 2 or has.shape[1] > MAX_BITS:
        return None
    out = np.zeros(len(has), dtype=np.uint16)
    for j in range(has.shape[1]):
        out |= (has[:, j] > 0).astype(np.uint16) << j
    return out


_LABELS = ("Member", "Practice", "Community", "Organisation", "Theme", "Domain")
_EDGES = ("WORKS_ON", "ACTIVE_IN", "BASED_IN", "WORKS_AT", "SUGGESTS", "ABOUT", "IN_REGION",
          "INVOLVES", "IN_DOMAIN", "BROADER")
_MEMBER_RELS = ("WORKS_ON", "ACTIVE_IN", "BASED_IN", "WORKS_AT")
# Reference data every row is built against: a change to it rebuilds everything.
_TAXONOMY_LABELS = ("Theme", "Domain")

# What the matcher reads of a member or an organisation after the build (the explanation's
# roles, function, availability and organisation name). The rest (the profile, consent,
# ...) is in the rows already; 100,000 whole property dicts cost about 100 MB.
_KEPT = {"Member": ("label", "name", "roles", "function", "availability"),
         "Organisation": ("label", "name")}


def _kept(attrs: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {i: ({k: a[k] for k in keep if k in a} if (keep := _KEPT.get(a["label"])) else a)
            for i, a in attrs.items()}


class Catalog:
    """All candidate kinds of one graph version, read in bulk from the store (no copy of the
    whole graph: KNOWS and the rest are never read). Never changed once built: :meth:`apply`
    gives the next version, sharing what did not change."""

    def __init__(self, store: GraphStore, gazetteer: Gazetteer) -> None:
        self.gazetteer = gazetteer
        self.places = gazetteer.places()
        self.place_index = {p.id: n for n, p in enumerate(self.places)}
        # place id -> the places whose gemeenten include it (which peer regions it feeds)
        self.covering: dict[str, list[str]] = defaultdict(list)
        for p in self.places:
            for g in gazetteer.gemeenten_of(p):
                self.covering[g.id].append(p.id)
        by_label = {label: store.ids(label) for label in _LABELS}
        attrs: dict[str, dict[str, Any]] = {}
        for label in _LABELS:
            attrs.update(store.props_of(by_label[label]))
        self.attrs = Layered(attrs)  # node id -> properties (members, practices, ...)
        states = {i: p.get("state", "") for i, p in
                  store.props_of(store.ids("Introduction")).items()}
        edges = store.edges(_EDGES)
        suggests: dict[str, list[str]] = defaultdict(list)
        for intro, candidate, _ in edges["SUGGESTS"]:
            suggests[intro].append(candidate)
        self.suggests = {i: tuple(sorted(c)) for i, c in suggests.items()}  # intro -> candidates
        src = BulkSource(edges, states)
        self.taxonomy = self._taxonomy(by_label["Theme"], by_label["Domain"], src)
        self.organisations = by_label["Organisation"]
        f = self.frame = self._frame()
        a = attrs
        self.members = items_of("member", [member_row(i, a[i], src, f)
                                           for i in by_label["Member"]], f)
        self.practices = items_of("practice", [practice_row(i, a[i], src, f)
                                               for i in by_label["Practice"]], f)
        self.communities = items_of("community", [community_row(i, a[i], src, f)
                                                  for i in by_label["Community"]], f)
        self.attrs = Layered(_kept(attrs))
        is_need.cache_clear()  # its sentences helped this build only (10 MB at 100k)
        at = practice_places(self.practices, self.places)
        want = [p for p in self.places if chosen(p, at)]
        self.regions = self._regions(want, at, members_by_gemeente(self.members))
        self._kinds()

    def _kinds(self) -> None:
        self.kinds = {"member": self.members, "practice": self.practices,
                      "community": self.communities, "region": self.regions}

    def _frame(self) -> Frame:
        tax = self.taxonomy
        return Frame(tax.theme_ids, tax.theme_names, tax.domain_ids, self.places,
                     self.place_index, self.organisations)

    def theme_label(self, theme: str) -> str:
        return self.taxonomy.theme_names.get(theme, theme)

    def _taxonomy(self, themes: list[str], domains: list[str], src: BulkSource) -> Taxonomy:
        broader: dict[str, set[str]] = defaultdict(set)
        narrower: dict[str, set[str]] = defaultdict(set)
        for t in themes:
            for up, _ in src.outs(t, "BROADER"):
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
            theme_examples={t: list(attrs[t].get("examples") or []) for t in themes},
            broader=dict(broader),
            narrower=dict(narrower),
            assignable={t for t in themes if attrs[t].get("assignable", True)},
            domain_ids=domains,
            domain_names={d: attrs[d].get("name", d) for d in domains},
            domain_phrases={d: phrases(d) for d in domains},
        )

    def _regions(self, want: list[Any], at: dict[str, list[int]],
                 by_gemeente: dict[int, np.ndarray]) -> Items:
        rows = [region_row(p, self.gazetteer, self.frame, self.members, self.practices,
                           by_gemeente, at) for p in want]
        return items_of("region", rows, self.frame)  # type: ignore[no-any-return]

    # -- following changes ------------------------------------------------------------------

    def apply(self, store: GraphStore, changes: ChangeSet
              ) -> tuple[Catalog, dict[str, Splice]] | None:
        """The next version after ``changes`` (already committed to ``store``), and the
        splice of every kind whose rows changed; None when the taxonomy changed (themes,
        domains, BROADER: reference data every row is built against), which needs a full
        build. Only touched ids are read again."""
        if any(changes.ids(label) for label in _TAXONOMY_LABELS) or \
                changes.rel_keys("BROADER"):
            return None
        new = copy.copy(self)
        live = LiveSource(store)
        members = set(changes.ids("Member")) | changes.starts(*_MEMBER_RELS) \
            | changes.ends("SUGGESTS")
        intros = changes.ids("Introduction") | changes.starts("SUGGESTS")
        if intros:  # an introduction's state counts in its candidates' load
            new.suggests = dict(self.suggests)
            for i in intros:
                members |= set(new.suggests.pop(i, ()))
                now = tuple(store.neighbour_ids(i, "SUGGESTS"))
                members |= set(now)
                if now:
                    new.suggests[i] = now
        orgs = set(changes.ids("Organisation")) | changes.starts("IN_DOMAIN")
        practices = set(changes.ids("Practice")) | changes.starts("ABOUT", "IN_REGION",
                                                                    "INVOLVES")
        for o in orgs:  # a practice's domains are those of the organisations it involves
            practices |= set(store.neighbour_ids(o, "INVOLVES", "in"))
        communities = set(changes.ids("Community")) | changes.starts("ABOUT")
        labels = store.labels_of(members | practices | communities | orgs)
        splices: dict[str, Splice] = {}

        def touched(ids: set[str], label: str, old: list[str]) -> Splice:
            present = {i for i in ids if labels.get(i) == label}
            return Splice(old, present | {i for i in ids if row_of(old, i) is not None},
                          present)

        org_splice = touched(orgs, "Organisation", self.organisations)
        old_members = self.members
        if org_splice.ids != self.organisations:  # organisation indexes moved (diversity)
            new.organisations = org_splice.ids
            new.frame = new._frame()
            old_members = copy.copy(self.members)
            remap = np.full(len(self.organisations) + 1, -1, dtype=np.int32)
            kept = np.setdiff1d(np.arange(len(self.organisations)), org_splice.drop)
            remap[kept] = org_splice.moved(kept)
            for r in org_splice.drop.tolist():  # touched, and maybe still there
                n = row_of(org_splice.ids, self.organisations[r])
                remap[r] = -1 if n is None else n
            assert self.members.group is not None
            old_members.group = remap[self.members.group]  # -1 reads the trailing -1
        kinds = {"members": (members, "Member", member_row, old_members),
                 "practices": (practices, "Practice", practice_row, self.practices),
                 "communities": (communities, "Community", community_row, self.communities)}
        changed_attrs = list(org_splice.fresh)
        gone = {self.organisations[r] for r in org_splice.drop.tolist()}
        fresh_rows: dict[str, list[Row]] = {}
        for attr, (ids, label, build, old) in kinds.items():
            splice = touched(ids, label, old.ids)
            if not splice:
                setattr(new, attr, old)
                continue
            props = store.props_of(splice.fresh)
            rows = [build(i, props[i], live, new.frame) for i in splice.fresh]
            setattr(new, attr, splice_items(old, splice, rows, new.frame))
            splices[old.kind] = splice
            fresh_rows[old.kind] = rows
            changed_attrs += splice.fresh
            gone |= {old.ids[r] for r in splice.drop.tolist()}
        if changed_attrs or gone:
            fresh_attrs = _kept(store.props_of(changed_attrs))
            new.attrs = self.attrs.updated(fresh_attrs, gone - set(fresh_attrs))
        region_splice = new._follow_regions(splices, fresh_rows)
        if region_splice:
            splices["region"] = region_splice
        new._kinds()
        return new, splices

    def _follow_regions(self, splices: dict[str, Splice],
                        fresh: dict[str, list[Row]]) -> Splice | None:
        """Recompute the peer regions whose gemeenten hold a touched member (old or new
        place) or a touched practice; ``self`` is the new version, regions still old."""
        old = self.kinds  # still the previous version's items
        places: set[str] = set()
        if "member" in splices:
            s, before = splices["member"], old["member"]
            now = {r.id: r for r in fresh["member"]}
            for r in s.drop.tolist():
                row = now.get(before.ids[r])
                if row is not None and row.anchor == before.anchor[r] and \
                        row.allowed == before.allowed[r] and \
                        _same_themes(before, r, row, self.frame):
                    now.pop(row.id)  # nothing regions read changed
                elif before.anchor[r] >= 0:
                    places.add(self.places[before.anchor[r]].id)
            places |= {self.places[row.anchor].id for row in now.values() if row.anchor >= 0}
        if "practice" in splices:
            before = old["practice"]
            for r in splices["practice"].drop.tolist():
                places |= {self.places[p].id for p in [before.anchor[r],
                                                        *before.extra_anchors.get(r, [])]
                           if p >= 0}
            places |= {self.places[p].id for row in fresh["practice"]
                       for p in [row.anchor, *row.extra] if p >= 0}
        hit = sorted({q for p in places for q in [p, *self.covering.get(p, [])]})
        if not hit:
            return None
        at = practice_places(self.practices, self.places)
        want = [self.places[self.place_index[p]] for p in hit]
        want = [p for p in want if chosen(p, at)]
        anchors = {self.place_index[g.id] for p in want for g in self.gazetteer.gemeenten_of(p)}
        by_gemeente = members_by_gemeente(self.members, anchors)
        rows = [region_row(p, self.gazetteer, self.frame, self.members, self.practices,
                           by_gemeente, at) for p in want]
        splice = Splice(old["region"].ids, hit, [p.id for p in want])
        self.regions = splice_items(old["region"], splice, rows, self.frame)
        return splice


def _same_themes(items: Items, r: int, row: Row, f: Frame) -> bool:
    lo, hi = items.themes.indptr[r], items.themes.indptr[r + 1]
    before = dict(zip(items.themes.indices[lo:hi].tolist(), items.themes.data[lo:hi].tolist(),
                      strict=True))
    now = {f.tindex[t]: w for t, w in row.themes.items() if t in f.tindex}  # type: ignore[attr-defined]
    return before == {k: float(np.float32(v)) for k, v in now.items()}
