"""One contract for every GraphStore adapter: the same tests run on the embedded store and on
Neo4j (a real Bolt server). Each test starts from an empty store."""

from __future__ import annotations

import threading

import networkx as nx
import pytest

from schakel.errors import GraphValidationError, NodeNotFoundError
from schakel.graph.model import (
    NODE_MODELS,
    REL_SCHEMA,
    Activity,
    Application,
    Call,
    Community,
    Domain,
    Introduction,
    Member,
    Node,
    Organisation,
    Practice,
    Question,
    Region,
    Relationship,
    Signal,
    Table,
    Tally,
    Theme,
)
from schakel.graph.store import GraphStore

from .conftest import Opener


def rel(t: str, a: str, b: str, **props: object) -> Relationship:
    return Relationship(type=t, start=a, end=b, props=props)


NODES: list[Node] = [
    Domain(id="onderwijs", name="Onderwijs", synonyms=["po", "vo"]),
    Domain(id="jeugdhulp", name="Jeugdhulp", description=""),
    Region(id="pv-drenthe", name="Drenthe", kind="provincie", lat=52.9, lon=6.6),
    Region(id="gm-emmen", name="Emmen", kind="gemeente", lat=52.78, lon=6.9,
           provincie="pv-drenthe", aliases=["Emmen (Dr)"], tags=["inspiratieregio"]),
    Theme(id="verzuim", name="Schoolverzuim", synonyms=["verzuim"], gloss_en="absence"),
    Theme(id="thuiszitters", name="Thuiszitters", synonyms=["thuiszitten"]),
    Theme(id="zeven-adviezen", name="Zeven adviezen", assignable=False),
    Organisation(id="org-a", name="Basisschool De Es", kind="school", abbreviation="DE"),
    Member(id="m-1", name="Anna de Vries", function="intern begeleider",
           roles=["member", "expert", "ambassador"], profile="Ik werk aan thuiszitters.",
           availability="op afspraak", consent_contact=True),
    Member(id="m-2", name="Bram Yilmaz", function="wijkcoach", visibility="staff"),
    Member(id="m-3", name="Chris Jansen", roles=["verbinder"], visibility="none",
           consent_matching=False),
    Practice(id="pr-x", title="VoorSam@Zo", summary="Coaches in de school.", source="mao"),
    Community(id="com-y", name="CoP thuiszitters", kind="cop"),
    Question(id="q-1", text="Wie weet iets van thuiszitters?", created="2026-01-02",
             status="voorgesteld", own_organisation=True,
             history=['{"at": "2026-01-02T09:00:00+00:00", "who": "anna", "action": "x"}']),
    Introduction(id="i-1", state="approved", created="2026-01-03", kind="expert", rank=1,
                 score=0.71, reasons=["Werkt aan Thuiszitters"], themes=["verzuim"],
                 cross_domain=True, features=[0.5, 0.0, 1.0], feature_names=["dense", "geo",
                                                                            "theme"],
                 approved_at="2026-01-04T10:00:00+00:00",
                 history=['{"at": "2026-01-04T10:00:00+00:00", "who": "anna"}']),
    Call(id="c-1", title="Waar loopt u tegenaan?", text="Vertel het ons.", kind="gericht",
         opens="2026-01-01", closes="2026-02-01", created="2026-01-01T09:00:00+00:00"),
    Signal(id="s-1", text="Wachtlijsten jeugdhulp", step=3),
    Signal(id="s-2", text="Geen budget voor de brug tussen school en zorg", step=7,
           channel="intake", urgency="hoog", instrument="financiering",
           option="financiering, subsidiëring en experimenteerruimte",
           created="2026-01-05T10:00:00+00:00", causes="Twee potjes.", shared="podcast",
           feedback="Besproken aan de OZKT.", cluster="hand-1",
           history=['{"at": "2026-01-05T10:00:00+00:00", "who": "anna", "action": "7"}']),
    Table(id="t-1", name="Landelijke tafel", kind="landelijk", scope="Het hele land."),
    Tally(id="tally-erased", erased_members=1, introductions=2, outcome_nuttig=1),
]
RELS = [
    rel("PART_OF", "gm-emmen", "pv-drenthe"),
    rel("BROADER", "thuiszitters", "verzuim"),
    rel("IN_DOMAIN", "org-a", "onderwijs"),
    rel("BASED_IN", "org-a", "gm-emmen"),
    rel("WORKS_AT", "m-1", "org-a"),
    rel("BASED_IN", "m-1", "gm-emmen"),
    rel("ACTIVE_IN", "m-1", "onderwijs"),
    rel("ACTIVE_IN", "m-2", "jeugdhulp"),
    rel("WORKS_ON", "m-1", "thuiszitters", level=3),
    rel("WORKS_ON", "m-2", "verzuim"),
    rel("KNOWS", "m-1", "m-2", context="brug"),
    rel("KNOWS", "m-2", "m-1"),
    rel("MEMBER_OF", "m-1", "com-y"),
    rel("ABOUT", "pr-x", "thuiszitters"),
    rel("IN_REGION", "pr-x", "gm-emmen"),
    rel("INVOLVES", "pr-x", "org-a"),
    rel("ABOUT", "com-y", "thuiszitters"),
    rel("ABOUT", "q-1", "verzuim"),
    rel("ABOUT", "s-1", "verzuim"),
    rel("ABOUT", "c-1", "verzuim"),
    rel("IN_DOMAIN", "s-2", "onderwijs"),
    rel("IN_REGION", "s-2", "gm-emmen"),
    rel("RAISED_BY", "s-2", "m-1"),
    rel("ANSWERS", "s-2", "c-1"),
    rel("FOLLOWS_UP", "c-1", "s-1"),
    rel("DEEPENS", "q-1", "s-2"),
    rel("RECOGNISES", "m-3", "s-2", note="Bij ons ook", at="2026-01-06T10:00:00+00:00"),
    rel("ASKED_BY", "q-1", "m-2"),
    rel("FOR", "i-1", "q-1"),
    rel("SUGGESTS", "i-1", "m-1"),
    rel("SUGGESTS", "i-1", "pr-x"),
    rel("RECOGNISES", "m-1", "s-1"),
    rel("AGENDERED_AT", "s-1", "t-1", date="2026-02-01", result="besproken"),
    rel("AGENDERED_AT", "s-2", "t-1", date="2026-02-02", instrument="financiering",
        option="dataverzameling en onderzoek"),
    rel("IN_REGION", "q-1", "gm-emmen"),
    rel("CONFLICT", "m-3", "org-a", note="familie", by="regiebureau", at="2026-01-05"),
]
# -- issue 16: lid worden en elkaar ontmoeten --
NODES += [
    Application(id="aanmelding-1", state="approved", name="Anna de Vries", seeks=["verzuim"],
                offers=["thuiszitters"], offer_levels=[3], role_level="uitvoering",
                perspective="ouder/verzorger", member="m-3",
                history=['{"at": "2026-01-01T09:00:00+00:00", "action": "aangemeld"}']),
    Activity(id="act-1", title="Intervisie thuiszitters", kind="intervisie",
             starts="2026-03-05T15:00:00+01:00", ends="2026-03-05T17:00:00+01:00",
             capacity=8, audience_levels=["uitvoering"]),
]
RELS += [  # all from m-3 (hidden), so the checks on m-1 and m-2 above stay as they were
    rel("SEEKS", "m-3", "zeven-adviezen"),
    rel("OFFERS", "m-3", "verzuim", level=3),
    rel("BECAME", "aanmelding-1", "m-3"),
    rel("ORGANISED_BY", "act-1", "com-y"),
    rel("SIGNED_UP", "m-3", "act-1", status="waiting", position=2, at="2026-02-01T10:00:00"),
    rel("ATTENDED", "m-3", "act-1"),
    rel("MET_AT", "m-3", "m-2", activity="act-1"),
    rel("COORDINATES", "m-3", "com-y"),
    rel("WANTS_TO_JOIN", "m-3", "com-y"),
    rel("INVITED_TO", "m-3", "com-y"),
]


