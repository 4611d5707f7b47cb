"""The network projection: built from bulk reads, updated from change sets, equal to the
snapshot-based views it replaces."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import networkx as nx
import pytest

from schakel.graph.changes import ChangeSet
from schakel.graph.geo import Gazetteer
from schakel.graph.local import LocalGraphStore
from schakel.graph.lookup import Lookup
from schakel.graph.model import Activity, Member, Organisation, Relationship
from schakel.graph.network import ego_network, member_network
from schakel.graph.privacy import shows, visible
from schakel.graph.projection import Projection
from schakel.graph.query import Filters, region_scope
from schakel.matching import activities

R = Relationship.of
FIELDS = ("people", "out", "adj", "orgs", "places", "narrower", "met")


def same(a: Projection, b: Projection) -> None:
    for name in FIELDS:
        assert dict(getattr(a, name)) == dict(getattr(b, name)), name


def _member(store: LocalGraphStore, member_id: str, **changes: Any) -> Member:
    m = store.get(member_id)
    assert isinstance(m, Member)
    return m.model_copy(update=changes)


def _shown(store: LocalGraphStore) -> list[str]:
    props = store.props_of(store.ids("Member"))
    return sorted(i for i, p in props.items() if visible(p))


# Each case writes something and says what the write changed (as WriteResult.changes does).
Case = Callable[[LocalGraphStore, list[str]], ChangeSet]


def edit_name(store: LocalGraphStore, ids: list[str]) -> ChangeSet:
    store.write([_member(store, ids[0], name="Nieuwe Naam")])
    return ChangeSet.of(nodes={"Member": [ids[0]]})


def hide(store: LocalGraphStore, ids: list[str]) -> ChangeSet:
    store.write([_member(store, ids[1], visibility="staff")])
    return ChangeSet.of(nodes={"Member": [ids[1]]})


def private_fields(store: LocalGraphStore, ids: list[str]) -> ChangeSet:
    store.write([_member(store, ids[2], private_fields=["organisation", "themes"])])
    return ChangeSet.of(nodes={"Member": [ids[2]]})


def knows_added(store: LocalGraphStore, ids: list[str]) -> ChangeSet:
    rels = [R("KNOWS", ids[3], ids[40], context="brug"),
            R("KNOWS", ids[41], ids[3], context="regio")]
    store.write(relationships=rels)
    return ChangeSet.of(rels=[r.key for r in rels])


def knows_removed(store: LocalGraphStore, ids: list[str]) -> ChangeSet:
    key = next(r.key for r in store.relationships(type="KNOWS") if r.start in ids)
    store.delete_relationships([key])
    return ChangeSet.of(removed_rels=[key])


def themes_replaced(store: LocalGraphStore, ids: list[str]) -> ChangeSet:
    m = ids[4]
    old = store.relationships(m, "WORKS_ON")
    store.write(relationships=[R("WORKS_ON", m, "verzuim", level=3)], replace=[(m, "WORKS_ON")])
    return ChangeSet.of(rels=[(m, "WORKS_ON", "verzuim")], removed_rels=[r.key for r in old])


def moved(store: LocalGraphStore, ids: list[str]) -> ChangeSet:
    m = ids[5]
    old = store.relationships(m, "BASED_IN") + store.relationships(m, "WORKS_AT")
    org = store.ids("Organisation")[0]
    rels = [R("BASED_IN", m, "gm-emmen"), R("WORKS_AT", m, org), R("ACTIVE_IN", m, "zorg")]
    store.write(relationships=rels, replace=[(m, "BASED_IN"), (m, "WORKS_AT")])
    return ChangeSet.of(rels=[r.key for r in rels], removed_rels=[r.key for r in old])


def org_domain(store: LocalGraphStore, ids: list[str]) -> ChangeSet:
    org = store.neighbour_ids(ids[6], "WORKS_AT")[0]
    o = store.get(org)
    assert isinstance(o, Organisation)
    old = store.relationships(org, "IN_DOMAIN")
    store.write([o.model_copy(update={"name": "Andere Naam"})],
                [R("IN_DOMAIN", org, "jeugdhulp")], replace=[(org, "IN_DOMAIN")])
    return ChangeSet.of(nodes={"Organisation": [org]}, rels=[(org, "IN_DOMAIN", "jeugdhulp")],
                        removed_rels=[r.key for r in old])


def new_member(store: LocalGraphStore, ids: list[str]) -> ChangeSet:
    m = Member(id="m-nieuw", name="Nieuw Lid", roles=["member", "expert"])
    rels = [R("BASED_IN", m.id, "gm-assen"), R("WORKS_ON", m.id, "thuiszitters"),
            R("KNOWS", m.id, ids[7], context="collega"), R("ACTIVE_IN", m.id, "onderwijs")]
    store.write([m], rels)
    return ChangeSet.of(nodes={"Member": [m.id]}, rels=[r.key for r in rels])


def deleted(store: LocalGraphStore, ids: list[str]) -> ChangeSet:
    m = ids[8]
    gone = [r.key for r in store.relationships(m, direction="both")]
    store.delete([m])
    return ChangeSet.of(removed={"Member": [m]}, removed_rels=gone)


def broader(store: LocalGraphStore, ids: list[str]) -> ChangeSet:  # noqa: ARG001
    store.write(relationships=[R("BROADER", "zeven_adviezen", "verzuim")])
    return ChangeSet.of(rels=[("zeven_adviezen", "BROADER", "verzuim")])


def attended(store: LocalGraphStore, ids: list[str]) -> ChangeSet:
    """Staff record who came: "ontmoet bij" ties between the three (the write's own changes)."""
    act = Activity(id="act-p", title="Studiemiddag", starts="2027-01-14T13:30:00+01:00",
                   ends="2027-01-14T16:00:00+01:00")
    store.write([act])
    before = store.version
    activities.record_attendance(store, act.id, [ids[9], ids[10], ids[11]])
    since = getattr(store, "changes_since", None)
    return ChangeSet.merge(since(before))


def met_member_deleted(store: LocalGraphStore, ids: list[str]) -> ChangeSet:
    attended(store, ids)
    return deleted(store, [*ids[:8], ids[10]])


CASES = [edit_name, hide, private_fields, knows_added, knows_removed, themes_replaced, moved,
         org_domain, new_member, deleted, broader, attended, met_member_deleted]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.__name__)
