"""The compact mirror of the embedded store: the same answers as a networkx graph, in a
fraction of the memory, and in step with writes from another process."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import textwrap
import tracemalloc
from pathlib import Path
from typing import Any

import networkx as nx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from schakel.graph.local import LocalGraphStore
from schakel.graph.mirror import Mirror
from schakel.graph.model import Member, Relationship
from schakel.seeds.load import seed_store

IDS = ["a", "b", "c", "d"]
TYPES = ["KNOWS", "WORKS_ON"]
PROPS = st.sampled_from([{}, {"level": 2}, {"level": 3}, {"context": "brug"}])
OPS = st.lists(st.one_of(
    st.tuples(st.just("node"), st.sampled_from(IDS), st.sampled_from(["Member", "Theme"]),
              st.dictionaries(st.sampled_from(["name", "roles", "x"]),
                              st.one_of(st.text(max_size=3), st.lists(st.text(max_size=2),
                                                                       max_size=2)),
                              max_size=3)),
    st.tuples(st.just("edge"), st.sampled_from(IDS), st.sampled_from(TYPES),
              st.sampled_from(IDS), PROPS),
    st.tuples(st.just("drop_edge"), st.sampled_from(IDS), st.sampled_from(TYPES),
              st.sampled_from(IDS)),
    st.tuples(st.just("drop_out"), st.sampled_from(IDS), st.sampled_from(TYPES)),
    st.tuples(st.just("drop_node"), st.sampled_from(IDS)),
), max_size=40)


def _apply(m: Mirror, g: nx.MultiDiGraph, op: tuple[Any, ...]) -> None:
    """One operation on the mirror and, the plain way, on a networkx reference."""
    kind, *args = op
    if kind == "node":
        node_id, label, props = args
        label = g.nodes[node_id]["label"] if node_id in g else label  # labels never change
        m.put_node(node_id, label, props)
        g.add_node(node_id)
        g.nodes[node_id].clear()
        g.nodes[node_id].update(props, label=label)
    elif kind == "edge":
        start, rel_type, end, props = args
        m.put_edge(start, rel_type, end, props)
        if start in g and end in g:
            g.add_edge(start, end, key=rel_type)
            g[start][end][rel_type].clear()
            g[start][end][rel_type].update(props)
    elif kind == "drop_edge":
        start, rel_type, end = args
        assert m.drop_edge(start, rel_type, end) == g.has_edge(start, end, rel_type)
        if g.has_edge(start, end, rel_type):
            g.remove_edge(start, end, rel_type)
    elif kind == "drop_out":
        start, rel_type = args
        gone = [(start, e, rel_type) for e in list(g.successors(start))
                if g.has_edge(start, e, rel_type)] if start in g else []
        assert m.drop_out(start, rel_type) == len(gone)
        g.remove_edges_from(gone)
    elif kind == "drop_node" and args[0] in g:
        m.drop_node(args[0])
        g.remove_node(args[0])


@settings(max_examples=300, deadline=None)
@given(OPS)
def test_mirror_answers_as_a_networkx_graph(ops: list[tuple[Any, ...]]) -> None:
    m, g = Mirror(), nx.MultiDiGraph()
    for op in ops:
        _apply(m, g, op)
    assert len(m) == g.number_of_nodes()
    assert sum(m.rel_counts.values()) == g.number_of_edges()
    for t in TYPES:
        assert m.rel_counts[t] == sum(1 for *_, k in g.edges(keys=True) if k == t)
        assert sorted(m.edges(t)) == sorted((u, v, d) for u, v, k, d in
                                            g.edges(keys=True, data=True) if k == t)
    for node_id in g:
        assert m.raw(node_id) == (node_id, g.nodes[node_id]["label"],
                                  {k: v for k, v in g.nodes[node_id].items() if k != "label"})
        for t in [None, *TYPES]:
            out = sorted((node_id, k, v, d) for _, v, k, d in
                         g.out_edges(node_id, keys=True, data=True) if t in (None, k))
            into = sorted((u, k, node_id, d) for u, _, k, d in
                          g.in_edges(node_id, keys=True, data=True) if t in (None, k))
            assert sorted(m.out_of(node_id, t)) == out
            assert sorted(m.into_of(node_id, t)) == into
            assert sorted(m.neighbour_ids(node_id, t, "out")) == sorted(e for _, _, e, _ in out)
            assert sorted(m.neighbour_ids(node_id, t, "in")) == sorted(s for s, _, _, _ in into)
    h = m.to_networkx()
    assert nx.utils.graphs_equal(h, g)
    assert sorted(h.edges(keys=True, data=True), key=str) == sorted(
        g.edges(keys=True, data=True), key=str)


def test_reads_are_copies() -> None:
    m = Mirror()
    m.put_node("a", "Member", {"roles": ["member"], "name": "Anna"})
    m.put_node("b", "Member", {})
    m.put_edge("a", "KNOWS", "b", {"context": "brug"})
    m.raw("a")[2]["roles"].append("expert")
    m.out_of("a", None)[0][3]["context"] = "anders"
    m.edges("KNOWS")[0][2]["context"] = "weer anders"
    assert m.raw("a")[2]["roles"] == ["member"]
    assert m.out_of("a", "KNOWS") == [("a", "KNOWS", "b", {"context": "brug"})]


# -- memory ------------------------------------------------------------------------------
MEMBERS = 3000


@pytest.fixture(scope="module")
def network(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("mirror") / "schakel.sqlite"
    with LocalGraphStore(path) as store:
        seed_store(store, MEMBERS, seed=7)
    return path


def _networkx_mirror(path: Path, edges: bool) -> nx.MultiDiGraph:
    """The mirror as the store kept it before: a MultiDiGraph, relationship properties
    parsed once per text and shared."""
    db = sqlite3.connect(path)
    g = nx.MultiDiGraph()
    for node_id, label, props in db.execute("SELECT id, label, props FROM nodes"):
        g.add_node(node_id, label=label, **json.loads(props))
    parsed: dict[str, dict[str, Any]] = {}
    if edges:
        for src, rel_type, dst, text in db.execute("SELECT src, type, dst, props FROM rels"):
            props = parsed.setdefault(text, json.loads(text))
            keys = g._succ[src].get(dst)  # noqa: SLF001
            if keys is None:
                keys = g._succ[src][dst] = g._pred[dst][src] = {}  # noqa: SLF001
            keys[rel_type] = props
    db.close()
    return g


def _traced(build: Any) -> tuple[Any, int]:
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        built = build()
        return built, tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()


def _compact(path: Path, edges: bool) -> Any:
    store = LocalGraphStore(path)
    if not edges:
        nodes = store._mirror.nodes  # noqa: SLF001
        store._mirror = Mirror()  # noqa: SLF001
        for node_id, label, shape, values in nodes.values():
            store._mirror.put_node(node_id, label, dict(zip(shape.keys, values, strict=True)))  # noqa: SLF001
    store.close()
    return store


def test_mirror_takes_a_fraction_of_the_networkx_memory(network: Path) -> None:
    """Measured with tracemalloc at 3,000 members: the whole mirror and the part per
    relationship, against the networkx mirror it replaces (at 100,000 members: 222 MB
    instead of 783 MB of RSS)."""
    rels = sqlite3.connect(network).execute("SELECT count(*) FROM rels").fetchone()[0]
    assert rels > 10 * MEMBERS
    nx_all = _traced(lambda: _networkx_mirror(network, edges=True))[1]
    nx_nodes = _traced(lambda: _networkx_mirror(network, edges=False))[1]
    compact_all = _traced(lambda: _compact(network, edges=True))[1]
    compact_nodes = _traced(lambda: _compact(network, edges=False))[1]
    per_rel_nx = (nx_all - nx_nodes) / rels
    per_rel = (compact_all - compact_nodes) / rels
    summary = (f"networkx {nx_all / 1e6:.1f} MB ({per_rel_nx:.0f} B per relationship), "
               f"compact {compact_all / 1e6:.1f} MB ({per_rel:.0f} B per relationship)")
    assert per_rel < per_rel_nx / 3, summary  # measured: 118 against 429 bytes
    assert compact_all < 0.4 * nx_all, summary


# -- another process writes --------------------------------------------------------------
WRITER = textwrap.dedent("""
    import sys
    from schakel.graph.local import LocalGraphStore
    from schakel.graph.model import Member, Relationship
    store = LocalGraphStore(sys.argv[1])
    ids = store.ids("Member")
    a, b, c = ids[0], ids[1], ids[2]
    store.write([Member(id="m-new", name="Nieuw Lid", roles=["member", "expert"])],
                [Relationship(type="KNOWS", start="m-new", end=a, props={"context": "brug"}),
                 Relationship(type="KNOWS", start=b, end="m-new")])
    store.write(relationships=[Relationship(type="WORKS_ON", start=a, end="verzuim",
                                            props={"level": 3})],
                replace=[(a, "WORKS_ON")])
    store.delete([c])
    store.delete_relationships([(b, "KNOWS", "m-new")])
    store.close()
