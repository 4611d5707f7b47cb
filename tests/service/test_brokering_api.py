"""The brokering API: queue -> slate -> introduction -> outcome, refusals, roles, metrics."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from fastapi.testclient import TestClient

from schakel.graph.local import LocalGraphStore
from schakel.graph.model import Member
from schakel.service.app import create_app
from schakel.service.config import Settings

if TYPE_CHECKING:
    from conftest import Keys

TEXT = ("Onze leerling zit al maanden thuis. Wie heeft ervaring met thuiszitters en "
        "jeugdhulp in de klas, rond Emmen?")
ASKER = "m-000006"


@pytest.fixture
def client(seeded_store: LocalGraphStore, tmp_path: Path, keys: Keys, embedding_file: Path,
           matcher: Any) -> Iterator[TestClient]:
    assert matcher.catalog is not None  # fills the session's embedding cache
    app = create_app(Settings(data_dir=tmp_path, embeddings=embedding_file), store=seeded_store)
    with TestClient(app, headers=keys.bearer(keys.staff)) as c:
        yield c


def _ask(client: TestClient, **extra: Any) -> dict[str, Any]:
    r = client.post("/api/v1/questions", json={"text": TEXT, "asker": ASKER, **extra})
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]


def _act(client: TestClient, intro: str, action: str, **extra: Any) -> Any:
    return client.post(f"/api/v1/introductions/{intro}/actions",
                       json={"action": action, **extra})


def test_from_the_queue_to_an_introduction_with_outcome(client: TestClient,
                                                        seeded_store: LocalGraphStore) -> None:
    q = _ask(client, kind="hulpvraag")
    assert q["status"] == "nieuw" and q["place"]["name"] == "Emmen"
    assert "thuiszitters" in [t["id"] for t in q["themes"]]
    queue = client.get("/api/v1/questions", params={"status": "nieuw"}).json()
    assert q["id"] in [x["id"] for x in queue["data"]]

    r = client.post(f"/api/v1/questions/{q['id']}/slate")
    assert r.status_code == 201, r.text
    slate = r.json()
    assert slate["built"] and slate["question"]["status"] == "in behandeling"
    kinds = {c["kind"] for c in slate["candidates"]}
    assert {"region", "practice"} <= kinds and kinds & {"member", "expert", "ambassador"}
    person = next(c for c in slate["candidates"] if c["kind"] in ("member", "expert",
                                                                  "ambassador"))
    assert person["reasons"] and person["load"]["text"]
    assert client.post(f"/api/v1/questions/{q['id']}/slate").status_code == 200  # kept

    member = seeded_store.get(person["candidate"]["id"])
    assert isinstance(member, Member)
    seeded_store.upsert_nodes([member.model_copy(update={"contact": "06-12345678",
                                                         "consent_contact": True})])
    intro = person["id"]
    steps = ["approve", "candidate_accept", "asker_accept", "introduce"]
    for action in steps:
        r = _act(client, intro, action, note=f"via API: {action}")
        assert r.status_code == 200, r.text
        body = r.json()
        if action in ("approve", "candidate_accept"):
            assert body["contact"] is None
    assert body["state"] == "introduced"
    assert body["contact"]["candidate"]["contact"] == "06-12345678"
    r = _act(client, intro, "outcome", outcome="nuttig")
    assert r.status_code == 200 and r.json()["state"] == "closed"
    assert r.json()["outcome"] == "nuttig" and r.json()["outcome_at"]
    done = client.get(f"/api/v1/questions/{q['id']}").json()
    assert done["status"] == "afgerond"
    actions = [(h["action"], h["who"]) for h in done["history"]]
    assert ("outcome", "regiebureau") in actions and ("approve", "regiebureau") in actions
    assert client.get("/api/v1/questions", params={"status": "afgerond"}).json()["count"] == 1

    m = client.get("/api/v1/brokering/metrics")
    assert m.status_code == 200, m.text
    metrics = m.json()
    assert metrics["introduced"] == 1 and metrics["acceptance_rate"] == 1.0
    assert metrics["outcomes"] == {"nuttig": 1}
    assert metrics["median_days_to_introduction"] is not None
    assert metrics["expert_load_gini"] is not None and "Drenthe" in metrics["per_region"]


def test_refused_transitions_get_409_and_change_nothing(client: TestClient) -> None:
    q = _ask(client)
    slate = client.post(f"/api/v1/questions/{q['id']}/slate").json()
    intro = slate["candidates"][0]["id"]
    for action in ("candidate_accept", "introduce", "outcome", "asker_accept"):
        r = _act(client, intro, action, outcome="nuttig")
        assert r.status_code == 409, r.text
        assert "kan niet" in r.json()["detail"][0]["msg"]
    assert client.get(f"/api/v1/introductions/{intro}").json()["state"] == "proposed"
    assert _act(client, intro, "drop", note="niet passend").json()["state"] == "dropped"
    r = _act(client, intro, "approve")
    assert r.status_code == 409 and "afgesloten" in r.json()["detail"][0]["msg"]
    assert _act(client, intro, "fly").status_code == 422
    assert _act(client, "intro-nope", "approve").status_code == 404


def test_capacity_and_exclusions_refuse_candidates_with_409(client: TestClient,
                                                            seeded_store: LocalGraphStore
                                                            ) -> None:
    q = _ask(client)
    colleague = next(m for m in seeded_store.neighbour_ids(
        seeded_store.neighbour_ids(ASKER, "WORKS_AT")[0], "WORKS_AT", "in") if m != ASKER)
    r = client.post(f"/api/v1/questions/{q['id']}/candidates", json={"candidate": colleague})
    assert r.status_code == 409 and r.json()["detail"][0]["type"] in ("own_organisation",
                                                                      "knows")
    props = seeded_store.props_of(seeded_store.ids("Member"))
    proposable = [m for m, p in props.items() if m != ASKER and p["consent_matching"]
                  and p["visibility"] == "members"]
    other, third = proposable[100], proposable[101]
    r = client.put(f"/api/v1/brokering/capacity/{other}", json={"capacity": 0})
    assert r.status_code == 200 and r.json()["capacity"] == 0
    r = client.post(f"/api/v1/questions/{q['id']}/candidates", json={"candidate": other})
    assert r.status_code == 409 and "capaciteit 0" in r.json()["detail"][0]["msg"]
    client.put(f"/api/v1/brokering/capacity/{other}", json={"capacity": 1, "cooldown_days": 0})
    r = client.post(f"/api/v1/questions/{q['id']}/candidates",
                    json={"candidate": other, "note": "kent de regio"})
    assert r.status_code == 201 and r.json()["source"] == "staff"
    assert client.put(f"/api/v1/brokering/capacity/{other}",
                      json={"capacity": 99}).status_code == 422
    # a conflict
    r = client.post("/api/v1/brokering/conflicts",
                    json={"member": third, "other": ASKER, "note": "familie"})
    assert r.status_code == 201 and r.json()["by"] == "regiebureau"
    r = client.post(f"/api/v1/questions/{q['id']}/candidates", json={"candidate": third})
    assert r.status_code == 409 and r.json()["detail"][0]["type"] == "conflict"
    assert len(client.get("/api/v1/brokering/conflicts").json()) == 1
    assert client.delete(f"/api/v1/brokering/conflicts/{third}/{ASKER}").status_code == 204


def test_bad_questions_get_422(client: TestClient) -> None:
    for body in ({"text": "ab", "asker": ASKER}, {"text": TEXT, "asker": "niemand"},
                 {"text": TEXT, "asker": ASKER, "place": "Atlantis"},
                 {"text": TEXT, "asker": ASKER, "themes": ["geen-thema"]},
                 {"text": TEXT, "asker": ASKER, "kind": "klacht"}):
        r = client.post("/api/v1/questions", json=body)
        assert r.status_code == 422, (body, r.text)
    assert client.get("/api/v1/questions/q-nope").status_code == 404
    assert client.get("/api/v1/questions", params={"status": "weg"}).status_code == 422


def test_staff_edit_themes_and_status(client: TestClient) -> None:
    q = _ask(client)
    r = client.put(f"/api/v1/questions/{q['id']}/themes",
                   json={"themes": ["passend_onderwijs"], "note": "eigenlijk"})
    assert [t["id"] for t in r.json()["themes"]] == ["passend_onderwijs"]
    r = client.put(f"/api/v1/questions/{q['id']}/status", json={"status": "afgerond"})
    assert r.json()["status"] == "afgerond"
    r = client.post(f"/api/v1/questions/{q['id']}/notes", json={"note": "gebeld"})
    assert r.json()["history"][-1]["note"] == "gebeld"


def test_roles(client: TestClient, keys: Keys) -> None:
    q = _ask(client)
    member = keys.bearer(keys.member)
    assert client.get("/api/v1/questions", headers=member).status_code == 403
    assert client.post(f"/api/v1/questions/{q['id']}/slate", headers=member).status_code == 403
    assert client.get("/api/v1/brokering/metrics", headers=member).status_code == 403
    anonymous = TestClient(client.app)
    assert anonymous.get("/api/v1/questions").status_code == 401
    assert anonymous.get("/api/v1/introductions/mine").status_code == 401


def test_members_answer_their_own_requests(client: TestClient, keys: Keys) -> None:
    me = keys.member_id
    client.put(f"/api/v1/brokering/capacity/{me}", json={"capacity": 3, "cooldown_days": 0})
    q = _ask(client)
    intro = client.post(f"/api/v1/questions/{q['id']}/candidates",
                        json={"candidate": me}).json()["id"]
    member = keys.bearer(keys.member)
    assert client.get("/api/v1/introductions/mine", headers=member).json() == []  # not asked yet
    _act(client, intro, "approve", note="interne notitie")
    mine = client.get("/api/v1/introductions/mine", headers=member).json()
    assert [i["id"] for i in mine] == [intro]
    assert mine[0]["note"] == "" and mine[0]["history"] == [] and mine[0]["contact"] is None
    r = client.post(f"/api/v1/introductions/{intro}/answer", headers=member,
                    json={"answer": "accept"})
    assert r.status_code == 200 and r.json()["state"] == "candidate_accepted"
    again = client.post(f"/api/v1/introductions/{intro}/answer", headers=member,
                        json={"answer": "decline"})
    assert again.status_code == 409  # the candidate already answered
    history = client.get(f"/api/v1/introductions/{intro}").json()["history"]
    assert history[-1]["who"] == "lid" and history[-1]["action"] == "candidate_accept"
    # someone else's introduction: as if it did not exist
    other_q = _ask(client)
    other = client.post(f"/api/v1/questions/{other_q['id']}/candidates",
                        json={"candidate": "m-000150"}).json()["id"]
    r = client.post(f"/api/v1/introductions/{other}/answer", headers=member,
                    json={"answer": "accept"})
    assert r.status_code == 404
