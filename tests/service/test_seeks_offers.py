"""Wil leren over (SEEKS) and kom brengen (OFFERS): profile page, API, exchange, AVG."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from fastapi.testclient import TestClient
from pageclient import PageClient

from schakel.graph.exchange import export_document, import_document
from schakel.graph.local import LocalGraphStore
from schakel.graph.model import Member, Relationship
from schakel.service.app import create_app
from schakel.service.config import Settings

if TYPE_CHECKING:
    from conftest import Keys


@pytest.fixture
def client(seeded_store: LocalGraphStore, tmp_path: Path, embedding_file: Path,
           matcher: Any, keys: Keys) -> Iterator[TestClient]:  # noqa: ARG001
    app = create_app(Settings(data_dir=tmp_path, embeddings=embedding_file), store=seeded_store)
    with PageClient(app) as c:
        yield c


def test_profile_page_edits_seeks_offers_level_and_perspective(
        client: TestClient, seeded_store: LocalGraphStore, keys: Keys) -> None:
    client.cookies.set("schakel_sleutel", keys.member)
    page = client.get("/mijn-profiel")
    assert 'name="leren"' in page.text and 'name="brengen"' in page.text
    form = {"functie": "intern begeleider", "thema": ["verzuim"], "zichtbaarheid": "members",
            "matchen": "true", "leren": ["thuiszitters", "autisme"], "brengen": ["verzuim"],
            "niveau": "beleid", "perspectief": "ouder/verzorger"}
    assert client.post("/mijn-profiel", data=form, follow_redirects=False).status_code == 303
    member = seeded_store.get(keys.member_id)
    assert isinstance(member, Member)
    assert (member.role_level, member.perspective) == ("beleid", "ouder/verzorger")
    assert seeded_store.neighbour_ids(keys.member_id, "SEEKS") == ["autisme", "thuiszitters"]
    assert seeded_store.neighbour_ids(keys.member_id, "OFFERS") == ["verzuim"]
    bad = client.post("/mijn-profiel", data={**form, "niveau": "koning", "leren": []})
    assert bad.status_code == 422 and "Kies" in bad.text
    assert seeded_store.neighbour_ids(keys.member_id, "SEEKS") == ["autisme", "thuiszitters"]


def test_api_keeps_levels_and_hides_them_with_private_themes(
        client: TestClient, keys: Keys) -> None:
    client.headers.update(keys.bearer(keys.member))
    body = {"seeks": ["thuiszitters"], "offers": [{"theme": "verzuim", "level": 3}],
            "private_fields": ["themes"]}
    me = client.put("/api/v1/me", json=body)
    assert me.status_code == 200, me.text
    assert [s["id"] for s in me.json()["seeks"]] == ["thuiszitters"]
    assert me.json()["offers"][0] == {"id": "verzuim", "name": me.json()["offers"][0]["name"],
                                      "level": 3}
    assert client.put("/api/v1/me", json={"offers": [{"theme": "klimaat"}]}).status_code == 422
    other = client.app.state.schakel.access.add_user("lid2", "member", "m-000003")
    client.headers.update(keys.bearer(other))
    seen = client.get(f"/api/v1/members/{keys.member_id}").json()
    assert seen["seeks"] == [] and seen["offers"] == []  # private like the themes
    client.headers.update(keys.bearer(keys.staff))
    assert client.get(f"/api/v1/members/{keys.member_id}").json()["offers"][0]["level"] == 3


def test_export_and_import_carry_seeks_and_offers(seeded_store: LocalGraphStore) -> None:
    mid = seeded_store.ids("Member")[0]
    seeded_store.write(relationships=[Relationship.of("SEEKS", mid, "thuiszitters"),
                                      Relationship.of("OFFERS", mid, "verzuim", level=1)],
                       replace=[(mid, "SEEKS"), (mid, "OFFERS")])
    doc = export_document(seeded_store)
    row = next(m for m in doc["members"] if m["id"] == mid)
    assert row["seeks"] == ["thuiszitters"]
    assert row["offers"] == [{"theme": "verzuim", "level": 1}]
    row["offers"] = ["Thuiszitters"]  # by name, level 2 by default
    report = import_document(seeded_store, {"members": [row]})
    assert report.ok, report.errors
    assert [(r.end, r.props["level"]) for r in seeded_store.relationships(mid, "OFFERS")] \
        == [("thuiszitters", 2)]


def test_personal_export_and_erasure_take_seeks_and_offers(
        client: TestClient, seeded_store: LocalGraphStore, keys: Keys) -> None:
    client.headers.update(keys.bearer(keys.member))
    client.put("/api/v1/me", json={"seeks": ["thuiszitters"], "offers": ["verzuim"]})
    data = client.get("/api/v1/me/export").json()
    assert {(r["type"], r["to"]) for r in data["relationships"]} >= {
        ("SEEKS", "thuiszitters"), ("OFFERS", "verzuim")}
    assert "applications" in data
    assert client.delete(f"/api/v1/members/{keys.member_id}").status_code == 200
    assert all(r.start != keys.member_id for t in ("SEEKS", "OFFERS")
               for r in seeded_store.relationships(type=t))
