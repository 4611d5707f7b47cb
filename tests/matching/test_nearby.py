"""Nearby search (matching/nearby.py), checked against an independent reading of the graph."""

from __future__ import annotations

from typing import Any

import networkx as nx
import pytest

from schakel.errors import InvalidQueryError, UnknownReferenceError
from schakel.graph.geo import Gazetteer
from schakel.graph.local import LocalGraphStore
from schakel.graph.lookup import Lookup
from schakel.graph.model import Member, Relationship
from schakel.matching.nearby import MAX_LIMIT, Nearby, NearbyHit, NearbyQuery

# Members written into a private copy of the seeded store: Twente, one just outside it, and
# members nobody else (or only staff) may see.
PLANTED = {
    "x-enschede": ("Enschede", "members", True),
    "x-hengelo": ("Hengelo", "members", True),
    "x-almelo": ("Almelo", "members", False),  # no consent to matching: still findable here
    "x-zwolle": ("Zwolle", "members", True),
    "x-staff": ("Enschede", "staff", True),
    "x-none": ("Hengelo", "none", True),
}


@pytest.fixture
def planted(seeded_store: LocalGraphStore, gazetteer: Gazetteer) -> LocalGraphStore:
    nodes, rels = [], []
    for mid, (town, visibility, consent) in PLANTED.items():
        nodes.append(Member(id=mid, name=f"Test {mid}", function="leerplichtambtenaar",
                            visibility=visibility, consent_matching=consent))
        rels += [Relationship.of("BASED_IN", mid, gazetteer.resolve(town).id),
                 Relationship.of("WORKS_ON", mid, "thuiszitters", level=3),
                 Relationship.of("ACTIVE_IN", mid, "gemeente-overheid")]
    seeded_store.write(nodes, rels)
    return seeded_store


def nearby(store: LocalGraphStore, gazetteer: Gazetteer) -> Nearby:
    return Nearby(store, Lookup(store, gazetteer))


def everything(nb: Nearby, query: NearbyQuery, **kw: Any) -> list[NearbyHit]:
    """All hits, page by page."""
    hits: list[NearbyHit] = []
    offset = 0
    while True:
        page = nb.search(NearbyQuery(**{**query.__dict__, "offset": offset,
                                        "limit": MAX_LIMIT}), **kw)
        hits += page.hits
        offset += MAX_LIMIT
        if offset >= page.count:
            assert len(hits) == page.count
            return hits


# -- an independent reading of the graph (networkx snapshot + gazetteer) ---------------------

def themes_under(g: nx.MultiDiGraph, theme: str) -> set[str]:
    """The theme and everything narrower, following BROADER edges backwards."""
    found, todo = {theme}, [theme]
    while todo:
        t = todo.pop()
        for child, _, kind in g.in_edges(t, keys=True):
            if kind == "BROADER" and child not in found:
                found.add(child)
                todo.append(child)
    return found


def members_of(g: nx.MultiDiGraph, viewer: str = "member",
               on_subject: bool = False) -> dict[str, dict[str, Any]]:
    """Members ``viewer`` may see: id -> {gemeente, themes, domains}. ``on_subject``: a
    search by theme or text, which members who keep their themes private never turn up in."""
    out = {}
    for node, data in g.nodes(data=True):
        if data.get("label") != "Member":
            continue
        vis = data.get("visibility", "members")
        if vis == "none" or (vis == "staff" and viewer != "staff"):
            continue
        if on_subject and viewer != "staff" and "themes" in data.get("private_fields", []):
            continue
        row: dict[str, Any] = {"gemeente": None, "themes": set(), "domains": set()}
        for _, end, kind in g.out_edges(node, keys=True):  # the key is the type
            if kind == "BASED_IN":
                row["gemeente"] = end
            elif kind == "WORKS_ON":
                row["themes"].add(end)
            elif kind == "ACTIVE_IN":
                row["domains"].add(end)
        out[node] = row
    return out