def test_apply_equals_a_fresh_build(seeded_store: LocalGraphStore, case: Case) -> None:
    before = Projection.build(seeded_store)
    people = dict(before.people)
    written = case(seeded_store, _shown(seeded_store))
    after = before.apply(seeded_store, written, seq=before.seq + 1)
    fresh = Projection.build(seeded_store)
    same(after, fresh)
    assert dict(before.people) == people  # the old one is left as it was
    assert after.seq == before.seq + 1
    _from_the_feed(seeded_store, before, fresh)


def _from_the_feed(store: LocalGraphStore, before: Projection, fresh: Projection) -> None:
    """Where the store keeps a change feed, what it recorded brings the projection there too."""
    since = getattr(store, "changes_since", None)
    feed = since(before.seq) if since is not None else None
    if feed is not None:
        same(before.apply(store, feed), fresh)


def test_apply_of_several_change_sets(
        seeded_store: LocalGraphStore) -> None:
    before = Projection.build(seeded_store)
    ids = _shown(seeded_store)
    written = [case(seeded_store, ids) for case in (hide, knows_added, new_member, deleted)]
    fresh = Projection.build(seeded_store)
    same(before.apply(seeded_store, written), fresh)
    _from_the_feed(seeded_store, before, fresh)


def test_hidden_members_are_in_no_view(seeded_store: LocalGraphStore) -> None:
    ids = _shown(seeded_store)
    hide(seeded_store, ids)
    p = Projection.build(seeded_store)
    assert ids[1] not in p.people
    g = p.graph(seeded_store.ids("Member"))
    assert ids[1] not in g and all(ids[1] not in (u, v) for u, v in g.edges)
    assert ids[1] not in p.member_ids()


def _old_ids(store: LocalGraphStore, lookup: Lookup, theme: str | None = None,
             region: str | None = None, domain: str | None = None,
             role: str | None = None) -> list[str]:
    """What the service did before the projection (AppState.visible_member_ids)."""
    props = store.props_of(store.ids("Member"))
    shown = {i: p.get("roles", []) for i, p in props.items() if visible(p)}
    if theme or region or domain:
        ids = Filters(store, lookup).ids("Member", theme=theme, region=region, domain=domain)
    else:
        ids = sorted(shown)
    return [i for i in ids if i in shown and (role is None or role in shown[i])
            and not (theme and not shows(props[i], "themes"))]


def _edges(g: nx.Graph) -> dict[frozenset[str], dict[str, Any]]:
    return {frozenset((u, v)): d for u, v, d in g.edges(data=True)}