def stored(rels: list[Relationship]) -> list[Relationship]:
    """Relationships as a store gives them back: defaults filled in, sorted."""
    return sorted((r.model_copy(update={"props": r.checked_props()}) for r in rels),
                  key=lambda r: r.key)


def expected_graph(nodes: list[Node], rels: list[Relationship]) -> nx.MultiDiGraph:
    g = nx.MultiDiGraph()
    for n in nodes:
        g.add_node(n.id, label=n.label, **n.props())
    for r in rels:
        g.add_edge(r.start, r.end, key=r.type, **r.checked_props())
    return g


def same_graph(a: nx.MultiDiGraph, b: nx.MultiDiGraph) -> bool:
    return (nx.utils.nodes_equal(a.nodes(data=True), b.nodes(data=True))
            and nx.utils.edges_equal(a.edges(keys=True, data=True), b.edges(keys=True, data=True)))


def test_the_fixture_covers_every_label_and_type() -> None:
    assert {n.label for n in NODES} == set(NODE_MODELS)
    assert {r.type for r in RELS} == set(REL_SCHEMA)


def test_every_node_and_relationship_type_round_trips(backend: Opener) -> None:
    writer = backend()
    result = writer.write(NODES, RELS)
    assert (result.nodes, result.relationships) == (len(NODES), len(RELS))
    for store in (writer, backend()):  # the writer, and a fresh client of the same data
        for node in NODES:
            assert store.get(node.id) == node
        assert store.get_many([n.id for n in NODES]) == NODES
        assert store.relationships() == stored(RELS)
        for t in REL_SCHEMA:
            assert store.relationships(type=t) == stored([r for r in RELS if r.type == t])
        assert store.count() == len(NODES)
        assert store.count_relationships() == len(RELS)
        assert store.counts()["nodes"]["Member"] == 3
        assert store.counts()["relationships"]["ABOUT"] == 5
        assert store.labels_of(["m-1", "t-1", "nope"]) == {"m-1": "Member", "t-1": "Table"}
        assert store.props_of(["gm-emmen"])["gm-emmen"] == {**NODES[3].props(), "label": "Region"}