def test_snapshot_has_what_the_oracle_reads(seeded_graph: nx.MultiDiGraph) -> None:
    # Guards the oracle itself: if the snapshot stopped carrying labels or edge types,
    # every comparison below would pass vacuously.
    rows = members_of(seeded_graph)
    assert len(rows) > 200
    assert sum(1 for r in rows.values() if r["gemeente"] and r["themes"]) > 200
    assert {"thuiszitters", "verzuim"} <= themes_under(seeded_graph, "verzuim")


# -- region hierarchy and radius ------------------------------------------------------------

@pytest.mark.parametrize("region", ["Regio Twente", "Gelderland", "Zuid-Holland"])
def test_a_region_covers_exactly_its_gemeenten(seeded_store: LocalGraphStore,
                                               seeded_graph: nx.MultiDiGraph,
                                               gazetteer: Gazetteer, region: str) -> None:
    place = gazetteer.resolve(region)
    inside = {g.id for g in gazetteer.gemeenten_of(place)}
    expected = {m for m, row in members_of(seeded_graph).items() if row["gemeente"] in inside}
    hits = everything(nearby(seeded_store, gazetteer), NearbyQuery(near=region))
    assert {h.id for h in hits} == expected
    assert expected or region == "Regio Twente"
    names = {g.name for g in gazetteer.gemeenten_of(place)}
    assert all(h.gemeente in names and h.distance_km == 0 for h in hits)


def test_planted_twente_members(planted: LocalGraphStore, gazetteer: Gazetteer) -> None:
    hits = everything(nearby(planted, gazetteer),
                      NearbyQuery(near="Twente", theme="thuiszitters"))
    ids = {h.id for h in hits}
    assert {"x-enschede", "x-hengelo", "x-almelo"} <= ids
    assert not ids & {"x-zwolle", "x-staff", "x-none"}


@pytest.mark.parametrize(("near", "radius", "theme"), [
    ("Utrecht", 25, "verzuim"), ("Amsterdam", 40, None), ("Regio Twente", 30, None),
    ("Groningen", 60, "autisme")])
def test_radius_is_exact(seeded_store: LocalGraphStore, seeded_graph: nx.MultiDiGraph,
                         gazetteer: Gazetteer, near: str, radius: float,
                         theme: str | None) -> None:
    place = gazetteer.resolve(near)
    centres = gazetteer.gemeenten_of(place)
    scope = themes_under(seeded_graph, theme) if theme else None

    def km(gemeente: str) -> float:
        return min(gazetteer.distance_km(gemeente, c) for c in centres)

    expected = {m for m, row in members_of(seeded_graph, on_subject=bool(theme)).items()
                if row["gemeente"] and km(row["gemeente"]) <= radius
                and (scope is None or row["themes"] & scope)}
    hits = everything(nearby(seeded_store, gazetteer),
                      NearbyQuery(near=near, radius_km=radius, theme=theme))
    assert {h.id for h in hits} == expected and expected
    for h in hits:
        gemeente = gazetteer.resolve(h.gemeente or "")
        assert gemeente.kind == "gemeente"
        assert h.distance_km == round(km(gemeente.id))
        assert km(gemeente.id) <= radius


def test_radius_includes_neighbours_outside_the_gemeente(planted: LocalGraphStore,
                                                         gazetteer: Gazetteer) -> None:
    nb = nearby(planted, gazetteer)
    alone = {h.id for h in everything(nb, NearbyQuery(near="Hengelo", theme="thuiszitters"))}
    assert "x-hengelo" in alone and "x-enschede" not in alone
    d = gazetteer.distance_km("Hengelo", "Enschede")
    wide = {h.id for h in everything(nb, NearbyQuery(near="Hengelo", radius_km=d + 0.5,
                                                     theme="thuiszitters"))}
    narrow = {h.id for h in everything(nb, NearbyQuery(near="Hengelo", radius_km=d - 0.5,
                                                       theme="thuiszitters"))}
    assert "x-enschede" in wide and "x-enschede" not in narrow


# -- ranking and reasons --------------------------------------------------------------------

