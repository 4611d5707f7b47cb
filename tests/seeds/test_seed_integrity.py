"""Seeded data hangs together: every reference resolves, generation is deterministic and
has the structure of a real professional network."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import networkx as nx
import pytest

from schakel.graph.geo import Gazetteer
from schakel.graph.local import LocalGraphStore
from schakel.graph.model import Organisation, Region, Theme
from schakel.seeds.members import generate_members
from schakel.seeds.reference import reference_data


@pytest.fixture(scope="module")
def seeded(seeded_file: Path) -> LocalGraphStore:
    store = LocalGraphStore(seeded_file)
    yield store
    store.close()


def test_reference_data_resolves(gazetteer: Gazetteer) -> None:
    ref = reference_data(gazetteer)
    ids = {n.id for n in ref.nodes}
    assert len(ids) == len(ref.nodes), "node ids must be unique"
    dangling = [r for r in ref.relationships if r.start not in ids or r.end not in ids]
    assert dangling == []


def test_every_practice_has_a_region_and_a_theme(seeded: LocalGraphStore) -> None:
    practices = seeded.ids("Practice")
    assert len(practices) >= 40
    for practice in practices:
        assert seeded.neighbour_ids(practice, "IN_REGION"), practice
        assert seeded.neighbour_ids(practice, "ABOUT"), practice


def test_every_member_resolves(seeded: LocalGraphStore) -> None:
    members = seeded.ids("Member")
    assert len(members) == 300
    for member_id in members:
        places = seeded.get_many(seeded.neighbour_ids(member_id, "BASED_IN"))
        assert len(places) == 1 and isinstance(places[0], Region)
        assert places[0].kind == "gemeente"
        assert places[0].provincie in seeded.neighbour_ids(places[0].id, "PART_OF")
        themes = seeded.get_many(seeded.neighbour_ids(member_id, "WORKS_ON"))
        assert 2 <= len(themes) <= 5
        assert all(isinstance(t, Theme) and t.assignable for t in themes)
        orgs = seeded.get_many(seeded.neighbour_ids(member_id, "WORKS_AT"))
        assert len(orgs) == 1 and isinstance(orgs[0], Organisation)
        assert seeded.neighbour_ids(member_id, "ACTIVE_IN")


def test_members_live_where_their_organisation_is(seeded: LocalGraphStore) -> None:
    checked = 0
    for member_id in seeded.ids("Member"):
        org = seeded.neighbour_ids(member_id, "WORKS_AT")[0]
        org_places = seeded.get_many(seeded.neighbour_ids(org, "BASED_IN"))
        if org_places and isinstance(org_places[0], Region) and org_places[0].kind == "gemeente":
            assert seeded.neighbour_ids(member_id, "BASED_IN") == [org_places[0].id]
            checked += 1
    assert checked > 200


def test_counts_per_label(seeded: LocalGraphStore) -> None:
    counts = seeded.counts()["nodes"]
    assert counts["Domain"] == 8
    assert counts["Theme"] >= 66
    assert counts["Region"] > 340
    assert counts["Practice"] >= 40
    assert counts["Community"] >= 10
    assert counts["Organisation"] > 70


def test_generation_is_deterministic(gazetteer: Gazetteer) -> None:
    a = generate_members(150, seed=3, gazetteer=gazetteer)
    b = generate_members(150, seed=3, gazetteer=gazetteer)
    c = generate_members(150, seed=4, gazetteer=gazetteer)
    assert a.nodes == b.nodes and a.relationships == b.relationships
    assert [m.name for m in a.members] != [m.name for m in c.members]
    assert len(a.members) == 150
    with pytest.raises(ValueError):
        generate_members(100_001)


def test_generated_members_look_real(gazetteer: Gazetteer) -> None:
    gen = generate_members(1000, seed=11, gazetteer=gazetteer)
    members = gen.members
    profiles = [m.profile for m in members]
    assert len(set(profiles)) > 0.95 * len(profiles), "profile texts must differ"
    assert not any("{" in p or "}" in p for p in profiles), "unfilled template"
    roles = Counter(r for m in members for r in m.roles)
    assert roles["member"] == 1000
    for role in ("expert", "ambassador", "verbinder", "ervaringsdeskundige"):
        assert 0 < roles[role] < 500, role
    assert {m.visibility for m in members} == {"members", "staff", "none"}
    functions = Counter(m.function for m in members)
    assert len(functions) >= 20

    knows = [r for r in gen.relationships if r.type == "KNOWS"]
    contexts = Counter(r.props["context"] for r in knows)
    assert min(contexts["collega"], contexts["regio"]) > contexts["brug"] > 0
    assert contexts["community"] > 0
    assert contexts["brug"] < 0.15 * len(knows), "bridges between domains are rare"
    assert all(r.start != r.end for r in knows)
    pairs = {frozenset((r.start, r.end)) for r in knows}
    assert len(pairs) == len(knows), "no duplicate KNOWS"

    # One network, not islands: nearly everyone is reachable from everyone.
    graph = nx.Graph()
    graph.add_nodes_from(m.id for m in members)
    graph.add_edges_from((r.start, r.end) for r in knows)
    assert len(max(nx.connected_components(graph), key=len)) > 0.8 * len(members)

    domain_of = {r.start: r.end for r in gen.relationships if r.type == "ACTIVE_IN"}
    works_at = {r.start: r.end for r in gen.relationships if r.type == "WORKS_AT"}
    colleagues = [r for r in knows if r.props["context"] == "collega"]
    assert all(works_at[r.start] == works_at[r.end] for r in colleagues)
    bridges = [r for r in knows if r.props["context"] == "brug"]
    assert sum(domain_of[r.start] != domain_of[r.end] for r in bridges) > 0.8 * len(bridges)


def test_needs_are_themes_the_member_does_not_work_on(gazetteer: Gazetteer) -> None:
    gen = generate_members(1000, seed=11, gazetteer=gazetteer)
    works_on: dict[str, set[str]] = {}
    for r in gen.relationships:
        if r.type == "WORKS_ON":
            works_on.setdefault(r.start, set()).add(r.end)
    assert 0.5 < len(gen.seeks) / len(gen.members) < 0.7, "about 60 % name a need"
    names = {t.id: t.name for t in reference_data(gazetteer).nodes if isinstance(t, Theme)}
    profiles = {m.id: m.profile.lower() for m in gen.members}
    for member_id, seeks in gen.seeks.items():
        assert 1 <= len(seeks) <= 2 and len(set(seeks)) == len(seeks)
        assert not set(seeks) & works_on[member_id], member_id
        for theme in seeks:  # the profile says it, in the theme's own name
            assert names[theme].lower() in profiles[member_id], (member_id, theme)
    sought = Counter(t for seeks in gen.seeks.values() for t in seeks)
    offered = Counter(r.end for r in gen.relationships if r.type == "WORKS_ON")
    assert sought["privacy_avg"] > 2 * offered["privacy_avg"], "some themes are mostly sought"
    assert sought["inclusief_ouders"] < offered["inclusief_ouders"] / 5


def test_profiles_never_name_a_private_organisation_or_function(gazetteer: Gazetteer) -> None:
    ref = reference_data(gazetteer)
    gen = generate_members(2000, seed=3, gazetteer=gazetteer,
                           organisations=[n for n in ref.nodes if isinstance(n, Organisation)])
    org_name = {n.id: n.name for n in [*ref.nodes, *gen.nodes] if isinstance(n, Organisation)}
    works_at = {r.start: r.end for r in gen.relationships if r.type == "WORKS_AT"}
    private = {"function": 0, "organisation": 0}
    for m in gen.members:
        text = m.profile.lower()
        assert org_name[works_at[m.id]].lower() not in text, m.id
        if "function" in m.private_fields:
            assert m.function.lower() not in text, m.id
            private["function"] += 1
        if "organisation" in m.private_fields:
            private["organisation"] += 1
    assert min(private.values()) > 20, "the check saw members with private fields"
    shown = [m for m in gen.members if "function" not in m.private_fields]
    assert sum(m.function.lower() in m.profile.lower() for m in shown) > 0.9 * len(shown)


def test_members_cluster_in_the_networks_regions(gazetteer: Gazetteer) -> None:
    gen = generate_members(2000, seed=5, gazetteer=gazetteer)
    based = Counter(r.end for r in gen.relationships
                    if r.type == "BASED_IN" and r.start.startswith("m-"))
    assert based["gm-amsterdam"] > based.get("gm-vaals", 0)
    assert len(based) > 150, "members spread over many gemeenten"
