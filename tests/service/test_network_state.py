"""NetworkViews: follows the store through its change feed, serves analytics with their age."""

from __future__ import annotations

from typing import Any

import pytest

from schakel.errors import ScopeError
from schakel.graph.changes import ChangeSet
from schakel.graph.geo import Gazetteer
from schakel.graph.local import LocalGraphStore
from schakel.graph.lookup import Lookup
from schakel.graph.model import Member, Relationship
from schakel.graph.projection import Projection
from schakel.service.networks import NetworkViews, Scope


class Feed:
    """A store with a change feed of the writes made through it, as the port promises
    (``version`` = newest seq, ``changes_since``; None once ``pruned``)."""

    def __init__(self, store: LocalGraphStore) -> None:
        self._store = store
        self.log: list[ChangeSet] = []
        self.pruned = False

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)

    @property
    def version(self) -> int:
        return self.log[-1].seq if self.log else 1

    def changes_since(self, seq: int) -> list[ChangeSet] | None:
        return None if self.pruned else [c for c in self.log if c.seq > seq]

    def hide(self, member_id: str) -> None:
        m = self._store.get(member_id)
        assert isinstance(m, Member)
        self._store.write([m.model_copy(update={"visibility": "staff"})])
        self.log.append(ChangeSet.of(self.version + 1, {"Member": [member_id]}))

    def know(self, a: str, b: str) -> None:
        self._store.write(relationships=[Relationship.of("KNOWS", a, b, context="brug")])
        self.log.append(ChangeSet.of(self.version + 1, rels=[(a, "KNOWS", b)]))


@pytest.fixture
def feed(seeded_store: LocalGraphStore) -> Feed:
    return Feed(seeded_store)


@pytest.fixture
def views(feed: Feed, gazetteer: Gazetteer) -> NetworkViews:
    lookup = Lookup(feed._store, gazetteer)  # noqa: SLF001
    return NetworkViews(feed, gazetteer, lambda: lookup, background=False)  # type: ignore[arg-type]


def _fields(p: Projection) -> tuple[Any, ...]:
    return tuple(dict(getattr(p, f)) for f in ("people", "out", "adj", "orgs", "narrower"))


def test_follows_the_feed_without_rebuilding(feed: Feed, views: NetworkViews,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    first = views.projection()
    ids = sorted(first.people)
    builds = []
    real = Projection.build
    monkeypatch.setattr(Projection, "build", classmethod(
        lambda cls, store, seq=None: builds.append(seq) or real(store, seq)))
    feed.hide(ids[0])
    feed.know(ids[1], ids[2])
    after = views.projection()
    assert builds == [] and after.seq == feed.version
    assert ids[0] in first.people and ids[0] not in after.people  # readers keep theirs
    assert _fields(after) == _fields(real(feed))  # type: ignore[arg-type]
    assert views.projection() is after  # nothing new: the same object
    feed.pruned = True
    feed.hide(ids[3])
    assert ids[3] not in views.projection().people and builds == [feed.version]


def test_analytics_are_stale_until_refreshed(feed: Feed, views: NetworkViews) -> None:
    scope = Scope(domain="jeugdhulp")
    first = views.analysis(scope)
    assert not first.stale and first.seq == feed.version
    ids = sorted(views.projection().people)
    feed.know(ids[0], ids[5])
    stale = views.analysis(scope)
    assert stale.stale and stale.value is first.value and stale.computed_at == first.computed_at
    assert views.refresh() == 1
    fresh = views.analysis(scope)
    assert not fresh.stale and fresh.seq == feed.version


def test_a_view_whose_ego_was_hidden_is_an_error_not_an_old_answer(
        feed: Feed, views: NetworkViews) -> None:
    p = views.projection()
    ego = max(p.adj, key=lambda m: (len(p.adj[m]), m) if m in p.people else (0, m))
    scope = Scope(ego=ego, depth=1)
    views.analysis(scope)
    feed.hide(ego)
    with pytest.raises(ScopeError):
        views.analysis(scope)
    assert views.refresh() == 0  # the view is gone, not recomputed


def test_the_first_request_waits_once(views: NetworkViews) -> None:
    import threading

    results = []
    threads = [threading.Thread(target=lambda: results.append(views.analysis(Scope(
        role="expert")))) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len({id(r.value) for r in results}) == 1  # computed once, shared


def test_under_constant_writes_the_worker_still_recomputes(feed: Feed,
                                                          views: NetworkViews) -> None:
    import time

    views.background, views.quiet_s, views.max_wait_s = True, 60.0, 0.5
    scope = Scope(role="ambassador")
    first = views.analysis(scope)
    ids = sorted(views.projection().people)
    try:
        deadline = time.monotonic() + 20
        i = 0
        while views.analysis(scope).computed_at == first.computed_at:  # never 60 s quiet
            assert time.monotonic() < deadline, "no recomputation under constant writes"
            feed.know(ids[i], ids[i + 50])
            i += 1
            time.sleep(0.1)
    finally:
        views.close()


def test_names_are_asked_again_only_after_themes_or_domains_change(
        feed: Feed, gazetteer: Gazetteer) -> None:
    asked = []
    lookup = Lookup(feed._store, gazetteer)  # noqa: SLF001

    def names() -> Lookup:
        asked.append(1)
        return lookup

    views = NetworkViews(feed, gazetteer, names, background=False)  # type: ignore[arg-type]
    views.member_ids(Scope(theme="verzuim"))
    ids = sorted(views.projection().people)
    feed.know(ids[0], ids[1])
    views.member_ids(Scope(theme="verzuim"))
    assert len(asked) == 1  # a tie changes no names: the map does not wait for them
    theme = feed._store.get("verzuim")  # noqa: SLF001
    feed._store.write([theme])  # noqa: SLF001
    feed.log.append(ChangeSet.of(feed.version + 1, {"Theme": ["verzuim"]}))
    views.member_ids(Scope(theme="verzuim"))
    assert len(asked) == 2


def test_under_writes_a_slow_view_waits_its_turn(feed: Feed, views: NetworkViews) -> None:
    scope = Scope(domain="onderwijs")
    views.analysis(scope)
    entry = views._entries[("analysis", scope.key())]  # noqa: SLF001
    entry.took = 3600.0  # as if it took an hour
    ids = sorted(views.projection().people)
    feed.know(ids[0], ids[9])
    assert views.refresh(busy=True) == 0  # writes go on: not yet
    assert views.refresh() == 1  # quiet: now