def test_sorted_by_relevance_then_distance(seeded_store: LocalGraphStore,
                                           gazetteer: Gazetteer) -> None:
    hits = everything(nearby(seeded_store, gazetteer),
                      NearbyQuery(near="Utrecht", radius_km=80, theme="verzuim"))
    keys = [(-h.score, h.distance_km) for h in hits]
    assert keys == sorted(keys)
    assert len({h.score for h in hits}) > 1  # a narrower theme or a lower level ranks lower
    assert len({h.distance_km for h in hits}) > 1


def test_theme_strength_orders_results(planted: LocalGraphStore,
                                       gazetteer: Gazetteer) -> None:
    planted.write([], [Relationship.of("WORKS_ON", "x-hengelo", "thuiszitters", level=1)])
    hits = nearby(planted, gazetteer).search(
        NearbyQuery(near="Regio Twente", theme="thuiszitters", limit=50)).hits
    score = {h.id: h.score for h in hits}
    assert score["x-enschede"] == pytest.approx(1.0)
    assert score["x-hengelo"] == pytest.approx(1 / 3, abs=1e-3)
    by_broader = {h.id: h.score for h in nearby(planted, gazetteer).search(
        NearbyQuery(near="Regio Twente", theme="verzuim", limit=50)).hits}
    assert by_broader["x-enschede"] == pytest.approx(0.8)  # narrower theme: counts less


def test_reasons_name_theme_distance_and_region(planted: LocalGraphStore,
                                                gazetteer: Gazetteer) -> None:
    result = nearby(planted, gazetteer).search(
        NearbyQuery(near="Hengelo", radius_km=20, theme="thuiszitters", limit=50))
    hit = {h.id: h for h in result.hits}
    km = round(gazetteer.distance_km("Hengelo", "Enschede"))
    assert hit["x-enschede"].reasons == ["werkt aan thuiszitters", f"{km} km", "Regio Twente"]
    assert hit["x-enschede"].gemeente == "Enschede" and hit["x-enschede"].distance_km == km
    assert hit["x-hengelo"].reasons == ["werkt aan thuiszitters", "in Hengelo", "Regio Twente"]
    assert hit["x-enschede"].function == "leerplichtambtenaar"


def test_narrower_themes_count(planted: LocalGraphStore, seeded_graph: nx.MultiDiGraph,
                               gazetteer: Gazetteer) -> None:
    planted.write([], [Relationship.of("WORKS_ON", "x-almelo", "verzuim", level=1)])
    nb = nearby(planted, gazetteer)
    broad = {h.id: h for h in everything(nb, NearbyQuery(theme="verzuim"))}
    # The planted members work on "thuiszitters", which is narrower than "verzuim".
    assert {"x-enschede", "x-hengelo", "x-almelo", "x-zwolle"} <= set(broad)
    assert broad["x-zwolle"].reasons[0] == "werkt aan thuiszitters"
    # the asked theme is named first, even at a lower level
    assert broad["x-almelo"].reasons[0] == ("werkt aan schoolverzuim en schoolaanwezigheid, "
                                            "thuiszitters")
    scope = themes_under(seeded_graph, "verzuim")
    expected = {m for m, row in members_of(seeded_graph, on_subject=True).items()
                if row["themes"] & scope}
    assert expected | {"x-enschede", "x-hengelo", "x-almelo", "x-zwolle"} == set(broad)


def test_domain_and_role_filters(seeded_store: LocalGraphStore, seeded_graph: nx.MultiDiGraph,
                                 gazetteer: Gazetteer) -> None:
    nb = nearby(seeded_store, gazetteer)
    hits = everything(nb, NearbyQuery(near="Noord-Brabant", domain="Onderwijs"))
    rows = members_of(seeded_graph)
    inside = {g.id for g in gazetteer.gemeenten_of("Noord-Brabant")}
    assert {h.id for h in hits} == {m for m, r in rows.items()
                                    if r["gemeente"] in inside and "onderwijs" in r["domains"]}
    experts = everything(nb, NearbyQuery(role="expert"))
    assert experts and all("expert" in h.roles for h in experts)


# -- who is shown ---------------------------------------------------------------------------