def test_upsert_is_idempotent_and_updates(store: GraphStore) -> None:
    store.write(NODES, RELS)
    store.write(NODES, RELS)
    assert store.count() == len(NODES)
    assert store.count_relationships() == len(RELS)
    store.upsert_nodes([Member(id="m-1", name="Anna de Vries-Bos", roles=["member"])])
    updated = store.require("m-1")
    assert updated.name == "Anna de Vries-Bos"
    assert updated.function is None  # an upsert replaces the properties
    assert updated.roles == ["member"]
    assert store.neighbour_ids("m-1", "WORKS_ON") == ["thuiszitters"]  # relationships stay
    store.upsert_relationships([rel("WORKS_ON", "m-1", "thuiszitters", level=1)])
    assert store.relationships("m-1", "WORKS_ON")[0].props == {"level": 1}
    assert store.count_relationships("WORKS_ON") == 2


def test_a_batch_may_name_one_node_twice(store: GraphStore) -> None:
    store.write(NODES[:4] + [Member(id="m-9", name="Eerst"), Member(id="m-9", name="Dan")])
    assert store.require("m-9").name == "Dan"
    assert store.count("Member") == 1


@pytest.mark.parametrize(
    ("bad_rel", "field"),
    [
        (rel("WORKS_AT", "m-1", "nobody"), "to"),
        (rel("WORKS_AT", "m-1", "gm-emmen"), "to"),  # a region is no organisation
        (rel("WORKS_ON", "m-1", "verzuim", level=5), "props.level"),
        (rel("KNOWS", "m-1", "m-2", colour="red"), "props.colour"),
        (rel("AGENDERED_AT", "s-1", "t-1"), "props.date"),
    ],
)
def test_failed_batch_writes_nothing(backend: Opener, bad_rel: Relationship, field: str) -> None:
    store = backend()
    store.write(NODES, RELS)
    counts, version = store.counts(), store.version
    new_member = Member(id="m-4", name="Dirk Bakker", roles=["member", "expert"])
    update = Member(id="m-1", name="Niet opgeslagen")
    with pytest.raises(GraphValidationError) as err:
        store.write([new_member, update], [rel("BASED_IN", "m-4", "gm-emmen"), bad_rel],
                    replace=[("m-1", "WORKS_ON")])
    assert any(p["field"] == field for p in err.value.problems)
    for reader in (store, backend()):
        assert reader.get("m-4") is None
        assert reader.require("m-1") == NODES[8]
        assert reader.neighbour_ids("m-1", "WORKS_ON") == ["thuiszitters"]
        assert reader.counts() == counts
    assert store.get("m-4") is None and store.version == version


