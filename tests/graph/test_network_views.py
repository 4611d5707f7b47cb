"""The expert pool graph, the gap matrix and the exports, on small stores made by hand."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import networkx as nx
import pytest

from schakel.errors import ScopeError
from schakel.graph.analytics import analyse
from schakel.graph.gaps import GapData, gap_matrix, nearest
from schakel.graph.geo import Gazetteer
from schakel.graph.local import LocalGraphStore
from schakel.graph.model import Member, Organisation, Relationship
from schakel.graph.netexport import annotated, pseudonym, render
from schakel.graph.network import ego_network, member_network
from schakel.graph.privacy import visible
from schakel.seeds.load import seed_store

R = Relationship.of


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory,
          gazetteer: Gazetteer) -> Iterator[LocalGraphStore]:
    """Reference data plus six members: a school-jeugdhulp bridge in Twente, a hidden
    expert in Emmen."""
    path = tmp_path_factory.mktemp("small") / "schakel.sqlite"
    store = LocalGraphStore(path)
    seed_store(store, 0, gazetteer=gazetteer)
    orgs = [Organisation(id="org-school", name="School Enschede", kind="school"),
            Organisation(id="org-wijk", name="Wijkteam Hengelo", kind="wijkteam")]
    people = [
        Member(id="p-an", name="An", roles=["member", "expert"]),
        Member(id="p-bo", name="Bo"),
        Member(id="p-cas", name="Cas"),
        Member(id="p-dirk", name="Dirk", roles=["member", "expert"]),
        Member(id="p-eva", name="Eva"),
        Member(id="p-geheim", name="Geheim", roles=["member", "expert"], visibility="none"),
    ]
    rels = [R("IN_DOMAIN", "org-school", "onderwijs"), R("IN_DOMAIN", "org-wijk", "jeugdhulp"),
            R("BASED_IN", "org-school", "gm-enschede"), R("BASED_IN", "org-wijk", "gm-hengelo")]
    for pid, org, gm in (("p-an", "org-school", "gm-enschede"), ("p-bo", "org-school",
                         "gm-enschede"), ("p-cas", "org-wijk", "gm-hengelo"),
                         ("p-dirk", "org-wijk", "gm-hengelo"), ("p-eva", "org-wijk", "gm-almelo"),
                         ("p-geheim", "org-wijk", "gm-emmen")):
        rels += [R("WORKS_AT", pid, org), R("BASED_IN", pid, gm)]
    rels += [
        R("ACTIVE_IN", "p-an", "onderwijs"), R("ACTIVE_IN", "p-an", "zorg"),
        R("WORKS_ON", "p-an", "thuiszitters", level=3),
        R("WORKS_ON", "p-geheim", "thuiszitters"), R("WORKS_ON", "p-cas", "verzuim"),
        R("MEMBER_OF", "p-an", "com-cop-thuiszittersaanpak"),
        R("KNOWS", "p-an", "p-bo", context="collega"),
        R("KNOWS", "p-an", "p-cas", context="brug"),
        R("KNOWS", "p-cas", "p-dirk", context="collega"), R("KNOWS", "p-dirk", "p-eva"),
        R("KNOWS", "p-geheim", "p-an", context="regio"),
    ]
    store.write(orgs + people, rels)
    yield store
    store.close()


def _visible(store: LocalGraphStore) -> dict[str, list[str]]:
    props = store.props_of(store.ids("Member"))
    return {i: p.get("roles", []) for i, p in props.items() if visible(p)}


def test_member_network_holds_only_the_members_given(small: LocalGraphStore) -> None:
    g = member_network(small.snapshot(), _visible(small))
    assert set(g) == {"p-an", "p-bo", "p-cas", "p-dirk", "p-eva"}
    assert not g.is_directed()
    assert g.number_of_edges() == 4  # the edge to the hidden member is gone with them
    an = g.nodes["p-an"]
    assert an["domain"] == "onderwijs"  # the organisation's domain, not "zorg"
    assert an["gemeente_name"] == "Enschede" and an["roles"] == ["member", "expert"]
    assert g.edges["p-an", "p-cas"]["context"] == "brug"
    with_orgs = member_network(small.snapshot(), _visible(small), organisations=True)
    assert with_orgs.nodes["org-wijk"]["kind"] == "organisatie"
    assert with_orgs.has_edge("p-eva", "org-wijk")


def test_ego_network_and_its_errors(small: LocalGraphStore) -> None:
    g = member_network(small.snapshot(), _visible(small))
    assert set(ego_network(g, "p-an", 1)) == {"p-an", "p-bo", "p-cas"}
    assert set(ego_network(g, "p-an", 2)) == {"p-an", "p-bo", "p-cas", "p-dirk"}
    with pytest.raises(ScopeError):
        ego_network(g, "p-geheim", 1)  # hidden: as unknown as a made-up id
    with pytest.raises(ScopeError):
        ego_network(g, "p-an", 4)


def test_brokers_between_onderwijs_and_jeugdhulp(small: LocalGraphStore) -> None:
    a = analyse(member_network(small.snapshot(), _visible(small)))
    # An (onderwijs) links Bo (onderwijs) to Cas (jeugdhulp): representative one way,
    # gatekeeper the other. Cas links An to Dirk (jeugdhulp) the same way round.
    assert a.roles["p-an"] == {"coordinator": 0, "gatekeeper": 1, "representative": 1,
                               "consultant": 0, "liaison": 0, "total": 2}
    assert a.roles["p-cas"]["gatekeeper"] == a.roles["p-cas"]["representative"] == 1
    assert a.roles["p-dirk"]["coordinator"] == 2  # Cas - Dirk - Eva, all jeugdhulp


def test_gap_matrix_counts_and_gaps(small: LocalGraphStore, gazetteer: Gazetteer) -> None:
    snap, shown = GapData.read(small), _visible(small)
    m = gap_matrix(snap, gazetteer, shown, level="provincie")
    assert m.cell("thuiszitters", "pv-overijssel")["experts"] == 1  # An
    assert m.cell("thuiszitters", "pv-drenthe")["experts"] == 0  # hidden expert not counted
    assert m.cell("thuiszitters", "pv-overijssel")["communities"] == 1  # through An
    assert m.is_gap("thuiszitters", "pv-drenthe", "experts")
    # A theme covers its narrower themes: An works on thuiszitters, part of verzuim.
    assert m.cell("verzuim", "pv-overijssel")["experts"] == 1
    gm = gap_matrix(snap, gazetteer, shown, level="gemeente",
                    within=gazetteer.find("Overijssel"))
    assert {p for p, _ in gm.places} == {g.id for g in gazetteer.gemeenten_of("Overijssel")}
    assert gm.cell("thuiszitters", "gm-enschede")["experts"] == 1
    assert gm.cell("thuiszitters", "gm-hengelo")["experts"] == 0
    regio = gap_matrix(snap, gazetteer, shown, level="regio")
    twente = gazetteer.find("Regio Twente")
    assert twente is not None and regio.cell("thuiszitters", twente.id)["experts"] == 1
    with pytest.raises(ScopeError):
        gap_matrix(snap, gazetteer, shown, level="wijk")


def test_practices_fill_the_places_they_share_a_gemeente_with(
        small: LocalGraphStore, gazetteer: Gazetteer) -> None:
    snap = small.snapshot()
    m = gap_matrix(GapData.read(small), gazetteer, _visible(small), level="provincie")
    for p in (n for n, d in snap.nodes(data=True) if d.get("label") == "Practice"):
        themes = [t for t, keys in snap.succ[p].items() if "ABOUT" in keys]
        regions = [r for r, keys in snap.succ[p].items() if "IN_REGION" in keys]
        if "nl" in regions or not themes or themes[0] not in dict(m.themes):
            continue
        provincies = {gazetteer.find(g.id).provincie for r in regions
                      for g in gazetteer.gemeenten_of(r)}
        for pv in provincies:
            assert m.cell(themes[0], pv)["practices"] >= 1


def test_nearest_lists_nearest_first_and_never_hidden(small: LocalGraphStore,
                                                      gazetteer: Gazetteer) -> None:
    found = nearest(GapData.read(small), gazetteer, _visible(small), "verzuim",
                    gazetteer.resolve("Emmen"), names={"p-an": "An", "p-cas": "Cas"})
    assert [r["id"] for r in found["experts"]] == ["p-an"]
    assert [r["id"] for r in found["members"]] == ["p-cas"]  # works on verzuim itself
    assert found["experts"][0]["km"] == pytest.approx(
        gazetteer.distance_km("Emmen", "Enschede"), abs=0.1)
    assert "p-geheim" not in json.dumps(found)
    kms = [r["km"] for r in found["practices"] if r["km"] is not None]
    assert kms == sorted(kms)
    assert found["communities"][0]["id"] == "com-cop-thuiszittersaanpak"


def test_exports_round_trip_with_metrics(small: LocalGraphStore, tmp_path: Path) -> None:
    g = member_network(small.snapshot(), _visible(small), organisations=True)
    a = analyse(g)
    flat = annotated(g, a)
    gexf = tmp_path / "kaart.gexf"
    gexf.write_bytes(render(flat, "gexf"))
    back = nx.read_gexf(gexf)
    assert set(back) == set(g)
    assert back.nodes["p-an"]["label"] == "An"
    assert back.nodes["p-an"]["roles"] == "expert;member"
    assert back.nodes["p-an"]["betweenness"] == pytest.approx(a.metrics["betweenness"]["p-an"])
    assert back.nodes["p-an"]["broker_representative"] == a.roles["p-an"]["representative"] > 0
    graphml = tmp_path / "kaart.graphml"
    graphml.write_bytes(render(flat, "graphml"))
    assert nx.read_graphml(graphml).nodes["p-cas"]["domain"] == "jeugdhulp"
    data = json.loads(render(flat, "json"))
    assert {n["id"] for n in data["nodes"]} == set(g)
    assert len(data["links"]) == g.number_of_edges()
    with pytest.raises(ValueError):
        render(flat, "pdf")


def test_pseudonymised_exports_hold_no_names(small: LocalGraphStore) -> None:
    g = member_network(small.snapshot(), _visible(small), organisations=True)
    key = b"sleutel"
    flat = annotated(g, analyse(g), pseudonymise_key=key)
    text = render(flat, "gexf").decode()
    for secret in ("An", "Bo", "Cas", "p-an", "org-school", "School Enschede"):
        assert f'"{secret}"' not in text
    assert set(flat) == {pseudonym(m, key) for m in ("p-an", "p-bo", "p-cas", "p-dirk", "p-eva")}
    assert set(annotated(g, pseudonymise_key=key)) == set(flat)  # stable
    assert set(annotated(g, pseudonymise_key=b"ander")) != set(flat)
    assert flat.number_of_edges() == 4