def test_hidden_members_never_shown_to_members(planted: LocalGraphStore,
                                               seeded_graph: nx.MultiDiGraph,
                                               gazetteer: Gazetteer) -> None:
    nb = nearby(planted, gazetteer)
    hidden = {n for n, d in seeded_graph.nodes(data=True)
              if d.get("label") == "Member" and d.get("visibility") in ("staff", "none")}
    assert hidden
    seen: set[str] = set()
    for provincie in gazetteer.places("provincie"):
        seen |= {h.id for h in everything(nb, NearbyQuery(near=provincie.id))}
    assert len(seen) > 200
    assert not seen & (hidden | {"x-staff", "x-none"})
    staff = {h.id for h in everything(nb, NearbyQuery(near="Twente"), viewer="staff")}
    assert "x-staff" in staff and "x-none" not in staff


def test_private_themes_and_function(planted: LocalGraphStore, gazetteer: Gazetteer) -> None:
    planted.upsert_nodes([
        Member(id="x-enschede", name="Test x-enschede", function="leerplichtambtenaar",
               private_fields=["themes"]),
        Member(id="x-hengelo", name="Test x-hengelo", function="leerplichtambtenaar",
               private_fields=["function"])])
    nb = nearby(planted, gazetteer)
    by_theme = {h.id: h for h in everything(nb, NearbyQuery(near="Twente",
                                                            theme="thuiszitters"))}
    assert "x-enschede" not in by_theme  # its themes are its own business
    assert by_theme["x-hengelo"].function is None
    by_place = {h.id: h for h in everything(nb, NearbyQuery(near="Twente"))}
    assert "x-enschede" in by_place
    assert not any("thuiszitters" in r for r in by_place["x-enschede"].reasons)
    staff = {h.id: h for h in everything(nb, NearbyQuery(near="Twente", theme="thuiszitters"),
                                         viewer="staff")}
    assert "x-enschede" in staff and staff["x-hengelo"].function == "leerplichtambtenaar"


# -- "mijn gemeente" ------------------------------------------------------------------------

def test_my_gemeente(planted: LocalGraphStore, gazetteer: Gazetteer) -> None:
    nb = nearby(planted, gazetteer)
    result = nb.search(NearbyQuery(near="Mijn gemeente", radius_km=20, theme="thuiszitters"),
                       asker="x-hengelo")
    assert result.place is not None and result.place.name == "Hengelo"
    ids = [h.id for h in result.hits]
    assert "x-enschede" in ids and "x-hengelo" not in ids  # never yourself


@pytest.mark.parametrize("asker", [None, "m-does-not-exist"])
def test_my_gemeente_needs_a_member_with_a_gemeente(planted: LocalGraphStore,
                                                    gazetteer: Gazetteer,
                                                    asker: str | None) -> None:
    with pytest.raises(InvalidQueryError) as err:
        nearby(planted, gazetteer).search(NearbyQuery(near="mijn gemeente"), asker=asker)
    assert err.value.field == "near"


# -- bad input ------------------------------------------------------------------------------

@pytest.mark.parametrize(("query", "error", "field"), [
    (NearbyQuery(), InvalidQueryError, "q"),
    (NearbyQuery(text="  "), InvalidQueryError, "q"),
    (NearbyQuery(text="ab"), InvalidQueryError, "q"),
    (NearbyQuery(theme="verzuim", radius_km=10), InvalidQueryError, "radius_km"),
    (NearbyQuery(near="Utrecht", radius_km=0), InvalidQueryError, "radius_km"),
    (NearbyQuery(near="Utrecht", radius_km=401), InvalidQueryError, "radius_km"),
    (NearbyQuery(near="Utrecht", limit=0), InvalidQueryError, "limit"),
    (NearbyQuery(near="Utrecht", limit=51), InvalidQueryError, "limit"),
    (NearbyQuery(near="Utrecht", offset=-1), InvalidQueryError, "offset"),
    (NearbyQuery(near="Atlantis"), UnknownReferenceError, "near"),
    (NearbyQuery(near="Nederland"), UnknownReferenceError, "near"),
    (NearbyQuery(theme="ruimtevaart"), UnknownReferenceError, "theme"),
    (NearbyQuery(domain="ruimtevaart"), UnknownReferenceError, "domain"),
    (NearbyQuery(role="astronaut"), UnknownReferenceError, "role"),
])
def test_bad_input_names_the_field(seeded_store: LocalGraphStore, gazetteer: Gazetteer,
                                   query: NearbyQuery, error: type[Exception],
                                   field: str) -> None:
    with pytest.raises(error) as err:
        nearby(seeded_store, gazetteer).search(query)
    assert err.value.field == field  # type: ignore[attr-defined]