def test_id_cannot_change_label(store: GraphStore) -> None:
    store.write(NODES, RELS)
    with pytest.raises(GraphValidationError, match="hoort al bij een Member"):
        store.upsert_nodes([Theme(id="m-1", name="Niet doen")])
    with pytest.raises(GraphValidationError, match="twee keer"):
        store.upsert_nodes([Theme(id="x-1", name="A"), Domain(id="x-1", name="B")])
    assert store.label_of("m-1") == "Member"
    assert store.get("x-1") is None


def test_neighbours_and_reads(store: GraphStore) -> None:
    store.write(NODES, RELS)
    assert [n.id for n in store.find("Member")] == ["m-1", "m-2", "m-3"]
    assert [n.id for n in store.find("Member", function="wijkcoach")] == ["m-2"]
    assert [n.id for n in store.find("Member", function=None)] == ["m-3"]
    assert [n.id for n in store.find("Theme", assignable=False)] == ["zeven-adviezen"]
    assert store.find("Member", function="nobody") == []
    assert store.ids("Theme") == ["thuiszitters", "verzuim", "zeven-adviezen"]
    assert store.neighbour_ids("m-1", "WORKS_ON") == ["thuiszitters"]
    assert store.neighbour_ids("thuiszitters", direction="in") == ["com-y", "m-1", "pr-x"]
    assert store.neighbour_ids("m-2", direction="both") == ["jeugdhulp", "m-1", "m-3", "q-1",
                                                             "verzuim"]
    assert store.neighbour_ids("m-2", "KNOWS", direction="both") == ["m-1"]
    assert store.neighbour_ids("verzuim", "BROADER", "in") == ["thuiszitters"]
    assert [n.id for n in store.neighbours("gm-emmen", "BASED_IN", "in")] == ["m-1", "org-a"]
    assert [n.id for n in store.neighbours("i-1", "SUGGESTS")] == ["m-1", "pr-x"]
    assert store.relationships("s-1", direction="both") == stored(
        [r for r in RELS if "s-1" in (r.start, r.end)])
    assert store.relationships("m-1", "KNOWS", "in") == stored([rel("KNOWS", "m-2", "m-1")])
    assert store.neighbour_ids("missing") == []
    assert store.relationships("missing", direction="both") == []
    assert store.get("missing") is None
    with pytest.raises(NodeNotFoundError):
        store.require("missing")
    with pytest.raises(ValueError):
        store.neighbour_ids("m-1", direction="sideways")  # type: ignore[arg-type]
    assert [n.id for n in store.iter_nodes("Member", batch_size=2)] == ["m-1", "m-2", "m-3"]
    assert store.count("Nonsense") == 0 and store.ids("Nonsense") == []


