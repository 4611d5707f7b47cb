"""The compiled backend (igraph + numpy) against the networkx reference, on graphs of up to a
few thousand nodes: every metric equal up to float rounding (the sampled ones use the same
sources and pivots), the communities of the same quality."""

from __future__ import annotations

import random

import networkx as nx
import numpy as np
import pytest
from scipy.stats import spearmanr

from schakel.graph.analytics import COMPILED_FROM, analyse
from schakel.graph.compiled import Arrays, Compiled

TOL = 1e-12  # float rounding: the sums run in another order
MODULARITY_TOL = 0.02  # two Louvain implementations: a partition as good, not the same


def _network(n: int, seed: int) -> nx.Graph:
    """A clustered scale-free graph with string ids in shuffled order, domains, a few loose
    pairs and isolated members (the shapes the expert pool has)."""
    rng = random.Random(seed)
    base = nx.powerlaw_cluster_graph(n, 3, 0.4, seed=seed)
    ids = [f"lid-{i:05d}" for i in range(n)]
    rng.shuffle(ids)
    g = nx.Graph()
    g.add_nodes_from(ids)  # node order differs from id order, as in a real view
    g.add_edges_from((ids[u], ids[v]) for u, v in base.edges())
    for i in range(5):
        g.add_edge(f"los-{i}a", f"los-{i}b")
        g.add_node(f"alleen-{i}")
    nx.set_node_attributes(g, {v: rng.choice(["onderwijs", "zorg", "jeugd", None])
                               for v in g}, "domain")
    return g


@pytest.fixture(scope="module", params=[(300, 1), (3000, 2)], ids=["300", "3000"])
def pair(request: pytest.FixtureRequest) -> tuple[nx.Graph, object, object]:
    n, seed = request.param
    g = _network(n, seed)
    # exact_limit below n: betweenness and closeness are the sampled estimates here
    return g, analyse(g, backend="networkx", exact_limit=200), \
        analyse(g, backend="igraph", exact_limit=200)


def _close(a: dict, b: dict) -> None:
    assert set(a) == set(b)
    worst = max((abs(a[v] - b[v]) for v in a), default=0.0)
    assert worst <= TOL, worst


def test_every_metric_but_communities_is_equal(pair) -> None:
    g, ref, fast = pair
    assert ref.method["backend"] == "networkx" and fast.method["backend"] == "igraph"
    assert ref.method["betweenness"] == fast.method["betweenness"] == "sampled k=100"
    for metric in ("degree", "betweenness", "closeness", "constraint", "effective_size",
                   "brokerage"):
        _close(ref.metrics[metric], fast.metrics[metric])
    assert fast.roles == ref.roles
    assert fast.bridges == ref.bridges and len(ref.bridges) >= 5
    assert fast.articulation_points == ref.articulation_points
    assert sum(r["total"] for r in ref.roles.values()) > 0


def test_communities_are_as_good_and_cover_everyone(pair) -> None:
    g, ref, fast = pair

    def modularity(a) -> float:
        parts: dict[int, set] = {}
        for v, c in a.communities.items():
            parts.setdefault(c, set()).add(v)
        return nx.community.modularity(g, parts.values())

    assert set(fast.communities) == set(g)
    assert modularity(fast) >= modularity(ref) - MODULARITY_TOL
    assert modularity(fast) > 0.3
    # numbered largest first, as the reference
    sizes = np.bincount(list(fast.communities.values()))
    assert list(sizes) == sorted(sizes, reverse=True)


def _compiled(g: nx.Graph) -> tuple[list, Compiled]:
    nodes, arrays = Arrays.of(g)
    return nodes, Compiled(arrays)


def _named(nodes: list, values: np.ndarray) -> dict:
    return dict(zip(nodes, values.tolist(), strict=True))


def test_exact_metrics_equal_on_a_few_thousand_nodes() -> None:
    g = _network(2000, 3)
    nodes, c = _compiled(g)
    _close(_named(nodes, c.closeness()), nx.closeness_centrality(g))
    _close(_named(nodes, c.betweenness()), nx.betweenness_centrality(g))


def test_same_seed_same_answer_other_seed_other_sample() -> None:
    g = _network(1500, 4)
    one, again = analyse(g, backend="igraph", seed=3), analyse(g, backend="igraph", seed=3)
    other = analyse(g, backend="igraph", seed=4)
    assert one.communities == again.communities
    assert one.metrics["betweenness"] == again.metrics["betweenness"]
    assert one.metrics["betweenness"] != other.metrics["betweenness"]


def test_the_sample_estimates_exact_betweenness_well() -> None:
    """What sampling costs (the stated tolerance of the estimate, in either backend): on a
    3,000-node network 100 sources rank members as the exact computation does (Spearman
    >= 0.9) and find most of its top 30 (>= 20)."""
    g = _network(3000, 5)
    nodes, c = _compiled(g)
    exact, sampled = _named(nodes, c.betweenness()), _named(nodes, c.betweenness(100, 7))
    people = list(g)
    rho = spearmanr([exact[v] for v in people], [sampled[v] for v in people]).statistic
    top = set(sorted(people, key=exact.__getitem__, reverse=True)[:30])
    found = set(sorted(people, key=sampled.__getitem__, reverse=True)[:30])
    assert rho >= 0.9
    assert len(top & found) >= 20


def test_auto_picks_networkx_for_small_graphs_and_igraph_for_large() -> None:
    assert analyse(nx.path_graph(COMPILED_FROM - 1)).method["backend"] == "networkx"
    assert analyse(nx.path_graph(COMPILED_FROM)).method["backend"] == "igraph"
    with pytest.raises(ValueError):
        analyse(nx.path_graph(3), backend="snel")


@pytest.mark.parametrize("g", [nx.Graph(), nx.empty_graph(1), nx.path_graph(2),
                               nx.empty_graph(5)], ids=["leeg", "een", "twee", "los"])
def test_tiny_and_empty_graphs_agree(g: nx.Graph) -> None:
    ref, fast = analyse(g, backend="networkx"), analyse(g, backend="igraph")
    for metric in ref.metrics:
        assert fast.metrics[metric] == pytest.approx(ref.metrics[metric])
    assert fast.bridges == ref.bridges and fast.roles == ref.roles
    assert set(fast.communities) == set(ref.communities)


def test_directed_graphs_are_refused() -> None:
    with pytest.raises(nx.NetworkXNotImplemented):
        analyse(nx.DiGraph([(1, 2)]), backend="igraph")
