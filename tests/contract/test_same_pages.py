"""`schakel demo` on Neo4j answers every page and API route exactly as on the embedded store.

Both demos are real processes seeded with the same members. To compare another route, add
one line to ROUTES.
"""

from __future__ import annotations

import re
from typing import Any

import httpx
import networkx as nx
import pytest

from schakel.graph.local import LocalGraphStore
from schakel.graph.neo4j import Neo4jGraphStore
from schakel.graph.query import Filters
from schakel.graph.store import GraphStore
from schakel.service.config import Settings
from schakel.service.context import AppState
from schakel.service.state import open_store

from .conftest import Demo

# (method, path, JSON body or None); {member} and {practice} become the first visible ones.
ROUTES: list[tuple[str, str, Any]] = [
    ("GET", "/", None),
    ("GET", "/leden", None),
    ("GET", "/leden?offset=25", None),
    ("GET", "/leden?thema=thuiszitters&plaats=Regio+Twente", None),
    ("GET", "/leden?domein=onderwijs&rol=expert", None),
    ("GET", "/leden?thema=klimaat", None),
    ("GET", "/leden/{member}", None),
    ("GET", "/praktijkvoorbeelden", None),
    ("GET", "/praktijkvoorbeelden?plaats=Emmen&thema=verzuim", None),
    ("GET", "/api/v1/members?limit=500", None),
    ("GET", "/api/v1/members?theme=verzuim&limit=500", None),
    ("GET", "/api/v1/members?region=Overijssel&domain=onderwijs", None),
    ("GET", "/api/v1/members?region=Regio Twente&role=ambassador", None),
    ("GET", "/api/v1/members?theme=klimaat", None),
    ("GET", "/api/v1/members/{member}", None),
    ("GET", "/api/v1/members/nobody", None),
    ("GET", "/api/v1/organisations?domain=onderwijs&limit=500", None),
    ("GET", "/api/v1/organisations?region=Drenthe&kind=school", None),
    ("GET", "/api/v1/regions?limit=500", None),
    ("GET", "/api/v1/regions?kind=provincie", None),
    ("GET", "/api/v1/regions/Regio Twente", None),
    ("GET", "/api/v1/regions/distance?from=Amsterdam&to=Rotterdam", None),
    ("GET", "/api/v1/themes?limit=500", None),
    ("GET", "/api/v1/themes?q=thuiszit", None),
    ("GET", "/api/v1/themes/verzuim", None),
    ("GET", "/api/v1/practices?limit=500", None),
    ("GET", "/api/v1/practices?theme=thuiszitters&region=Nederland", None),
    ("GET", "/api/v1/practices/{practice}", None),
    ("GET", "/api/v1/communities", None),
    ("GET", "/api/v1/tables", None),
    ("GET", "/api/v1/tables/tafel-ozkt/agenda", None),
    ("GET", "/signalen", None),
    ("POST", "/api/v1/match", {"text": "Wie heeft ervaring met jeugdhulp in de klas, liefst in "
                                       "de buurt van Emmen?", "limit": 10}),
    ("POST", "/api/v1/match", {"text": "thuiszitters", "near": "Drenthe", "radius_km": 30,
                               "kinds": ["member"], "limit": 50}),
    ("POST", "/api/v1/match", {"text": "autisme", "asker_domain": "onderwijs"}),
    ("GET", "/matchen?vraag=ouders+betrekken+bij+de+overstap&plaats=Groningen", None),
    ("GET", "/api/v1/map", None),
    ("GET", "/api/v1/analytics/brokers", None),
    ("GET", "/api/v1/analytics/gaps", None),
    ("GET", "/api/v1/analytics/gaps/nearest?theme=verzuim&place=Emmen", None),
    ("GET", "/api/v1/export?format=json", None),
    ("GET", "/kaart", None),
    ("GET", "/kaart/witte-vlekken", None),
    ("GET", "/kaart/makelaars", None),
    ("GET", "/api/v1/nearby?theme=thuiszitters&near=Regio Twente", None),
    ("GET", "/api/v1/nearby?q=ouders betrekken bij de overstap&near=Groningen&radius_km=30",
     None),
    ("GET", "/zoeken?thema=thuiszitters&plaats=Regio+Twente", None),
    ("GET", "/api/v1/questions", None),
    ("GET", "/api/v1/questions/q-demo-01", None),
    ("GET", "/api/v1/brokering/metrics", None),
    ("GET", "/makelen", None),
    ("GET", "/makelen/vragen/q-demo-02", None),
    ("GET", "/makelen/cijfers", None),
    ("GET", "/api/v1/users", None),
    ("GET", "/api/v1/me", None),
]
TIMINGS = re.compile(r"\(\d+ ms\)")  # how long a question took differs from run to run
COMPUTED = re.compile(r"Berekend om \d\d:\d\d \([^)]*\)")  # when metrics were computed
CSRF = re.compile(r'name="csrf_token" value="[^"]*"')  # each visitor has their own token


