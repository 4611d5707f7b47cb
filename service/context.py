"""The application context: the stores, settings and read models one process shares.
Use cases receive it and call its methods."""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from typing import Any, TypeVar

from schakel.errors import MatcherBusyError, NodeNotFoundError
from schakel.graph.erase import Erasure, erase_member
from schakel.graph.geo import Gazetteer
from schakel.graph.lookup import Lookup
from schakel.graph.privacy import Viewer, shows, visible
from schakel.graph.query import Filters
from schakel.graph.store import GraphStore
from schakel.matching.engine import Matcher, MatchQuery, MatchResult, Relevance
from schakel.matching.nearby import Nearby
from schakel.matching.ranker import Weights

from .access import AccessStore
from .config import Settings
from .state import open_matcher

T = TypeVar("T")
MATCH_WAIT_S = 60.0
R = TypeVar("R")


@dataclass
class AppState:
    settings: Settings
    store: GraphStore
    gazetteer: Gazetteer
    access: AccessStore
    _cache: dict[str, tuple[int, Any]] = field(default_factory=dict, repr=False)
    _matcher: tuple[int, Matcher] | None = field(default=None, repr=False)
    _match_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def matcher(self) -> Matcher:
        """The matcher, brought up to date with the store (only changed texts are encoded).
        Call with ``_match_lock`` held."""
        version = self.store.version
        if self._matcher is None:
            self._matcher = (-1, open_matcher(self.settings, self.gazetteer))
        if self._matcher[0] != version:
            matcher = self._matcher[1]
            matcher.sync(self.store)
            self._matcher = (version, matcher)
        return self._matcher[1]

    def match(self, query: MatchQuery, weights: Weights | None = None) -> MatchResult:
        """Answer a question; syncing and matching never overlap. While the indexes are
        still being built (a large network, first start) this waits at most ``MATCH_WAIT_S``."""
        return self._with_matcher(lambda m: m.match(query, weights))

    def relevance(self, text: str, ids: Collection[str]) -> Relevance:
        """Scores of the given members against a text (for nearby search); waits for the
        matcher like :meth:`match`."""
        return self._with_matcher(lambda m: m.relevance(text, ids))

    def _with_matcher(self, work: Callable[[Matcher], R]) -> R:
        if not self._match_lock.acquire(timeout=MATCH_WAIT_S):
            raise MatcherBusyError(
                "De matcher wordt nog voorbereid; probeer het over een minuut opnieuw.")
        try:
            return work(self.matcher())
        finally:
            self._match_lock.release()

    def nearby(self) -> Nearby:
        """The nearby-search read model of the current graph version."""
        return self.cached("nearby", lambda: Nearby(self.store, self.lookup))

    def erase(self, member_id: str, who: str, how: str = "") -> Erasure:
        """Erase a member from the graph, the matcher's indexes, the embedding cache and
        the accounts; the audit log records ``who`` did it (by id, no name)."""
        with self._match_lock:
            matcher = self.matcher()  # its index knows the member's cached vector
            if self.store.label_of(member_id) != "Member":
                raise NodeNotFoundError(member_id)
            matcher.forget([member_id])
            erasure = erase_member(self.store, member_id)
            self.matcher()
        self.access.remove_member_accounts(member_id)
        self.access.audit(who, "gewist", member_id, ", ".join(x for x in (
            f"{erasure.questions} vragen, {erasure.introductions} introducties", how) if x))
        return erasure

    def warm_up(self) -> None:
        """Build the matcher's indexes now rather than on the first question."""
        with self._match_lock:
            self.matcher()

    @property
    def lookup(self) -> Lookup:
        """Names of themes, domains and organisations, as the store holds them now."""
        return self.cached("lookup", lambda: Lookup(self.store, self.gazetteer))

    @property
    def filters(self) -> Filters:
        return Filters(self.store, self.lookup)

    def cached(self, key: str, compute: Callable[[], T]) -> T:
        """``compute()`` once per store version: read models survive until the next write."""
        version = self.store.version
        hit = self._cache.get(key)
        if hit is None or hit[0] != version:
            hit = (version, compute())
            self._cache[key] = hit
        return hit[1]  # type: ignore[no-any-return]

    def visible_members(self, viewer: Viewer = "member") -> dict[str, list[str]]:
        """Members ``viewer`` may see, with their roles."""

        def compute() -> dict[str, list[str]]:
            ids = self.store.ids("Member")
            props = self.store.props_of(ids)
            return {i: props[i].get("roles", []) for i in ids if visible(props[i], viewer)}

        return self.cached(f"visible_members:{viewer}", compute)

    def hidden_fields(self, field: str, viewer: Viewer) -> frozenset[str]:
        """Members ``viewer`` may see whose ``field`` they may not see."""

        def compute() -> frozenset[str]:
            shown = self.visible_members(viewer)
            props = self.store.props_of(list(shown))
            return frozenset(i for i in shown if not shows(props[i], field, viewer))

        return self.cached(f"hidden_fields:{field}:{viewer}", compute)

    def visible_member_ids(self, theme: str | None = None, region: str | None = None,
                           domain: str | None = None, role: str | None = None,
                           viewer: Viewer = "member") -> list[str]:
        """Ids of members matching the filters that ``viewer`` may see, sorted. A filter on
        themes never finds members who keep their themes private."""
        shown = self.visible_members(viewer)
        if theme or region or domain:
            ids = self.filters.ids("Member", theme=theme, region=region, domain=domain)
        else:
            ids = sorted(shown)
        hidden = self.hidden_fields("themes", viewer) if theme else frozenset()
        return [i for i in ids
                if i in shown and i not in hidden and (role is None or role in shown[i])]