# -- free text (the matcher) ----------------------------------------------------------------

@pytest.mark.slow
def test_text_search_ranks_by_the_matcher_and_keeps_filters(
        seeded_store: LocalGraphStore, seeded_graph: nx.MultiDiGraph, gazetteer: Gazetteer,
        matcher: Any) -> None:
    nb = nearby(seeded_store, gazetteer)
    result = nb.search(NearbyQuery(text="autisme in de klas", near="Zuid-Holland", limit=50),
                       relevance=matcher.relevance)
    assert result.hits and result.count <= len(members_of(seeded_graph))
    inside = {g.name for g in gazetteer.gemeenten_of("Zuid-Holland")}
    assert all(h.gemeente in inside for h in result.hits)
    keys = [(-h.score, h.distance_km) for h in result.hits]
    assert keys == sorted(keys)
    top = result.hits[0]
    assert top.reasons[0].startswith("werkt aan ") and "autisme" in top.reasons[0]
    filtered = nb.search(NearbyQuery(text="autisme in de klas", theme="verzuim", limit=50),
                         relevance=matcher.relevance)
    scope = themes_under(seeded_graph, "verzuim")
    rows = members_of(seeded_graph, on_subject=True)
    assert all(rows[h.id]["themes"] & scope for h in filtered.hits)


@pytest.mark.slow
def test_text_search_uses_visibility_not_consent(seeded_store: LocalGraphStore,
                                                 seeded_graph: nx.MultiDiGraph,
                                                 gazetteer: Gazetteer, matcher: Any) -> None:
    rows = members_of(seeded_graph, on_subject=True)
    refused = [m for m in sorted(rows) if seeded_graph.nodes[m].get("consent_matching") is False
               and rows[m]["gemeente"] and rows[m]["themes"]]
    assert refused, "the seed should hold a visible member without consent to matching"
    target = refused[0]
    theme = seeded_graph.nodes[sorted(rows[target]["themes"])[0]]["name"]
    hits = everything(nearby(seeded_store, gazetteer),
                      NearbyQuery(text=theme, near=rows[target]["gemeente"]),
                      relevance=matcher.relevance)
    assert target in {h.id for h in hits}
    hidden = {n for n, d in seeded_graph.nodes(data=True)
              if d.get("label") == "Member" and (d.get("visibility") != "members"
                                                 or "themes" in d.get("private_fields", []))}
    everyone = everything(nearby(seeded_store, gazetteer), NearbyQuery(text="thuiszitters"),
                          relevance=matcher.relevance)
    assert everyone and not {h.id for h in everyone} & hidden


@pytest.mark.slow
def test_text_without_a_fit_finds_nobody(seeded_store: LocalGraphStore, gazetteer: Gazetteer,
                                         matcher: Any) -> None:
    result = nearby(seeded_store, gazetteer).search(
        NearbyQuery(text="qwxz vlmpt grbnk"), relevance=matcher.relevance)
    assert result.count == 0 and result.hits == []


# -- following writes -------------------------------------------------------------------------

FOLLOW_QUERIES = [NearbyQuery(near="Regio Twente"), NearbyQuery(theme="thuiszitters"),
                  NearbyQuery(near="Zwolle", radius_km=40, theme="verzuim"),
                  NearbyQuery(domain="zorg", role="expert"),
                  NearbyQuery(near="Overijssel", domain="onderwijs")]


