"""Issue 16 on both stores: the last place of an activity, the waiting list moving up, one
approval of an application, SEEKS and OFFERS — with two clients as two workers would be."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from typing import Any

from schakel.errors import TransitionError
from schakel.graph.model import Activity, Application, Community, Member, Relationship, Theme
from schakel.matching import activities, intake, joining

from .conftest import Opener
from .test_brokering_races import MeetingClock

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _network(backend: Opener, capacity: int) -> None:
    store = backend()
    store.write([Member(id=f"m-{i}", name=f"Lid {i}") for i in range(4)]
                + [Activity(id="act-1", title="Intervisie thuiszitters", kind="intervisie",
                            starts="2026-04-01T15:00:00+02:00", ends="2026-04-01T17:00:00+02:00",
                            capacity=capacity)])


def _at_once(backend: Opener, members: list[str]) -> list[str]:
    barrier = threading.Barrier(len(members))
    clock = MeetingClock(barrier)
    stores = [backend() for _ in members]
    out = [""] * len(members)

    def run(n: int) -> None:
        out[n] = activities.sign_up(stores[n], "act-1", members[n], clock=clock).status

    threads = [threading.Thread(target=run, args=(n,)) for n in range(len(members))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return out


def test_two_members_racing_for_the_last_place(backend: Opener) -> None:
    _network(backend, 1)
    got = _at_once(backend, ["m-0", "m-1"])
    assert sorted(got) == ["confirmed", "waiting"], got
    store = backend()
    activities.sign_up(store, "act-1", "m-2", clock=lambda: T0)
    ups = activities.sign_ups(store, "act-1")
    assert [s.position for s in ups] == [1, 2, 3]
    first = next(s.member for s in ups if s.status == "confirmed")
    second = next(s.member for s in ups if s.status == "waiting")
    assert activities.cancel(backend(), "act-1", first) == second  # next in line moves up
    now = {s.member: s.status for s in activities.sign_ups(backend(), "act-1")}
    assert now == {second: "confirmed", "m-2": "waiting"}


def test_one_approval_of_an_application_and_seeks_offers(backend: Opener) -> None:
    store = backend()
    store.write([Theme(id="autisme", name="Autisme"), Theme(id="verzuim", name="Verzuim")])
    application = Application(id="aanmelding-1", name="Nieuw Lid", seeks=["autisme"],
                              offers=["verzuim"], offer_levels=[3])
    store.write([application])

    class NoLookup:
        def __getattr__(self, _name: str) -> Any:
            return lambda ref: ref

    got: list[str] = []
    barrier = threading.Barrier(2)

    def run() -> None:
        clock = MeetingClock(barrier)
        try:
            got.append(intake.act(backend(), NoLookup(), "aanmelding-1", "approve", "staf",
                                  clock=clock).member_id)
        except TransitionError:
            got.append("refused")

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert got.count("refused") == 1, got
    store = backend()
    [member] = store.neighbour_ids("aanmelding-1", "BECAME")
    assert store.neighbour_ids(member, "SEEKS") == ["autisme"]
    assert [(r.end, r.props["level"]) for r in store.relationships(member, "OFFERS")] \
        == [("verzuim", 3)]
    assert store.count("Member") == 1
    store.write(relationships=[Relationship.of("OFFERS", member, "autisme", level=1)])
    assert len(store.relationships(member, "OFFERS")) == 2


def test_a_group_started_from_a_notice_once_and_invitations_answered(backend: Opener) -> None:
    store = backend()
    store.write([Member(id=f"m-{i}", name=f"Lid {i}") for i in range(3)]
                + [Theme(id="thuiszitters", name="Thuiszitters")])
    barrier = threading.Barrier(2)
    stores = [backend(), backend()]
    out = [""] * 2

    def run(n: int) -> None:
        barrier.wait()
        try:
            joining.start_with_invitations(
                stores[n], Community(id="com-gestart", name=f"CoP {n}"), "thuiszitters",
                ["m-0", "m-1"])
            out[n] = "started"
        except TransitionError as e:
            out[n] = str(e)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert out.count("started") == 1 and any("al gestart" in x for x in out), out
    store = backend()
    assert sorted(store.neighbour_ids("com-gestart", "INVITED_TO", "in")) == ["m-0", "m-1"]
    assert joining.step(store, "com-gestart", "m-0", "accept_invite") == "member"
    assert joining.step(store, "com-gestart", "m-1", "decline_invite") == "none"
    try:
        joining.step(store, "com-gestart", "m-2", "accept_invite")
        raise AssertionError("accepted without an invitation")
    except TransitionError:
        pass
    assert store.neighbour_ids("com-gestart", "MEMBER_OF", "in") == ["m-0"]
    assert store.neighbour_ids("com-gestart", "INVITED_TO", "in") == []
