""""Ontmoet bij" ties in use: attendance recorded over the API becomes weak edges on the
network map (a filter leaves them out), a reason and a small nudge in Voor jou, and a note on
a brokering suggestion. The read models follow the attendance write; nothing is rebuilt."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from fastapi.testclient import TestClient
from pageclient import PageClient

from schakel.graph.local import LocalGraphStore
from schakel.graph.model import Activity, Member, Relationship
from schakel.graph.projection import Projection
from schakel.matching import activities
from schakel.matching.brokering import reasons
from schakel.matching.brokering.rules import Asker
from schakel.matching.brokering.slate import proposals
from schakel.matching.ranker import Suggestion
from schakel.service.app import create_app
from schakel.service.config import Settings

if TYPE_CHECKING:
    from conftest import Keys

R = Relationship.of
DAY = (datetime.now(UTC) + timedelta(days=3)).strftime("%Y-%m-%d")
TITLE = "Webinar thuiszitters"


@pytest.fixture
def store(seeded_store: LocalGraphStore, keys: Keys) -> LocalGraphStore:
    me = keys.member_id
    seeded_store.write(
        [Member(id="vj-near", name="Baukje Hiemstra", function="jeugdarts"),
         Member(id="vj-other", name="Sietske Dijkstra")],
        [R("SEEKS", me, "autisme"), R("OFFERS", me, "thuiszitters", level=3),
         R("BASED_IN", me, "gm-emmen")]
        + [r for m in ("vj-near", "vj-other")
           for r in (R("OFFERS", m, "autisme", level=3), R("SEEKS", m, "thuiszitters"),
                     R("BASED_IN", m, "gm-emmen"))],
        replace=[(me, "BASED_IN")])
    return seeded_store


@pytest.fixture
def client(store: LocalGraphStore, tmp_path: Path, embedding_file: Path,
           matcher: Any) -> Iterator[TestClient]:  # noqa: ARG001
    app = create_app(Settings(data_dir=tmp_path, embeddings=embedding_file), store=store)
    with PageClient(app) as c:
        yield c


def attend(client: TestClient, keys: Keys, people: list[str]) -> str:
    staff = keys.bearer(keys.staff)
    made = client.post("/api/v1/activities", headers=staff, json={
        "title": TITLE, "kind": "webinar", "day": DAY, "start": "15:00", "online": True})
    act_id = str(made.json()["id"])
    done = client.put(f"/api/v1/activities/{act_id}/attendance", headers=staff,
                      json={"present": people})
    assert done.status_code == 200, done.text
    return act_id


def test_map_draws_weak_edges_and_follows_the_write(client: TestClient, keys: Keys,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    staff = keys.bearer(keys.staff)
    first = client.get("/api/v1/map", params={"theme": "thuiszitters"}, headers=staff).json()
    ids = sorted(n["id"] for n in first["nodes"])
    known = {frozenset((e["source"], e["target"])) for e in first["edges"]}
    a, b = next((a, b) for a in ids for b in ids if a < b and frozenset((a, b)) not in known)

    def no_rebuild(*_args: Any, **_kw: Any) -> Projection:
        raise AssertionError("the projection was rebuilt instead of following the write")

    monkeypatch.setattr(Projection, "build", no_rebuild)
    attend(client, keys, [a, b])
    after = client.get("/api/v1/map", params={"theme": "thuiszitters"}, headers=staff).json()
    [weak] = [e for e in after["edges"] if e["weak"]]
    assert ({weak["source"], weak["target"]}, weak["context"]) == ({a, b}, "ontmoet bij")
    assert after["edge_count"] == first["edge_count"] + 1
    left_out = client.get("/api/v1/map", params={"theme": "thuiszitters", "met_at": "false"},
                          headers=staff).json()
    assert not any(e["weak"] for e in left_out["edges"])
    assert left_out["edge_count"] == first["edge_count"]


def test_voor_jou_says_where_we_met_and_nudges_it_up(client: TestClient, keys: Keys) -> None:
    client.cookies.set("schakel_sleutel", keys.member)
    before = client.get("/voor-jou").text  # builds the index; then it follows the feed
    assert "Sietske Dijkstra" in before and "ontmoet bij" not in before
    assert before.index("Baukje Hiemstra") < before.index("Sietske Dijkstra")  # id order tie
    attend(client, keys, [keys.member_id, "vj-other"])
    after = client.get("/voor-jou").text
    assert f"U heeft Sietske al ontmoet bij {TITLE}." in after
    assert after.index("Sietske Dijkstra") < after.index("Baukje Hiemstra")  # met: first


def test_a_brokering_suggestion_notes_the_asker_met_the_candidate(
        store: LocalGraphStore, keys: Keys) -> None:
    me = keys.member_id
    act = activities.local_time(DAY, "15:00")
    store.write([Activity(id="act-met", title=TITLE, starts=act, ends=act, online=True)])
    activities.record_attendance(store, "act-met", [me, "vj-near"])
    asker = Asker(me, "Member", None, set(), None)
    picks = [Suggestion("member", "vj-near", "Baukje Hiemstra", 0.9),
             Suggestion("member", "vj-other", "Sietske Dijkstra", 0.8)]
    intros, _ = proposals(store, "q-1", picks, asker, [], "2026-12-03T10:00:00+00:00", "staff")
    said = {i.id: [reasons.loads(r) for r in i.reasons] for i in intros}  # type: ignore[attr-defined]
    assert said["intro-q-1-vj-near"] == [
        ("met", f"De vrager ontmoette deze persoon al bij {TITLE} ({DAY}).")]
    assert said["intro-q-1-vj-other"] == []
    # the asker (a member) may read it: it names nothing private of the candidate
    near = store.props_of(["vj-near"])["vj-near"]
    assert reasons.render(intros[0].reasons, near, "member") == [  # type: ignore[attr-defined]
        f"De vrager ontmoette deze persoon al bij {TITLE} ({DAY})."]


def test_the_map_page_offers_the_filter(client: TestClient, keys: Keys) -> None:
    client.cookies.set("schakel_sleutel", keys.staff)
    page = client.get("/kaart?geen_ontmoet=1").text
    assert 'id="geen_ontmoet" name="geen_ontmoet" type="checkbox" value="1" checked' in page
    assert 'Zonder "ontmoet bij"' in page and "Blauwe lijnen zijn" in page
