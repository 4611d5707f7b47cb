"""Signals through the seven steps on both stores: every step lands once, every refused step
writes nothing, and two clients moving one signal at once make one step."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest

from schakel.errors import InvalidQueryError, TransitionError, UnknownReferenceError
from schakel.graph.model import Domain, Member, Region, Relationship, Table, Theme
from schakel.graph.store import GraphStore
from schakel.matching.signals import SignalDesk

from .conftest import Opener
from .test_brokering_races import MeetingClock

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _world(store: GraphStore) -> None:
    store.write(
        [Domain(id="onderwijs", name="Onderwijs"),
         Region(id="pv-drenthe", name="Drenthe", kind="provincie", lat=52.9, lon=6.6),
         Region(id="gm-emmen", name="Emmen", kind="gemeente", lat=52.78, lon=6.9,
                provincie="pv-drenthe"),
         Theme(id="thuiszitters", name="Thuiszitters"),
         Member(id="m-1", name="Anna de Vries"),
         Member(id="m-2", name="Bram Yilmaz", roles=["member", "expert"]),
         Member(id="m-3", name="Chris Jansen", visibility="none"),
         Table(id="tafel-ozkt", name="OZKT")],
        [Relationship.of("BASED_IN", "m-1", "gm-emmen"),
         Relationship.of("BASED_IN", "m-2", "gm-emmen"),
         Relationship.of("ACTIVE_IN", "m-1", "onderwijs"),
         Relationship.of("ACTIVE_IN", "m-2", "onderwijs")])


def _everything(store: GraphStore) -> tuple[object, ...]:
    return (sorted((n, d.get("step"), len(d.get("history", []) or []))
                   for n, d in store.snapshot().nodes(data=True)),
            sorted(r.key + (tuple(sorted(r.props.items())),) for r in store.relationships()))


def test_a_signal_goes_through_all_seven_steps(backend: Opener) -> None:
    store = backend()
    _world(store)
    desk = SignalDesk(store, clock=lambda: T0)
    sid = desk.submit("Leerlingen wachten maanden op jeugdhulp en zitten thuis.", "anna",
                      raised_by="m-1", themes=["thuiszitters"], urgency="hoog")
    view = desk.view(sid)
    assert (view.step, view.place.id if view.place else None) == (1, "gm-emmen")
    assert [d.id for d in view.domains] == ["onderwijs"]
    desk.recognise(sid, "m-2", "Bij ons ook")
    desk.recognise(sid, "m-3")
    for action in ("oogsten", "toetsen", "verdiepen"):
        desk.act(sid, action, "staf", note=action)
    desk.act(sid, "delen", "staf", shared="podcast", causes="Twee potjes geld")
    desk.act(sid, "agenderen", "staf", table="tafel-ozkt", date="2026-04-01",
             instrument="financiering", option="dataverzameling en onderzoek")
    view = desk.act(sid, "terugkoppelen", "staf", feedback="De OZKT laat het onderzoeken.")
    other = SignalDesk(backend(), clock=lambda: T0).view(sid)  # a second client sees it
    for v in (view, other):
        assert v.step == 7 and v.actions == []
        assert [h.action for h in v.history] == [
            "signaal ingebracht", "oogsten", "toetsen", "verdiepen", "delen", "agenderen",
            "terugkoppelen"]
        assert (v.causes, v.shared, v.instrument) == ("Twee potjes geld", "podcast",
                                                      "financiering")
        assert [(a.table.id, a.date, a.result) for a in v.agenda] == [
            ("tafel-ozkt", "2026-04-01", "De OZKT laat het onderzoeken.")]
        # the two who can be named; the member who hides counts, unnamed
        assert [c.id for c in v.contributors] == ["m-1", "m-2"]
        assert v.contributors_hidden == 1
        assert v.recognition.total == 2
        assert v.recognition.by_region == {"Drenthe": 1, "onbekend": 1}
        assert v.recognition.by_role == {"lid": 2, "expert": 1}
    assert [s.id for s in desk.of_member("m-2")] == [sid]
    assert [s.id for s, _ in desk.agenda("tafel-ozkt")] == [sid]


@pytest.mark.parametrize(("before", "action", "fields", "error"), [
    ([], "toetsen", {}, TransitionError),
    ([], "terugkoppelen", {"feedback": "x"}, TransitionError),
    (["oogsten", "toetsen"], "agenderen", {"table": "tafel-ozkt"}, InvalidQueryError),
    (["oogsten", "toetsen"], "agenderen", {"table": "nope", "date": "2026-04-01"},
     UnknownReferenceError),
    (["oogsten", "toetsen", "verdiepen"], "delen", {}, InvalidQueryError),
    (["oogsten", "toetsen"], "onbekend", {}, TransitionError),
])
def test_a_refused_step_writes_nothing(backend: Opener, before: list[str], action: str,
                                       fields: dict[str, str], error: type[Exception]) -> None:
    store = backend()
    _world(store)
    desk = SignalDesk(store, clock=lambda: T0)
    sid = desk.submit("Geen budget voor de brug tussen school en zorg.", "anna")
    for a in before:
        desk.act(sid, a, "staf")
    was, version = _everything(store), store.version
    with pytest.raises(error) as refused:
        desk.act(sid, action, "staf", **fields)
    assert _everything(store) == was and store.version == version
    if error is TransitionError:
        assert "kan niet" in str(refused.value) or "onbekende stap" in str(refused.value)


def test_two_clients_moving_one_signal_make_one_step(backend: Opener) -> None:
    store = backend()
    _world(store)
    sid = SignalDesk(store, clock=lambda: T0).submit("Wachtlijsten in de jeugdhulp.", "anna")
    barrier = threading.Barrier(2)
    desks = [SignalDesk(backend(), clock=MeetingClock(barrier)) for _ in range(2)]
    out = [""] * 2

    def run(n: int) -> None:
        try:
            desks[n].act(sid, "oogsten", f"staf{n}")
            out[n] = "ok"
        except TransitionError:
            out[n] = "refused"

    threads = [threading.Thread(target=run, args=(n,)) for n in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(out) == ["ok", "refused"]
    view = SignalDesk(backend(), clock=lambda: T0).view(sid)
    assert view.step == 2 and len(view.history) == 2
