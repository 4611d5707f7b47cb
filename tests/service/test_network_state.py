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


def test_a_write_the_network_does_not_show_leaves_the_metrics_current(
        feed: Feed, views: NetworkViews) -> None:
    """A question (or an introduction) is no reason to recompute the network's metrics: the
    change set decides, not the store's version alone."""
    scope = Scope(domain="jeugdhulp")
    first = views.analysis(scope)
    feed.log.append(ChangeSet.of(feed.version + 1, {"Question": ["q-nieuw"]}))
    after = views.analysis(scope)
    assert views.projection().seq == feed.version and not after.stale
    assert views.projection().content_seq == first.seq
    assert views.refresh() == 0
    ids = sorted(views.projection().people)
    feed.know(ids[0], ids[7])
    assert views.analysis(scope).stale and views.refresh() == 1


def test_the_first_request_waits_at_most_a_moment(views: NetworkViews,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """A slow first computation: the request gets the Dutch "being computed" error at once,
    the computation goes on in the background and the next request gets its result."""
    import threading
    import time

    from schakel.errors import AnalyticsPendingError
    from schakel.service import networks

    release = threading.Event()
    real = networks.analyse

    def slow(*args: Any, **kwargs: Any) -> Any:
        release.wait(10)
        return real(*args, **kwargs)

    monkeypatch.setattr(networks, "analyse", slow)
    views.background = True
    started = time.monotonic()
    with pytest.raises(AnalyticsPendingError, match="voor het eerst berekend"):
        views.analysis(Scope(role="expert"), wait=0.3)
    assert time.monotonic() - started < 2.0
    release.set()
    result = views.analysis(Scope(role="expert"), wait=10)
    assert not result.stale and result.value.nodes > 0
    views.close()


def test_warm_up_computes_the_whole_network_and_keeps_it(views: NetworkViews,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    from schakel.service import networks

    computed: list[int] = []
    real = networks.analyse
    monkeypatch.setattr(networks, "analyse",
                        lambda g, **kw: computed.append(len(g)) or real(g, **kw))
    views.warm().join(60)
    assert computed == [len(views.projection().people)]
    whole = views.analysis(Scope())
    assert computed == [len(views.projection().people)] and not whole.stale  # not again
    for role in ("expert", "ambassador", "netwerkregisseur", "lid", "staff"):
        for depth in (1, 2, 3, 4):  # more views than are kept
            try:
                views.analysis(Scope(role=role, depth=depth))
            except ScopeError:
                pass
    assert views.analysis(Scope()).value is whole.value  # the kept one was not dropped
    views.close()


def test_large_views_are_analysed_in_another_process(views: NetworkViews,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """Same numbers as here, from arrays made straight from the projection (no graph); igraph's
    long calls then never hold this process's interpreter lock."""
    import multiprocessing.context

    from schakel.graph.analytics import analyse
    from schakel.service import networks

    monkeypatch.setattr(networks, "OFFLOAD_FROM", 10)
    monkeypatch.setattr(networks, "MAP_CAP", 10)  # a "large" view: no networkx graph made
    views.background = True
    started: list[int] = []
    real_start = multiprocessing.context.SpawnProcess.start
    monkeypatch.setattr(multiprocessing.context.SpawnProcess, "start",
                        lambda self: started.append(1) or real_start(self))
    far = views.analysis(Scope(), wait=None).value
    assert started == [1] and not views._children.running  # noqa: SLF001 - one process, ended
    here = analyse(views.projection().graph(views.member_ids(Scope())), seed=views.seed)
    assert far.method["backend"] == here.method["backend"] == "igraph"
    for metric in ("degree", "betweenness", "closeness", "constraint", "effective_size",
                   "brokerage"):
        assert far.metrics[metric] == pytest.approx(here.metrics[metric])
    assert far.roles == here.roles and far.articulation_points == here.articulation_points
    assert far.communities == here.communities and far.bridges == here.bridges
    views.close()


def test_closing_stops_a_computation_in_progress(views: NetworkViews) -> None:
    """At shutdown nobody will read the result: the analytics process is stopped, not
    waited for (and nothing is computed again in the service instead)."""
    import threading
    import time

    views.background = True
    errors: list[BaseException] = []

    def long() -> None:
        try:
            views._in_process(time.sleep, 60)  # noqa: SLF001
        except BaseException as e:  # noqa: BLE001 - what the test looks at
            errors.append(e)

    thread = threading.Thread(target=long)
    thread.start()
    deadline = time.monotonic() + 60
    while not views._children.running:  # noqa: SLF001
        assert time.monotonic() < deadline, "the process did not start"
        time.sleep(0.05)
    proc = next(iter(views._children.running))  # noqa: SLF001
    started = time.monotonic()
    views.close()
    thread.join(20)
    assert not thread.is_alive() and time.monotonic() - started < 15
    assert isinstance(errors[0], RuntimeError) and not proc.is_alive()
