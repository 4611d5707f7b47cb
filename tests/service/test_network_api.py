"""The network routes and pages on a copy of the seeded store (300 generated members)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from fastapi.testclient import TestClient

from schakel.graph.local import LocalGraphStore
from schakel.graph.model import Member, Relationship
from schakel.service.app import create_app
from schakel.service.config import Settings
from schakel.service.routes import network

if TYPE_CHECKING:
    from conftest import Keys

@pytest.fixture
def client(seeded_store: LocalGraphStore, tmp_path: Path, keys: Keys) -> Iterator[TestClient]:
    app = create_app(Settings(data_dir=tmp_path), store=seeded_store)
    with TestClient(app, headers=keys.bearer(keys.admin)) as c:
        yield c


def _members(store: LocalGraphStore) -> tuple[set[str], set[str]]:
    members = [m for m in store.find("Member") if isinstance(m, Member)]
    shown = {m.id for m in members if m.visibility == "members"}
    return shown, {m.id for m in members} - shown


def test_map_holds_exactly_the_visible_members(client: TestClient,
                                               seeded_store: LocalGraphStore) -> None:
    shown, hidden = _members(seeded_store)
    body = client.get("/api/v1/map").json()
    assert body["shown"] and body["message"] is None
    ids = {n["id"] for n in body["nodes"]}
    assert ids == shown and hidden
    ends = {e["source"] for e in body["edges"]} | {e["target"] for e in body["edges"]}
    assert ends <= shown
    knows = {frozenset((r.start, r.end)) for r in seeded_store.relationships(type="KNOWS")
             if r.start in shown and r.end in shown}
    assert {frozenset((e["source"], e["target"])) for e in body["edges"]} == knows
    assert body["method"]["betweenness"] == "exact"
    node = body["nodes"][0]
    assert node["gemeente"] and not node["gemeente"].startswith("gm-")  # a name, no more


def test_filters_narrow_the_map(client: TestClient, keys: Keys) -> None:
    everyone = client.get("/api/v1/map").json()
    jeugd = client.get("/api/v1/map?domain=jeugdhulp").json()
    # the map shows members visible to members (it is drawn on shared screens)
    listed = client.get("/api/v1/members?domain=jeugdhulp&limit=500",
                        headers=keys.bearer(keys.member)).json()
    assert {n["id"] for n in jeugd["nodes"]} == {m["id"] for m in listed["data"]}
    assert 0 < jeugd["count"] < everyone["count"]
    twente = client.get("/api/v1/map?region=Regio Twente&role=expert").json()
    for n in twente["nodes"]:
        assert "expert" in n["roles"]
    with_orgs = client.get("/api/v1/map?domain=jeugdhulp&organisations=true").json()
    assert {n["kind"] for n in with_orgs["nodes"]} == {"lid", "organisatie"}


def test_ego_focus(client: TestClient) -> None:
    body = client.get("/api/v1/map").json()
    hub = max(body["nodes"], key=lambda n: n["degree"])
    ego = client.get(f"/api/v1/map?ego={hub['id']}&depth=1").json()
    assert ego["count"] == hub["degree"] + 1
    assert client.get(f"/api/v1/map?ego={hub['id']}&depth=2").json()["count"] >= ego["count"]


@pytest.mark.parametrize("query", ["theme=geen-thema", "region=Atlantis", "domain=ruimtevaart",
                                   "ego=m-999999", "depth=9", "role=koning",
                                   "ego=m-000001&depth=0"])
def test_bad_filters_give_422(client: TestClient, query: str) -> None:
    response = client.get(f"/api/v1/map?{query}")
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["msg"]


def test_a_hidden_member_cannot_be_the_ego(client: TestClient,
                                           seeded_store: LocalGraphStore) -> None:
    _, hidden = _members(seeded_store)
    response = client.get(f"/api/v1/map?ego={sorted(hidden)[0]}")
    assert response.status_code == 422
    # The same answer as for an id that does not exist: nothing tells them apart.
    unknown = client.get("/api/v1/map?ego=m-999999").json()["detail"][0]
    assert response.json()["detail"][0]["msg"].split(":")[0] == unknown["msg"].split(":")[0]


def test_an_empty_view_says_so(client: TestClient) -> None:
    body = client.get("/api/v1/map?theme=zeven_adviezen").json()  # a framework theme
    assert body["count"] == 0 and body["shown"] and body["message"] == (
        "Geen leden gevonden bij deze keuze.")
    assert client.get("/api/v1/analytics/brokers?theme=zeven_adviezen").json()["data"] == []
    assert client.get("/api/v1/export?format=json&theme=zeven_adviezen").json()["nodes"] == []


def test_the_brokers_page_asks_for_a_filter_on_huge_views(
        client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    from schakel.service.web import maps

    monkeypatch.setattr(maps, "PAGE_ANALYSIS_CAP", 10)
    page = client.get("/kaart/makelaars")
    assert page.status_code == 200 and "de berekening duurt dan minuten" in page.text


def test_metrics_being_computed_for_the_first_time_never_keep_a_page_waiting(
        client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    """The brokers page says the numbers are being computed (and stays usable); the API
    answers 503 with the same Dutch text and when to ask again; later both have them."""
    import threading

    from schakel.service import networks

    release = threading.Event()
    real = networks.analyse
    monkeypatch.setattr(networks, "analyse", lambda *a, **k: release.wait(10) and real(*a, **k))
    monkeypatch.setattr(networks, "FIRST_WAIT_S", 0.2)
    page = client.get("/kaart/makelaars?domein=zorg")
    assert page.status_code == 200 and "voor het eerst berekend" in page.text
    assert 'name="sorteer"' in page.text  # the filters are still there
    api = client.get("/api/v1/analytics/brokers?domain=zorg")
    assert api.status_code == 503 and api.headers["Retry-After"] == "30"
    assert "voor het eerst berekend" in api.json()["detail"]
    release.set()
    monkeypatch.setattr(networks, "FIRST_WAIT_S", 30)
    assert client.get("/api/v1/analytics/brokers?domain=zorg").json()["data"]


def test_too_large_views_are_not_drawn(client: TestClient,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(network, "MAP_CAP", 50)
    body = client.get("/api/v1/map").json()
    assert not body["shown"] and body["nodes"] == [] and body["count"] > 50
    assert "hoogstens 50" in body["message"] and "Kies een thema" in body["message"]


def test_metrics_are_served_stale_while_revalidating(client: TestClient,
                                                    seeded_store: LocalGraphStore) -> None:
    from schakel.service.networks import Scope, network_views

    views = network_views(client.app.state.schakel)  # type: ignore[attr-defined]
    views.background = False  # this test recomputes by hand
    first = views.analysis(Scope(domain="zorg"))
    assert views.analysis(Scope(domain="zorg")) is first and not first.stale
    shown, _ = _members(seeded_store)
    a, b = sorted(shown)[:2]
    seeded_store.write(relationships=[Relationship.of("KNOWS", a, b, context="brug")])
    again = views.analysis(Scope(domain="zorg"))  # at once: the last result, marked stale
    assert again.value is first.value and again.stale
    body = client.get("/api/v1/map?domain=zorg").json()
    assert body["stale"] is True and body["computed_at"]
    assert views.refresh() >= 1
    fresh = views.analysis(Scope(domain="zorg"))
    assert fresh.value is not first.value and not fresh.stale
    assert fresh.computed_at >= first.computed_at
    assert client.get("/api/v1/map?domain=zorg").json()["stale"] is False


def test_the_worker_recomputes_after_writes(client: TestClient,
                                           seeded_store: LocalGraphStore) -> None:
    import time

    from schakel.service.networks import Scope, network_views

    views = network_views(client.app.state.schakel)  # type: ignore[attr-defined]
    views.quiet_s = 0.2
    first = views.analysis(Scope(domain="jeugdhulp"))
    shown, _ = _members(seeded_store)
    a, b = sorted(shown)[2:4]
    seeded_store.write(relationships=[Relationship.of("KNOWS", a, b, context="regio")])
    assert views.analysis(Scope(domain="jeugdhulp")).stale  # wakes the worker
    deadline = time.monotonic() + 20
    while views.analysis(Scope(domain="jeugdhulp")).stale:
        assert time.monotonic() < deadline, "the worker did not recompute"
        time.sleep(0.1)
    assert views.analysis(Scope(domain="jeugdhulp")).value is not first.value
    views.close()
    assert views._worker is None or not views._worker.is_alive()  # noqa: SLF001


def test_brokers_ranked(client: TestClient) -> None:
    body = client.get("/api/v1/analytics/brokers?limit=10").json()
    values = [r["betweenness"] for r in body["data"]]
    assert values == sorted(values, reverse=True) and len(values) == 10
    assert set(body["data"][0]["roles"]) >= {"coordinator", "gatekeeper", "representative",
                                             "consultant", "liaison"}
    low = client.get("/api/v1/analytics/brokers?sort=constraint&limit=5").json()["data"]
    assert [r["constraint"] for r in low] == sorted(r["constraint"] for r in low)
    assert client.get("/api/v1/analytics/brokers?sort=naam").status_code == 422


def test_gaps_api(client: TestClient) -> None:
    body = client.get("/api/v1/analytics/gaps?level=provincie&kind=experts").json()
    assert len(body["places"]) == 12 and len(body["cells"]) == len(body["themes"])
    flat = [c for row in body["cells"] for c in row]
    assert body["gaps"] == sum(1 for c in flat if c["experts"] == 0) > 0
    assert all(c["gap"] == (c["experts"] == 0) for c in flat)
    inside = client.get("/api/v1/analytics/gaps?level=gemeente&within=Drenthe").json()
    assert {p["id"] for p in inside["places"]} >= {"gm-emmen", "gm-assen"}
    assert client.get("/api/v1/analytics/gaps?level=wijk").status_code == 422
    assert client.get("/api/v1/analytics/gaps?within=Atlantis").status_code == 422
    near = client.get("/api/v1/analytics/gaps/nearest?theme=thuiszitters&place=Emmen").json()
    kms = [r["km"] for r in near["experts"]]
    assert kms == sorted(kms)
    assert client.get("/api/v1/analytics/gaps/nearest?theme=x&place=Emmen").status_code == 422


@pytest.mark.parametrize("fmt", ["gexf", "graphml", "json"])
def test_exports_leave_hidden_members_out(client: TestClient, seeded_store: LocalGraphStore,
                                          fmt: str) -> None:
    shown, hidden = _members(seeded_store)
    response = client.get(f"/api/v1/export?format={fmt}")
    assert response.status_code == 200
    assert "attachment" in response.headers["content-disposition"]
    text = response.text
    assert not any(f'"{h}"' in text for h in hidden)
    assert sum(f'"{s}"' in text for s in shown) == len(shown)


def test_pseudonymised_export(client: TestClient, seeded_store: LocalGraphStore,
                              keys: Keys) -> None:
    shown, _ = _members(seeded_store)
    staff = keys.bearer(keys.staff)
    # staff export with pseudonyms by default, and may not ask for names
    assert client.get("/api/v1/export?format=gexf&domain=zorg", headers=staff).text == \
        client.get("/api/v1/export?format=gexf&pseudonymise=true&domain=zorg").text
    named = client.get("/api/v1/export?format=json&pseudonymise=false", headers=staff)
    assert named.status_code == 403
    assert client.get("/api/v1/export?format=json&pseudonymise=false").status_code == 200
    names = {m.name for m in seeded_store.get_many(shown) if isinstance(m, Member)}
    first = client.get("/api/v1/export?format=gexf&pseudonymise=true&domain=zorg").text
    root = ET.fromstring(first)
    labels = {n.get("label") for n in root.iter("{http://www.gexf.net/1.2draft}node")}
    assert labels and all(label.startswith("lid-") for label in labels)
    assert not labels & names and not any(f'"{s}"' in first for s in shown)
    again = client.get("/api/v1/export?format=gexf&pseudonymise=true&domain=zorg").text
    assert ET.fromstring(again).find(".//{http://www.gexf.net/1.2draft}nodes") is not None
    assert labels == {n.get("label") for n in ET.fromstring(again).iter(
        "{http://www.gexf.net/1.2draft}node")}


def test_pages(client: TestClient, seeded_store: LocalGraphStore) -> None:
    _, hidden = _members(seeded_store)
    page = client.get("/kaart?domein=zorg&kleur=groep")
    assert page.status_code == 200 and "Netwerkkaart" in page.text
    assert "vendor/sigma.min.js" in page.text and "https://" not in page.text.split("<main")[1]
    assert client.get("/static/vendor/sigma.min.js").status_code == 200
    gaps = client.get("/kaart/witte-vlekken?niveau=provincie&soort=experts")
    assert gaps.status_code == 200 and "witte vlekken in" in gaps.text
    drill = client.get("/kaart/witte-vlekken?thema=thuiszitters&plaats=pv-drenthe")
    assert "Dichtstbij Drenthe" in drill.text
    assert "Kies een provincie" in client.get("/kaart/witte-vlekken?niveau=gemeente").text
    brokers = client.get("/kaart/makelaars?sorteer=brokerage")
    assert brokers.status_code == 200 and "poortwachter" in brokers.text
    assert "Berekend om" in brokers.text and "Berekend om" in gaps.text
    assert not any(h in brokers.text for h in hidden)
    assert client.get("/kaart/makelaars?thema=geen").status_code == 422