def _fill(path: str, demo: Demo) -> str:
    if "{" not in path:
        return path
    member = httpx.get(f"{demo.base}/api/v1/members?limit=1",
                       headers=demo.headers).json()["data"][0]["id"]
    practice = httpx.get(f"{demo.base}/api/v1/practices?limit=1",
                         headers=demo.headers).json()["data"][0]["id"]
    return path.format(member=member, practice=practice)


def _answer(demo: Demo, method: str, path: str, body: Any) -> tuple[int, Any]:
    response = httpx.request(method, f"{demo.base}{path}", json=body, timeout=120,
                             headers=demo.headers)
    if response.headers.get("content-type", "").startswith("application/json"):
        data = response.json()
        if isinstance(data, dict):  # how long it took differs from run to run
            data.pop("took_ms", None)
            data.pop("timings", None)
            data.pop("computed_at", None)
            data.pop("request_id", None)  # every request has its own
        return response.status_code, data
    text = response.text.replace(demo.base, "")  # links name the port
    text = CSRF.sub('name="csrf_token" value="…"', text)
    return response.status_code, COMPUTED.sub("Berekend om …", TIMINGS.sub("(… ms)", text))


@pytest.mark.parametrize(("method", "path", "body"), ROUTES, ids=[r[1] for r in ROUTES])
def test_neo4j_answers_like_the_embedded_store(demos: dict[str, Demo], method: str, path: str,
                                               body: Any) -> None:
    local, neo4j = demos["local"], demos["neo4j"]
    url = _fill(path, local)
    expected = _answer(local, method, url, body)
    assert _answer(neo4j, method, url, body) == expected
    assert expected[0] in (200, 201, 403, 404, 422)  # 403: /me for an account without a member


def test_health_names_the_store(demos: dict[str, Demo]) -> None:
    health = {k: httpx.get(f"{d.base}/api/v1/health").json() for k, d in demos.items()}
    assert health["neo4j"]["store"] == "neo4j" and health["local"]["store"] == "local"
    assert health["neo4j"]["nodes"] == health["local"]["nodes"] > 1000
    assert health["neo4j"]["relationships"] == health["local"]["relationships"]


@pytest.fixture(scope="module")
def seeded(demos: dict[str, Demo]) -> dict[str, GraphStore]:
    stores: dict[str, GraphStore] = {}
    for kind, demo in demos.items():
        with pytest.MonkeyPatch.context() as env:
            for key, value in demo.env.items():
                env.setenv(key, value)
            stores[kind] = open_store(Settings())
    yield stores  # type: ignore[misc]
    for store in stores.values():
        store.close()


def test_seeded_stores_hold_the_same_graph(seeded: dict[str, GraphStore]) -> None:
    assert isinstance(seeded["local"], LocalGraphStore)
    assert isinstance(seeded["neo4j"], Neo4jGraphStore)
    a, b = seeded["local"].snapshot(), seeded["neo4j"].snapshot()
    assert nx.utils.nodes_equal(a.nodes(data=True), b.nodes(data=True))
    assert nx.utils.edges_equal(a.edges(keys=True, data=True), b.edges(keys=True, data=True))


@pytest.mark.parametrize(("label", "filters"), [
    ("Member", {"theme": "verzuim"}),
    ("Member", {"region": "Regio Twente", "domain": "onderwijs"}),
    ("Member", {"theme": "verzuim", "region": "Zuid-Holland"}),
    ("Organisation", {"region": "Groningen"}),
    ("Practice", {"domain": "jeugdhulp"}),
])
def test_filters_find_the_same_nodes(seeded: dict[str, GraphStore], gazetteer: Any,
                                     label: str, filters: dict[str, str]) -> None:
    found = {}
    for kind, store in seeded.items():
        state = AppState(Settings(), store, gazetteer, None)  # type: ignore[arg-type]
        found[kind] = Filters(store, state.lookup).ids(label, **filters)
    assert found["neo4j"] == found["local"]
    assert found["local"], "pick filters that find something"
