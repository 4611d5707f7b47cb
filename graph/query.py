"""Filtered reads over the store port: members, organisations and practices by theme,
region (with its hierarchy) and domain. Works on any GraphStore adapter."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from schakel.errors import UnknownReferenceError

from .geo import Gazetteer, Place
from .lookup import Lookup
from .store import GraphStore

__all__ = ["Filters", "region_scope", "theme_scope"]


def region_scope(gazetteer: Gazetteer, place: Place) -> set[str]:
    """Ids of ``place`` and of every place that lies wholly inside it.

    Searching "Regio Twente" covers its gemeenten; a provincie also covers the named regions
    that lie inside it.
    """
    inside = {g.id for g in gazetteer.gemeenten_of(place)}
    scope = {place.id} | inside
    if place.kind != "gemeente":
        scope |= {p.id for p in gazetteer.places() if p.parts and set(p.parts) <= inside}
    return scope


def with_narrower(theme_id: str, narrower: Callable[[str], Iterable[str]]) -> set[str]:
    """A theme and every theme below it, ``narrower(t)`` giving the themes just below ``t``
    (from the store, or from a read model's copy of the tree)."""
    scope = {theme_id}
    todo = [theme_id]
    while todo:
        for child in narrower(todo.pop()):
            if child not in scope:
                scope.add(child)
                todo.append(child)
    return scope


def theme_scope(store: GraphStore, theme_id: str) -> set[str]:
    """A theme and all its narrower themes (a filter on "verzuim" finds "thuiszitters")."""
    return with_narrower(theme_id,
                         lambda t: store.neighbour_ids(t, "BROADER", direction="in"))


class Filters:
    """Resolve filter values (ids or names) and find the nodes that match all of them."""

    def __init__(self, store: GraphStore, lookup: Lookup) -> None:
        self.store = store
        self.lookup = lookup

    def theme(self, ref: str) -> str:
        found = self.lookup.theme(ref)
        if found is None:
            raise UnknownReferenceError("theme", ref, "thema", self.lookup.hint("Theme", ref))
        return found

    def domain(self, ref: str) -> str:
        found = self.lookup.domain(ref)
        if found is None:
            raise UnknownReferenceError("domain", ref, "domein")
        return found

    def region(self, ref: str) -> Place:
        place = self.lookup.gazetteer.find(ref)
        if place is None:
            raise UnknownReferenceError("region", ref, "plaats of regio")
        return place

    def _via(self, targets: Iterable[str], rel_type: str) -> set[str]:
        found: set[str] = set()
        for target in targets:
            found.update(self.store.neighbour_ids(target, rel_type, direction="in"))
        return found

    def ids(
        self,
        label: str,
        *,
        theme: str | None = None,
        region: str | None = None,
        domain: str | None = None,
    ) -> list[str]:
        """Sorted ids of ``label`` nodes matching every given filter.

        Members match through WORKS_ON / BASED_IN / ACTIVE_IN, organisations through
        BASED_IN / IN_DOMAIN, practices through ABOUT / IN_REGION and, for a domain, the
        domains of the organisations involved.

        Raises
        ------
        UnknownReferenceError
            When a filter value names nothing known.
        """
        rel = {
            "Member": {"theme": "WORKS_ON", "region": "BASED_IN", "domain": "ACTIVE_IN"},
            "Organisation": {"theme": None, "region": "BASED_IN", "domain": "IN_DOMAIN"},
            "Practice": {"theme": "ABOUT", "region": "IN_REGION", "domain": None},
        }[label]
        sets: list[set[str]] = []
        if theme:
            theme_id = self.theme(theme)
            if rel["theme"]:
                sets.append(self._via(theme_scope(self.store, theme_id), rel["theme"]))
        if region:
            place = self.region(region)
            sets.append(self._via(region_scope(self.lookup.gazetteer, place), rel["region"]))
        if domain:
            domain_id = self.domain(domain)
            if rel["domain"]:
                sets.append(self._via([domain_id], rel["domain"]))
            else:  # practices: through the organisations involved
                orgs = self._via([domain_id], "IN_DOMAIN")
                sets.append(self._via(orgs, "INVOLVES"))
        if not sets:
            return self.store.ids(label)
        found = set.intersection(*sets)
        labels = self.store.labels_of(found)
        return sorted(i for i in found if labels.get(i) == label)
