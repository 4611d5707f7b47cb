"""The pause after a Neo4j server was found away: calls fail at once, one call probes after
the pause, and an answer lets everything through again."""

from __future__ import annotations

import time

import pytest

from schakel.errors import StoreUnavailableError
from schakel.graph import neo4j_away
from schakel.graph.neo4j import driver_errors
from schakel.graph.neo4j_away import Away


def test_after_the_server_is_gone_calls_fail_at_once_until_one_probe_finds_it_back(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(neo4j_away, "PAUSE_S", 0.2)
    state = Away()
    assert state.enter() and state.enter()  # nothing known: every call goes
    state.gone()
    assert not state.enter()  # within the pause
    time.sleep(0.25)
    assert state.enter()  # the probe
    assert not state.enter()  # others still fail at once while it runs
    state.gone()  # the probe found it away again: another pause
    assert not state.enter()
    time.sleep(0.25)
    assert state.enter()
    state.answered()
    assert state.enter() and state.enter()


def test_driver_errors_fail_at_once_while_the_server_is_away(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from neo4j.exceptions import ServiceUnavailable

    monkeypatch.setattr(neo4j_away, "PAUSE_S", 60)
    uri = "bolt://127.0.0.1:9"  # one test's own address: the state is per address
    calls = []

    def down() -> None:
        calls.append(1)
        raise ServiceUnavailable("Couldn't connect")

    with pytest.raises(StoreUnavailableError, match="niet bereikbaar"):
        driver_errors(uri, down)
    with pytest.raises(StoreUnavailableError, match="niet bereikbaar"):
        driver_errors(uri, down)
    assert calls == [1]  # the second never reached the driver
    assert driver_errors("bolt://127.0.0.1:10", lambda: 7) == 7  # another server: untouched
