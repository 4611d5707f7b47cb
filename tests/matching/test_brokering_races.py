"""Brokering under concurrency: two threads or two processes acting at once on one store.

Each side's clock waits for the other once, after it has read and checked: without a check
inside the store's write transaction both would pass it and both would write. With it, the
second side cannot even begin until the first committed (the wait times out), then reads the
new state and is refused.
"""

from __future__ import annotations

import multiprocessing
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from schakel.errors import CandidateRefusedError, TransitionError
from schakel.graph.local import LocalGraphStore
from schakel.graph.model import Introduction
from schakel.matching.brokering import Broker

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
WAIT = 0.5  # seconds a side waits for the other inside its check


class MeetingClock:
    """Returns T0; the first call in each thread (or process) waits for the other side."""

    def __init__(self, barrier: Any) -> None:
        self.barrier = barrier
        self.seen = threading.local()

    def __call__(self) -> datetime:
        if not getattr(self.seen, "done", False):
            self.seen.done = True
            try:
                self.barrier.wait(WAIT)
            except threading.BrokenBarrierError:
                pass  # the other side is waiting for our transaction: go on alone
        return T0


def _setup(store: LocalGraphStore, capacity: int | None = None) -> tuple[str, list[str]]:
    """A candidate and two introductions of them (two askers), both proposed."""
    broker = Broker(store, clock=lambda: T0)
    members = store.ids("Member")
    candidate = members[10]
    broker.set_capacity(candidate, "bert", capacity=capacity or 3, cooldown_days=0)
    intros = []
    for asker in members[-2:]:
        q = broker.ask("Wie kan meedenken over samenwerking?", asker, "anna", themes=[])
        intros.append(broker.add_candidate(q.id, candidate, "anna").id)
    return candidate, intros


def _outcome(call: Callable[[], Any]) -> str:
    try:
        call()
    except (TransitionError, CandidateRefusedError) as e:
        return type(e).__name__
    return "ok"


def _in_threads(path: Path, calls: list[Callable[[Broker], Any]]) -> list[str]:
    """Each call on its own store connection (as another worker would), at once."""
    barrier = threading.Barrier(len(calls))
    stores = [LocalGraphStore(path) for _ in calls]
    out: list[str] = [""] * len(calls)

    def run(n: int) -> None:
        broker = Broker(stores[n], clock=MeetingClock(barrier))
        out[n] = _outcome(lambda: calls[n](broker))

    threads = [threading.Thread(target=run, args=(n,)) for n in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for s in stores:
        s.close()
    return out


def _child(path: Path, barrier: Any, results: Any, n: int, action: str, intro: str) -> None:
    with LocalGraphStore(path) as store:
        broker = Broker(store, clock=MeetingClock(barrier))
        results.put((n, _outcome(lambda: broker.act(intro, action, f"staf{n}"))))


def _in_processes(path: Path, steps: list[tuple[str, str]]) -> list[str]:
    ctx = multiprocessing.get_context("fork")  # the test module is not importable by name
    barrier = ctx.Barrier(len(steps))
    results = ctx.Queue()
    procs = [ctx.Process(target=_child, args=(path, barrier, results, n, action, intro))
             for n, (action, intro) in enumerate(steps)]
    for p in procs:
        p.start()
    got = dict(results.get(timeout=30) for _ in procs)
    for p in procs:
        p.join(timeout=30)
        assert p.exitcode == 0
    return [got[n] for n in range(len(steps))]


def _history(store: LocalGraphStore, intro: str, action: str) -> int:
    node = store.get(intro)
    assert isinstance(node, Introduction)
    return sum(f'"action": "{action}"' in h for h in node.history)


def _fresh(store: LocalGraphStore) -> LocalGraphStore:
    """The store as another process sees it now (the fixture's mirror may be behind)."""
    return LocalGraphStore(store.path)


@pytest.mark.parametrize("where", ["threads", "processes"])
def test_two_answers_to_one_introduction_make_one_transition(
        seeded_store: LocalGraphStore, where: str) -> None:
    _, (intro, _) = _setup(seeded_store)
    Broker(seeded_store, clock=lambda: T0).act(intro, "approve", "anna")
    answers = ["candidate_accept", "candidate_decline"]
    if where == "threads":
        got = _in_threads(seeded_store.path,
                          [lambda b, a=a: b.act(intro, a, "staf") for a in answers])
    else:
        got = _in_processes(seeded_store.path, [(a, intro) for a in answers])
    assert sorted(got) == ["TransitionError", "ok"], got
    with _fresh(seeded_store) as store:
        node = store.get(intro)
        assert isinstance(node, Introduction)
        won = answers[got.index("ok")]
        assert node.state == {"candidate_accept": "candidate_accepted",
                              "candidate_decline": "candidate_declined"}[won]
        assert _history(store, intro, "candidate_accept") + _history(
            store, intro, "candidate_decline") == 1


@pytest.mark.parametrize("where", ["threads", "processes"])
def test_capacity_holds_when_two_approvals_race(seeded_store: LocalGraphStore,
                                                 where: str) -> None:
    candidate, intros = _setup(seeded_store, capacity=1)
    if where == "threads":
        got = _in_threads(seeded_store.path,
                          [lambda b, i=i: b.act(i, "approve", "staf") for i in intros])
    else:
        got = _in_processes(seeded_store.path, [("approve", i) for i in intros])
    assert sorted(got) == ["CandidateRefusedError", "ok"], got
    with _fresh(seeded_store) as store:
        states = [p["state"] for p in store.props_of(intros).values()]
        assert sorted(states) == ["approved", "proposed"]
        assert Broker(store, clock=lambda: T0).loads([candidate])[candidate].open == 1


def test_the_same_thread_race_on_one_connection(seeded_store: LocalGraphStore) -> None:
    """Two threads of one worker share one store object: still exactly one wins."""
    _, (intro, _) = _setup(seeded_store)
    broker = Broker(seeded_store, clock=lambda: T0)
    broker.act(intro, "approve", "anna")
    barrier = threading.Barrier(2)
    out: list[str] = []

    def run(action: str) -> None:
        barrier.wait(5)
        out.append(_outcome(lambda: broker.act(intro, action, "staf")))

    threads = [threading.Thread(target=run, args=(a,))
               for a in ("candidate_accept", "candidate_decline")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(out) == ["TransitionError", "ok"]
