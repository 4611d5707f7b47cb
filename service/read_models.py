"""The read models of one process, following the store's change feed.

Every write, by this process or another (a second worker, `schakel import`), lands in the
store's ordered change feed. :meth:`ReadModels.refresh` reads what it has not applied yet and
hands the merged :class:`~schakel.graph.changes.ChangeSet` to each read model, which updates
only what the change touched and publishes a new version beside the old one. Readers take the
published models without a lock; only catching up is serialised. A write by this process
catches the models up in the writing thread, right after its commit (the store tells its
subscribers), so the answer to a write is followed by reads that show it; a follower thread
applies other processes' writes as they come. A reader that finds the models behind catches
them up itself only when nobody else is doing so; otherwise it answers from the published
version (waiting at most ``CATCH_UP_WAIT_S``).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field, replace
from typing import Any, Generic, TypeVar

from schakel.errors import MatcherBusyError
from schakel.graph.changes import ChangeSet
from schakel.graph.geo import Gazetteer
from schakel.graph.lookup import Lookup
from schakel.graph.store import GraphStore
from schakel.graph.visibility import Visibility
from schakel.matching.engine import Matcher
from schakel.matching.nearby import Nearby
from schakel.matching.reciprocal import Reciprocal

__all__ = ["ReadModels", "Published"]

logger = logging.getLogger(__name__)
T = TypeVar("T")
M = TypeVar("M")
FIRST_BUILD_WAIT_S = 60.0  # a large network's first index build
CATCH_UP_WAIT_S = 0.0  # a reader never waits for another thread's catch-up
WRITER_WAIT_S = 2.0  # a writer waits this long for the catch-up of its own write (then the
# follower thread applies it, a moment later)
FOLLOW_INTERVAL_S = 0.2


@dataclass(frozen=True)
class _Entry:
    value: Any
    on: frozenset[str] | None  # labels and relationship types it depends on (None: all)


@dataclass(frozen=True)
class Published:
    """Names, visibility, nearby search and cached views, as of one feed position."""

    lookup: Lookup
    visibility: Visibility
    nearby: Nearby | None = None  # built on first use
    reciprocal: Reciprocal | None = None  # Voor jou; built on first use
    cache: dict[str, _Entry] = field(default_factory=dict)


def _follows(entry: _Entry, changes: ChangeSet) -> bool:
    """Whether a cached value survives ``changes``."""
    if entry.on is None:
        return False
    return not (entry.on & (changes.labels | changes.rel_types))


class _Follower(Generic[M]):
    """One read model and the feed position it reflects; catching up is serialised, reading
    is not."""

    def __init__(self, store: GraphStore, build: Callable[[], M],
                 apply: Callable[[M, ChangeSet], M]) -> None:
        self.store = store
        self._build = build
        self._apply = apply
        self.seq = -1
        self.model: M | None = None
        self.lock = threading.Lock()
        self.last_changes = ChangeSet()  # what the last catch-up applied

    def get(self, wait: float | None = None) -> M:
        """The model, first caught up with the store when that can be done within ``wait``
        seconds (otherwise the one there is)."""
        model = self.model
        if model is not None and self.store.version == self.seq:
            return model
        if model is None:
            self.refresh(FIRST_BUILD_WAIT_S)
        else:
            self.refresh(CATCH_UP_WAIT_S if wait is None else wait)
        model = self.model
        if model is None:
            raise MatcherBusyError(
                "De matcher wordt nog voorbereid; probeer het over een minuut opnieuw.")
        return model

    def refresh(self, wait: float = FIRST_BUILD_WAIT_S) -> bool:
        if not self.lock.acquire(timeout=wait):
            return False
        try:
            self._catch_up()
        finally:
            self.lock.release()
        return True

    def _catch_up(self) -> None:
        head = self.store.version
        if self.model is not None and head == self.seq:
            return
        changes = None if self.model is None else self.store.changes_since(self.seq)
        if changes is None:
            # Writes during the build may be in it already; applying them again after is
            # harmless, as every model re-reads what a change touched.
            self.model = self._build()
            self.seq = head
            self.last_changes = ChangeSet()
            return
        merged = ChangeSet.merge(changes)
        if merged:
            assert self.model is not None
            self.model = self._apply(self.model, merged)
            self.last_changes = merged
        self.seq = max(head, merged.seq)

    def replace(self, old: M, new: M) -> None:
        """Publish ``new`` in place of ``old`` (a lazily built part), unless a catch-up
        published something else meanwhile."""
        with self.lock:
            if self.model is old:
                self.model = new


class ReadModels:
    """The matcher, names, visibility, nearby search and cached views of one store. The
    matcher follows the feed on its own: a page that needs only names never waits for the
    first index build."""

    def __init__(self, store: GraphStore, gazetteer: Gazetteer,
                 open_matcher: Callable[[], Matcher]) -> None:
        self.store = store
        self.gazetteer = gazetteer
        self._open_matcher = open_matcher
        self._matcher = _Follower(store, self._build_matcher, self._apply_matcher)
        self._views = _Follower(store, self._build_views, self._apply_views)
        self._stop = threading.Event()
        self._follower: threading.Thread | None = None
        self._unsubscribe = store.subscribe(self._written)

    def _written(self, _changes: ChangeSet) -> None:
        """This process wrote: catch up the models that exist (never start a first build in
        a writer's thread)."""
        for follower in (self._views, self._matcher):
            if follower.model is not None:
                follower.refresh(WRITER_WAIT_S)

    # -- building and following --------------------------------------------------------------
    def _build_matcher(self) -> Matcher:
        matcher = self._matcher.model or self._open_matcher()
        matcher.sync(self.store)
        return matcher

    def _apply_matcher(self, matcher: Matcher, changes: ChangeSet) -> Matcher:
        matcher.apply(self.store, changes)  # publishes its next state; returns what it encoded
        return matcher

    def _build_views(self) -> Published:
        return Published(Lookup(self.store, self.gazetteer), Visibility.build(self.store))

    def _apply_views(self, old: Published, changes: ChangeSet) -> Published:
        store = self.store
        lookup = old.lookup.apply(store, changes)
        nearby = None if old.nearby is None else old.nearby.apply(store, changes, lookup=lookup)
        cache = {k: e for k, e in old.cache.items() if _follows(e, changes)}
        reciprocal = None if old.reciprocal is None else old.reciprocal.apply(store, changes)
        return Published(lookup, old.visibility.apply(store, changes), nearby, reciprocal,
                         cache)

    def refresh(self) -> None:
        """Catch every read model up with the store now (after a write of this process)."""
        self._views.refresh()
        self._matcher.refresh()

    def ready(self) -> dict[str, bool]:
        """Which read models are built (a readiness probe asks; it builds nothing)."""
        return {"names": self._views.model is not None,
                "matcher": self._matcher.model is not None}

    def meaning(self) -> tuple[int, int] | None:
        """(texts with their vector, all texts) of the matcher; None before its first build."""
        matcher = self._matcher.model
        return matcher.meaning() if matcher is not None else None

    @property
    def last_changes(self) -> ChangeSet:
        """What the matcher's last catch-up applied."""
        return self._matcher.last_changes

    # -- the models --------------------------------------------------------------------------
    def current(self) -> Published:
        return self._views.get()

    def matcher(self) -> Matcher:
        """The matcher, caught up with the store; its indexes are published immutably, so
        a question in flight keeps the version it started with."""
        return self._matcher.get()

    def nearby(self) -> Nearby:
        published = self._views.get()
        if published.nearby is not None:
            return published.nearby
        nearby = Nearby(self.store, published.lookup)  # once; then it follows the feed
        self._views.replace(published, replace(published, nearby=nearby))
        return nearby

    def reciprocal(self) -> Reciprocal:
        published = self._views.get()
        if published.reciprocal is not None:
            return published.reciprocal
        found = Reciprocal(self.store)  # once; then it follows the feed
        self._views.replace(published, replace(published, reciprocal=found))
        return found

    def cached(self, key: str, compute: Callable[[], T],
               on: Iterable[str] | None = None) -> T:
        """``compute()`` once, kept until a write touches one of the labels or relationship
        types in ``on`` (any write when None)."""
        published = self._views.get()
        hit = published.cache.get(key)
        if hit is not None:
            return hit.value  # type: ignore[no-any-return]
        value = compute()
        entry = _Entry(value, None if on is None else frozenset(on))
        # A value computed while a catch-up published newer views is returned, not kept.
        self._views.replace(published, replace(published, cache={**published.cache, key: entry}))
        return value

    def forget(self, ids: Collection[str]) -> int:
        """Drop the cached vectors of these candidates (erasure, before the store forgets
        them)."""
        return self.matcher().forget(ids)

    # -- following other processes -----------------------------------------------------------
    def follow(self, interval: float = FOLLOW_INTERVAL_S) -> None:
        """Start a thread that applies new writes (by any process) as they come."""
        if self._follower is not None:
            return

        def run() -> None:
            while not self._stop.wait(interval):
                for follower in (self._views, self._matcher):
                    try:
                        if follower.model is not None and self.store.version != follower.seq:
                            follower.refresh(wait=0)
                    except Exception:  # noqa: BLE001 - keep following; a request reports it
                        logger.exception("catching up with the change feed failed")

        self._follower = threading.Thread(target=run, name="schakel-follow", daemon=True)
        self._follower.start()

    def close(self) -> None:
        self._unsubscribe()
        self._stop.set()
        if self._follower is not None:
            self._follower.join(timeout=5)
        if self._matcher.model is not None:
            self._matcher.model.close()

