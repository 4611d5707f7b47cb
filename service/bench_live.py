"""`schakel bench`, the live part: what a write costs the next reader, measured through the
service's own context (read models following the change feed), as a request would see it.

- warm match p50/p95 (nothing written);
- a one-member profile write, with the catch-up of this process's read models it includes
  (they follow their own writes in the writing thread);
- the first match right after a one-member profile write, and right after an introduction
  changes state (each write by the store, then one question; p50/p95 over several writes);
- match p95 while a writer thread changes profiles 5 times a second;
- the first filtered map (one theme in one provincie) right after a one-member write.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from schakel.graph.geo import Gazetteer
from schakel.graph.model import Introduction, Member, Question, Relationship
from schakel.graph.store import GraphStore
from schakel.matching.engine import MatchQuery

from .access import open_access
from .config import Settings
from .context import AppState

__all__ = ["LiveRow", "measure_live"]

WRITES = 12  # writes per "after a write" measurement
WRITER_RATE = 5.0  # writes per second under load
LOAD_S = 8.0  # questions keep coming at least this long while the writer writes


@dataclass
class LiveRow:
    warm_p50: float
    warm_p95: float
    write_p50: float
    write_p95: float
    after_profile_p50: float
    after_profile_p95: float
    after_intro_p50: float
    after_intro_p95: float
    loaded_p50: float
    loaded_p95: float
    loaded_writes: int
    first_map_p50: float
    first_map_p95: float


def _pct(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else 0.0


def _ms(work: Callable[[], object]) -> float:
    t = time.perf_counter()
    work()
    return (time.perf_counter() - t) * 1000


class _Profiles:
    """Profile edits of members, each a text never seen before (this run's token), so every
    write encodes one text, as a real edit does."""

    def __init__(self, store: GraphStore) -> None:
        self.store = store
        ids = store.ids("Member")
        self.ids = ids[:: max(1, len(ids) // 200)]
        self.n = 0
        self.token = secrets.token_hex(4)

    def write(self) -> None:
        node = self.store.require(self.ids[self.n % len(self.ids)])
        assert isinstance(node, Member)
        self.n += 1
        self.store.write([node.model_copy(update={
            "profile": f"{node.profile} Bijgewerkt ({self.token}-{self.n})."[:2000]})])


def _introductions(store: GraphStore, n: int) -> list[Introduction]:
    """``n`` proposed introductions for one bench question (written once, before timing)."""
    members = store.ids("Member")
    asker, candidates = members[0], members[1 : n + 1]
    q = Question(id="q-bench", text="Wie helpt ons met thuiszitters?",
                 created="2026-01-01T09:00:00+00:00")
    intros = [Introduction(id=f"i-bench-{c}", state="proposed", kind="member",
                           created="2026-01-01T09:00:00+00:00") for c in candidates]
    rels = [Relationship.of("ASKED_BY", q.id, asker)]
    for intro, c in zip(intros, candidates, strict=True):
        rels += [Relationship.of("FOR", intro.id, q.id), Relationship.of("SUGGESTS", intro.id, c)]
    store.write([q, *intros], rels)
    return intros


def measure_live(store: GraphStore, settings: Settings, queries: list[MatchQuery],
                 map_view: Callable[[AppState], object] | None = None) -> LiveRow:
    """Measure on ``store`` (already seeded) through a fresh :class:`AppState`."""
    access = open_access(settings, store)
    state = AppState(settings, store, Gazetteer.load(), access)
    try:
        state.warm_up()
        matcher = state.matcher()
        if matcher.learn_themes:  # fitted in the background: not during the timings
            matcher.themes_learned.wait(600)
        for q in queries[:20]:
            state.match(q)
        warm = [_ms(lambda q=q: state.match(q)) for q in queries]

        profiles = _Profiles(store)
        after_profile, writes = [], []
        for i in range(WRITES):
            writes.append(_ms(profiles.write))
            after_profile.append(_ms(lambda i=i: state.match(queries[i % len(queries)])))

        intros = _introductions(store, WRITES)
        state.match(queries[0])
        after_intro = []
        for i, intro in enumerate(intros):
            store.write([intro.model_copy(update={"state": "approved"})])
            after_intro.append(_ms(lambda i=i: state.match(queries[i % len(queries)])))

        loaded, done = _under_writes(state, profiles, queries)

        maps: list[float] = []
        if map_view is not None:
            map_view(state)  # the first build of the projection is not what is measured
            for _ in range(WRITES // 2):
                profiles.write()
                maps.append(_ms(lambda: map_view(state)))
    finally:
        state.close()
        access.close()
    return LiveRow(_pct(warm, 50), _pct(warm, 95), _pct(writes, 50), _pct(writes, 95),
                   _pct(after_profile, 50),
                   _pct(after_profile, 95), _pct(after_intro, 50), _pct(after_intro, 95),
                   _pct(loaded, 50), _pct(loaded, 95), done, _pct(maps, 50), _pct(maps, 95))


def _under_writes(state: AppState, profiles: _Profiles,
                  queries: list[MatchQuery]) -> tuple[list[float], int]:
    stop = threading.Event()
    done = [0]

    def writer() -> None:
        while not stop.wait(1 / WRITER_RATE):
            profiles.write()
            done[0] += 1

    thread = threading.Thread(target=writer, name="bench-writer", daemon=True)
    thread.start()
    times: list[float] = []
    started = time.perf_counter()
    try:
        while len(times) < len(queries) or time.perf_counter() - started < LOAD_S:
            q = queries[len(times) % len(queries)]
            times.append(_ms(lambda q=q: state.match(q)))
    finally:
        stop.set()
        thread.join(timeout=10)
    return times, done[0]
