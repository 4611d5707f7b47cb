"""Read models follow the change feed: another process's write reaches them without a
rebuild, a reader never hangs on a catch-up, cached views survive unrelated writes."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from schakel.graph.geo import Gazetteer
from schakel.graph.local import LocalGraphStore
from schakel.graph.model import Member, Theme
from schakel.matching.engine import MatchQuery
from schakel.service.access_sqlite import SqliteAccessStore
from schakel.service.config import Settings
from schakel.service.context import AppState

WORD = "paardencoaching"  # in no generated profile


@pytest.fixture
def state(seeded_store: LocalGraphStore, tmp_path: Path, gazetteer: Gazetteer) -> Any:
    seeded_store.sync_interval = 0  # notice other processes' writes at once (default 0.1 s)
    settings = Settings(data_dir=tmp_path)
    access = SqliteAccessStore(settings.access_path)
    app_state = AppState(settings, seeded_store, gazetteer, access)
    app_state.warm_up()
    yield app_state
    app_state.close()
    access.close()


def _no_rebuild(state: AppState, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse() -> Any:
        raise AssertionError("rebuilt a read model from scratch")

    monkeypatch.setattr(state.models._matcher, "_build", refuse)
    monkeypatch.setattr(state.models._views, "_build", refuse)


def _consenting_members(store: LocalGraphStore, n: int) -> list[Member]:
    found = [m for m in store.find("Member") if isinstance(m, Member) and m.consent_matching
             and m.visibility == "members" and not m.private_fields]
    return found[:n]


def test_another_process_write_reaches_the_read_models_without_a_rebuild(
        state: AppState, seeded_store: LocalGraphStore, monkeypatch: pytest.MonkeyPatch) -> None:
    edited, hidden = _consenting_members(seeded_store, 2)
    assert hidden.id in state.visible_members("member")
    assert state.lookup.theme("Paardencoaching") is None
    _no_rebuild(state, monkeypatch)
    other = LocalGraphStore(seeded_store.path)  # `schakel import` or a second worker
    try:
        other.write([edited.model_copy(update={"profile": f"Ik werk met {WORD} voor "
                                                          "kinderen die vastlopen op school."}),
                     hidden.model_copy(update={"visibility": "none"}),
                     Theme(id="paardencoaching", name="Paardencoaching")])
    finally:
        other.close()
    assert hidden.id not in state.visible_members("member")
    assert state.lookup.theme("Paardencoaching") == "paardencoaching"
    answer = state.match(MatchQuery(text=f"Wie doet iets met {WORD}?", kinds=["member"],
                                    viewer="staff"))
    assert answer.results[0].id == edited.id
    assert hidden.id not in [r.id for r in answer.results]
    applied = state.models.last_changes
    assert applied.ids("Member") == {edited.id, hidden.id}


def test_a_reader_answers_from_the_published_models_while_a_catch_up_runs(
        state: AppState, seeded_store: LocalGraphStore) -> None:
    (member,) = _consenting_members(seeded_store, 1)
    follower = state.models._matcher
    holding, release = threading.Event(), threading.Event()

    def long_catch_up() -> None:
        with follower.lock:
            holding.set()
            release.wait(30)

    thread = threading.Thread(target=long_catch_up)
    thread.start()
    holding.wait(10)
    try:
        other = LocalGraphStore(seeded_store.path)  # another process writes
        other.write([member.model_copy(update={"profile": f"Alles over {WORD}."})])
        other.close()
        stale = state.match(MatchQuery(text=f"Wie doet iets met {WORD}?", kinds=["member"],
                                       limit=3, viewer="staff"))
    finally:
        release.set()
        thread.join()
    assert member.id not in [r.id for r in stale.results]  # the version it had, at once
    fresh = state.match(MatchQuery(text=f"Wie doet iets met {WORD}?", kinds=["member"],
                                   limit=3, viewer="staff"))
    assert fresh.results[0].id == member.id


def test_a_write_of_this_process_is_followed_before_it_returns(
        state: AppState, seeded_store: LocalGraphStore) -> None:
    (member,) = _consenting_members(seeded_store, 1)
    follower = state.models._matcher
    seeded_store.write([member.model_copy(update={"profile": f"Alles over {WORD}."})])
    assert follower.seq == seeded_store.version  # caught up in the writing thread
    assert follower.last_changes.ids("Member") == {member.id}
    answer = state.match(MatchQuery(text=f"Wie doet iets met {WORD}?", kinds=["member"],
                                    limit=3, viewer="staff"))
    assert answer.results[0].id == member.id


def test_a_cached_view_survives_writes_it_does_not_depend_on(
        state: AppState, seeded_store: LocalGraphStore) -> None:
    calls: list[int] = []

    def compute() -> int:
        calls.append(1)
        return len(calls)

    assert state.cached("themes", compute, on={"Theme", "BROADER"}) == 1
    (member,) = _consenting_members(seeded_store, 1)
    seeded_store.write([member.model_copy(update={"profile": "Nieuw profiel."})])
    assert state.cached("themes", compute, on={"Theme", "BROADER"}) == 1
    seeded_store.write([Theme(id="nieuw_thema", name="Nieuw thema")])
    assert state.cached("themes", compute, on={"Theme", "BROADER"}) == 2
    assert state.cached("any", compute) == 3
    seeded_store.write([member.model_copy(update={"profile": "Weer nieuw."})])
    assert state.cached("any", compute) == 4