@pytest.mark.parametrize("scope", [
    {}, {"theme": "verzuim"}, {"theme": "verzuim", "region": "Noord-Holland"},
    {"region": "Regio Twente", "role": "expert"}, {"domain": "jeugdhulp"},
    {"domain": "onderwijs", "organisations": True}, {"ego": True, "depth": 2},
    {"ego": True, "depth": 1, "organisations": True},
])
def test_views_equal_the_snapshot_based_ones(seeded_store: LocalGraphStore,
                                              gazetteer: Gazetteer,
                                              scope: dict[str, Any]) -> None:
    lookup = Lookup(seeded_store, gazetteer)
    p = Projection.build(seeded_store)
    organisations = scope.pop("organisations", False)
    ego, depth = scope.pop("ego", None), scope.pop("depth", 1)
    old_ids = _old_ids(seeded_store, lookup, **scope)
    themes = p.theme_scope(scope["theme"]) if "theme" in scope else None
    place = gazetteer.find(scope["region"]) if "region" in scope else None
    places = region_scope(gazetteer, place) if place else None
    ids = p.member_ids(themes=themes, places=places, domain=scope.get("domain"),
                       role=scope.get("role"))
    assert ids == old_ids and ids
    base = member_network(seeded_store.snapshot(), _old_ids(seeded_store, lookup),
                          organisations=organisations)
    keep = set(old_ids)
    if organisations:
        keep |= {base.nodes[m]["organisation"] for m in old_ids if base.nodes[m]["organisation"]}
    old = base.subgraph(keep)
    only = None
    if ego:
        hub = max(old_ids, key=lambda m: (len(p.adj.get(m, {})), m))
        old = ego_network(old, hub, depth)
        only = p.reach(ids, hub, depth, organisations=organisations)
    new = p.graph(ids, organisations=organisations, only=only)
    assert set(new) == set(old)
    assert {v: new.nodes[v] for v in new} == {v: old.nodes[v] for v in old}
    assert _edges(new) == _edges(old)


def test_met_at_ties_are_weak_edges_a_filter_leaves_out(seeded_store: LocalGraphStore) -> None:
    ids = _shown(seeded_store)
    strangers = next((a, b) for a in ids[20:] for b in ids[20:]
                     if a < b and b not in Projection.build(seeded_store).adj.get(a, {}))
    before = Projection.build(seeded_store)
    written = attended(seeded_store, [*ids[:9], *strangers, ids[1]])
    p = before.apply(seeded_store, written)
    a, b = strangers
    g = p.graph(ids)
    assert g.edges[a, b] == {"context": "ontmoet bij", "weak": True}
    assert not p.graph(ids, met=False).has_edge(a, b)
    assert p.count_edges(ids) == g.number_of_edges() > p.count_edges(ids, met=False) == \
        p.graph(ids, met=False).number_of_edges()
    assert b in p.reach(ids, a, 1) and b not in p.reach(ids, a, 1, met=False)
    assert not p.graph([x for x in ids if x != b]).has_edge(a, b)  # only both visible


def test_a_tie_written_both_ways_keeps_the_later_ids_word(tmp_path: Any) -> None:
    """Both ends wrote KNOWS with their own context: the higher id's wins, in a full read
    and after a change alike (as when the edges were added in id order to a graph)."""
    with LocalGraphStore(tmp_path / "g.sqlite") as store:
        store.write([Member(id=f"m-{i}", name=f"Lid {i}") for i in range(4)],
                    [Relationship.of("KNOWS", "m-0", "m-1", context="brug"),
                     Relationship.of("KNOWS", "m-1", "m-0", context="regio"),
                     Relationship.of("KNOWS", "m-3", "m-2", context="collega"),
                     Relationship.of("KNOWS", "m-2", "m-3", context="anders")])
        built = Projection.build(store)
        assert built.adj["m-0"]["m-1"] == built.adj["m-1"]["m-0"] == "regio"
        assert built.adj["m-2"]["m-3"] == built.adj["m-3"]["m-2"] == "collega"
        store.delete_relationships([("m-1", "KNOWS", "m-0")])
        after = built.apply(store, ChangeSet.of(removed_rels=[("m-1", "KNOWS", "m-0")]))
        assert after.adj["m-0"]["m-1"] == "brug"
        same(after, Projection.build(store))


def test_equal_rows_share_their_tuples_in_a_build_and_a_kept_file(
        seeded_store: LocalGraphStore, tmp_path: Path) -> None:
    """Members with the same roles, domains or themes hold one tuple (or set) between them,
    read from the store or from the file the service keeps; the rows stay equal."""
    from schakel.graph import projection_file

    built = Projection.build(seeded_store)
    path = tmp_path / "netwerkprojectie.bin"
    assert projection_file.save(built, path, seeded_store)
    loaded = projection_file.load(path, seeded_store)
    assert loaded is not None and dict(loaded.people) == dict(built.people)
    for proj in (built, loaded):
        rows = list(proj.people.values())
        for name in ("roles", "active_in", "based_in", "themes"):
            values = [getattr(p, name) for p in rows]
            assert len({id(v) for v in values}) == len(set(values)), name
        assert len({p.roles for p in rows}) < len(rows)  # so some are shared
