"""Consent, visibility and the AVG through every surface: one choice holds everywhere."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from fastapi.testclient import TestClient

from schakel.graph.local import LocalGraphStore
from schakel.graph.model import Introduction, Member, Question, Relationship, Signal, Tally
from schakel.matching.embeddings import EmbeddingCache
from schakel.service.access_sqlite import SqliteAccessStore
from schakel.service.app import create_app
from schakel.service.auth import declared_routes
from schakel.service.config import Settings

if TYPE_CHECKING:
    from conftest import Keys

# Names that occur nowhere else, so finding them anywhere is a leak.
HIDDEN = "Quirijn Zwartebroek"
STAFF_ONLY = "Wendelmoet Ypenburg"
PRIVATE = "Gijsbrecht Olifiers"
PROFILE = "Ik begeleid thuiszitters met autisme terug naar school in Emmen."


@pytest.fixture
def store(seeded_store: LocalGraphStore) -> LocalGraphStore:
    def member(mid: str, name: str, **props: Any) -> Member:
        return Member(id=mid, name=name, roles=["member", "expert"], profile=PROFILE,
                      function="ambulant begeleider", contact=f"{mid}@voorbeeld.example",
                      **props)

    seeded_store.write(
        [member("p-hidden", HIDDEN, visibility="none"),
         member("p-staff", STAFF_ONLY, visibility="staff"),
         member("p-private", PRIVATE, private_fields=["function", "themes", "contact"],
                consent_contact=True)],
        [Relationship.of(t, m, end) for m in ("p-hidden", "p-staff", "p-private")
         for t, end in (("BASED_IN", "gm-emmen"), ("WORKS_ON", "thuiszitters"),
                        ("WORKS_ON", "autisme"), ("ACTIVE_IN", "onderwijs"))]
        + [Relationship.of("KNOWS", "p-hidden", "m-000001"),
           Relationship.of("KNOWS", "p-staff", "m-000001")])
    return seeded_store


@pytest.fixture
def client(store: LocalGraphStore, tmp_path: Path, embedding_file: Path, matcher: Any,  # noqa: ARG001
           keys: Keys,  # noqa: ARG001 - warm cache, accounts
           page_client: type[TestClient]) -> Iterator[TestClient]:
    app = create_app(Settings(data_dir=tmp_path, embeddings=embedding_file), store=store)
    with page_client(app) as c:
        yield c


def every_get(client: TestClient, store: LocalGraphStore) -> list[str]:
    """Every GET route, with ids filled in and the hidden people's theme and place as
    filters where a route takes them."""
    urls = []
    for method, path, _ in declared_routes(client.app):
        if method == "GET":
            url = re.sub(r"\{member_id\}", "p-hidden", path)
            url = re.sub(r"\{\w+\}", lambda m: {
                "{practice_id}": store.ids("Practice")[0],
                "{community_id}": store.ids("Community")[0],
                "{organisation_id}": store.ids("Organisation")[0],
                "{region_id}": "gm-emmen", "{theme_id}": "thuiszitters"}.get(m.group(0), "x-1"),
                url)
            urls.append(url)
            if "{" not in path:
                urls.append(f"{url}?theme=thuiszitters&region=Emmen&thema=thuiszitters"
                            "&plaats=Emmen&limit=500")
    urls += ["/api/v1/analytics/gaps/nearest?theme=thuiszitters&place=Emmen&limit=50",
             "/api/v1/export?format=json&metrics=false", "/api/v1/export?format=gexf",
             "/api/v1/map?ego=p-staff", "/matchen?vraag=" + PROFILE + "&plaats=Emmen&aantal=50",
             "/api/v1/nearby?theme=thuiszitters&near=Emmen&limit=50",
             "/api/v1/nearby?q=" + PROFILE + "&near=Emmen&radius_km=30&limit=50",
             "/zoeken?vraag=" + PROFILE + "&plaats=Emmen"]
    return urls


def test_hidden_members_appear_on_no_surface(client: TestClient, store: LocalGraphStore,
                                             keys: Keys) -> None:
    # a leervraag their profile answers exactly, with a slate built by staff
    staff = keys.bearer(keys.staff)
    asked = client.post("/api/v1/questions", headers=staff, json={
        "text": PROFILE, "asker": "gm-emmen", "place": "Emmen"})
    assert asked.status_code == 201, asked.text
    question = asked.json()["id"]
    slate = client.post(f"/api/v1/questions/{question}/slate", headers=staff)
    assert slate.status_code == 201, slate.text
    people = {c["candidate"]["id"] for c in slate.json()["candidates"]
              if c["kind"] in ("member", "expert", "ambassador")}
    assert people and "p-hidden" not in people
    added = client.post(f"/api/v1/questions/{question}/candidates", headers=staff,
                        json={"candidate": "p-hidden"})
    assert added.status_code == 422 and HIDDEN not in added.text  # as if absent
    store.upsert_nodes([store.get("p-staff").model_copy(update={"consent_matching": False})])
    refused = client.post(f"/api/v1/questions/{question}/candidates", headers=staff,
                          json={"candidate": "p-staff"})
    assert refused.status_code == 409 and "geen toestemming" in refused.text
    store.upsert_nodes([store.get("p-staff").model_copy(update={"consent_matching": True})])
    for key, never in ((keys.admin, [HIDDEN]), (keys.staff, [HIDDEN]),
                       (keys.member, [HIDDEN, STAFF_ONLY])):
        client.headers.update(keys.bearer(key))
        for url in every_get(client, store):
            body = client.get(url).text
            for name in never:
                assert name not in body, (url, name)
        answer = client.post("/api/v1/match", json={"text": PROFILE, "near": "Emmen",
                                                    "limit": 50, "kinds": ["member"]})
        for name in never:
            assert name not in answer.text
    # staff do find the member who is visible to staff, through search and matching
    client.headers.update(keys.bearer(keys.staff))
    listed = client.get("/api/v1/members?theme=thuiszitters&region=Emmen&limit=500").text
    assert STAFF_ONLY in listed
    found = client.post("/api/v1/match", json={"text": PROFILE, "near": "Emmen", "limit": 50,
                                               "kinds": ["member"]}).json()["results"]
    assert "p-staff" in {r["id"] for r in found}


def test_private_fields_are_left_out_for_members(client: TestClient, keys: Keys) -> None:
    client.headers.update(keys.bearer(keys.member))
    seen = client.get("/api/v1/members/p-private").json()
    assert seen["name"] == PRIVATE
    assert seen["function"] is None and seen["themes"] == [] and seen["contact"] is None
    assert seen["gemeente"]["name"] == "Emmen"  # location: the gemeente, nothing finer
    by_theme = client.get("/api/v1/members?theme=thuiszitters&limit=500").text
    assert PRIVATE not in by_theme  # a private theme is not searchable by members
    nearby = client.get("/api/v1/nearby?theme=verzuim&near=Drenthe&radius_km=80&limit=50")
    assert nearby.status_code == 200 and nearby.json()["count"] > 0
    assert PRIVATE not in nearby.text and "ambulant begeleider" not in nearby.text
    by_place = client.get("/api/v1/nearby?near=Emmen&limit=50").json()["data"]
    mine = [x for x in by_place if x["id"] == "p-private"]  # findable by place, no more
    assert mine and mine[0]["function"] is None and mine[0]["reasons"] == ["in Emmen",
                                                                            "provincie Drenthe"]
    page = client.get("/leden/p-private").text
    assert "ambulant begeleider" not in page and "p-private@voorbeeld.example" not in page
    staff = client.get("/api/v1/members/p-private", headers=keys.bearer(keys.staff)).json()
    assert staff["function"] == "ambulant begeleider"
    assert {t["id"] for t in staff["themes"]} == {"thuiszitters", "autisme"}
    assert staff["contact"] == "p-private@voorbeeld.example"
    other = client.get("/api/v1/members/m-000001").json()  # consent_contact decides
    assert (other["contact"] is not None) == bool(other["contact"])


def test_own_profile_edit_reencodes_only_that_member(
        client: TestClient, store: LocalGraphStore, keys: Keys) -> None:
    client.headers.update(keys.bearer(keys.staff))
    client.post("/api/v1/match", json={"text": "dyslexie"})  # the matcher is up to date
    matcher = client.app.state.schakel.matcher()  # type: ignore[attr-defined]
    before = matcher.encoder.encoded
    client.headers.update(keys.bearer(keys.member))
    me = client.get("/api/v1/me").json()
    assert me["id"] == keys.member_id
    changed = client.put("/api/v1/me", json={
        "profile": "Ik ben specialist in privacy en de AVG bij gegevensdeling tussen school "
                   "en wijkteam.",
        "themes": [{"theme": "privacy_avg", "level": 3}], "availability": "elke week"})
    assert changed.status_code == 200, changed.text
    assert changed.json()["themes"] == [{"id": "privacy_avg", "name":
                                         changed.json()["themes"][0]["name"], "level": 3}]
    client.headers.update(keys.bearer(keys.staff))
    found = client.post("/api/v1/match", json={
        "text": "specialist privacy AVG gegevensdeling school wijkteam", "kinds": ["member"],
        "limit": 5}).json()["results"]
    assert keys.member_id in {r["id"] for r in found}
    # only this member's profile was encoded again (their gemeente's peer-region text,
    # which sums its members' themes, changed too)
    assert matcher.last_encoded["member"] == 1
    assert matcher.encoder.encoded - before == 1 + sum(matcher.last_encoded.values())
    client.headers.update(keys.bearer(keys.member))
    bad = client.put("/api/v1/me", json={"themes": ["bestaat-niet"], "profile": "nieuw"})
    assert bad.status_code == 422 and "bestaat-niet" in bad.text
    assert store.get(keys.member_id).profile.startswith("Ik ben specialist")  # nothing written
    assert client.put("/api/v1/me", json={"visibility": "iedereen"}).status_code == 422
    staff_account = client.get("/api/v1/me", headers=keys.bearer(keys.staff))
    assert staff_account.status_code == 403 and "hoort niet bij een lid" in staff_account.text


def test_export_holds_everything_on_me_and_the_audit_log(client: TestClient,
                                                         keys: Keys) -> None:
    client.get(f"/api/v1/members/{keys.member_id}", headers=keys.bearer(keys.staff))
    client.headers.update(keys.bearer(keys.member))
    data = client.get("/api/v1/me/export").json()
    assert data["member"]["id"] == keys.member_id and data["member"]["contact"]
    assert {r["type"] for r in data["relationships"]} >= {"WORKS_ON", "BASED_IN"}
    assert data["accounts"] == [{"name": "lid", "role": "member"}]
    assert data["signals"] == [] and data["recognitions"] == []
    reads = [a for a in data["audit"] if a["action"] == "profiel gelezen"]
    assert reads and reads[0]["who"] == "regiebureau"  # staff read it, and it shows


def test_erasure_leaves_no_trace(client: TestClient, store: LocalGraphStore, tmp_path: Path,
                                 embedding_file: Path, keys: Keys) -> None:
    access = SqliteAccessStore(tmp_path / "access.sqlite")
    own_key = access.add_user("verdwijnt", "member", "p-private")
    access.close()
    store.write([Question(id="q-1", text="Wie helpt " + PRIVATE + " met een vraag?"),
                 Introduction(id="i-1", state="closed", outcome="nuttig"),
                 Introduction(id="i-2"),
                 Signal(id="s-own", text="Bij " + PRIVATE + " loopt de zorg vast."),
                 Signal(id="s-anon", text="Wachtlijsten in de jeugdhulp.", step=3)],
                [Relationship.of("ASKED_BY", "q-1", "p-private"),
                 Relationship.of("RAISED_BY", "s-own", "p-private"),
                 Relationship.of("RECOGNISES", "p-private", "s-anon",
                                 note="Ik, " + PRIVATE + ", herken dit."),
                 Relationship.of("FOR", "i-1", "q-1"),
                 Relationship.of("SUGGESTS", "i-1", "m-000001"),
                 Relationship.of("SUGGESTS", "i-2", "p-private")])
    mine = {"Authorization": f"Bearer {own_key}"}
    assert client.post("/api/v1/match", json={"text": PROFILE}, headers=mine).status_code == 403
    staff = SqliteAccessStore(tmp_path / "access.sqlite")
    staff_key = staff.add_user("regie-2", "staff")
    staff.close()
    client.post("/api/v1/match", json={"text": PROFILE},
                headers={"Authorization": f"Bearer {staff_key}"})  # profile encoded, cached
    matcher = client.app.state.schakel.matcher()  # type: ignore[attr-defined]
    index = matcher._indexes["member"]
    key = index.keys[index.rows["p-private"]]
    cache = EmbeddingCache(embedding_file)
    vector = cache.get_many(matcher.encoder.model_id, [key])[key].tobytes()
    network = client.app.state.schakel.network  # type: ignore[attr-defined]
    network.save_kept()  # the map's projection, kept on disk between starts, has them ...
    assert PRIVATE.encode() in network.keep.read_bytes()  # ... until the erasure (below)
    other = client.delete("/api/v1/members/m-000001", headers=mine)
    assert other.status_code == 403 and store.get("m-000001") is not None
    gone = client.delete("/api/v1/members/p-private", headers=mine)
    assert gone.status_code == 200, gone.text
    assert gone.json() == {"id": "p-private", "questions": 1, "introductions": 2}
    # graph: the member, their question and both introductions; only counts are left
    for node in ("p-private", "q-1", "i-1", "i-2"):
        assert store.get(node) is None
    # their signal goes; the anonymous one stays, without their recognition
    assert store.get("s-own") is None and store.get("s-anon") is not None
    assert store.neighbour_ids("s-anon", "RECOGNISES", "in") == []
    tally = store.get("tally-erased")
    assert isinstance(tally, Tally) and (tally.introductions, tally.questions) == (2, 1)
    assert (tally.signals, tally.recognitions) == (1, 1)
    assert tally.outcome_nuttig == 1
    numbers = client.get("/api/v1/brokering/metrics", headers=keys.bearer(keys.staff)).json()
    assert numbers["erased"]["introductions"] == 2 and numbers["erased"]["erased_members"] == 1
    assert client.get("/api/v1/me", headers=mine).status_code == 401  # account gone
    # vector index and embedding cache
    assert "p-private" not in matcher._indexes["member"].rows
    assert cache.get_many(matcher.encoder.model_id, [key]) == {}
    # no file keeps the name or the vector: store, WAL, accounts, audit, cache
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    files += [p for p in embedding_file.parent.iterdir() if p.is_file()]
    assert any(p.name == "schakel.sqlite" for p in files)
    for path in files:
        raw = path.read_bytes()
        assert PRIVATE.encode() not in raw, path
        assert b"p-private@voorbeeld.example" not in raw, path
        assert vector not in raw, path
    exported = client.get("/api/v1/export?format=json", headers=keys.bearer(keys.admin))
    assert exported.status_code == 200 and "p-private" not in exported.text
    cache.close()


def test_erasure_by_admin_and_of_unknown_members(client: TestClient, keys: Keys) -> None:
    client.headers.update(keys.bearer(keys.admin))
    assert client.delete("/api/v1/members/bestaat-niet").status_code == 404
    assert client.delete("/api/v1/members/p-staff").status_code == 200
    exported = json.loads(client.get("/api/v1/export?format=json").text)
    assert "p-staff" not in {n["id"] for n in exported["nodes"]}
    assert STAFF_ONLY not in client.get("/api/v1/members?limit=500").text


def test_profile_page_edits_exports_and_erases(client: TestClient, store: LocalGraphStore,
                                               keys: Keys) -> None:
    client.cookies.set("schakel_sleutel", keys.member)
    page = client.get("/mijn-profiel")
    assert page.status_code == 200 and "Mijn profiel" in page.text
    form = {"functie": "intern begeleider", "profiel": "Ik werk aan verzuim in het vo.",
            "beschikbaarheid": "twee uur per maand", "gemeente": "Emmen",
            "thema": ["verzuim", "thuiszitters"], "zichtbaarheid": "staff",
            "prive": ["contact"], "matchen": "true", "contact": "06-12345678"}
    saved = client.post("/mijn-profiel", data=form, follow_redirects=False)
    assert saved.status_code == 303
    member = store.get(keys.member_id)
    assert isinstance(member, Member)
    assert (member.function, member.visibility, member.private_fields, member.consent_matching,
            member.consent_contact, member.contact) == (
        "intern begeleider", "staff", ["contact"], True, False, "06-12345678")
    assert store.neighbour_ids(keys.member_id, "WORKS_ON") == ["thuiszitters", "verzuim"]
    assert store.neighbour_ids(keys.member_id, "BASED_IN") == ["gm-emmen"]
    assert "Opgeslagen" in client.get("/mijn-profiel?opgeslagen=true").text
    bad = client.post("/mijn-profiel", data={**form, "gemeente": "Atlantis",
                                             "functie": "iets anders"})
    assert bad.status_code == 422 and "Atlantis" in bad.text
    assert store.get(keys.member_id).function == "intern begeleider"  # nothing written
    # A realistic contact line longer than the profile allows: a Dutch message, no 500.
    long_contact = "Bereikbaar op maandag, dinsdag en donderdag tussen negen en vijf " * 4
    too_long = client.post("/mijn-profiel", data={**form, "contact": long_contact,
                                                  "functie": "iets anders"})
    assert too_long.status_code == 422, too_long.text[:300]
    assert "Contactgegevens is te lang: hoogstens 200 tekens." in too_long.text
    assert store.get(keys.member_id).function == "intern begeleider"  # nothing written
    assert client.get("/api/v1/me/export").json()["member"]["contact"] == "06-12345678"
    unsure = client.post("/mijn-profiel/wissen", data={})
    assert unsure.status_code == 422 and store.get(keys.member_id) is not None
    erased = client.post("/mijn-profiel/wissen", data={"zeker": "true"})
    assert erased.status_code == 200 and "gewist" in erased.text
    assert store.get(keys.member_id) is None
    assert client.get("/mijn-profiel").status_code == 401
