"""GET /api/v1/nearby and the /zoeken page."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from schakel.graph.geo import Gazetteer
from schakel.graph.local import LocalGraphStore
from schakel.graph.model import Member, Relationship
from schakel.service.app import create_app
from schakel.service.config import Settings


@dataclass
class Accounts:
    """Authorization headers of three accounts."""

    member: dict[str, str]  # the member x-hengelo
    staff: dict[str, str]
    orphan: dict[str, str]  # a staff account that is no member


@pytest.fixture
def client(seeded_store: LocalGraphStore, tmp_path: Path, embedding_file: Path,
           matcher: Any, gazetteer: Gazetteer) -> Iterator[TestClient]:
    assert matcher.catalog is not None  # fills the shared embedding cache
    nodes, rels = [], []
    for mid, town, visibility in [("x-hengelo", "Hengelo", "members"),
                                  ("x-enschede", "Enschede", "members"),
                                  ("x-staff", "Enschede", "staff"),
                                  ("x-none", "Enschede", "none")]:
        nodes.append(Member(id=mid, name=f"Test {mid}", function="leerplichtambtenaar",
                            visibility=visibility))
        rels += [Relationship.of("BASED_IN", mid, gazetteer.resolve(town).id),
                 Relationship.of("WORKS_ON", mid, "thuiszitters", level=3)]
    seeded_store.write(nodes, rels)
    app = create_app(Settings(data_dir=tmp_path, embeddings=embedding_file), store=seeded_store)
    with TestClient(app) as c:
        yield c


@pytest.fixture
def keys(client: TestClient) -> Accounts:
    access = client.app.state.schakel.access  # type: ignore[attr-defined]

    def bearer(key: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {key}"}

    return Accounts(member=bearer(access.add_user("hengelo", "member", "x-hengelo")),
                staff=bearer(access.add_user("bureau", "staff")),
                orphan=bearer(access.add_user("zonder-lid", "staff")))


def get(client: TestClient, headers: dict[str, str], **params: Any) -> Any:
    return client.get("/api/v1/nearby", params=params, headers=headers)


def test_theme_around_a_region(client: TestClient, keys: Accounts, gazetteer: Gazetteer) -> None:
    r = get(client, keys.member, theme="thuiszitters", near="Twente", limit=50)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["place"] == {"id": "rg-regio-twente", "name": "Regio Twente",
                             "kind": "jeugdregio"}
    assert body["theme"] == {"id": "thuiszitters", "name": "Thuiszitters"}
    ids = {x["id"] for x in body["data"]}
    assert "x-enschede" in ids and body["count"] == len(body["data"])
    assert not ids & {"x-staff", "x-none", "x-hengelo"}  # hidden, and never yourself
    twente = {g.name for g in gazetteer.gemeenten_of("Regio Twente")}
    for x in body["data"]:
        assert set(x) == {"id", "name", "function", "roles", "gemeente", "distance_km", "score",
                          "reasons"}
        assert x["gemeente"] in twente and x["distance_km"] == 0
    enschede = next(x for x in body["data"] if x["id"] == "x-enschede")
    assert enschede["reasons"] == ["werkt aan thuiszitters", "in Regio Twente"]


def test_my_gemeente_with_a_radius(client: TestClient, keys: Accounts,
                                   gazetteer: Gazetteer) -> None:
    r = get(client, keys.member, near="mijn gemeente", radius_km=15, theme="thuiszitters")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["place"]["name"] == "Hengelo" and body["radius_km"] == 15
    km = round(gazetteer.distance_km("Hengelo", "Enschede"))
    enschede = next(x for x in body["data"] if x["id"] == "x-enschede")
    assert enschede["distance_km"] == km
    assert enschede["reasons"] == ["werkt aan thuiszitters", f"{km} km", "Regio Twente"]
    assert all(x["distance_km"] <= 15 for x in body["data"])
    keys_sorted = [(-x["score"], x["distance_km"]) for x in body["data"]]
    assert keys_sorted == sorted(keys_sorted)


def test_needs_an_account(client: TestClient) -> None:
    assert client.get("/api/v1/nearby", params={"near": "Utrecht"}).status_code == 401
    page = client.get("/zoeken", params={"plaats": "Utrecht"})
    assert page.status_code == 401 and 'data-id="' not in page.text


def test_staff_see_members_who_chose_staff_only(client: TestClient, keys: Accounts) -> None:
    ids = {x["id"] for x in get(client, keys.staff, theme="thuiszitters", near="Enschede",
                                limit=50).json()["data"]}
    assert "x-staff" in ids and "x-none" not in ids


def test_hidden_members_never_reach_members(client: TestClient, keys: Accounts,
                                            seeded_store: LocalGraphStore,
                                            gazetteer: Gazetteer) -> None:
    hidden = {m.id for m in seeded_store.find("Member")
              if isinstance(m, Member) and m.visibility != "members"}
    assert len(hidden) > 5
    seen: set[str] = set()
    for provincie in gazetteer.places("provincie"):
        offset = 0
        while True:
            body = get(client, keys.member, near=provincie.name, offset=offset,
                       limit=50).json()
            seen |= {x["id"] for x in body["data"]}
            offset += 50
            if offset >= body["count"]:
                break
    assert len(seen) > 200 and not seen & hidden


@pytest.mark.slow
def test_free_text(client: TestClient, keys: Accounts) -> None:
    r = get(client, keys.member, q="thuiszitters", near="Overijssel", limit=10)
    assert r.status_code == 200, r.text
    data = r.json()["data"]
    assert data and data[0]["id"] == "x-enschede"
    assert data[0]["reasons"][0] == "werkt aan thuiszitters"
    scores = [x["score"] for x in data]
    assert scores == sorted(scores, reverse=True)


def test_paging(client: TestClient, keys: Accounts) -> None:
    whole = get(client, keys.member, near="Noord-Holland", limit=50).json()
    assert whole["count"] > 12
    first = get(client, keys.member, near="Noord-Holland", limit=6).json()
    second = get(client, keys.member, near="Noord-Holland", limit=6, offset=6).json()
    assert [x["id"] for x in first["data"] + second["data"]] == \
        [x["id"] for x in whole["data"][:12]]


@pytest.mark.parametrize(("params", "field"), [
    ({}, "q"), ({"q": "ab"}, "q"),
    ({"near": "Atlantis"}, "near"), ({"theme": "ruimtevaart"}, "theme"),
    ({"domain": "ruimtevaart"}, "domain"), ({"role": "astronaut"}, "role"),
    ({"theme": "verzuim", "radius_km": 10}, "radius_km"),
    ({"near": "Utrecht", "radius_km": 0}, "radius_km"),
    ({"near": "Utrecht", "radius_km": 500}, "radius_km"),
    ({"near": "Utrecht", "limit": 0}, "limit"), ({"near": "Utrecht", "limit": 51}, "limit"),
    ({"near": "Utrecht", "offset": -1}, "offset"),
])
def test_bad_input_is_422_naming_the_field(client: TestClient, keys: Accounts,
                                           params: dict[str, Any], field: str) -> None:
    r = get(client, keys.member, **params)
    assert r.status_code == 422, r.text
    assert any(d["loc"] == ["query", field] for d in r.json()["detail"]), r.text


def test_my_gemeente_needs_a_member(client: TestClient, keys: Accounts) -> None:
    r = get(client, keys.orphan, near="mijn gemeente")
    assert r.status_code == 422
    assert "near" in r.json()["detail"][0]["loc"]


# -- the page -------------------------------------------------------------------------------

def test_page_renders_results_and_keeps_the_form(client: TestClient, keys: Accounts) -> None:
    r = client.get("/zoeken", params={"vraag": "", "plaats": "Hengelo", "straal": "15",
                                      "thema": "thuiszitters", "rol": ""},
                   headers=keys.member)
    assert r.status_code == 200, r.text
    html = r.text
    assert "Wie werkt hieraan bij mij in de buurt?" in html
    assert 'data-id="x-enschede"' in html and 'data-id="x-staff"' not in html
    assert "werkt aan thuiszitters" in html and "Regio Twente" in html
    assert re.search(r'<input [^>]*id="plaats"[^>]*value="Hengelo"', html)
    assert re.search(r'<input [^>]*id="straal"[^>]*value="15"', html)
    assert re.search(r'<option value="thuiszitters"\s+selected', html)
    assert '<option value="mijn gemeente">' in html
    assert 'href="/zoeken" aria-current="page"' in html


def test_page_without_a_search_shows_the_form(client: TestClient, keys: Accounts) -> None:
    r = client.get("/zoeken", headers=keys.member)
    assert r.status_code == 200
    assert 'name="vraag"' in r.text and "gevonden" not in r.text


def test_page_explains_bad_input_and_keeps_the_form(client: TestClient, keys: Accounts) -> None:
    r = client.get("/zoeken", params={"vraag": "autisme", "straal": "10"}, headers=keys.member)
    assert r.status_code == 422
    assert 'role="alert"' in r.text and "plaats" in r.text
    assert re.search(r'<input [^>]*id="vraag"[^>]*value="autisme"', r.text)
    assert re.search(r'<input [^>]*id="straal"[^>]*value="10"[^>]*aria-invalid="true"', r.text)


def test_nobody_within_the_radius_shows_the_nearest_who_fit(client: TestClient,
                                                             keys: Accounts) -> None:
    r = get(client, keys.member, near="Vlieland", radius_km=10, theme="thuiszitters")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["count"] == 0 and body["data"] == []
    nearest = body["nearest"]
    assert nearest and len(nearest) <= 5
    distances = [x["distance_km"] for x in nearest]
    assert distances == sorted(distances) and distances[0] > 10
    assert all("werkt aan thuiszitters" in x["reasons"] for x in nearest)
    assert not {x["id"] for x in nearest} & {"x-staff", "x-none", "x-hengelo"}
    # with someone inside the radius there is no "nearest" list
    inside = get(client, keys.member, near="Enschede", radius_km=10, theme="thuiszitters")
    assert inside.json()["count"] and inside.json()["nearest"] == []
    client.cookies.set("schakel_sleutel", keys.member["Authorization"].split()[1])
    page = client.get("/zoeken", params={"thema": "thuiszitters", "plaats": "Vlieland",
                                         "straal": "10"})
    assert page.status_code == 200 and "Binnen 10 km past niemand" in page.text
    assert f'data-id="{nearest[0]["id"]}"' in page.text