def test_replace_drops_old_relationships(store: GraphStore) -> None:
    store.write(NODES, RELS)
    result = store.write(relationships=[rel("WORKS_ON", "m-1", "verzuim", level=2)],
                         replace=[("m-1", "WORKS_ON"), ("m-3", "WORKS_ON")])
    assert result.removed == 1
    assert store.neighbour_ids("m-1", "WORKS_ON") == ["verzuim"]
    assert store.neighbour_ids("thuiszitters", "WORKS_ON", "in") == []
    assert store.count_relationships("WORKS_ON") == 2


def test_delete_detaches_and_erases(backend: Opener) -> None:
    store = backend()
    store.sync_interval = 0  # type: ignore[attr-defined]
    store.write(NODES, RELS)
    assert store.delete(["m-1", "not-there"]) == 1
    assert store.get("m-1") is None
    assert store.neighbour_ids("org-a", "WORKS_AT", "in") == []
    assert store.neighbour_ids("m-2", "KNOWS", "both") == []
    assert store.count_relationships("KNOWS") == 0
    assert store.count_relationships() == len(RELS) - 10  # with RAISED_BY s-2 -> m-1
    assert store.delete_relationships([("pr-x", "ABOUT", "thuiszitters"),
                                       ("pr-x", "ABOUT", "verzuim")]) == 1
    assert store.neighbour_ids("pr-x", "ABOUT") == []
    assert store.delete([]) == 0 and store.delete_relationships([]) == 0
    counts = store.counts()
    again = backend()
    assert again.get("m-1") is None
    assert again.counts() == counts
    assert "m-1" not in again.snapshot()
    # Erasing everything leaves an empty, usable store.
    assert again.delete([n.id for n in NODES]) == len(NODES) - 1
    assert again.count() == 0 and again.count_relationships() == 0
    assert store.count() == 0  # the first client catches up
    again.write(NODES[:2])
    assert again.ids("Domain") == ["jeugdhulp", "onderwijs"]


def test_snapshot_equals_what_was_written_and_is_frozen(store: GraphStore) -> None:
    store.write(NODES, RELS)
    snap = store.snapshot()
    assert isinstance(snap, nx.MultiDiGraph)
    assert same_graph(snap, expected_graph(NODES, RELS))
    assert snap.nodes["m-1"]["label"] == "Member"
    assert snap.edges["m-1", "thuiszitters", "WORKS_ON"]["level"] == 3
    assert store.snapshot() is snap  # cached while nothing changes
    with pytest.raises(nx.NetworkXError):
        snap.add_node("x")
    store.upsert_nodes([Member(id="m-5", name="Eva")])
    assert "m-5" not in snap
    assert "m-5" in store.snapshot()


def test_a_second_client_sees_writes_and_the_version_moves(backend: Opener) -> None:
    """`schakel import` in one process while `schakel serve` runs in another."""
    server, cli = backend(), backend()
    server.sync_interval = cli.sync_interval = 0  # type: ignore[attr-defined]
    server.write(NODES, RELS)
    assert cli.get("m-1") is not None
    version = server.version
    cli.write([Member(id="m-7", name="Gijs")], [rel("BASED_IN", "m-7", "gm-emmen")])
    assert server.version != version  # read caches keyed on the version drop out
    assert server.neighbour_ids("gm-emmen", "BASED_IN", "in") == ["m-1", "m-7", "org-a"]
    version = server.version
    cli.delete(["m-1"])
    assert server.version != version
    assert server.get("m-1") is None
    assert server.count_relationships("KNOWS") == 0
    server.upsert_nodes([Member(id="m-8", name="Hanna")])
    assert {n.id for n in cli.find("Member")} == {"m-2", "m-3", "m-7", "m-8"}