def _writes(store: LocalGraphStore) -> list[Any]:
    """One write of each kind nearby search reads, as functions of the store."""
    def member(mid: str, **update: Any) -> Member:
        node = store.require(mid)
        assert isinstance(node, Member)
        return node.model_copy(update=update)

    return [
        lambda: store.write([member("m-000002", name="Andere Naam", function="IB'er")]),
        lambda: store.write(relationships=[Relationship.of("WORKS_ON", "m-000005",
                                                           "thuiszitters", level=1)],
                            replace=[("m-000005", "WORKS_ON")]),
        lambda: store.write(relationships=[Relationship.of("BASED_IN", "m-000006",
                                                           "gm-enschede")],
                            replace=[("m-000006", "BASED_IN")]),
        lambda: store.write([member("m-000008", visibility="none"),
                             member("m-000009", private_fields=["themes", "function"])]),
        lambda: store.delete(["m-000010"]),
        lambda: store.write([Member(id="x-new", name="Nieuw", roles=["member", "expert"])],
                            [Relationship.of("BASED_IN", "x-new", "gm-hengelo"),
                             Relationship.of("WORKS_ON", "x-new", "verzuim", level=3),
                             Relationship.of("ACTIVE_IN", "x-new", "zorg")]),
    ]


def test_apply_equals_a_fresh_build(planted: LocalGraphStore, gazetteer: Gazetteer) -> None:
    from schakel.graph.changes import ChangeSet

    first = followed = nearby(planted, gazetteer)
    before = {q: everything(first, q, viewer="staff") for q in FOLLOW_QUERIES}
    for write in _writes(planted):
        seq = planted.version
        write()
        feed = planted.changes_since(seq)
        assert feed
        old = followed
        followed = followed.apply(planted, ChangeSet.merge(feed))
        fresh = nearby(planted, gazetteer)
        for q in FOLLOW_QUERIES:
            for viewer in ("member", "staff"):
                assert everything(followed, q, viewer=viewer) == \
                    everything(fresh, q, viewer=viewer), (q, viewer)
        assert followed is not old
    # the first version still answers as before: nothing was changed in place
    assert all(before[q] == everything(first, q, viewer="staff") for q in FOLLOW_QUERIES)
    assert any(before[q] != everything(followed, q, viewer="staff") for q in FOLLOW_QUERIES)


def test_apply_ignores_what_it_does_not_read(planted: LocalGraphStore,
                                             gazetteer: Gazetteer) -> None:
    from schakel.graph.changes import ChangeSet

    nb = nearby(planted, gazetteer)
    seq = planted.version
    planted.write(relationships=[Relationship.of("KNOWS", "m-000001", "m-000002")])
    feed = planted.changes_since(seq)
    assert feed and nb.apply(planted, ChangeSet.merge(feed)) is nb


def test_lookup_follows_names(seeded_store: LocalGraphStore, gazetteer: Gazetteer) -> None:
    from schakel.graph.changes import ChangeSet
    from schakel.graph.model import Organisation, Theme

    lookup = Lookup(seeded_store, gazetteer)
    seq = seeded_store.version
    theme = seeded_store.require("autisme")
    assert isinstance(theme, Theme)
    orgs = seeded_store.ids("Organisation")
    seeded_store.write([theme.model_copy(update={"name": "Spectrum", "synonyms": ["ASS"]}),
                        Organisation(id="org-zz", name="Stichting Nieuw", abbreviation="SN")])
    seeded_store.delete([orgs[0]])
    feed = seeded_store.changes_since(seq)
    assert feed
    followed = lookup.apply(seeded_store, ChangeSet.merge(feed))
    fresh = Lookup(seeded_store, gazetteer)
    for label in ("Theme", "Domain", "Organisation"):
        assert followed._names[label].winner == fresh._names[label].winner, label
    assert followed.theme("spectrum") == followed.theme("ass") == "autisme"
    assert followed.organisation("SN") == "org-zz" and followed.organisation(orgs[0]) is None
    assert lookup.organisation(orgs[0]) == orgs[0]  # the old one is as it was
    assert lookup.theme("spectrum") is None
