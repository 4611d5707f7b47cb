"""Voor jou in the service: reasons for both sides, privacy, Kennismaken."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from fastapi.testclient import TestClient
from pageclient import PageClient

from schakel.graph.local import LocalGraphStore
from schakel.graph.model import Introduction, Member, Relationship
from schakel.service.app import create_app
from schakel.service.config import Settings

if TYPE_CHECKING:
    from conftest import Keys

R = Relationship.of
HIDDEN = "Quirijn Zwartebroek"


@pytest.fixture
def store(seeded_store: LocalGraphStore, keys: Keys) -> LocalGraphStore:
    me = keys.member_id
    seeded_store.write(
        [Member(id="vj-near", name="Baukje Hiemstra", function="jeugdarts"),
         Member(id="vj-hidden", name=HIDDEN, visibility="none"),
         Member(id="vj-private", name="Gerrit Private", private_fields=["themes"])],
        [R("SEEKS", me, "autisme"), R("OFFERS", me, "thuiszitters", level=3),
         R("BASED_IN", me, "gm-emmen")]
        + [r for m in ("vj-near", "vj-hidden", "vj-private")
           for r in (R("OFFERS", m, "autisme", level=3), R("SEEKS", m, "thuiszitters"),
                     R("BASED_IN", m, "gm-emmen"))],
        replace=[(me, "BASED_IN")])
    return seeded_store


@pytest.fixture
def client(store: LocalGraphStore, tmp_path: Path, embedding_file: Path, matcher: Any,  # noqa: ARG001
           keys: Keys) -> Iterator[TestClient]:
    app = create_app(Settings(data_dir=tmp_path, embeddings=embedding_file), store=store)
    with PageClient(app) as c:
        c.cookies.set("schakel_sleutel", keys.member)
        yield c


def test_page_gives_reasons_for_both_sides_and_hides_who_chose_so(client: TestClient) -> None:
    page = client.get("/voor-jou")
    assert page.status_code == 200
    text = page.text
    assert "Baukje Hiemstra" in text and "jeugdarts" in text
    assert "Baukje weet veel van Autisme, waarover u wilt leren." in text
    assert "Baukje wil leren over Thuiszitters, waar u veel van weet." in text
    assert "Dichtbij: Emmen (ongeveer 0 km)." in text
    assert HIDDEN not in text and "Gerrit Private" not in text  # hidden, private themes


def test_kennismaken_starts_the_double_opt_in(client: TestClient, store: LocalGraphStore,
                                             keys: Keys) -> None:
    sent = client.post("/voor-jou/kennismaken/vj-near", follow_redirects=False)
    assert sent.status_code == 303
    [intro_id] = store.neighbour_ids("vj-near", "SUGGESTS", "in")
    intro = store.get(intro_id)
    assert isinstance(intro, Introduction) and intro.state == "proposed"
    [question] = store.neighbour_ids(intro_id, "FOR")
    assert store.neighbour_ids(question, "ASKED_BY") == [keys.member_id]
    assert "Kennismaken gevraagd" in client.get("/voor-jou?gevraagd=vj-near").text
    again = client.post("/voor-jou/kennismaken/vj-near")
    assert again.status_code == 409 and "al om kennis te maken" in again.text
    assert len(store.neighbour_ids(keys.member_id, "ASKED_BY", "in")) == 1  # nothing left
    assert client.post("/voor-jou/kennismaken/vj-hidden").status_code == 404


def test_follows_profile_changes(client: TestClient, store: LocalGraphStore) -> None:
    assert "Baukje Hiemstra" in client.get("/voor-jou").text
    store.write(relationships=[], replace=[("vj-near", "SEEKS")])
    assert "Baukje Hiemstra" not in client.get("/voor-jou").text  # she gains nothing now
