"""Find themes, domains, organisations and regions by id or by name (or synonym),
case- and accent-insensitively. Ids win over names, names over synonyms."""

from __future__ import annotations

from collections.abc import Iterable

from .geo import Gazetteer
from .names import fold
from .store import GraphStore

__all__ = ["Lookup"]


class Lookup:
    """Name resolution over what a store holds, plus the gazetteer for places."""

    def __init__(self, store: GraphStore, gazetteer: Gazetteer) -> None:
        self.store = store
        self.gazetteer = gazetteer
        self._by_label: dict[str, dict[str, str]] = {}
        for label in ("Theme", "Domain", "Organisation"):
            self.refresh(label)

    def refresh(self, label: str) -> None:
        """Re-read one label's names (after an import added nodes of that label)."""
        nodes = self.store.find(label)
        index: dict[str, str] = {}
        layers: list[Iterable[tuple[str, str]]] = [
            ((n.id, n.id) for n in nodes),
            ((fold(n.id), n.id) for n in nodes),
            ((fold(getattr(n, "name", "")), n.id) for n in nodes),
            ((fold(a), n.id) for n in nodes if (a := getattr(n, "abbreviation", None))),
            ((fold(s), n.id) for n in nodes for s in getattr(n, "synonyms", [])),
        ]
        for layer in layers:
            for key, node_id in layer:
                if key:
                    index.setdefault(key, node_id)
        self._by_label[label] = index

    def add(self, label: str, node_id: str, *names: str | None) -> None:
        """Make a node just written findable without re-reading the store."""
        index = self._by_label.setdefault(label, {})
        index.setdefault(node_id, node_id)
        for name in names:
            if name:
                index.setdefault(fold(name), node_id)

    def _find(self, label: str, ref: str) -> str | None:
        index = self._by_label.get(label, {})
        return index.get(ref) or index.get(fold(ref))

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
