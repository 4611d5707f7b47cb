"""A member asks the regiebureau, follows the question, and both sides answer in the browser."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from fastapi.testclient import TestClient

from schakel.graph.local import LocalGraphStore
from schakel.graph.model import Member
from schakel.service.access_sqlite import SqliteAccessStore
from schakel.service.app import create_app
from schakel.service.config import Settings

if TYPE_CHECKING:
    from conftest import Keys

TEXT = "Wie heeft ervaring met thuiszitters en jeugdhulp in de klas, rond Emmen?"


@pytest.fixture
def client(seeded_store: LocalGraphStore, tmp_path: Path, keys: Keys,  # noqa: ARG001
           embedding_file: Path, matcher: Any,
           page_client: type[TestClient]) -> Iterator[TestClient]:
    assert matcher.catalog is not None  # fills the session's embedding cache
    app = create_app(Settings(data_dir=tmp_path, embeddings=embedding_file), store=seeded_store)
    with page_client(app) as c:
        yield c


def test_member_asks_and_sees_only_their_own_questions(client: TestClient, keys: Keys,
                                                       tmp_path: Path) -> None:
    me = keys.bearer(keys.member)
    asked = client.post("/api/v1/me/questions", headers=me,
                        json={"text": TEXT, "kind": "hulpvraag"})
    assert asked.status_code == 201, asked.text
    mine = asked.json()
    assert mine["status"] == "nieuw" and mine["place"] == "Emmen"
    assert "Thuiszitters" in mine["themes"] and "history" not in mine
    queue = client.get("/api/v1/questions", headers=keys.bearer(keys.staff)).json()
    row = next(q for q in queue["data"] if q["id"] == mine["id"])
    assert row["asker"]["id"] == keys.member_id  # in the regiebureau's queue, as theirs
    assert [q["id"] for q in client.get("/api/v1/me/questions", headers=me).json()] \
        == [mine["id"]]
    access = SqliteAccessStore(tmp_path / "access.sqlite")
    other = {"Authorization": f"Bearer {access.add_user('ander', 'member', 'm-000004')}"}
    access.close()
    assert client.get("/api/v1/me/questions", headers=other).json() == []
    assert client.get(f"/api/v1/me/questions/{mine['id']}", headers=other).status_code == 404
    staff = client.post("/api/v1/me/questions", headers=keys.bearer(keys.staff),
                        json={"text": TEXT})
    assert staff.status_code == 403 and "hoort niet bij een lid" in staff.text
    bad = client.post("/api/v1/me/questions", headers=me, json={"text": "x"})
    assert bad.status_code == 422


def test_both_sides_answer_on_their_page(client: TestClient, keys: Keys, tmp_path: Path,
                                         seeded_store: LocalGraphStore) -> None:
    asker = keys.member_id
    client.cookies.set("schakel_sleutel", keys.member)
    page = client.post("/mijn-vragen", data={"tekst": TEXT, "soort": "leervraag"},
                       follow_redirects=True)
    assert page.status_code == 200 and "staat bij het regiebureau" in page.text
    assert TEXT in page.text and "nieuw" in page.text
    question = client.get("/api/v1/me/questions").json()[0]["id"]
    # staff propose and approve a person
    staff = keys.bearer(keys.staff)
    slate = client.post(f"/api/v1/questions/{question}/slate", headers=staff).json()
    person = next(c for c in slate["candidates"]
                  if c["kind"] in ("member", "expert", "ambassador"))
    candidate = person["candidate"]["id"]
    node = seeded_store.get(candidate)
    assert isinstance(node, Member)
    seeded_store.upsert_nodes([node.model_copy(update={"contact": "kandidaat@voorbeeld.example",
                                                       "consent_contact": True})])
    client.post(f"/api/v1/introductions/{person['id']}/actions", headers=staff,
                json={"action": "approve"})
    # the asker sees nothing yet: the candidate answers first
    assert person["id"] not in client.get("/mijn-vragen").text
    access = SqliteAccessStore(tmp_path / "access.sqlite")
    their_key = access.add_user("kandidaat", "member", candidate)
    access.close()
    client.cookies.set("schakel_sleutel", their_key)
    request = client.get("/mijn-vragen").text
    assert person["id"] in request and TEXT in request  # they see what is asked
    assert "kandidaat@voorbeeld.example" not in request
    wrong = client.post(f"/mijn-vragen/antwoord/{person['id']}", data={"antwoord": "misschien"})
    assert wrong.status_code == 422
    said = client.post(f"/mijn-vragen/antwoord/{person['id']}", data={"antwoord": "accept"},
                       follow_redirects=True)
    assert said.status_code == 200
    again = client.post(f"/mijn-vragen/antwoord/{person['id']}", data={"antwoord": "accept"})
    assert again.status_code == 409  # already answered: a Dutch message, nothing changes
    # someone else's introduction looks absent
    client.cookies.set("schakel_sleutel", keys.member)
    page = client.get("/mijn-vragen").text
    section = re.search(rf'id="{person["id"]}".*?</section>', page, re.S)
    assert section and node.name in section.group(0)
    assert "kandidaat@voorbeeld.example" not in page  # not before the asker said yes
    done = client.post(f"/mijn-vragen/antwoord/{person['id']}", data={"antwoord": "accept"},
                       follow_redirects=True)
    assert "kandidaat@voorbeeld.example" in done.text  # double opt-in: now both see it
    state = client.get(f"/api/v1/introductions/{person['id']}", headers=staff).json()
    assert state["state"] == "asker_accepted"
    assert [h["who"] for h in state["history"]][-2:] == ["kandidaat", "lid"]
    assert asker in {s["id"] for s in state["contact"].values()}