def test_threads_writing_one_id_with_two_labels(backend: Opener) -> None:
    """A race between two writers: exactly one wins, the other gets a validation error."""
    store = backend()
    errors: list[Exception] = []

    def put(node: Node) -> None:
        try:
            store.upsert_nodes([node])
        except GraphValidationError as e:
            errors.append(e)

    rounds = 6
    for round_no in range(rounds):
        node_id = f"race-{round_no}"
        threads = [threading.Thread(target=put, args=(n,)) for n in
                   (Organisation(id=node_id, name="O"), Member(id=node_id, name="M"))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert len(errors) == rounds
    again = backend()
    assert again.count() == rounds
    assert again.counts() == store.counts()


@pytest.mark.slow
def test_a_10k_node_batch_import(store: GraphStore) -> None:
    base = NODES[:4]
    members = [Member(id=f"bulk-{i:05d}", name=f"Lid {i}", roles=["member", "expert"][: 1 + i % 2])
               for i in range(10_000)]
    rels = [rel("BASED_IN", m.id, "gm-emmen") for m in members]
    rels += [rel("KNOWS", members[i].id, members[i - 1].id) for i in range(1, len(members))]
    result = store.write(base + members, rels)
    assert (result.nodes, result.relationships) == (10_004, 19_999)
    assert store.count("Member") == 10_000
    assert store.count_relationships("KNOWS") == 9_999
    assert len(store.neighbour_ids("gm-emmen", "BASED_IN", "in")) == 10_000
    assert store.require("bulk-00001").roles == ["member", "expert"]
    store.write(members[:2000], rels[:2000])  # again: nothing new
    assert store.count() == 10_004 and store.count_relationships() == 19_999


def everything(store: GraphStore) -> dict[str, object]:
    """Every read the port offers, for every node: what a warm cache must agree with."""
    ids = sorted(i for label in NODE_MODELS for i in store.ids(label))
    return {
        "nodes": store.get_many(ids),
        "labels": store.labels_of([*ids, "nope"]),
        "find": {label: store.find(label) for label in NODE_MODELS},
        "rels": {i: store.relationships(i, direction="both") for i in ids},
        "in": {(i, t): store.neighbour_ids(i, t, "in") for i in ids for t in REL_SCHEMA},
        "out": {(i, t): store.neighbour_ids(i, t) for i in ids for t in REL_SCHEMA},
        "counts": store.counts(),
        "count": (store.count(), store.count_relationships()),
    }


def test_warm_reads_follow_every_kind_of_write(backend: Opener) -> None:
    store = backend()
    store.write(NODES, RELS)
    writes = [
        lambda: store.write([Member(id="m-1", name="Anna", roles=["verbinder"])],
                            [rel("WORKS_ON", "m-1", "verzuim", level=1)],
                            replace=[("m-1", "WORKS_ON"), ("i-1", "SUGGESTS")]),
        lambda: store.write([Member(id="m-6", name="Nieuw")],
                            [rel("KNOWS", "m-6", "m-2"), rel("BASED_IN", "m-6", "gm-emmen")]),
        lambda: store.upsert_relationships([rel("KNOWS", "m-1", "m-2", context="collega")]),
        lambda: store.delete_relationships([("q-1", "ASKED_BY", "m-2"),
                                            ("m-1", "WORKS_AT", "org-a")]),
        lambda: store.delete(["thuiszitters", "m-6"]),
        lambda: store.upsert_nodes([Theme(id="thuiszitters", name="Terug")]),
    ]
    for write in writes:
        everything(store)  # warm every cache the store keeps
        write()
        assert everything(store) == everything(backend())  # a fresh client: no cache


def test_edges_in_bulk(store: GraphStore) -> None:
    store.write(NODES, RELS)
    found = store.edges(["WORKS_ON", "ABOUT", "KNOWS"])
    for t, rows in found.items():
        assert sorted(rows, key=lambda r: (r[0], r[1])) == [
            (r.start, r.end, r.checked_props()) for r in stored(RELS) if r.type == t]
    with pytest.raises(ValueError):
        store.edges(["LIKES"])
