"""The API of issue 16: apply (public), the intake queue (staff), activities and communities,
with roles, Dutch errors and privacy as on the pages."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from fastapi.testclient import TestClient
from icalendar import Calendar

from schakel.graph.local import LocalGraphStore
from schakel.graph.model import Community, Member, Relationship
from schakel.matching import activities
from schakel.service.app import create_app
from schakel.service.config import Settings

if TYPE_CHECKING:
    from conftest import Keys

HIDDEN = "Quirijn Zwartebroek"
DAY = (datetime.now(UTC) + timedelta(days=40)).strftime("%Y-%m-%d")
R = Relationship.of
APPLY = {"name": "Roosmarijn Tjoelker", "contact": "roosmarijn@voorbeeld.example",
         "gemeente": "Emmen", "domains": ["onderwijs"], "role_level": "uitvoering",
         "perspective": "ouder/verzorger", "learn": "Hoe krijg ik mijn zoon weer naar school?",
         "need": "Wie kent een school in Emmen die thuiszitters goed opvangt?",
         "seeks": ["thuiszitters"], "offers": ["verzuim"], "agree": True}
ACTIVITY = {"title": "Studiemiddag thuiszitters", "kind": "studiemiddag", "day": DAY,
            "start": "13:30", "end": "16:00", "gemeente": "Emmen", "themes": ["thuiszitters"],
            "capacity": 1}


@pytest.fixture
def client(seeded_store: LocalGraphStore, tmp_path: Path, embedding_file: Path,
           matcher: Any, keys: Keys) -> Iterator[TestClient]:  # noqa: ARG001
    seeded_store.write(
        [Community(id="com-test", name="CoP Thuiszitters Drenthe", kind="cop"),
         Member(id="p-hidden", name=HIDDEN, visibility="none"),
         Member(id="p-coord", name="Coby Coördinator")],
        [R("MEMBER_OF", "p-hidden", "com-test"), R("COORDINATES", "p-coord", "com-test"),
         R("MEMBER_OF", "p-coord", "com-test"), R("ABOUT", "com-test", "thuiszitters")])
    app = create_app(Settings(data_dir=tmp_path, embeddings=embedding_file), store=seeded_store)
    with TestClient(app) as c:
        yield c


def dutch(response: Any) -> str:
    """The Dutch message(s) of an error answer, as one text."""
    detail = response.json()["detail"]
    return detail if isinstance(detail, str) else " ".join(d["msg"] for d in detail)


def test_apply_then_staff_approve_gives_a_key_once(client: TestClient, keys: Keys,
                                                   seeded_store: LocalGraphStore) -> None:
    sent = client.post("/api/v1/applications", json=APPLY)  # no key needed
    assert sent.status_code == 201 and "Dank u wel" in sent.json()["message"]
    app_id = sent.json()["id"]
    assert client.get("/api/v1/applications").status_code == 401
    member = keys.bearer(keys.member)
    assert client.get("/api/v1/applications", headers=member).status_code == 403
    staff = keys.bearer(keys.staff)
    [row] = client.get("/api/v1/applications", params={"status": "pending"},
                       headers=staff).json()
    assert (row["id"], row["gemeente"], row["seeks"]) == (app_id, "gm-emmen", ["thuiszitters"])
    assert row["actions"] == ["ask_more", "approve", "refuse"]
    more = client.post(f"/api/v1/applications/{app_id}/actions", headers=staff,
                       json={"action": "ask_more", "note": "Op welke school zit uw zoon?"})
    assert more.json()["application"]["state"] == "more_info" and more.json()["key"] == ""
    done = client.post(f"/api/v1/applications/{app_id}/actions", headers=staff,
                       json={"action": "approve"}).json()
    assert done["key"].startswith("sk-") and done["question"]
    assert isinstance(seeded_store.get(done["member_id"]), Member)
    me = client.get("/api/v1/me", headers=keys.bearer(done["key"]))
    assert me.status_code == 200 and me.json()["name"] == "Roosmarijn Tjoelker"
    again = client.post(f"/api/v1/applications/{app_id}/actions", headers=staff,
                        json={"action": "approve"})
    assert again.status_code == 409 and "afgehandeld" in dutch(again)
    assert len(seeded_store.neighbour_ids(app_id, "BECAME")) == 1
    gone = client.post("/api/v1/applications/aanmelding-nergens/actions", headers=staff,
                       json={"action": "approve"})
    assert gone.status_code == 404


def test_apply_errors_are_dutch_and_write_nothing(client: TestClient,
                                                  seeded_store: LocalGraphStore) -> None:
    for change, message in (({"gemeente": "Atlantis"}, "De gemeente Atlantis kennen we niet."),
                            ({"name": "x" * 301}, "Te lang: hoogstens 300 tekens."),
                            ({"agree": False}, "Geef toestemming"),
                            ({"seeks": ["vliegen"]}, "Het thema vliegen kennen we niet."),
                            ({"role_level": "baas"}, "Kies uit"),
                            ({"name": "  "}, "minstens 1")):
        sent = client.post("/api/v1/applications", json={**APPLY, **change})
        assert sent.status_code == 422 and message in dutch(sent), (change, sent.text)
    assert seeded_store.ids("Application") == []
    only_a_name = client.post("/api/v1/applications", json={"name": "Alleen", "agree": True})
    assert only_a_name.status_code == 201  # every other field is optional


def test_activities_create_filter_sign_up_wait_cancel(client: TestClient, keys: Keys,
                                                      seeded_store: LocalGraphStore) -> None:
    staff, member = keys.bearer(keys.staff), keys.bearer(keys.member)
    assert client.post("/api/v1/activities", json=ACTIVITY, headers=member).status_code == 403
    made = client.post("/api/v1/activities", json=ACTIVITY, headers=staff)
    assert made.status_code == 201, made.text
    act = made.json()
    assert act["starts"] == f"{DAY}T13:30:00{act['starts'][-6:]}" and act["place"] == "Emmen"
    bad = client.post("/api/v1/activities", json={**ACTIVITY, "gemeente": "Atlantis"},
                      headers=staff)
    assert bad.status_code == 422 and "Kies een gemeente" in dutch(bad)
    late = client.post("/api/v1/activities", json={**ACTIVITY, "end": "12:00"}, headers=staff)
    assert late.status_code == 422 and "eindigen voor ze begint" in dutch(late)
    found = client.get("/api/v1/activities", params={"theme": "thuiszitters",
                                                     "month": DAY[:7]}, headers=member).json()
    assert [a["id"] for a in found] == [act["id"]]
    assert client.get("/api/v1/activities", params={"place": "online"},
                      headers=member).json() == []
    month = client.get("/api/v1/activities", params={"month": "maart"}, headers=member)
    assert month.status_code == 422 and "JJJJ-MM" in dutch(month)
    activities.sign_up(seeded_store, act["id"], "p-hidden")  # takes the only place
    wait = client.post(f"/api/v1/activities/{act['id']}/sign-up", headers=member)
    assert wait.status_code == 201
    assert (wait.json()["status"], wait.json()["position"]) == ("waiting", 1)
    twice = client.post(f"/api/v1/activities/{act['id']}/sign-up", headers=member)
    assert twice.status_code == 409 and "al ingeschreven" in dutch(twice)
    one = client.get(f"/api/v1/activities/{act['id']}", headers=member).json()
    assert HIDDEN not in str(one) and one["others"] == 1 and one["mine"] == "waiting"
    activities.cancel(seeded_store, act["id"], "p-hidden")  # the member moves up
    [mine] = client.get("/api/v1/activities/mine", headers=member).json()
    assert mine["mine"] == "confirmed"
    ics = client.get(f"/api/v1/activities/{act['id']}/calendar.ics", headers=member)
    assert ics.headers["content-type"].startswith("text/calendar")
    [event] = Calendar.from_ical(ics.content).walk("VEVENT")
    assert str(event.decoded("DTSTART").tzinfo) == "Europe/Amsterdam"
    assert b"Studiemiddag" in client.get("/api/v1/activities/mine.ics", headers=member).content
    out = client.delete(f"/api/v1/activities/{act['id']}/sign-up", headers=member)
    assert out.status_code == 200 and out.json()["message"] == "U bent uitgeschreven."
    again = client.delete(f"/api/v1/activities/{act['id']}/sign-up", headers=member)
    assert again.status_code == 409 and "niet ingeschreven" in dutch(again)
    assert client.get("/api/v1/activities/act-nergens", headers=member).status_code == 404


def test_attendance_by_staff_makes_met_at_ties(client: TestClient, keys: Keys,
                                               seeded_store: LocalGraphStore) -> None:
    staff, member = keys.bearer(keys.staff), keys.bearer(keys.member)
    act = client.post("/api/v1/activities", json={**ACTIVITY, "capacity": 5},
                      headers=staff).json()
    client.post(f"/api/v1/activities/{act['id']}/sign-up", headers=member)
    activities.sign_up(seeded_store, act["id"], "m-000003")
    ups = client.get(f"/api/v1/activities/{act['id']}/sign-ups", headers=staff).json()
    assert {u["id"] for u in ups} == {keys.member_id, "m-000003"}
    assert client.get(f"/api/v1/activities/{act['id']}/sign-ups",
                      headers=member).status_code == 403
    stranger = client.put(f"/api/v1/activities/{act['id']}/attendance", headers=staff,
                          json={"present": [keys.member_id, "lvb"]})
    assert stranger.status_code == 422 and "Geen lid" in dutch(stranger)
    assert seeded_store.neighbour_ids(keys.member_id, "MET_AT") == []  # nothing written
    done = client.put(f"/api/v1/activities/{act['id']}/attendance", headers=staff,
                      json={"present": [keys.member_id, "m-000003"]})
    assert done.json() == {"present": 2, "ties": 1}
    assert seeded_store.neighbour_ids(keys.member_id, "MET_AT") == ["m-000003"]


def test_communities_page_join_accept_leave(client: TestClient, keys: Keys,
                                            seeded_store: LocalGraphStore) -> None:
    member = keys.bearer(keys.member)
    page = client.get("/api/v1/communities/com-test/page", headers=member).json()
    assert page["coordinators"] == ["Coby Coördinator"] and HIDDEN not in str(page)
    assert (page["others"], page["standing"], page["requests"]) == (1, "none", [])
    asked = client.post("/api/v1/communities/com-test/standing", headers=member,
                        json={"action": "ask"})
    assert asked.json()["standing"] == "asked"
    twice = client.post("/api/v1/communities/com-test/standing", headers=member,
                        json={"action": "ask"})
    assert twice.status_code == 409 and "vroeg het al" in dutch(twice)
    not_coordinator = client.post(f"/api/v1/communities/com-test/requests/{keys.member_id}",
                                  headers=member, json={"decision": "accept"})
    assert not_coordinator.status_code == 403
    coordinator = keys.bearer(client.app.state.schakel.access.add_user("coby", "member",
                                                                       "p-coord"))
    seen = client.get("/api/v1/communities/com-test/page", headers=coordinator).json()
    assert seen["requests"] == [{"id": keys.member_id, "name": seeded_store.get(
        keys.member_id).name}]  # type: ignore[union-attr]
    ok = client.post(f"/api/v1/communities/com-test/requests/{keys.member_id}",
                     headers=coordinator, json={"decision": "accept"})
    assert ok.json()["standing"] == "member"
    gone = client.post(f"/api/v1/communities/com-test/requests/{keys.member_id}",
                       headers=coordinator, json={"decision": "accept"})
    assert gone.status_code == 409 and "geen verzoek" in dutch(gone).lower()
    left = client.post("/api/v1/communities/com-test/standing", headers=member,
                       json={"action": "leave"})
    assert left.json()["standing"] == "none"
    assert "com-test" not in seeded_store.neighbour_ids(keys.member_id, "MEMBER_OF")
    nowhere = client.post("/api/v1/communities/com-nergens/standing", headers=member,
                          json={"action": "ask"})
    assert nowhere.status_code == 404
    staff_only = client.post("/api/v1/communities/com-test/standing",
                             headers=keys.bearer(keys.staff), json={"action": "ask"})
    assert staff_only.status_code == 403  # a staff account is no member


def test_applications_are_limited_per_address(seeded_store: LocalGraphStore, tmp_path: Path,
                                              page_client: type[TestClient]) -> None:
    app = create_app(Settings(data_dir=tmp_path, rate_apply="2/hour"), store=seeded_store)
    with page_client(app) as c:
        assert c.post("/api/v1/applications", json=APPLY).status_code == 201
        assert c.post("/lid-worden", data={"naam": "Op De Pagina", "akkoord": "true"}
                      ).status_code == 200
        third = c.post("/api/v1/applications", json=APPLY)
        assert third.status_code == 429 and "Te veel verzoeken" in third.json()["detail"]
        assert int(third.headers["retry-after"]) > 0
        page = c.post("/lid-worden", data={"naam": "Nog Een", "akkoord": "true"})
        assert page.status_code == 429 and "Te veel verzoeken" in page.text
    assert len(seeded_store.ids("Application")) == 2