""")


def _view(store: LocalGraphStore) -> dict[str, Any]:
    snap = store.snapshot()
    return {"counts": store.counts(), "nodes": dict(snap.nodes(data=True)),
            "edges": sorted(snap.edges(keys=True, data=True), key=str),
            "edges_by_type": {t: sorted(v) for t, v in store.edges(["KNOWS", "WORKS_ON"]).items()},
            "ids": store.ids("Member")}


def test_catches_up_with_writes_from_another_process(network: Path, tmp_path: Path) -> None:
    path = tmp_path / "schakel.sqlite"
    path.write_bytes(network.read_bytes())
    server = LocalGraphStore(path, sync_interval=0)
    a, b, c = server.ids("Member")[:3]
    before = server.count_relationships()
    subprocess.run([sys.executable, "-c", WRITER, str(path)], check=True, timeout=120)
    # The running store follows the feed; a fresh open reads everything from SQLite.
    assert server.get("m-new").roles == ["member", "expert"]
    assert server.neighbour_ids("m-new", "KNOWS", "both") == [a]
    assert server.get(c) is None and c not in server.neighbour_ids(a, None, "both")
    assert [(r.end, r.props) for r in server.relationships(a, "WORKS_ON")] == [
        ("verzuim", {"level": 3})]
    assert server.count_relationships() < before
    fresh = LocalGraphStore(path)
    assert _view(server) == _view(fresh)
    fresh.close()
    server.close()


def test_a_failed_write_leaves_the_mirror_as_it_was(network: Path, tmp_path: Path) -> None:
    path = tmp_path / "schakel.sqlite"
    path.write_bytes(network.read_bytes())
    store = LocalGraphStore(path)
    a = store.ids("Member")[0]
    before = _view(store)

    class Boom(Exception):
        pass

    def work() -> None:
        store.write([Member(id="m-x", name="X")],
                    [Relationship(type="KNOWS", start="m-x", end=a)], replace=[(a, "KNOWS")])
        raise Boom

    with pytest.raises(Boom), store._writing():  # noqa: SLF001 - one transaction around both
        work()
    assert _view(store) == before
    store.close()
