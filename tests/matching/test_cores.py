"""Work handed to an idle core (matching/cores.py), and the matcher's use of it for a new
question's vector."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from dataclasses import replace

import pytest

from schakel.matching import cores
from schakel.matching.cores import Started
from schakel.matching.engine import Matcher, MatchQuery
from schakel.matching.theme_model import fit_theme_model, training_rows

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


@pytest.fixture(params=["readers", "with a theme model"])
def answering(request: pytest.FixtureRequest, matcher: Matcher) -> Iterator[Matcher]:
    """The session's matcher, and once with a theme model fitted on its network (its
    n-gram part is read before the vector arrives); the state is put back afterwards."""
    if request.param == "readers":
        yield matcher
        return
    st = matcher._state
    assert st is not None
    texts, vectors, labels = training_rows(st.catalog, st.indexes["member"].vectors,
                                           st.indexes["practice"].vectors,
                                           matcher.encoder.encode)
    model = fit_theme_model(texts, vectors, labels)
    assert model is not None
    matcher._state = replace(st, theme_model=model)
    try:
        yield matcher
    finally:
        matcher._state = st


def test_a_new_question_gets_the_answer_it_gets_when_asked_again(answering: Matcher) -> None:
    """A new question is encoded on the helper while the rows and what its words say about
    themes are read; asked again its vector is known and the rows follow the themes. Both
    orders give one answer."""
    matcher = answering
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
