"""Brokering's compare-and-set on both stores: two clients (as two workers would be) answer
one introduction, or approve two introductions of a candidate with room for one, at once.

Each side's clock waits for the other once, inside its check: without the check in the
store's write transaction both sides would pass it and both would write.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from typing import Any

from schakel.errors import CandidateRefusedError, TransitionError
from schakel.graph.model import Introduction, Member
from schakel.matching.brokering import Broker

from .conftest import Opener

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


class MeetingClock:
    """Returns T0; its first call in each thread waits (briefly) for the other side."""

    def __init__(self, barrier: threading.Barrier) -> None:
        self.barrier = barrier
        self.seen = threading.local()

    def __call__(self) -> datetime:
        if not getattr(self.seen, "done", False):
            self.seen.done = True
            try:
                self.barrier.wait(0.5)
            except threading.BrokenBarrierError:
                pass  # the other side waits for our transaction
        return T0


def _two_introductions(backend: Opener, capacity: int) -> list[str]:
    store = backend()
    store.write([Member(id=f"m-{i}", name=f"Lid {i}") for i in range(3)])
    broker = Broker(store, clock=lambda: T0)
    broker.set_capacity("m-0", "bert", capacity=capacity, cooldown_days=0)
    intros = []
    for asker in ("m-1", "m-2"):
        q = broker.ask("Wie kan meedenken over samenwerking?", asker, "anna", themes=[])
        intros.append(broker.add_candidate(q.id, "m-0", "anna").id)
    return intros


def _at_once(backend: Opener, steps: list[tuple[str, str]]) -> list[str]:
    barrier = threading.Barrier(len(steps))
    brokers = [Broker(backend(), clock=MeetingClock(barrier)) for _ in steps]
    out = [""] * len(steps)

    def run(n: int) -> None:
        action, intro = steps[n]
        try:
            brokers[n].act(intro, action, f"staf{n}")
            out[n] = "ok"
        except (TransitionError, CandidateRefusedError) as e:
            out[n] = type(e).__name__

    threads = [threading.Thread(target=run, args=(n,)) for n in range(len(steps))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return out


def test_two_answers_to_one_introduction_make_one_transition(backend: Opener) -> None:
    intro = _two_introductions(backend, 3)[0]
    Broker(backend(), clock=lambda: T0).act(intro, "approve", "anna")
    got = _at_once(backend, [("candidate_accept", intro), ("candidate_decline", intro)])
    assert sorted(got) == ["TransitionError", "ok"], got
    node: Any = backend().get(intro)
    assert isinstance(node, Introduction)
    answers = [h for h in node.history if '"action": "candidate_' in h]
    assert len(answers) == 1, node.history


def test_capacity_holds_when_two_approvals_race(backend: Opener) -> None:
    intros = _two_introductions(backend, 1)
    got = _at_once(backend, [("approve", i) for i in intros])
    assert sorted(got) == ["CandidateRefusedError", "ok"], got
    states = sorted(p["state"] for p in backend().props_of(intros).values())
    assert states == ["approved", "proposed"]
