"""A notice that starts something: "thuiszitters asked in 3 regions" starts a community or an
intervisie group with the askers invited (where they consent), once; the invited accept or
decline on the community's page."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from fastapi.testclient import TestClient
from pageclient import PageClient

from schakel.graph.local import LocalGraphStore
from schakel.graph.model import Member, Organisation
from schakel.service.app import create_app
from schakel.service.config import Settings

if TYPE_CHECKING:
    from conftest import Keys

HIDDEN = "Quirijn Zwartebroek"
ASKERS = {"Zwolle": "ns-zwolle", "Tilburg": "ns-tilburg", "Emmen": "ns-hidden",
          "Assen": "ns-no-consent"}


@pytest.fixture
def client(seeded_store: LocalGraphStore, tmp_path: Path, embedding_file: Path,
           matcher: Any, keys: Keys) -> Iterator[TestClient]:  # noqa: ARG001
    seeded_store.write([Member(id="ns-zwolle", name="Zwaantje Zwolsman"),
                        Member(id="ns-tilburg", name="Teun Tilburgs"),
                        Member(id="ns-hidden", name=HIDDEN, visibility="none"),
                        Member(id="ns-no-consent", name="Nina Nee", consent_matching=False),
                        Organisation(id="ns-org", name="Stichting Vraagt", kind="overig")])
    app = create_app(Settings(data_dir=tmp_path, embeddings=embedding_file), store=seeded_store)
    with PageClient(app) as c:
        yield c


def ask(client: TestClient, keys: Keys, asker: str, place: str, theme: str = "thuiszitters"
        ) -> str:
    made = client.post("/api/v1/questions", headers=keys.bearer(keys.staff), json={
        "text": f"Wie helpt ons met {theme} in {place}?", "asker": asker, "place": place,
        "themes": [theme]})
    assert made.status_code == 201, made.text
    return str(made.json()["id"])


def recurring(client: TestClient, keys: Keys) -> str:
    """Thuiszitters asked in four regions (by members and an organisation); returns the last
    question."""
    for place, asker in ASKERS.items():
        ask(client, keys, asker, place)
    return ask(client, keys, "ns-org", "Groningen")


def test_start_a_community_invites_the_askers_who_consent(client: TestClient, keys: Keys,
                                                          seeded_store: LocalGraphStore) -> None:
    staff = keys.bearer(keys.staff)
    question = recurring(client, keys)
    url = f"/api/v1/questions/{question}/notices/thuiszitters/start"
    assert client.post(url, json={"kind": "cop"},
                       headers=keys.bearer(keys.member)).status_code == 403
    done = client.post(url, json={"kind": "cop", "name": "CoP Thuiszitters"}, headers=staff)
    assert done.status_code == 201, done.text
    started = done.json()
    assert (started["invited"], started["left_out"]) == (2, 3)  # hidden, no consent, org
    community = started["community"]
    assert sorted(seeded_store.neighbour_ids(community, "INVITED_TO", "in")) == [
        "ns-tilburg", "ns-zwolle"]
    assert seeded_store.neighbour_ids(community, "ABOUT") == ["thuiszitters"]
    again = client.post(url, json={"kind": "cop"}, headers=staff)
    assert again.status_code == 409 and "al gestart: CoP Thuiszitters" in str(again.json())
    assert len([c for c in seeded_store.ids("Community") if c == community]) == 1
    group = client.post(url, json={"kind": "intervisiegroep"}, headers=staff)
    assert group.status_code == 201 and group.json()["community"] != community


def test_invited_accept_or_decline_and_hidden_askers_stay_unseen(
        client: TestClient, keys: Keys, seeded_store: LocalGraphStore) -> None:
    question = recurring(client, keys)
    started = client.post(f"/api/v1/questions/{question}/notices/thuiszitters/start",
                          json={"kind": "cop"}, headers=keys.bearer(keys.staff)).json()
    community = started["community"]
    access = client.app.state.schakel.access  # type: ignore[attr-defined]
    zwolle = keys.bearer(access.add_user("zwaantje", "member", "ns-zwolle"))
    tilburg = keys.bearer(access.add_user("teun", "member", "ns-tilburg"))
    page = client.get(f"/api/v1/communities/{community}/page", headers=zwolle).json()
    assert page["standing"] == "invited" and "drie of meer" not in page["description"]
    assert "5 regio's" in page["description"] and HIDDEN not in str(page)
    yes = client.post(f"/api/v1/communities/{community}/standing", headers=zwolle,
                      json={"action": "accept_invite"})
    assert yes.json()["standing"] == "member"
    no = client.post(f"/api/v1/communities/{community}/standing", headers=tilburg,
                     json={"action": "decline_invite"})
    assert no.json()["standing"] == "none"
    twice = client.post(f"/api/v1/communities/{community}/standing", headers=tilburg,
                        json={"action": "accept_invite"})
    assert twice.status_code == 409 and "geen uitnodiging" in str(twice.json())
    assert seeded_store.neighbour_ids("ns-zwolle", "MEMBER_OF") == [community]
    assert seeded_store.neighbour_ids(community, "INVITED_TO", "in") == []
    member_page = client.get(f"/api/v1/communities/{community}/page", headers=tilburg).json()
    assert member_page["members"] == ["Zwaantje Zwolsman"] and member_page["others"] == 0


def test_no_notice_no_start(client: TestClient, keys: Keys,
                            seeded_store: LocalGraphStore) -> None:
    staff = keys.bearer(keys.staff)
    lonely = ask(client, keys, "ns-zwolle", "Zwolle", theme="verzuim")
    before = seeded_store.count("Community")
    refused = client.post(f"/api/v1/questions/{lonely}/notices/verzuim/start",
                          json={"kind": "cop"}, headers=staff)
    assert refused.status_code == 409 and "niet (meer) in drie" in str(refused.json())
    nowhere = client.post("/api/v1/questions/q-nergens/notices/verzuim/start",
                          json={"kind": "cop"}, headers=staff)
    assert nowhere.status_code == 404
    wrong = client.post(f"/api/v1/questions/{lonely}/notices/verzuim/start",
                        json={"kind": "feest"}, headers=staff)
    assert wrong.status_code == 422 and "Kies uit" in str(wrong.json())
    assert seeded_store.count("Community") == before


def test_the_brokering_page_starts_a_group_and_the_invited_answer_on_pages(
        client: TestClient, keys: Keys, seeded_store: LocalGraphStore) -> None:
    question = recurring(client, keys)
    client.cookies.set("schakel_sleutel", keys.staff)
    page = client.get(f"/makelen/vragen/{question}")
    assert "Groep starten en vragers uitnodigen" in page.text
    assert "2 vrager(s) achter deze vragen worden uitgenodigd; 3 niet" in page.text
    long_name = client.post(f"/makelen/vragen/{question}/starten",
                            data={"thema": "thuiszitters", "naam": "x" * 301})
    assert long_name.status_code == 422 and "hoogstens 300" in long_name.text
    sent = client.post(f"/makelen/vragen/{question}/starten",
                       data={"thema": "thuiszitters", "soort": "cop", "naam": ""},
                       follow_redirects=False)
    assert sent.status_code == 303
    landed = client.get(sent.headers["location"])
    assert "De groep is gestart. 2 vrager(s) uitgenodigd; 3 niet" in landed.text
    assert "Community of Practice Thuiszitters" in landed.text  # named after the theme
    again = client.post(f"/makelen/vragen/{question}/starten",
                        data={"thema": "thuiszitters", "soort": "cop"})
    assert again.status_code == 409 and "al gestart" in again.text
    assert "Al gestart:" in client.get(f"/makelen/vragen/{question}").text
    community = sent.headers["location"].split("?")[0].rsplit("/", 1)[1]
    access = client.app.state.schakel.access  # type: ignore[attr-defined]
    client.cookies.set("schakel_sleutel", access.add_user("zwaantje", "member", "ns-zwolle"))
    mine = client.get("/voor-jou")
    assert "U bent uitgenodigd" in mine.text and f"/community/{community}" in mine.text
    invited = client.get(f"/community/{community}")
    assert "Uitnodiging aannemen" in invited.text and HIDDEN not in invited.text
    took = client.post(f"/community/{community}/aannemen", follow_redirects=False)
    assert took.status_code == 303
    assert "U bent lid." in client.get(f"/community/{community}").text
    assert "U bent uitgenodigd" not in client.get("/voor-jou").text
    assert seeded_store.neighbour_ids(community, "MEMBER_OF", "in") == ["ns-zwolle"]
