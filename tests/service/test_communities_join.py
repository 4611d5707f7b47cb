"""Communities people can join: ask, a coordinator accepts, leave in one click; hidden
members are counted, never named; the AVG export and erasure take it all."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from fastapi.testclient import TestClient
from pageclient import PageClient

from schakel.graph.local import LocalGraphStore
from schakel.graph.model import Community, Member, Relationship
from schakel.service.app import create_app
from schakel.service.config import Settings

if TYPE_CHECKING:
    from conftest import Keys

HIDDEN = "Quirijn Zwartebroek"
R = Relationship.of


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
    with PageClient(app) as c:
        yield c


def test_ask_accept_leave(client: TestClient, seeded_store: LocalGraphStore,
                          keys: Keys) -> None:
    client.cookies.set("schakel_sleutel", keys.member)
    page = client.get("/community/com-test")
    assert page.status_code == 200 and "Coby Coördinator" in page.text
    assert HIDDEN not in page.text and "En 1 ander." in page.text
    asked = client.post("/community/com-test/aanmelden", follow_redirects=False)
    assert asked.status_code == 303
    assert "U vroeg om lid te worden" in client.get("/community/com-test").text
    twice = client.post("/community/com-test/aanmelden")
    assert twice.status_code == 409 and "vroeg het al" in twice.text
    # a member who does not coordinate may not decide
    assert client.post(f"/community/com-test/verzoek/{keys.member_id}",
                       data={"besluit": "accept"}).status_code == 403
    coordinator = client.app.state.schakel.access.add_user("coby", "member", "p-coord")
    client.cookies.set("schakel_sleutel", coordinator)
    requests = client.get("/community/com-test")
    assert "Verzoeken" in requests.text and "Toelaten" in requests.text
    accepted = client.post(f"/community/com-test/verzoek/{keys.member_id}",
                           data={"besluit": "accept"}, follow_redirects=False)
    assert accepted.status_code == 303
    assert "com-test" in seeded_store.neighbour_ids(keys.member_id, "MEMBER_OF")
    assert seeded_store.neighbour_ids(keys.member_id, "WANTS_TO_JOIN") == []
    client.cookies.set("schakel_sleutel", keys.member)
    before = set(seeded_store.neighbour_ids(keys.member_id, "MEMBER_OF"))
    data = client.get("/api/v1/me/export").json()
    assert ("MEMBER_OF", "com-test") in {(r["type"], r["to"]) for r in data["relationships"]}
    left = client.post("/community/com-test/verlaten", follow_redirects=False)
    assert left.status_code == 303
    assert set(seeded_store.neighbour_ids(keys.member_id, "MEMBER_OF")) == before - {"com-test"}
    assert client.post("/community/com-test/verlaten").status_code == 409


def test_staff_refuse_and_list_page(client: TestClient, seeded_store: LocalGraphStore,
                                    keys: Keys) -> None:
    client.cookies.set("schakel_sleutel", keys.member)
    assert "CoP Thuiszitters Drenthe" in client.get("/community").text
    client.post("/community/com-test/aanmelden")
    client.cookies.set("schakel_sleutel", keys.staff)
    refused = client.post(f"/community/com-test/verzoek/{keys.member_id}",
                          data={"besluit": "refuse"}, follow_redirects=False)
    assert refused.status_code == 303
    assert seeded_store.neighbour_ids(keys.member_id, "WANTS_TO_JOIN") == []
    assert client.get("/community/bestaat-niet").status_code == 404
