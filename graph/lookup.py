"""Find themes, domains, organisations and regions by id or by name (or synonym),
case- and accent-insensitively. Ids win over names, names over synonyms."""

from __future__ import annotations

import copy
from collections.abc import Iterable
from typing import Any

from .changes import ChangeSet
from .geo import Gazetteer
from .names import closest, fold
from .store import GraphStore

__all__ = ["Lookup"]

LABELS = ("Theme", "Domain", "Organisation")
# What a key may be, strongest first: on a tie the smaller id wins.
_ID, _FOLDED_ID, _NAME, _ABBREVIATION, _SYNONYM = range(5)


def _keys(node_id: str, props: dict[str, Any]) -> list[tuple[str, int]]:
    out = [(node_id, _ID), (fold(node_id), _FOLDED_ID), (fold(props.get("name") or ""), _NAME)]
    if props.get("abbreviation"):
        out.append((fold(props["abbreviation"]), _ABBREVIATION))
    out += [(fold(s), _SYNONYM) for s in props.get("synonyms") or []]
    return [(k, rank) for k, rank in out if k]


class _Names:
    """One label's names: key -> every (rank, id) that claims it, and the winner."""

    def __init__(self) -> None:
        self.winner: dict[str, str] = {}
        self.claims: dict[str, list[tuple[int, str]]] = {}
        self.keys: dict[str, list[str]] = {}  # id -> its keys

    def copy(self) -> _Names:
        out = _Names()
        out.winner = dict(self.winner)
        out.claims = dict(self.claims)  # lists are replaced, never changed in place
        out.keys = dict(self.keys)
        return out

    def put(self, node_id: str, keys: Iterable[tuple[str, int]]) -> None:
        self.drop(node_id)
        mine = []
        for key, rank in keys:
            self.claims[key] = sorted({*self.claims.get(key, []), (rank, node_id)})
            self.winner[key] = self.claims[key][0][1]
            mine.append(key)
        self.keys[node_id] = mine

    def drop(self, node_id: str) -> None:
        for key in self.keys.pop(node_id, []):
            left = [c for c in self.claims.get(key, []) if c[1] != node_id]
            if left:
                self.claims[key] = left
                self.winner[key] = left[0][1]
            else:
                self.claims.pop(key, None)
                self.winner.pop(key, None)


class Lookup:
    """Name resolution over what a store holds, plus the gazetteer for places.

    Read models follow writes with :meth:`apply`, which gives a new lookup (this one is
    left as it was) re-reading only the changed themes, domains and organisations.
    """

    def __init__(self, store: GraphStore, gazetteer: Gazetteer) -> None:
        self.store = store
        self.gazetteer = gazetteer
        self._names: dict[str, _Names] = {}
        for label in LABELS:
            self.refresh(label)

    def refresh(self, label: str) -> None:
        """Re-read one label's names (after an import added nodes of that label)."""
        names = _Names()
        ids = self.store.ids(label)
        for node_id, props in self.store.props_of(ids).items():
            names.put(node_id, _keys(node_id, props))
        self._names[label] = names

    def apply(self, store: GraphStore, changes: ChangeSet) -> Lookup:
        """The lookup after ``changes`` (committed to ``store``); ``self`` when they touch
        no theme, domain or organisation."""
        touched = {label: changes.ids(label) for label in LABELS if changes.ids(label)}
        if not touched:
            return self
        out = copy.copy(self)
        out.store = store
        out._names = dict(self._names)
        for label, ids in touched.items():
            names = out._names[label] = self._names.get(label, _Names()).copy()
            props = store.props_of(ids)
            for node_id in ids:
                p = props.get(node_id)
                if p is not None and p.get("label") == label:
                    names.put(node_id, _keys(node_id, p))
                else:
                    names.drop(node_id)
        return out

    def add(self, label: str, node_id: str, *names: str | None) -> None:
        """Make a node just written findable without re-reading the store."""
        index = self._names.setdefault(label, _Names())
        keys = [(node_id, _ID)] + [(fold(n), _NAME) for n in names if n and fold(n)]
        for key, rank in keys:
            if key not in index.winner:  # as before: never overrides what is known
                index.claims[key] = [(rank, node_id)]
                index.winner[key] = node_id
                index.keys.setdefault(node_id, []).append(key)

    def _find(self, label: str, ref: str) -> str | None:
        names = self._names.get(label)
        if names is None:
            return None
        return names.winner.get(ref) or names.winner.get(fold(ref))

    def keys(self, label: str) -> dict[str, str]:
        """Every folded name, abbreviation and synonym of ``label`` with the id it finds."""
        names = self._names.get(label)
        return {} if names is None else {k: v for k, v in names.winner.items() if k == fold(k)}

    def hint(self, label: str, ref: str) -> str:
        """" Bedoelde u Thuiszitters?" for a misspelt name of a ``label`` node, else ""."""
        if self._find(label, ref) is not None:
            return ""
        found = closest(ref, self.keys(label))
        if found is None:
            return ""
        name = (self.store.props_of([found]).get(found) or {}).get("name") or found
        return f" Bedoelde u {name}?"

    def theme(self, ref: str) -> str | None:
        return self._find("Theme", ref)

    def domain(self, ref: str) -> str | None:
        return self._find("Domain", ref)

    def organisation(self, ref: str) -> str | None:
        return self._find("Organisation", ref)

    def region(self, ref: str) -> str | None:
        """A gemeente, named region, provincie or the land, by id, name or alias."""
        place = self.gazetteer.find(ref)
        if place is not None:
            return place.id
        return ref if self.store.label_of(ref) == "Region" else None

    def gemeente(self, ref: str) -> str | None:
        place = self.gazetteer.find(ref)
        return place.id if place is not None and place.kind == "gemeente" else None
