"""Work handed to an idle core (matching/cores.py), and the matcher's use of it for a new
question's vector."""

from __future__ import annotations

import os
import threading

import pytest

from schakel.matching import cores
from schakel.matching.cores import Started
from schakel.matching.engine import Matcher, MatchQuery

two_cores = pytest.mark.skipif(cores.helper() is None, reason="one core: no helper")


@two_cores
def test_the_work_runs_on_the_helper_when_it_is_free() -> None:
    where: list[str] = []
    ran = threading.Event()

    def work() -> int:
        where.append(threading.current_thread().name)
        ran.set()
        return 42

    started = Started(work)
    assert ran.wait(5)  # taken up by the helper while this thread does something else
    assert started.result() == 42
    assert len(where) == 1
    assert where and where[0].startswith("schakel-help")


@two_cores
def test_a_busy_helper_is_not_waited_for_the_caller_does_the_work_once() -> None:
    release, busy = threading.Event(), threading.Semaphore(0)
    pool = cores.helper()
    assert pool is not None
    helpers = pool._max_workers
    blockers = [pool.submit(lambda: (busy.release(), release.wait(10))) for _ in range(helpers)]
    for _ in range(helpers):  # every helper thread is busy now
        assert busy.acquire(timeout=5)
    runs: list[str] = []
    try:
        started = Started(lambda: runs.append(threading.current_thread().name) or "done")
        assert started.result() == "done"
    finally:
        release.set()
        for b in blockers:
            b.result()
    assert runs == [threading.current_thread().name]  # here, and only once


def test_an_error_in_the_work_reaches_the_caller() -> None:
    def fails() -> None:
        raise ValueError("kapot")

    with pytest.raises(ValueError, match="kapot"):
        Started(fails).result()


def test_a_new_question_gets_the_answer_it_gets_when_asked_again(matcher: Matcher) -> None:
    """A new question is encoded on the helper while the rows are found; asked again its
    vector is known and the rows follow the themes. Both orders give one answer."""
    text = f"Wie helpt een thuiszitter terug naar school in Drenthe? ({os.getpid()})"
    for kinds in (None, ["member", "expert"], ["region", "practice", "community"]):
        matcher.encoder._queries.pop(text, None)
        query = MatchQuery(text=text, near="Emmen", kinds=kinds, limit=15)
        before = matcher.encoder.encoded
        new = matcher.match(query)
        assert matcher.encoder.encoded == before + 1  # the helper encoded it
        again = matcher.match(query)
        assert matcher.encoder.encoded == before + 1  # known now
        assert new.results, kinds
        assert [(s.id, s.score, [r.text for r in s.reasons]) for s in new.results] == \
            [(s.id, s.score, [r.text for r in s.reasons]) for s in again.results]
        assert new.understood == again.understood
