"""The signals API: a member raises a signal, staff move it through the seven steps, the
member reads what happened; refused steps are 409 in Dutch and write nothing."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from fastapi.testclient import TestClient

from schakel.graph.local import LocalGraphStore
from schakel.matching.signals import SignalDesk
from schakel.service.app import create_app
from schakel.service.config import Settings

if TYPE_CHECKING:
    from conftest import Keys

TEXT = ("Kinderen met een extra ondersteuningsbehoefte wachten maanden op een plek, omdat "
        "onderwijs en jeugdhulp elk een ander potje hebben.")


@pytest.fixture
def client(seeded_store: LocalGraphStore, tmp_path: Path, keys: Keys, embedding_file: Path,
           matcher: Any) -> Iterator[TestClient]:
    assert matcher.catalog is not None
    app = create_app(Settings(data_dir=tmp_path, embeddings=embedding_file), store=seeded_store)
    with TestClient(app, headers=keys.bearer(keys.staff)) as c:
        yield c


def test_one_signal_through_seven_steps_and_back_to_the_member(
        client: TestClient, keys: Keys) -> None:
    member = keys.bearer(keys.member)
    r = client.post("/api/v1/signals/mine", json={"text": TEXT, "urgency": "hoog"},
                    headers=member)
    assert r.status_code == 201, r.text
    sig = r.json()
    assert sig["step"] == 1 and sig["raised_by"]["id"] == keys.member_id
    assert sig["step_nl"] == "01 uitzetten" and sig["themes"]  # read from the text
    sid = sig["id"]
    # members do not see others' signals before toetsen; staff do
    other = client.get(f"/api/v1/signals/{sid}")
    assert other.status_code == 200
    steps: list[dict[str, Any]] = [
        {"action": "oogsten"}, {"action": "toetsen"}, {"action": "verdiepen"},
        {"action": "delen", "shared": "interview in de update", "causes": "twee potjes"},
        {"action": "agenderen", "table": "tafel-ozkt", "date": "2026-05-12",
         "instrument": "financiering", "option": "financiering, subsidiëring en "
                                                  "experimenteerruimte"},
        {"action": "terugkoppelen", "feedback": "De OZKT neemt het op in haar werkplan."},
    ]
    for body in steps:
        r = client.post(f"/api/v1/signals/{sid}/steps", json=body)
        assert r.status_code == 200, r.text
    assert r.json()["step"] == 7
    mine = client.get("/api/v1/signals/mine", headers=member).json()
    assert [(s["id"], s["step"], s["feedback"]) for s in mine["data"]] == [
        (sid, 7, "De OZKT neemt het op in haar werkplan.")]
    agenda = client.get("/api/v1/tables/tafel-ozkt/agenda").json()
    assert [(a["signal"], a["date"], a["result"]) for a in agenda["agenda"]] == [
        (sid, "2026-05-12", "De OZKT neemt het op in haar werkplan.")]
    # the member may not move it
    assert client.post(f"/api/v1/signals/{sid}/steps", json={"action": "oogsten"},
                       headers=member).status_code == 403


def test_a_refused_step_is_409_in_dutch_and_writes_nothing(
        client: TestClient, seeded_store: LocalGraphStore) -> None:
    r = client.post("/api/v1/signals", json={"text": TEXT, "channel": "intake"})
    assert r.status_code == 201, r.text
    sid = r.json()["id"]
    assert r.json()["raised_as"] == "anoniem" and r.json()["raised_by"] is None
    version = seeded_store.version
    r = client.post(f"/api/v1/signals/{sid}/steps", json={"action": "terugkoppelen",
                                                          "feedback": "x"})
    assert r.status_code == 409
    assert "kan niet: het signaal staat bij stap 01 uitzetten" in r.json()["detail"][0]["msg"]
    r = client.post(f"/api/v1/signals/{sid}/steps", json={"action": "oogsten",
                                                          "date": "12-05-2026"})
    assert r.status_code == 422
    assert seeded_store.version == version
    assert client.get(f"/api/v1/signals/{sid}").json()["step"] == 1


def test_recognition_counts_and_never_names_hidden_members(
        client: TestClient, keys: Keys, seeded_store: LocalGraphStore) -> None:
    sid = client.post("/api/v1/signals", json={"text": TEXT}).json()["id"]
    member = keys.bearer(keys.member)
    assert client.put(f"/api/v1/signals/{sid}/recognition", json={},
                      headers=member).status_code == 404  # not shown to members yet
    for action in ("oogsten", "toetsen"):
        client.post(f"/api/v1/signals/{sid}/steps", json={"action": action})
    hidden = next(m for m in seeded_store.find("Member") if m.visibility == "none")
    SignalDesk(seeded_store, clock=lambda: datetime.now(UTC)).recognise(sid, hidden.id)
    r = client.put(f"/api/v1/signals/{sid}/recognition", json={"note": "Bij ons ook"},
                   headers=member)
    assert r.status_code == 200, r.text
    rec = r.json()["recognition"]
    assert rec["total"] == 2 and rec["mine"] is True and rec["hidden"] == 1
    assert [n["id"] for n in rec["names"]] == [keys.member_id]
    assert sum(rec["by_region"].values()) == 2
    assert hidden.name not in r.text
    assert client.get("/api/v1/signals/recognisable", headers=member).json()["count"] == 1
    r = client.delete(f"/api/v1/signals/{sid}/recognition", headers=member)
    assert r.json()["recognition"]["total"] == 1


def test_calls_and_tables(client: TestClient, keys: Keys) -> None:
    r = client.post("/api/v1/calls", json={"title": "Waar lopen jullie tegenaan?",
                                           "opens": "2026-01-01", "closes": "2026-02-01",
                                           "themes": ["thuiszitters"]})
    assert r.status_code == 201, r.text
    member = keys.bearer(keys.member)
    assert [c["title"] for c in client.get("/api/v1/calls", headers=member).json()] == [
        "Waar lopen jullie tegenaan?"]
    names = [t["id"] for t in client.get("/api/v1/tables", headers=member).json()]
    assert "tafel-netwerktafel" in names and "tafel-ozkt" in names
    bad = client.post("/api/v1/calls", json={"title": "x" * 301})
    assert bad.status_code == 422 and "Te lang" in bad.text


def test_the_members_export_holds_their_signals_and_recognitions_not_anonymous_ones(
        client: TestClient, keys: Keys) -> None:
    member = keys.bearer(keys.member)
    own = client.post("/api/v1/signals/mine", json={"text": TEXT, "place": "Emmen"},
                      headers=member).json()["id"]
    client.post("/api/v1/signals/mine", json={"text": "Anoniem: niemand betaalt de brug.",
                                              "anonymous": True}, headers=member)
    other = client.post("/api/v1/signals", json={"text": "Wachtlijsten jeugd-ggz"}).json()["id"]
    for action in ("oogsten", "toetsen"):
        client.post(f"/api/v1/signals/{other}/steps", json={"action": action})
    client.put(f"/api/v1/signals/{other}/recognition", json={"note": "Ja"}, headers=member)
    data = client.get("/api/v1/me/export", headers=member).json()
    assert [s["id"] for s in data["signals"]] == [own]
    assert [(r["signal"], r["note"]) for r in data["recognitions"]] == [(other, "Ja")]
    assert "niemand betaalt de brug" not in str(data)


def test_a_member_who_hides_still_sees_their_own_signal(
        client: TestClient, keys: Keys, seeded_store: LocalGraphStore) -> None:
    me = seeded_store.get(keys.member_id)
    assert me is not None
    seeded_store.write([me.model_copy(update={"visibility": "none"})])
    member = keys.bearer(keys.member)
    sig = client.post("/api/v1/signals/mine", json={"text": TEXT}, headers=member).json()
    assert sig["raised_by"]["id"] == keys.member_id  # to themself they are named
    assert client.get(f"/api/v1/signals/{sig['id']}", headers=member).status_code == 200
    staff_view = client.get(f"/api/v1/signals/{sig['id']}").json()
    assert staff_view["raised_by"] is None and staff_view["raised_as"] == "lid"
