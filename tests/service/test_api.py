"""The HTTP API and the pages, on a private copy of the seeded store."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from fastapi.testclient import TestClient

from schakel.graph.local import LocalGraphStore
from schakel.graph.model import Member, Relationship, Theme
from schakel.service.app import create_app
from schakel.service.config import Settings

if TYPE_CHECKING:
    from conftest import Keys

@pytest.fixture
def client(seeded_store: LocalGraphStore, tmp_path: Path, keys: Keys) -> Iterator[TestClient]:
    app = create_app(Settings(data_dir=tmp_path), store=seeded_store)
    with TestClient(app, headers=keys.bearer(keys.member)) as c:
        yield c


def all_ids(client: TestClient, url: str) -> list[str]:
    ids: list[str] = []
    offset = 0
    while True:
        sep = "&" if "?" in url else "?"
        body = client.get(f"{url}{sep}offset={offset}&limit=500").json()
        ids += [row["id"] for row in body["data"]]
        offset += 500
        if offset >= body["count"]:
            return ids


def test_health(client: TestClient, seeded_store: LocalGraphStore) -> None:
    body = client.get("/api/v1/health").json()
    assert body["status"] == "ok"
    assert body["nodes"] == seeded_store.count()


def test_members_paging_and_count(client: TestClient) -> None:
    first = client.get("/api/v1/members?limit=10").json()
    second = client.get("/api/v1/members?limit=10&offset=10").json()
    assert len(first["data"]) == 10 and first["count"] == second["count"] > 200
    assert not {m["id"] for m in first["data"]} & {m["id"] for m in second["data"]}
    member = first["data"][0]
    assert member["gemeente"]["id"].startswith("gm-")
    assert member["themes"] and member["organisation"]


def test_hidden_members_never_appear(client: TestClient, seeded_store: LocalGraphStore) -> None:
    members = [m for m in seeded_store.find("Member") if isinstance(m, Member)]
    hidden = {m.id for m in members if m.visibility != "members"}
    assert hidden, "the generator should make some members staff-only or invisible"
    listed = set(all_ids(client, "/api/v1/members"))
    assert listed == {m.id for m in members} - hidden
    some_hidden = sorted(hidden)[0]
    assert client.get(f"/api/v1/members/{some_hidden}").status_code == 404
    assert client.get(f"/leden/{some_hidden}").status_code == 404
    assert some_hidden not in client.get("/leden").text


def test_theme_filter_uses_names_synonyms_and_narrower_themes(
        client: TestClient, seeded_store: LocalGraphStore) -> None:
    by_id = set(all_ids(client, "/api/v1/members?theme=thuiszitters"))
    assert by_id
    assert set(all_ids(client, "/api/v1/members?theme=Thuiszitters")) == by_id
    for member_id in by_id:
        assert "thuiszitters" in seeded_store.neighbour_ids(member_id, "WORKS_ON")
    broader = set(all_ids(client, "/api/v1/members?theme=verzuim"))
    assert by_id < broader  # verzuim includes its narrower theme thuiszitters


def test_region_filter_covers_gemeenten_inside(client: TestClient,
                                               seeded_store: LocalGraphStore) -> None:
    twente = set(all_ids(client, "/api/v1/members?region=Regio Twente"))
    enschede = set(all_ids(client, "/api/v1/members?region=Enschede"))
    assert enschede <= twente
    overijssel = set(all_ids(client, "/api/v1/members?region=Overijssel"))
    assert twente <= overijssel
    for member_id in twente:
        gemeente = seeded_store.neighbour_ids(member_id, "BASED_IN")[0]
        assert "rg-regio-twente" in seeded_store.neighbour_ids(gemeente, "PART_OF")


def test_combined_filters_intersect(client: TestClient) -> None:
    zorg = set(all_ids(client, "/api/v1/members?domain=zorg"))
    experts = set(all_ids(client, "/api/v1/members?role=expert"))
    both = set(all_ids(client, "/api/v1/members?domain=zorg&role=expert"))
    assert both == zorg & experts and both


@pytest.mark.parametrize(
    ("url", "field", "text"),
    [
        ("/api/v1/members?theme=klimaat", "theme", "onbekend thema"),
        ("/api/v1/members?region=Atlantis", "region", "onbekend plaats of regio"),
        ("/api/v1/members?domain=ruimtevaart", "domain", "onbekend domein"),
        ("/api/v1/members?limit=0", "limit", ""),
        ("/api/v1/members?offset=-1", "offset", ""),
        ("/api/v1/members?role=koning", "role", ""),
        ("/api/v1/practices?theme=klimaat", "theme", "onbekend thema"),
        ("/api/v1/regions/distance?from=Emmen&to=Atlantis", "to", "onbekend plaats"),
        ("/api/v1/organisations?kind=ruimteschip", "kind", "onbekend"),
    ],
)
def test_bad_input_gives_422_naming_the_field(client: TestClient, url: str, field: str,
                                              text: str) -> None:
    response = client.get(url)
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert detail[0]["loc"][-1] == field
    assert text in detail[0]["msg"]


def test_regions_and_distance(client: TestClient) -> None:
    region = client.get("/api/v1/regions/Regio Twente").json()
    assert region["id"] == "rg-regio-twente"
    assert "gm-enschede" in {g["id"] for g in region["gemeenten"]}
    hague = client.get("/api/v1/regions/den haag").json()
    assert hague["id"] == "gm-s-gravenhage"
    assert "pv-zuid-holland" in {p["id"] for p in hague["part_of"]}
    km = client.get("/api/v1/regions/distance?from=Amsterdam&to=Rotterdam").json()["km"]
    assert 50 < km < 65
    gemeenten = client.get("/api/v1/regions?kind=gemeente&limit=500").json()
    assert gemeenten["count"] > 300
    assert client.get("/api/v1/regions/gm-nergens").status_code == 404


def test_themes(client: TestClient) -> None:
    theme = client.get("/api/v1/themes/verzuim").json()
    assert "thuiszitters" in {t["id"] for t in theme["narrower"]}
    found = client.get("/api/v1/themes?q=thuiszit").json()
    assert "thuiszitters" in {t["id"] for t in found["data"]}


def test_practices_and_organisations(client: TestClient) -> None:
    emmen = client.get("/api/v1/practices?region=Emmen").json()
    assert emmen["count"] >= 1
    assert all(any(r["id"] == "gm-emmen" for r in p["regions"]) for p in emmen["data"])
    everything = client.get("/api/v1/practices?limit=500").json()
    assert everything["count"] >= 40
    orgs = client.get("/api/v1/organisations?domain=onderwijs&limit=5").json()
    assert orgs["count"] > 5
    assert all(any(d["id"] == "onderwijs" for d in o["domains"]) for o in orgs["data"])
    communities = client.get("/api/v1/communities").json()
    assert communities["count"] >= 10


def test_post_member_validates_and_writes_nothing_on_error(
        client: TestClient, seeded_store: LocalGraphStore, keys: Keys) -> None:
    client.headers.update(keys.bearer(keys.admin))
    before = seeded_store.counts()
    bad = {"id": "api-1", "name": "Iris", "gemeente": "Atlantis", "themes": ["lvb"]}
    response = client.post("/api/v1/members", json=bad)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][-1] == "gemeente"
    assert "Atlantis" in response.json()["detail"][0]["msg"]
    wrong_type = client.post("/api/v1/members", json={"id": "api-1", "name": "Iris",
                                                       "themes": "lvb", "extra": 1})
    assert wrong_type.status_code == 422
    assert seeded_store.counts() == before
    good = {**bad, "gemeente": "Emmen"}
    created = client.post("/api/v1/members", json=good)
    assert created.status_code == 201
    assert created.json()["gemeente"]["id"] == "gm-emmen"
    assert client.get("/api/v1/members/api-1").json()["themes"][0]["id"] == "lvb"


def test_only_admins_write_members_and_hidden_stays_hidden(
        client: TestClient, seeded_store: LocalGraphStore, keys: Keys) -> None:
    hidden = next(m for m in seeded_store.find("Member")
                  if isinstance(m, Member) and m.visibility != "members")
    for key in (keys.member, keys.staff):
        response = client.post("/api/v1/members", headers=keys.bearer(key),
                               json={"id": hidden.id, "name": "Overschreven"})
        assert response.status_code == 403
        assert hidden.profile not in response.text
    assert seeded_store.get(hidden.id) == hidden
    client.headers.update(keys.bearer(keys.admin))
    renamed = client.post("/api/v1/members", json={"id": hidden.id, "name": "Hernoemd"})
    assert renamed.status_code == 201
    after = seeded_store.get(hidden.id)
    assert isinstance(after, Member) and after.visibility == hidden.visibility
    assert client.get(f"/api/v1/members/{hidden.id}",
                      headers=keys.bearer(keys.member)).status_code == 404
    organisation = seeded_store.ids("Organisation")[0]
    clash = client.post("/api/v1/members", json={"id": organisation, "name": "Botsing"})
    assert clash.status_code == 422 and "hoort al bij een Organisation" in clash.text


def test_post_member_strips_the_id_and_rejects_bad_ids(
        client: TestClient, seeded_store: LocalGraphStore, keys: Keys) -> None:
    client.headers.update(keys.bearer(keys.admin))
    created = client.post("/api/v1/members", json={"id": "  spatie-1 ", "name": "Rik"})
    assert created.status_code == 201 and created.json()["id"] == "spatie-1"
    before = seeded_store.counts()
    assert client.post("/api/v1/members", json={"id": "met spatie", "name": "X"}).status_code \
        == 422
    assert seeded_store.counts() == before


def test_member_lists_follow_writes_from_another_process(
        client: TestClient, seeded_store: LocalGraphStore) -> None:
    import time

    assert client.get("/api/v1/members?theme=lvb").status_code == 200
    with LocalGraphStore(seeded_store.path) as other:
        other.upsert_nodes([Theme(id="klimaat", name="Klimaat en jeugd")])
        other.write([Member(id="x-9", name="Nieuw Lid")],
                    [Relationship.of("WORKS_ON", "x-9", "klimaat")])
    time.sleep(seeded_store.sync_interval + 0.05)
    found = client.get("/api/v1/members?theme=Klimaat en jeugd").json()
    assert [m["id"] for m in found["data"]] == ["x-9"]


def test_pages_are_dutch_and_filterable(client: TestClient) -> None:
    home = client.get("/")
    assert home.status_code == 200
    assert '<html lang="nl"' in home.text and "Naar de inhoud" in home.text
    assert "leden" in home.text
    page = client.get("/leden?thema=thuiszitters&plaats=Regio+Twente")
    assert page.status_code == 200
    api = client.get("/api/v1/members?theme=thuiszitters&region=Regio Twente").json()
    assert f"{api['count']} {'lid' if api['count'] == 1 else 'leden'} gevonden" in page.text
    for member in api["data"][:3]:
        assert member["name"] in page.text
    bad = client.get("/leden?thema=klimaat")
    assert bad.status_code == 422
    assert "onbekend thema" in bad.text and '<html lang="nl"' in bad.text
    assert client.get("/praktijkvoorbeelden?plaats=Emmen").status_code == 200
    assert client.get("/static/schakel.css").status_code == 200


def test_openapi_lists_the_routes(client: TestClient) -> None:
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    for path in ("/api/v1/health", "/api/v1/members", "/api/v1/organisations",
                 "/api/v1/regions", "/api/v1/themes", "/api/v1/practices"):
        assert path in paths


JUNK = ["", "x" * 300, "<script>alert(1)</script>", "'; DROP TABLE nodes; --", "\u00e9\u0308",
        "-1", "0", "99999999999999999999", "nan", "../../etc/passwd"]


def test_no_get_route_answers_500_to_junk(client: TestClient) -> None:
    spec = client.get("/api/v1/openapi.json").json()
    pages = ["/", "/leden", "/leden/{member_id}", "/praktijkvoorbeelden"]
    targets: list[tuple[str, list[str]]] = []
    for path, ops in spec["paths"].items():
        if "get" in ops:
            names = [p["name"] for p in ops["get"].get("parameters", []) if p["in"] == "query"]
            targets.append((path, names))
    targets += [(p, ["thema", "plaats", "domein", "rol", "offset"]) for p in pages]
    for path, names in targets:
        for junk in JUNK:
            url = path
            for part in ("{member_id}", "{organisation_id}", "{region_id}", "{theme_id}",
                         "{practice_id}", "{community_id}"):
                url = url.replace(part, junk or "x")
            params = dict.fromkeys(names, junk)
            response = client.get(url, params=params)
            if path == "/api/v1/ready":  # 503 until the read models are built: its answer
                assert response.status_code in (200, 503)
                continue
            assert response.status_code < 500, (url, params, response.text[:300])
