"""Activities on the pages: staff create, members filter, sign up, wait, cancel, take the
calendar file; attendance leaves "ontmoet bij" ties; hidden members stay hidden."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from fastapi.testclient import TestClient
from icalendar import Calendar
from pageclient import PageClient

from schakel.errors import TransitionError
from schakel.graph.local import LocalGraphStore
from schakel.graph.model import Activity, Member
from schakel.matching import activities
from schakel.service.app import create_app
from schakel.service.config import Settings

if TYPE_CHECKING:
    from conftest import Keys

HIDDEN = "Quirijn Zwartebroek"
DAY = (datetime.now(UTC) + timedelta(days=40)).strftime("%Y-%m-%d")


@pytest.fixture
def client(seeded_store: LocalGraphStore, tmp_path: Path, embedding_file: Path,
           matcher: Any, keys: Keys) -> Iterator[TestClient]:  # noqa: ARG001
    seeded_store.write([Member(id="p-hidden", name=HIDDEN, visibility="none")])
    app = create_app(Settings(data_dir=tmp_path, embeddings=embedding_file), store=seeded_store)
    with PageClient(app) as c:
        yield c


def make(client: TestClient, keys: Keys, **change: Any) -> str:
    client.cookies.set("schakel_sleutel", keys.staff)
    form = {"titel": "Studiemiddag thuiszitters", "soort": "studiemiddag", "datum": DAY,
            "begin": "13:30", "eind": "16:00", "gemeente": "Emmen", "thema": ["thuiszitters"],
            "plaatsen": "1", **change}
    made = client.post("/agenda-nieuw", data=form, follow_redirects=False)
    assert made.status_code == 303, made.text[-800:]
    return str(made.headers["location"]).rsplit("/", 1)[1]


def test_sign_up_wait_cancel_and_calendar(client: TestClient, seeded_store: LocalGraphStore,
                                          keys: Keys) -> None:
    act_id = make(client, keys)
    made = seeded_store.get(act_id)
    assert isinstance(made, Activity) and made.starts.startswith(f"{DAY}T13:30:00+0")
    activities.sign_up(seeded_store, act_id, "p-hidden")  # takes the only place
    client.cookies.set("schakel_sleutel", keys.member)
    page = client.get(f"/agenda/{act_id}")
    assert "Op de wachtlijst" in page.text and HIDDEN not in page.text
    assert "En 1 ander." in page.text  # counted, never named
    sent = client.post(f"/agenda/{act_id}/inschrijven", follow_redirects=False)
    assert sent.headers["location"].endswith("gedaan=wacht")
    assert "wachtlijst (nummer 1)" in client.get(f"/agenda/{act_id}").text
    again = client.post(f"/agenda/{act_id}/inschrijven")
    assert again.status_code == 409 and "al ingeschreven" in again.text
    assert activities.cancel(seeded_store, act_id, "p-hidden") == keys.member_id  # moves up
    mine = client.get("/mijn-agenda")
    assert "Studiemiddag thuiszitters" in mine.text and "ingeschreven" in mine.text
    ics = client.get(f"/agenda/{act_id}/agenda.ics")
    assert ics.status_code == 200 and ics.headers["content-type"].startswith("text/calendar")
    [event] = Calendar.from_ical(ics.content).walk("VEVENT")
    assert str(event["SUMMARY"]) == "Studiemiddag thuiszitters"
    start = event.decoded("DTSTART")
    assert (start.strftime("%Y-%m-%d %H:%M"), str(start.tzinfo)) == (f"{DAY} 13:30",
                                                                     "Europe/Amsterdam")
    assert str(event["LOCATION"]) == "Emmen"
    assert client.get("/mijn-agenda.ics").status_code == 200
    out = client.post(f"/agenda/{act_id}/uitschrijven", follow_redirects=False)
    assert out.status_code == 303
    assert client.post(f"/agenda/{act_id}/uitschrijven").status_code == 409


def test_agenda_filters_by_theme_place_and_month(client: TestClient, keys: Keys) -> None:
    near = make(client, keys)
    online = make(client, keys, titel="Webinar verzuim", soort="webinar", online="true",
                  gemeente="", thema=["autisme"])
    client.cookies.set("schakel_sleutel", keys.member)

    def shown(**query: str) -> set[str]:
        page = client.get("/agenda", params=query)
        assert page.status_code == 200, page.text[-500:]
        return {i for i in (near, online) if f'data-id="{i}"' in page.text}

    assert shown() == {near, online}
    assert shown(thema="thuiszitters") == {near}
    assert shown(plaats="Emmen") == {near} and shown(plaats="online") == {online}
    assert shown(maand=DAY[:7]) == {near, online} and shown(maand="2001-01") == set()
    bad = client.get("/agenda", params={"maand": "maart"})
    assert bad.status_code == 422 and "JJJJ-MM" in bad.text
    assert client.get("/agenda", params={"plaats": "Atlantis"}).status_code == 422


def test_staff_form_problems_and_attendance_ties(client: TestClient,
                                                 seeded_store: LocalGraphStore,
                                                 keys: Keys) -> None:
    client.cookies.set("schakel_sleutel", keys.staff)
    bad = client.post("/agenda-nieuw", data={"titel": "x", "datum": "morgen", "begin": "1",
                                             "plaatsen": "veel"})
    assert bad.status_code == 422 and "heel getal" in bad.text
    act_id = make(client, keys, plaatsen="5")
    for m in ("m-000001", "m-000003"):
        activities.sign_up(seeded_store, act_id, m)
    done = client.post(f"/agenda/{act_id}/aanwezig", data={"aanwezig": ["m-000001", "m-000003"]},
                       follow_redirects=False)
    assert done.status_code == 303
    assert seeded_store.neighbour_ids("m-000001", "MET_AT") == ["m-000003"]
    assert seeded_store.relationships("m-000003", "MET_AT")[0].props == {"activity": act_id}
    assert "Wie er waren" in client.get(f"/agenda/{act_id}").text
    client.cookies.set("schakel_sleutel", keys.member)
    assert client.post(f"/agenda/{act_id}/aanwezig", data={}).status_code == 403


def test_signing_up_after_the_start_is_refused(seeded_store: LocalGraphStore) -> None:
    seeded_store.write([Activity(id="act-old", title="Voorbij", starts="2020-01-01T10:00+01:00",
                                 ends="2020-01-01T11:00+01:00")])
    with pytest.raises(TransitionError, match="al begonnen"):
        activities.sign_up(seeded_store, "act-old", "m-000001")
    assert seeded_store.relationships("m-000001", "SIGNED_UP") == []


def test_a_misspelt_gemeente_is_named_back(client: TestClient, keys: Keys) -> None:
    client.cookies.set("schakel_sleutel", keys.staff)
    page = client.post("/agenda-nieuw", data={
        "titel": "Studiemiddag thuiszitters", "soort": "studiemiddag", "datum": DAY,
        "begin": "13:30", "gemeente": "Enschde", "plaatsen": "20"})
    assert page.status_code == 422
    assert "De gemeente Enschde kennen we niet" in page.text
    empty = client.post("/agenda-nieuw", data={
        "titel": "Studiemiddag thuiszitters", "soort": "studiemiddag", "datum": DAY,
        "begin": "13:30", "plaatsen": "20"})
    assert empty.status_code == 422 and "Kies een gemeente, of vink online aan." in empty.text
